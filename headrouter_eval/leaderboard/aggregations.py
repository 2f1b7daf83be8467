"""The aggregation function lmms-eval ran for a task's metric, found through lmms-eval itself.

A results file records a task's custom aggregation only as ``"<function NAME at 0x...>"``
(a registered one by its name, e.g. ``mean``). The function is found the way lmms-eval found
it: its ``TaskManager`` indexes the task folders the run used (``--include_path``, recorded
in the results, then this package's tasks) and lmms-eval's YAML loader resolves the task's
``!function`` references. lmms-eval's own task folder is indexed only for a task the run's
folders do not hold. The caller still checks that the function reproduces the reported score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

Aggregate = Callable[[Sequence], float]
_FUNCTION_NAME = re.compile(r"<function (\w+)")


def mean(values: Sequence) -> float:
    """lmms-eval's ``mean`` aggregation."""
    return float(np.mean([float(v) for v in values]))


def _include_paths(results: dict) -> tuple[str, ...]:
    from headrouter_eval.tasks_path import tasks_dir

    recorded = ((results.get("config") or {}).get("resolved_cli_args") or {}).get("include_path")
    paths = [recorded] if isinstance(recorded, str) else list(recorded or [])
    return tuple(dict.fromkeys([*(p for p in paths if p), str(tasks_dir())]))


@lru_cache(maxsize=8)
def _task_index(include_paths: tuple[str, ...], defaults: bool) -> dict:
    from pathlib import Path

    from lmms_eval.tasks import TaskManager

    existing = [p for p in include_paths if Path(p).is_dir()]
    return TaskManager(verbosity="ERROR", include_path=existing or None, include_defaults=defaults).task_index


@lru_cache(maxsize=64)
def _metric_aggregations(yaml_path: str) -> dict[str, object]:
    from lmms_eval.utils import load_yaml_config

    config = load_yaml_config(yaml_path, mode="full")
    return {entry["metric"]: entry.get("aggregation") for entry in config.get("metric_list") or []
            if isinstance(entry, dict) and "metric" in entry}


def task_aggregation(results: dict, task: str, metric: str) -> tuple[str, Aggregate]:
    """``(name, function)``: the aggregation lmms-eval ran for ``task``'s ``metric`` in the run
    of ``results``. Raises LookupError saying what was searched when it cannot be found."""
    spec = next((entry.get("aggregation") for entry in
                 ((results.get("configs") or {}).get(task) or {}).get("metric_list") or []
                 if isinstance(entry, dict) and entry.get("metric") == metric), None)
    if spec == "mean":  # lmms-eval's default: sum / count, without importing lmms-eval for it
        return "mean", mean
    if isinstance(spec, str) and not spec.startswith("<"):  # another registered aggregation, by name
        import lmms_eval.api.metrics  # noqa: F401 - importing it registers lmms-eval's aggregations
        from lmms_eval.api.registry import AGGREGATION_REGISTRY

        if not callable(AGGREGATION_REGISTRY.get(spec)):
            raise LookupError(f"aggregation {spec!r} of {task} {metric} is not registered in lmms-eval")
        return f"lmms-eval {spec}", AGGREGATION_REGISTRY[spec]
    match = _FUNCTION_NAME.match(spec) if isinstance(spec, str) else None
    if match is None:
        raise LookupError(f"{task} {metric}: the results record no aggregation ({spec!r})")
    paths = _include_paths(results)
    entry = _task_index(paths, False).get(task) or _task_index(paths, True).get(task)
    if not entry or entry.get("yaml_path") in (None, -1):
        raise LookupError(f"task {task} is not in lmms-eval's task index (folders: {', '.join(paths)} and "
                          "lmms-eval's own), so its aggregation cannot be run again")
    function = _metric_aggregations(str(entry["yaml_path"])).get(metric)
    if not callable(function) or getattr(function, "__name__", None) != match.group(1):
        raise LookupError(f"{entry['yaml_path']}: metric {metric} aggregates with {function!r} now, the run "
                          f"recorded {spec}: the task changed since")
    return f"{function.__module__}.{function.__name__}", function
