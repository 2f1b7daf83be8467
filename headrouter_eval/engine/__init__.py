"""The model-independent pruning engine: hooks, the prefill prune at layer K, slicing.

:class:`PruningEngine` attaches a pruner to any model whose family is integrated under
``headrouter_eval/models/``; it names no model's internals itself.
"""

from headrouter_eval.engine.prune import PrefillRecord, PruningEngine
from headrouter_eval.engine.spans import AudioTokenIds, PromptLayoutError, find_audio_layout

__all__ = ["AudioTokenIds", "PrefillRecord", "PromptLayoutError", "PruningEngine", "find_audio_layout"]
