"""Pruning methods, one small file each, and :func:`make_pruner` to build one by name.

``vanilla`` is not a pruner: it is the model with no pruner attached (``None``).
"""

from __future__ import annotations

from typing import Any

from headrouter_eval.pruners.base import Pruner, ScoringInputs, keep_count, validate_retention
from headrouter_eval.pruners.fastv import FastVPruner
from headrouter_eval.pruners.headrouter import HeadRouterPruner
from headrouter_eval.pruners.random import RandomPruner
from headrouter_eval.pruners.uniform import UniformPruner

PRUNERS: dict[str, type[Pruner]] = {
    cls.name: cls for cls in (FastVPruner, RandomPruner, UniformPruner, HeadRouterPruner)
}

__all__ = ["PRUNERS", "Pruner", "ScoringInputs", "keep_count", "make_pruner", "validate_retention"]


def register_pruner(cls: type[Pruner]) -> type[Pruner]:
    """Add a pruner class to :data:`PRUNERS` under ``cls.name`` (usable as a decorator)."""
    PRUNERS[cls.name] = cls
    return cls


def make_pruner(method: str, **options: Any) -> Pruner | None:
    """The pruner called ``method`` with ``options``; ``None`` for ``vanilla``."""
    if method == "vanilla":
        return None
    if method not in PRUNERS:
        known = ", ".join(["vanilla", *sorted(PRUNERS)])
        raise ValueError(f"unknown pruner {method!r}; known: {known}")
    return PRUNERS[method](**options)
