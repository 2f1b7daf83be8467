"""Model families: one integration module each, the only code naming that family's internals.

Families are imported on first use (each pulls in its transformers modeling module);
:func:`get_family` is the one way to get one.
"""

from __future__ import annotations

import importlib

from headrouter_eval.catalog import FAMILIES, MODEL_TYPES, family_of_model_type
from headrouter_eval.models.base import DecoderSizes, ModelFamily

__all__ = ["FAMILIES", "DecoderSizes", "ModelFamily", "family_for_model_type", "family_of_checkpoint", "get_family"]


def get_family(name: str) -> ModelFamily:
    """The integration of family ``name`` (``qwen_omni``, ``qwen2_audio``, ...)."""
    if name not in FAMILIES:
        raise ValueError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}")
    return importlib.import_module(f"headrouter_eval.models.{name}").FAMILY


def family_for_model_type(model_type: str | None) -> ModelFamily | None:
    """The family whose checkpoints have this ``config.json`` model_type, if any (only its module is imported)."""
    name = family_of_model_type(model_type)
    return get_family(name) if name is not None else None


def family_of_checkpoint(pretrained: str) -> ModelFamily:
    """The family that loads ``pretrained``, from its ``config.json`` model_type (for tools that take any)."""
    from transformers import PretrainedConfig

    try:
        config, _ = PretrainedConfig.get_config_dict(str(pretrained))
    except (OSError, ValueError) as exc:
        raise ValueError(f"pretrained={pretrained}: cannot read its config.json ({exc})") from exc
    family = family_for_model_type(config.get("model_type"))
    if family is None:
        known = {name: list(MODEL_TYPES[name]) for name in FAMILIES}
        raise ValueError(f"pretrained={pretrained} is a {config.get('model_type')!r} checkpoint "
                         f"(config.json model_type); headrouter-eval loads {known}")
    family.check_checkpoint(pretrained)
    return family
