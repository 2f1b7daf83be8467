"""headrouter-eval: training-free audio-token pruning for Qwen2.5-Omni, evaluated in lmms-eval.

This module stays import-light (no torch): lmms-eval loads our entry point at start-up
and a failing or slow import would hide the models. Import the pieces you need from
their submodules, e.g. ``from headrouter_eval.pruners import make_pruner``.
"""

__version__ = "0.1.0"
