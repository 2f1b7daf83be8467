"""One run as the results tooling reads it: its configuration, status, scores and pruning stats.

The records only; :mod:`.runs` finds and judges runs, :mod:`.integrity` marks the ones that
scored a calibration item. Both import these records, neither imports the other's reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.leaderboard.pruning_stats import PruningStats


@dataclass
class TaskScore:
    """One task's score in one run."""

    task: str
    metric: str
    value: float
    higher_is_better: bool
    samples: int | None
    is_group: bool
    scoring: str | None = None  # the scoring mode the task recorded (e.g. "parser=official")


@dataclass
class Run:
    """One lmms-eval invocation: its configuration, status and scores."""

    folder: Path
    model: str
    model_id: str
    method: str
    retention: float | None
    layer: int | None
    tasks: list[str]
    status: str
    problem: str | None = None
    results_file: Path | None = None
    date: str = ""
    scores: dict[str, TaskScore] = field(default_factory=dict)
    # Requested task -> the units its score is made of (itself, or its leaves when a group
    # has no aggregate metric); the leaderboard's average runs over these units.
    units: list[str] = field(default_factory=list)
    # group -> its leaf tasks, to add up per-task pruning stats for a group's row
    leaves: dict[str, list[str]] = field(default_factory=dict)
    stats: PruningStats | None = None
    # task -> the settings its score depends on (leaderboard.run_identity)
    identity: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, float | None, int | None]:
        return (self.model, self.method, self.retention, self.layer)
