"""lmms-eval model manifests, loaded through the ``lmms_eval.models`` entry point.

Import-light on purpose: lmms-eval imports this at start-up and only logs a warning
when it fails, after which every model here shows as "not found". So: no torch, no
transformers, only class paths as strings.
"""

from __future__ import annotations

from lmms_eval.models.registry_v2 import ModelManifest

#: One lmms-eval model id per pruning method; all share one adapter class, the
#: method is chosen by the id (see ``headrouter_eval.adapters.qwen_omni``).
METHODS = ("vanilla", "fastv", "random", "uniform", "headrouter")

_ADAPTER_MODULE = "headrouter_eval.adapters.qwen_omni"

MANIFESTS = [
    ModelManifest(
        model_id=f"{method}_qwen_omni",
        simple_class_path=f"{_ADAPTER_MODULE}.{method.capitalize()}QwenOmni",
    )
    for method in METHODS
]
