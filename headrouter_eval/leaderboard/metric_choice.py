"""Which lmms-eval metric is "the score" of a task.

lmms-eval stores a task's results as ``{"<metric>,<filter>": value, "<metric>_stderr,<filter>":
..., "alias": ...}``. The default choice is the task author's primary metric: the first entry
of the task's ``metric_list`` (as saved in the results file's ``configs``), under the
``none`` filter when there is one. Groups have no ``metric_list`` in ``configs``; they are
scored by their first leaf task's primary metric (what they aggregate). Otherwise the first
metric by name: lmms-eval's key order within a result changes from run to run. Users
override per task or globally with ``TASK=METRIC`` / ``METRIC`` choices (``METRIC`` may
name a filter: ``acc,flexible``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

NO_FILTER = "none"
# lmms-eval's placeholder metric of --predict_only runs (always 999): never a score
PLACEHOLDER_METRICS = frozenset({"bypass"})


class MetricChoiceError(ValueError):
    """A ``--metric`` choice a task does not have: a mistake in the command, not in a run's files."""


@dataclass
class MetricChoice:
    """User choices of metric: per task, and a default used wherever a task has that metric."""

    per_task: dict[str, str] = field(default_factory=dict)
    default: str | None = None

    @classmethod
    def parse(cls, specs: Iterable[str]) -> MetricChoice:
        """Parse ``["acc", "asr=wer_score", ...]``; a bare name becomes the default."""
        choice = cls()
        for spec in specs:
            spec = spec.strip()
            if "=" in spec:
                task, _, metric = spec.partition("=")
                if not task.strip() or not metric.strip():
                    raise ValueError(f"metric choice {spec!r}: expected TASK=METRIC")
                choice.per_task[task.strip()] = metric.strip()
            elif spec:
                if choice.default is not None:
                    raise ValueError(f"two default metrics given: {choice.default!r} and {spec!r}")
                choice.default = spec
        return choice


def available_metrics(entry: Mapping) -> list[str]:
    """The ``metric,filter`` keys of one task's results that hold a score (not stderr, not alias)."""
    keys = []
    for key, value in entry.items():
        if "," not in key:
            continue
        metric = key.split(",", 1)[0]
        if metric.endswith("_stderr") or "_stderr_" in metric or metric in PLACEHOLDER_METRICS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        keys.append(key)
    return keys


def _resolve(name: str, entry: Mapping) -> str | None:
    """Map a user's metric name (with or without filter) to a key of ``entry``."""
    if "," in name:
        return name if name in entry else None
    if f"{name},{NO_FILTER}" in entry:
        return f"{name},{NO_FILTER}"
    matches = [key for key in available_metrics(entry) if key.split(",", 1)[0] == name]
    return matches[0] if len(matches) == 1 else None


def _primary_metric(task_config: Mapping | None) -> str | None:
    if not task_config:
        return None
    metric_list = task_config.get("metric_list") or []
    if metric_list and isinstance(metric_list[0], Mapping) and "metric" in metric_list[0]:
        return str(metric_list[0]["metric"])
    return None


def pick_metric(
    task: str,
    entry: Mapping,
    task_config: Mapping | None,
    choice: MetricChoice,
    where: str,
) -> str | None:
    """The results key that is ``task``'s score, or None when the task has no numeric metric.

    A metric the user asked for by task name must exist (else ValueError naming ``where``,
    the results file); the global default silently does not apply to tasks lacking it.
    """
    available = available_metrics(entry)
    requested = choice.per_task.get(task)
    if requested is not None:
        key = _resolve(requested, entry)
        if key is None or key.split(",", 1)[0] in PLACEHOLDER_METRICS:
            raise MetricChoiceError(f"{where}: task {task!r} has no metric {requested!r}; it has {available}")
        return key
    if choice.default is not None:
        key = _resolve(choice.default, entry)
        if key is not None and key in available:
            return key
    primary = _primary_metric(task_config)
    if primary is not None:
        key = _resolve(primary, entry)
        if key is not None and key in available:
            return key
    # no primary metric known: the first in name order, never the results file's key order
    return sorted(available)[0] if available else None
