"""Checkpoint checks and dtype rules shared by every family's loader.

:func:`check_checkpoint` runs before any weight is built: a local path that does not
exist is named as a missing folder (not left to the hub's repo-id message), and a
checkpoint of another architecture is refused from its ``config.json``, naming the
family that does load it. Without it, a text-only Qwen2 folder holding a
``preprocessor_config.json`` builds a default-size 7B thinker with random weights and
is killed for memory with no message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from headrouter_eval.catalog import TITLES, family_of_model_type

if TYPE_CHECKING:
    from headrouter_eval.models.base import ModelFamily


def looks_like_path(pretrained: str) -> bool:
    """Whether ``pretrained`` can only be a local path: hub ids are ``name`` or ``org/name``."""
    text = str(pretrained)
    return (os.path.isabs(text) or text.startswith((".", "~")) or text.count("/") > 1
            or os.sep != "/" and os.sep in text)


def check_checkpoint(pretrained: str | Path, family: ModelFamily) -> str:
    """Refuse a missing folder or a checkpoint ``family`` does not load; returns its model_type.

    Reads only ``config.json`` (from the folder, or the hub cache for a repo id), so it costs
    milliseconds and runs before anything is built.
    """
    from transformers import PretrainedConfig

    text = str(pretrained)
    local = Path(text).expanduser()
    if local.exists() and not local.is_dir():
        raise ValueError(f"pretrained={text} is a file; it must be a checkpoint folder or a hub id")
    if not local.exists() and (isinstance(pretrained, Path) or looks_like_path(text)):
        raise ValueError(f"pretrained={text}: no such folder")
    if local.is_dir() and not (local / "config.json").is_file():
        raise ValueError(f"pretrained={text}: folder has no config.json, so it is not a model checkpoint")
    try:
        config, _ = PretrainedConfig.get_config_dict(str(local) if local.is_dir() else text)
    except (OSError, ValueError) as exc:
        also = "" if local.exists() else f"; there is no local folder {local.resolve()} either"
        raise ValueError(f"pretrained={text}: cannot read its config.json ({exc}){also}") from exc
    model_type = config.get("model_type")
    if model_type not in family.model_types:
        # from the catalog: naming the other family imports none of the family modules
        other = family_of_model_type(model_type)
        hint = (f"; it is a {TITLES[other]} checkpoint: use the *_{other} model ids" if other is not None
                else "; no family of headrouter-eval loads it")
        raise ValueError(
            f"pretrained={text} is a {model_type!r} checkpoint (config.json model_type, architectures "
            f"{config.get('architectures')}); the {family.title} integration loads model_type one of "
            f"{list(family.model_types)}{hint}"
        )
    return model_type


def resolve_dtype(dtype: str | torch.dtype | None, device: str | torch.device) -> torch.dtype:
    """``None``/"auto" -> bf16 on GPU, fp32 on CPU; otherwise the named dtype."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in (None, "", "auto"):
        return torch.bfloat16 if torch.device(device).type == "cuda" else torch.float32
    names = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
             "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}
    if dtype not in names:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(names)} or auto")
    return names[dtype]
