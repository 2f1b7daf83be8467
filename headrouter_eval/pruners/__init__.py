"""Pruning methods, one small file each, and :func:`make_pruner` to build one by name.

``vanilla`` is not a pruner: it is the model with no pruner attached (``None``).
The method names are listed once, in ``headrouter_eval/catalog.py`` (which the
lmms-eval model ids are generated from); :data:`PRUNERS` must match it, checked here
at import.
"""

from __future__ import annotations

from typing import Any

from headrouter_eval.catalog import METHODS
from headrouter_eval.pruners.base import Pruner, ScoringInputs, keep_count, validate_retention
from headrouter_eval.pruners.dart import DartPruner
from headrouter_eval.pruners.fastv import FastVPruner
from headrouter_eval.pruners.headrouter import HeadRouterPruner
from headrouter_eval.pruners.random import RandomPruner
from headrouter_eval.pruners.uniform import UniformPruner

PRUNERS: dict[str, type[Pruner]] = {
    cls.name: cls for cls in (FastVPruner, RandomPruner, UniformPruner, DartPruner, HeadRouterPruner)
}

if set(PRUNERS) != set(METHODS) - {"vanilla"}:
    raise ImportError(f"pruner classes {sorted(PRUNERS)} do not match catalog.METHODS {METHODS} (minus vanilla)")

__all__ = ["PRUNERS", "Pruner", "ScoringInputs", "keep_count", "make_pruner", "validate_retention"]


def make_pruner(method: str, **options: Any) -> Pruner | None:
    """The pruner called ``method`` with ``options``; ``None`` for ``vanilla``."""
    if method == "vanilla":
        return None
    if method not in PRUNERS:
        known = ", ".join(["vanilla", *sorted(PRUNERS)])
        raise ValueError(f"unknown pruner {method!r}; known: {known}")
    return PRUNERS[method](**options)
