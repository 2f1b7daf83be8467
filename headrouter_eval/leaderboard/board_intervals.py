"""Intervals for a whole leaderboard: every score, every average, every pruned row against vanilla.

:func:`board_estimates` walks a :class:`~headrouter_eval.leaderboard.table.Leaderboard`
and asks :mod:`.bootstrap` for a 95% bootstrap interval of each (configuration, task) score
and of each configuration's average, and, for each non-vanilla configuration, the paired
difference from the same model's vanilla configuration. :func:`annotate_records` adds the
numbers to the long records (CSV/JSON), :func:`to_markdown` renders them as two tables.
A score without per-sample logs (a run without ``--log_samples``) gets no interval and
says why; nothing is estimated from anything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from headrouter_eval.leaderboard.bootstrap import Bootstrap, Composite, Estimate
from headrouter_eval.leaderboard.table import AVERAGE, Config, Leaderboard

INTERVAL_FIELDS = ["ci_low", "ci_high", "diff_vs_vanilla", "diff_low", "diff_high", "within_noise", "interval_problem"]
WITHIN_NOISE = "within noise"

Key = tuple  # (model, method, retention, layer, task)


@dataclass
class BoardEstimates:
    """Estimates by (model, method, retention, layer, task-or-average), and the settings used."""

    boot: Bootstrap
    by_key: dict[Key, Estimate] = field(default_factory=dict)
    vanilla: dict[str, Config] = field(default_factory=dict)

    def get(self, config: Config, task: str) -> Estimate | None:
        return self.by_key.get((config.model, config.method, config.retention, config.layer, task))

    @property
    def description(self) -> str:
        return self.boot.description


def config_composite(boot: Bootstrap, config: Config, task: str, metric: str | None = None) -> Composite:
    """The leaves behind one score of ``config`` (``task`` may be :data:`AVERAGE`)."""
    if task == AVERAGE:
        raise ValueError("use average_composite for the average")
    score = config.scores[task]
    run = config.sources[task]
    name = metric or score.metric
    return boot.composite(lambda _unit: run, task, name, run.leaves.get(task, [task]), score.is_group)


def average_composite(boot: Bootstrap, config: Config, units: list[str]) -> Composite:
    """The plain mean over ``units``, each unit's leaves weighted as in its own score."""
    parts = []
    for unit in units:
        for weight, leaf in config_composite(boot, config, unit).parts:
            parts.append((weight / len(units), leaf))
    return Composite(parts)


def estimate_for(boot: Bootstrap, build, vanilla_build) -> Estimate:
    estimate = Estimate()
    try:
        mine = build()
        estimate.low, estimate.high = boot.interval(mine)
        if vanilla_build is not None:
            estimate.diff, estimate.diff_low, estimate.diff_high = boot.paired(mine, vanilla_build())
    except LookupError as exc:  # no per-sample log, or the aggregate is not reproducible
        estimate.problem = str(exc)
    return estimate


def board_estimates(board: Leaderboard, boot: Bootstrap | None = None) -> BoardEstimates:
    """Intervals for every complete score and average of ``board``."""
    boot = boot or Bootstrap()
    result = BoardEstimates(boot)
    for config in board.configs:
        if config.is_vanilla:
            result.vanilla.setdefault(config.model, config)
    for config in board.configs:
        vanilla = result.vanilla.get(config.model)
        paired = vanilla is not None and vanilla is not config
        base = (config.model, config.method, config.retention, config.layer)
        for task in board.columns.get(config.model, []):
            if task not in config.scores:
                continue
            has_vanilla = paired and task in vanilla.scores and config.compares_with_vanilla(task)
            result.by_key[(*base, task)] = estimate_for(
                boot, lambda t=task, c=config: config_composite(boot, c, t),
                (lambda t=task, v=vanilla: config_composite(boot, v, t)) if has_vanilla else None)
        if config.average is not None:
            units = board.units[config.model]
            has_vanilla = paired and vanilla.average is not None and config.compares_with_vanilla(AVERAGE)
            result.by_key[(*base, AVERAGE)] = estimate_for(
                boot, lambda c=config, u=units: average_composite(boot, c, u),
                (lambda v=vanilla, u=units: average_composite(boot, v, u)) if has_vanilla else None)
    return result


