"""Paired differences between two methods of one leaderboard: a row against another row.

The difference from vanilla (:mod:`.board_intervals`) says whether a pruned row lost accuracy.
Whether one method beats another at the same budget (HeadRouter against its uniform-weight
ablation, against FastV) is a different question: the two rows' intervals can overlap while
the rows differ on the same items. For each requested pair ``A:B``, every (model, retention,
layer) where both methods have a configuration gets ``A - B`` per task and on the average, with
a percentile bootstrap interval that draws the same items for both rows.

Comparable or refused: a cell is computed only when the two scores were made with the same
settings (:mod:`.run_identity`: checkpoint, items, generation, scoring, ...); otherwise it says
which settings differ. A score without per-sample logs gets no interval and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from headrouter_eval.leaderboard.board_intervals import average_composite, config_composite, diff_cell
from headrouter_eval.leaderboard.bootstrap import Bootstrap, Estimate
from headrouter_eval.leaderboard.run_identity import differences
from headrouter_eval.leaderboard.table import AVERAGE, Config, Leaderboard

COMPARISON_FIELDS = ["model", "first", "second", "retention", "layer", "task", "first_score", "second_score",
                     "diff", "diff_low", "diff_high", "within_noise", "problem", "interval_method"]


@dataclass(frozen=True)
class Pair:
    """Two leaderboard methods (row labels), compared as ``first - second``."""

    first: str
    second: str

    @classmethod
    def parse(cls, text: str) -> Pair:
        """``"headrouter:fastv"`` -> Pair("headrouter", "fastv")."""
        names = [part.strip() for part in text.split(":")]
        if len(names) != 2 or not all(names):
            raise ValueError(f"--compare {text!r}: expected two method labels as FIRST:SECOND, "
                             "e.g. headrouter:headrouter_uniform")
        if names[0] == names[1]:
            raise ValueError(f"--compare {text!r}: a method compared with itself")
        return cls(*names)

    def __str__(self) -> str:
        return f"{self.first} - {self.second}"


@dataclass
class Comparison:
    """``pair`` at one (model, retention, layer): an :class:`Estimate` per task and for the average."""

    model: str
    pair: Pair
    retention: float | None
    layer: int | None
    first: Config
    second: Config
    cells: dict[str, Estimate] = field(default_factory=dict)  # task or AVERAGE -> diff and interval


def compare_methods(board: Leaderboard, pairs: list[Pair], boot: Bootstrap) -> list[Comparison]:
    """Every comparison ``pairs`` ask for that ``board`` holds rows for.

    A method label no complete row carries, or a pair whose methods never share a model,
    retention and layer, is an error naming what the board has.
    """
    index = {(c.model, c.method, c.retention, c.layer): c for c in board.configs}
    methods = sorted({c.method for c in board.configs})
    found: list[Comparison] = []
    for pair in pairs:
        for name in (pair.first, pair.second):
            if name not in methods:
                raise ValueError(f"--compare {pair.first}:{pair.second}: no row of method {name!r}; "
                                 f"the leaderboard's methods: {', '.join(methods)}")
        matched = [
            Comparison(model, pair, retention, layer, config, index[(model, pair.second, retention, layer)])
            for (model, method, retention, layer), config in index.items()
            if method == pair.first and (model, pair.second, retention, layer) in index
        ]
        if not matched:
            raise ValueError(f"--compare {pair.first}:{pair.second}: the two methods share no model, retention "
                             f"and layer ({_settings(board, pair.first)} vs {_settings(board, pair.second)})")
        for comparison in matched:
            _fill(comparison, board, boot)
        found += matched
    return found


def _settings(board: Leaderboard, method: str) -> str:
    return ", ".join(sorted({f"{c.model} r={c.retention} layer {c.layer}" for c in board.configs
                             if c.method == method}))


def _fill(comparison: Comparison, board: Leaderboard, boot: Bootstrap) -> None:
    first, second = comparison.first, comparison.second
    for task in board.columns.get(comparison.model, []):
        if task in first.scores and task in second.scores:
            comparison.cells[task] = _paired(
                boot, differences(first.identity(task), second.identity(task)),
                lambda t=task: config_composite(boot, first, t), lambda t=task: config_composite(boot, second, t))
    if first.average is not None and second.average is not None:
        units = board.units[comparison.model]
        comparison.cells[AVERAGE] = _paired(
            boot, differences(first.average_identity(units), second.average_identity(units)),
            lambda: average_composite(boot, first, units), lambda: average_composite(boot, second, units))


def _paired(boot: Bootstrap, mismatch: list[str], first_build, second_build) -> Estimate:
    estimate = Estimate()
    if mismatch:
        estimate.problem = "not comparable, settings differ: " + "; ".join(mismatch)
        return estimate
    try:
        estimate.diff, estimate.diff_low, estimate.diff_high = boot.paired(first_build(), second_build())
    except LookupError as exc:  # no per-sample log, or the aggregate is not reproducible
        estimate.problem = str(exc)
    return estimate


def comparison_records(comparisons: list[Comparison], boot: Bootstrap) -> list[dict]:
    """One record per (comparison, task-or-average), the columns of :data:`COMPARISON_FIELDS`."""
    records = []
    for comparison in comparisons:
        for task, estimate in comparison.cells.items():
            first_score, second_score = (
                (config.average if task == AVERAGE else config.scores[task].value)
                for config in (comparison.first, comparison.second))
            records.append({
                "model": comparison.model, "first": comparison.pair.first, "second": comparison.pair.second,
                "retention": comparison.retention, "layer": comparison.layer, "task": task,
                "first_score": first_score, "second_score": second_score, "diff": estimate.diff,
                "diff_low": estimate.diff_low, "diff_high": estimate.diff_high,
                "within_noise": estimate.within_noise, "problem": estimate.problem,
                "interval_method": f"paired {boot.description}" if estimate.diff_low is not None else None,
            })
    return records


def to_markdown(board: Leaderboard, comparisons: list[Comparison], boot: Bootstrap) -> str:
    """One table per model and pair: retention, layer, ``A - B`` [interval] per task and average, verdict."""
    import pandas as pd

    from headrouter_eval.leaderboard.frames import markdown_table

    lines = ["## Paired comparisons between methods", "",
             f"Each cell is the first method's score minus the second's at the same retention and layer "
             f"[paired {boot.description}: each resample draws the same items for both rows]. **Bold** differences "
             "exclude 0; the others are within noise.", ""]
    problems: list[str] = []
    for model, columns in board.columns.items():
        for pair in dict.fromkeys(c.pair for c in comparisons if c.model == model):
            rows = []
            for comparison in (c for c in comparisons if c.model == model and c.pair == pair):
                cells = [_fmt(comparison.retention), "—" if comparison.layer is None else str(comparison.layer)]
                for task in [*columns, AVERAGE]:
                    estimate = comparison.cells.get(task)
                    cells.append(diff_cell(estimate))
                    if estimate is not None and estimate.problem:
                        problems.append(f"{model} {pair} r={_fmt(comparison.retention)} [{task}]: {estimate.problem}")
                cells.append(_verdict(pair, comparison.cells.get(AVERAGE), _higher_is_better(comparison)))
                rows.append(cells)
            lines += [f"### {model}: {pair}", ""]
            frame = pd.DataFrame(rows, columns=["retention", "layer", *columns, AVERAGE, "verdict (average)"],
                                 dtype=object)
            lines += markdown_table(frame, [False] * 2 + [True] * (frame.shape[1] - 3) + [False])
            lines.append("")
    if problems:
        lines += ["Differences not computed:", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(lines)


def _fmt(retention: float | None) -> str:
    return "—" if retention is None else f"{retention:g}"


def _higher_is_better(comparison: Comparison) -> bool:
    return all(score.higher_is_better for score in comparison.first.scores.values())


def _verdict(pair: Pair, estimate: Estimate | None, higher_is_better: bool) -> str:
    if estimate is None or estimate.within_noise is None:
        return "—"
    if estimate.within_noise:
        return "within noise"
    winner = pair.first if (estimate.diff > 0) == higher_is_better else pair.second
    return f"{winner} better"
