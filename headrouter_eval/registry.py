"""lmms-eval model manifests, one per (model family x pruning method) of ``catalog.py``.

Loaded through the ``lmms_eval.models`` entry point. Import-light on purpose: lmms-eval
imports this at start-up and only logs a warning when it fails, after which every model
here shows as "not found". So: no torch, no transformers, only class paths as strings.
"""

from __future__ import annotations

from lmms_eval.models.registry_v2 import ModelManifest

from headrouter_eval.catalog import FAMILIES, METHODS, class_name, model_id

ADAPTER_MODULE = "headrouter_eval.adapters.lmms_model"

MANIFESTS = [
    ModelManifest(model_id=model_id(method, family), simple_class_path=f"{ADAPTER_MODULE}.{class_name(method, family)}")
    for family in FAMILIES
    for method in METHODS
]