def annotate_records(board: Leaderboard, estimates: BoardEstimates) -> None:
    """Add :data:`INTERVAL_FIELDS` to every record (None where there is no estimate)."""
    for record in board.records:
        for name in INTERVAL_FIELDS:
            record.setdefault(name, None)
        key = (record["model"], record["method"], record["retention"], record["layer"], record["task"])
        estimate = estimates.by_key.get(key)
        if estimate is None:
            continue
        record.update({
            "ci_low": estimate.low, "ci_high": estimate.high, "diff_vs_vanilla": estimate.diff,
            "diff_low": estimate.diff_low, "diff_high": estimate.diff_high,
            "within_noise": estimate.within_noise, "interval_problem": estimate.problem,
        })


def _num(value: float) -> str:
    return f"{value:.3f}" if abs(value) <= 1.0 and value != 0 else f"{value:.2f}"


def _interval_cell(value: float | None, estimate: Estimate | None) -> str:
    if value is None:
        return "—"
    if estimate is None or estimate.low is None:
        return f"{_num(value)} (no interval)"
    return f"{_num(value)} [{_num(estimate.low)}, {_num(estimate.high)}]"


def diff_cell(estimate: Estimate | None) -> str:
    """``+d [low, high]``, bold when the interval excludes 0; a dash when there is no difference."""
    if estimate is None or estimate.diff is None:
        return "—"
    text = f"{estimate.diff:+.2f} [{estimate.diff_low:+.2f}, {estimate.diff_high:+.2f}]"
    # bold: the interval excludes 0, i.e. a difference the items support
    return text if estimate.within_noise else f"**{text}**"


def _verdict(config: Config, estimate: Estimate | None, higher_is_better: bool) -> str:
    if estimate is None or estimate.within_noise is None:
        return "—"
    if estimate.within_noise:
        return WITHIN_NOISE
    better = (estimate.diff > 0) == higher_is_better
    return "better than vanilla" if better else "worse than vanilla"


def to_markdown(board: Leaderboard, estimates: BoardEstimates) -> str:
    """Two tables per model: scores with intervals, and paired differences from vanilla."""
    import pandas as pd

    from headrouter_eval.leaderboard.frames import markdown_table

    lines = ["## Uncertainty", "",
             f"Intervals: {estimates.description}. Differences are paired: each resample draws the same "
             "items (doc ids) for the row and for vanilla. **Bold** differences exclude 0; the others are "
             f"{WITHIN_NOISE}.", ""]
    problems: list[str] = []
    for model, columns in board.columns.items():
        configs = [c for c in board.configs if c.model == model]
        lines += [f"### {model}: score [95% interval]", ""]
        rows = []
        for config in configs:
            cells = _row_start(config)
            for task in columns:
                score = config.scores.get(task)
                cells.append(_interval_cell(score.value if score else None, estimates.get(config, task)))
            cells.append(_interval_cell(config.average, estimates.get(config, AVERAGE)))
            rows.append(cells)
            for task in [*columns, AVERAGE]:
                estimate = estimates.get(config, task)
                if estimate is not None and estimate.problem:
                    problems.append(f"{model} {config.method} r={config.retention} [{task}]: {estimate.problem}")
        scores = pd.DataFrame(rows, columns=["method", "retention", "layer", *columns, AVERAGE], dtype=object)
        lines += markdown_table(scores, [False] * 3 + [True] * (scores.shape[1] - 3))
        vanilla = estimates.vanilla.get(model)
        pruned = [c for c in configs if c is not vanilla]
        if vanilla is None or not pruned:
            lines.append("")
            continue
        lines += ["", f"### {model}: difference from vanilla [95% paired interval]", ""]
        higher = all(s.higher_is_better for s in vanilla.scores.values())
        rows = []
        for config in pruned:
            average = estimates.get(config, AVERAGE)
            rows.append(_row_start(config) + [diff_cell(estimates.get(config, t)) for t in columns]
                        + [diff_cell(average), _verdict(config, average, higher)])
        diffs = pd.DataFrame(rows, columns=["method", "retention", "layer", *columns, AVERAGE, "verdict (average)"],
                             dtype=object)
        # the differences right-aligned, the naming columns and the verdict (words) left
        lines += markdown_table(diffs, [False] * 3 + [True] * (diffs.shape[1] - 4) + [False])
        lines.append("")
    if problems:
        lines += ["Scores without an interval:", ""] + [f"- {p}" for p in sorted(set(problems))] + [""]
    return "\n".join(lines)


def _row_start(config: Config) -> list[str]:
    return [config.method, "—" if config.retention is None else f"{config.retention:g}",
            "—" if config.layer is None else str(config.layer)]
