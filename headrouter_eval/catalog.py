"""The names of everything a user picks: pruning methods, model families, model ids.

The one source of truth for both lists: lmms-eval model ids are ``<method>_<family>``
(``headrouter_qwen_omni``, ``fastv_qwen2_audio``, ...), each served by a class the
adapter module generates from the same two tuples. Plain strings only (no imports), so
the lmms-eval registry, the models package and the command line can all read it.
"""

from __future__ import annotations

#: pruning methods; every one except ``vanilla`` is a class in ``headrouter_eval.pruners.PRUNERS``
METHODS = ("vanilla", "fastv", "random", "uniform", "dart", "headrouter")
#: model families; each is a module ``headrouter_eval.models.<family>``
FAMILIES = ("qwen_omni", "qwen2_audio", "qwen3_omni")
#: the ``config.json`` model_type values each family loads (full model or thinker alone); the
#: checkpoint checks read them here, so naming a checkpoint's family imports no family module
MODEL_TYPES = {
    "qwen_omni": ("qwen2_5_omni", "qwen2_5_omni_thinker"),
    "qwen2_audio": ("qwen2_audio",),
    "qwen3_omni": ("qwen3_omni_moe", "qwen3_omni_moe_thinker"),
}
#: how messages and reports name each family
TITLES = {"qwen_omni": "Qwen2.5-Omni", "qwen2_audio": "Qwen2-Audio", "qwen3_omni": "Qwen3-Omni"}


def model_id(method: str, family: str) -> str:
    return f"{method}_{family}"


def class_name(method: str, family: str) -> str:
    """Name of the adapter class serving ``model_id(method, family)``, e.g. ``HeadrouterQwenOmni``."""
    return "".join(part.capitalize() for part in (method, *family.split("_")))


def family_of_model_type(model_type: str | None) -> str | None:
    """The family whose checkpoints have this ``config.json`` model_type, if any."""
    return next((family for family in FAMILIES if model_type in MODEL_TYPES[family]), None)


def parse_model_id(name: str) -> tuple[str, str] | None:
    """``(method, family)`` of one of our model ids, or ``None``."""
    for method in METHODS:
        for family in FAMILIES:
            if name == model_id(method, family):
                return method, family
    return None
