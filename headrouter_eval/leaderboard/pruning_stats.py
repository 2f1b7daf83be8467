"""Read the pruning statistics our adapter writes beside a run's results (or into its ``stats_dir``).

File names and the run-id pairing: README.md, "Pruning stats" (:func:`run_id_of`). A
data-parallel run is complete only when *every* rank wrote a complete summary, so the
expected rank count (the sweep's, else the summary's ``world_size``) is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.jsonl import read_json_object, read_jsonl
from headrouter_eval.stats_writer import USAGE_SOURCE_PREFIX

_SUMMARY_RE = re.compile(r"^(?P<run>.+)_pruning_summary_rank(?P<rank>\d+)\.json$")
_SAMPLES_RE = re.compile(r"^(?P<run>.+)_pruning_stats_rank(?P<rank>\d+)\.jsonl$")
SUMMARY_KEYS = ("method", "samples", "audio_tokens", "kept_tokens", "mean_prefill_s", "complete")
SAMPLE_KEYS = ("task", "audio_tokens", "kept_tokens", "prefill_s")


@dataclass
class TokenStats:
    """Audio tokens seen and kept, and prefill time, over a set of samples."""

    samples: int = 0
    audio_tokens: int = 0
    kept_tokens: int = 0
    prefill_s_total: float = 0.0

    @property
    def achieved_retention(self) -> float | None:
        return self.kept_tokens / self.audio_tokens if self.audio_tokens else None

    @property
    def mean_prefill_s(self) -> float | None:
        return self.prefill_s_total / self.samples if self.samples else None

    def add(self, other: TokenStats) -> None:
        self.samples += other.samples
        self.audio_tokens += other.audio_tokens
        self.kept_tokens += other.kept_tokens
        self.prefill_s_total += other.prefill_s_total


@dataclass
class PruningStats:
    """A run's pruning statistics: overall (from the summaries) and per task (from the samples)."""

    complete: bool
    problem: str | None
    method: str | None = None
    retention: float | None = None
    layer: int | None = None
    overall: TokenStats = field(default_factory=TokenStats)
    per_task: dict[str, TokenStats] = field(default_factory=dict)
    ranks: list[int] = field(default_factory=list)
    items: set[str] = field(default_factory=set)  # stable ids of the items scored (leaderboard.integrity)
    legacy_items: set[str] = field(default_factory=set)  # their task-name ids (rule task-v0), for older profiles
    profiles: set[str] = field(default_factory=set)  # HeadRouter profiles the run used


def _read_samples(path: Path, per_task: dict[str, TokenStats], result: PruningStats) -> None:
    # a torn last line (a rank killed mid-write) raises, naming the line: that run is not
    # complete anyway, and the summary check reports it
    for line_no, record in read_jsonl(path):
        missing = [key for key in SAMPLE_KEYS if key not in record]
        if missing:
            raise ValueError(f"{path}:{line_no}: pruning stats record lacks {missing}")
        if record.get("item"):
            result.items.add(str(record["item"]))
        if record.get("item_task_v0"):
            result.legacy_items.add(str(record["item_task_v0"]))
        if record.get("profile"):
            result.profiles.add(str(record["profile"]))
        stats = per_task.setdefault(str(record["task"]), TokenStats())
        stats.add(
            TokenStats(
                samples=1,
                audio_tokens=int(record["audio_tokens"]),
                kept_tokens=int(record["kept_tokens"]),
                prefill_s_total=float(record["prefill_s"]),
            )
        )


def run_id_of(results: dict, results_path: Path) -> str:
    """The id our adapter filed a run's pruning stats under, read from the run's results.

    The adapter logs it as the source of a token-usage record, which lmms-eval writes under
    ``usage.by_source``. Results written before the adapter did so carry none: their stats
    were filed under the results file's own stamp (``20260101_120000`` of
    ``20260101_120000_results.json``).
    """
    sources = (results.get("usage") or {}).get("by_source") or {}
    ids = sorted(key[len(USAGE_SOURCE_PREFIX):] for key in sources if str(key).startswith(USAGE_SOURCE_PREFIX))
    if len(ids) > 1:
        raise ValueError(f"{results_path}: results name several pruning runs {ids}; one lmms-eval run has one")
    return ids[0] if ids else results_path.name[: -len("_results.json")]


def read_pruning_stats(stats_dir: Path, run_id: str, expected_ranks: int | None = None) -> PruningStats:
    """Collect the summaries and per-sample records of run ``run_id`` in ``stats_dir``.

    Never raises for a missing or partial run: the problem is returned in
    :attr:`PruningStats.problem` so the leaderboard can list the run as incomplete. Files
    that exist but are malformed do raise, naming the file, because that is a bug to fix,
    not a run to skip quietly.
    """
    if not stats_dir.is_dir():
        return PruningStats(complete=False, problem=f"no stats folder {stats_dir}")
    summaries: dict[int, Path] = {}
    sample_files: dict[int, Path] = {}
    for path in stats_dir.iterdir():
        if (match := _SUMMARY_RE.match(path.name)) and match["run"] == run_id:
            summaries[int(match["rank"])] = path
        elif (match := _SAMPLES_RE.match(path.name)) and match["run"] == run_id:
            sample_files[int(match["rank"])] = path
    if not summaries:
        return PruningStats(complete=False, problem=f"no {run_id}_pruning_summary_rank*.json in {stats_dir}")

    result = PruningStats(complete=True, problem=None, ranks=sorted(summaries))
    first = read_json_object(summaries[min(summaries)])
    launched = first.get("world_size")
    rank_count = expected_ranks if expected_ranks is not None else int(launched or max(summaries) + 1)
    missing_ranks = [rank for rank in range(rank_count) if rank not in summaries]
    if missing_ranks:
        result.complete = False
        result.problem = f"no pruning summary from rank(s) {missing_ranks} in {stats_dir}"
        if launched is not None and int(launched) < rank_count:
            result.problem += (
                f": the run had {launched} process(es), not the {rank_count} asked for (accelerate launch "
                "without GPUs runs one process unless given --multi_gpu; use torchrun, e.g. "
                "`headrouter-eval sweep --launcher torchrun`)")

    methods = set()
    for rank in sorted(summaries):
        summary = read_json_object(summaries[rank])
        lacking = [key for key in SUMMARY_KEYS if key not in summary]
        if lacking:
            raise ValueError(f"{summaries[rank]}: pruning summary lacks {lacking}")
        if summary["complete"] is not True:
            result.complete = False
            result.problem = f"{summaries[rank].name} is not marked complete"
        methods.add(summary["method"])
        samples = int(summary["samples"])
        result.overall.add(
            TokenStats(
                samples=samples,
                audio_tokens=int(summary["audio_tokens"]),
                kept_tokens=int(summary["kept_tokens"]),
                prefill_s_total=float(summary["mean_prefill_s"] or 0.0) * samples,
            )
        )
    if len(methods) > 1:
        raise ValueError(f"{stats_dir}: summaries of different methods mixed in one folder: {sorted(methods)}")
    result.method = methods.pop()
    result.retention = float(first["retention"]) if first.get("retention") is not None else None
    result.layer = int(first["layer"]) if first.get("layer") is not None else None
    for rank in sorted(sample_files):
        _read_samples(sample_files[rank], result.per_task, result)
    return result
