"""Bootstrap confidence intervals for leaderboard scores, from lmms-eval's per-sample logs.

scipy.stats.bootstrap resamples each task's items (percentile intervals); each replicate
re-runs the task's own aggregation (checked first to reproduce the reported score, else no
interval and the reason). Groups and averages are stratified over their leaves; differences
from vanilla are paired over the same documents; draws are seeded per leaf task. What the
leaderboard shows: README.md, "Sweeps, leaderboards and the regression check".
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from headrouter_eval.jsonl import read_json_object, read_jsonl
from headrouter_eval.leaderboard.aggregations import Aggregate, task_aggregation
from headrouter_eval.leaderboard.fast_aggregates import twin_for
from headrouter_eval.leaderboard.runs import Run

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95
VERIFY_REPLICATES = 20  # replicates a vectorised twin must reproduce before it is used
Statistic = Callable[..., np.ndarray]  # (resamples x n) indices, axis -> one value per resample


@dataclass
class Leaf:
    """One task's per-sample values of one metric, and the function that aggregates them."""

    task: str
    metric: str
    values: dict  # doc_id -> the per-sample value lmms-eval logged
    aggregate: Aggregate
    key: tuple = ()  # (per-sample file, metric): what identifies it across lookups

    def value_on(self, doc_ids: Sequence) -> float:
        return float(self.aggregate([self.values[d] for d in doc_ids]))


@dataclass
class Composite:
    """A weighted mean of leaves: a task (one leaf), a group, or the leaderboard average."""

    parts: list[tuple[float, Leaf]]

    @property
    def value(self) -> float:
        return sum(w * leaf.value_on(sorted(leaf.values, key=_doc_key)) for w, leaf in self.parts)


@dataclass
class Estimate:
    """An interval (and, against vanilla, a paired difference) for one score, or why there is none."""

    low: float | None = None
    high: float | None = None
    diff: float | None = None
    diff_low: float | None = None
    diff_high: float | None = None
    problem: str | None = None

    @property
    def within_noise(self) -> bool | None:
        if self.diff_low is None or self.diff_high is None:
            return None
        return self.diff_low <= 0.0 <= self.diff_high


@dataclass
class Bootstrap:
    """Settings, plus caches: per-sample files are read once, replicates drawn once per leaf (or pair)."""

    resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    confidence: float = CONFIDENCE
    _results: dict[Path, dict] = field(default_factory=dict)
    _rows: dict[Path, dict] = field(default_factory=dict)
    _evaluated: dict[tuple, np.ndarray] = field(default_factory=dict)  # statistic values by draws
    _replicates: dict[tuple, np.ndarray] = field(default_factory=dict)
    _differences: dict[tuple, np.ndarray] = field(default_factory=dict)
    _leaves: dict[tuple, Leaf] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resamples < 10:
            raise ValueError(f"bootstrap resamples must be >= 10, got {self.resamples}")
        if not 0.5 < self.confidence < 1.0:
            raise ValueError(f"confidence must be in (0.5, 1), got {self.confidence}")

    @property
    def description(self) -> str:
        """The interval method in words, as the leaderboard files state it."""
        return f"{self.confidence:.0%} percentile bootstrap over items, {self.resamples} resamples, seed {self.seed}"

    # ---- reading ---------------------------------------------------------------------------

    def results(self, run: Run) -> dict:
        if run.results_file not in self._results:
            self._results[run.results_file] = read_json_object(run.results_file)
        return self._results[run.results_file]

    def rows(self, path: Path) -> dict:
        """doc_id -> row of one per-sample file; a doc id seen twice is an error (several filters?)."""
        if path not in self._rows:
            rows: dict = {}
            for line_no, row in read_jsonl(path):
                if "doc_id" not in row:
                    raise ValueError(f"{path}:{line_no}: per-sample row has no doc_id")
                if row["doc_id"] in rows:
                    raise ValueError(f"{path}:{line_no}: doc_id {row['doc_id']!r} logged twice "
                                     "(a task with several filters?)")
                rows[row["doc_id"]] = row
            self._rows[path] = rows
        return self._rows[path]

    def leaf(self, run: Run, task: str, metric: str) -> Leaf:
        """The per-sample values of ``task``'s ``metric`` in ``run``, checked against its results."""
        if run.results_file is None:
            raise LookupError(f"{run.folder}: no results file")
        stem = run.results_file.name[: -len("_results.json")]
        path = run.results_file.with_name(f"{stem}_samples_{task}.jsonl")
        if not path.is_file():
            raise LookupError(f"no per-sample log {path.name} (run lmms-eval with --log_samples)")
        name, _, _ = metric.partition(",")
        if (str(path), name) in self._leaves:
            return self._leaves[(str(path), name)]
        rows = self.rows(path)
        missing = [doc for doc, row in rows.items() if name not in row]
        if missing:
            raise LookupError(f"{path.name}: rows lack metric {name!r} (doc {missing[0]!r})")
        values = {doc: row[name] for doc, row in rows.items()}
        results = self.results(run)
        reported = (results.get("results") or {}).get(task, {}).get(metric)
        if not isinstance(reported, (int, float)):
            raise LookupError(f"{run.results_file.name}: no value for {task} {metric}")
        aggregate = self._aggregate_for(results, task, name, values, float(reported), path.name)
        leaf = self._leaves[(str(path), name)] = Leaf(task, name, values, aggregate, key=(str(path), name))
        return leaf

    def _aggregate_for(self, results: dict, task: str, metric: str, values: dict, reported: float,
                       where: str) -> Aggregate:
        """The task's own aggregation (found through lmms-eval), once it reproduced the score."""
        ordered = [values[d] for d in sorted(values, key=_doc_key)]
        name, function = task_aggregation(results, task, metric)
        try:
            value = float(function(ordered))
        except Exception as exc:  # noqa: BLE001 - whatever it raises, it did not make this score
            raise LookupError(f"{where}: {name} fails on the per-sample rows of {task} {metric}: {exc}") from exc
        if not _close(value, reported):
            raise LookupError(f"{where}: {name} gives {value:g} from the per-sample rows, the results say "
                              f"{task} {metric} = {reported:g}")
        return function

    def composite(self, run_of: Callable[[str], Run], unit: str, metric: str, leaves: list[str],
                  is_group: bool) -> Composite:
        """The leaves that make up ``unit`` (a task, or a group's leaves with their weights)."""
        run = run_of(unit)
        if not is_group:
            return Composite([(1.0, self.leaf(run, unit, metric))])
        parts = [self.leaf(run, leaf, metric) for leaf in leaves]
        if not parts:
            raise LookupError(f"group {unit} has no leaves")
        reported = (self.results(run).get("results") or {}).get(unit, {}).get(metric)
        sizes = [len(p.values) for p in parts]
        for weights in ([1.0 / len(parts)] * len(parts), [s / sum(sizes) for s in sizes]):
            candidate = Composite(list(zip(weights, parts)))
            if isinstance(reported, (int, float)) and _close(candidate.value, float(reported)):
                return candidate
        raise LookupError(f"group {unit}: neither the plain nor the size-weighted mean of its leaves "
                          f"reproduces its {metric} ({reported})")

    # ---- resampling -------------------------------------------------------------------------
    # scipy.stats.bootstrap draws the resamples; what it resamples is np.arange(n), indices into
    # one leaf's sorted doc ids, so a statistic aggregates the rows those indices pick (and, for
    # a paired difference, the same rows of both runs). A group or average is stratified: each
    # leaf is resampled on its own and the replicates are summed with the leaf weights.

    def statistic(self, leaf: Leaf, doc_ids: tuple) -> Statistic:
        """``leaf``'s aggregate on each row of a (resamples x n) array of indices into ``doc_ids``."""
        values = [leaf.values[d] for d in doc_ids]
        twin = twin_for(leaf.aggregate, values)

        def slow(rows: np.ndarray) -> np.ndarray:
            return np.array([float(leaf.aggregate([values[i] for i in row])) for row in rows])

        def statistic(indices: np.ndarray, axis: int = -1) -> np.ndarray:  # scipy passes axis=-1
            # memoised on the indices themselves: a paired difference over a leaf's own docs
            # reuses the leaf's replicates, and vanilla's leaf is shared by every pruned row
            key = (leaf.key, doc_ids, indices.shape, hashlib.blake2b(indices.tobytes()).digest())
            if key not in self._evaluated:
                # a twin is only trusted after it matched the task's own function on these draws
                checked = indices[:VERIFY_REPLICATES]
                if twin is not None and np.allclose(twin(checked), slow(checked), rtol=1e-9, atol=1e-9):
                    self._evaluated[key] = np.asarray(twin(indices), dtype=float)
                else:
                    self._evaluated[key] = slow(indices)
            return self._evaluated[key]

        return statistic

    def resample(self, task: str, n: int, statistic: Statistic) -> np.ndarray:
        """The bootstrap distribution (one value per resample) of ``statistic`` over n items of ``task``."""
        if n == 0:
            raise LookupError(f"{task}: no items to resample")
        if n == 1:  # scipy wants two items; every resample of one item is that item
            return statistic(np.zeros((self.resamples, 1), dtype=np.intp))
        # seeded per leaf task: a leaf's replicates do not depend on which tasks share the row
        rng = np.random.default_rng((self.seed, zlib.crc32(task.encode("utf-8"))))
        result = stats.bootstrap((np.arange(n),), statistic, n_resamples=self.resamples, vectorized=True,
                                 method="percentile", confidence_level=self.confidence, rng=rng)
        return np.asarray(result.bootstrap_distribution, dtype=float)

    def replicates(self, leaf: Leaf, doc_ids: tuple) -> np.ndarray:
        key = (leaf.key, doc_ids)
        if key not in self._replicates:
            self._replicates[key] = self.resample(leaf.task, len(doc_ids), self.statistic(leaf, doc_ids))
        return self._replicates[key]

    def differences(self, leaf: Leaf, vanilla: Leaf, doc_ids: tuple) -> np.ndarray:
        """Replicates of ``leaf`` - ``vanilla``: one resampling, each replicate the same docs of both."""
        key = (leaf.key, vanilla.key, doc_ids)
        if key not in self._differences:
            mine, theirs = self.statistic(leaf, doc_ids), self.statistic(vanilla, doc_ids)
            self._differences[key] = self.resample(
                leaf.task, len(doc_ids), lambda indices, axis=-1: mine(indices) - theirs(indices))
        return self._differences[key]

    def _bounds(self, replicates: np.ndarray) -> tuple[float, float]:
        # scipy's percentile method, applied to summed replicates (for one leaf: its own interval)
        tail = (1.0 - self.confidence) / 2.0
        low, high = stats.quantile(replicates, [tail, 1.0 - tail])
        return float(low), float(high)

    def interval(self, composite: Composite) -> tuple[float, float]:
        total = sum(w * self.replicates(leaf, _docs(leaf)) for w, leaf in composite.parts)
        return self._bounds(total)

    def paired(self, mine: Composite, vanilla: Composite) -> tuple[float, float, float]:
        """(difference, low, high) of mine - vanilla, resampled over the documents both have."""
        if len(mine.parts) != len(vanilla.parts):
            raise LookupError("the two rows are made of different tasks")
        diff_total = 0.0
        point = 0.0
        for (weight, leaf), (v_weight, v_leaf) in zip(mine.parts, vanilla.parts):
            if leaf.task != v_leaf.task or not math.isclose(weight, v_weight):
                raise LookupError(f"{leaf.task} vs {v_leaf.task}: not the same task or weight")
            # differing item sets (e.g. --limit on one run): pair over the shared ones only
            common = tuple(sorted(set(leaf.values) & set(v_leaf.values), key=_doc_key))
            if not common:
                raise LookupError(f"{leaf.task}: no document in common with vanilla")
            diff_total = diff_total + weight * self.differences(leaf, v_leaf, common)
            point += weight * (leaf.value_on(common) - v_leaf.value_on(common))
        low, high = self._bounds(np.asarray(diff_total))
        return point, low, high


def _doc_key(doc_id) -> tuple:
    # doc ids are ints in lmms-eval, but sort any mix stably
    return (0, doc_id, "") if isinstance(doc_id, (int, float)) else (1, 0, str(doc_id))


def _docs(leaf: Leaf) -> tuple:
    return tuple(sorted(leaf.values, key=_doc_key))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
