"""Build the method x retention x task leaderboard from runs, and write it as Markdown, CSV, JSON.

The tables are pandas DataFrames (:mod:`.frames`), written by its writers.

One configuration is (model, method, retention, layer), its scores possibly from several
runs. The rules that keep the numbers honest (complete runs only, averages over the same
units, % of vanilla only between like runs): headrouter_eval/leaderboard/README.md, "leaderboard".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.leaderboard.pruning_stats import TokenStats
from headrouter_eval.leaderboard.reference import ReferenceRow
from headrouter_eval.leaderboard.run_identity import differences, merged, to_text
from headrouter_eval.leaderboard.runs import COMPLETE, UNREADABLE, VANILLA, Run, TaskScore, method_of

AVERAGE = "average"
REFERENCE_STATUS = "reference"
CSV_FIELDS = [
    "model", "method", "retention", "layer", "task", "metric", "score", "higher_is_better",
    "vanilla_score", "pct_of_vanilla", "achieved_retention", "mean_prefill_s", "samples",
    "status", "problem", "runs", "scoring",
    # bootstrap intervals (leaderboard.board_intervals); empty when a run has no per-sample log
    "ci_low", "ci_high", "diff_vs_vanilla", "diff_low", "diff_high", "within_noise", "interval_problem",
    # the settings the score depends on (leaderboard.run_identity), and why it is not beside vanilla
    "settings", "vanilla_mismatch",
]


@dataclass
class Config:
    """One leaderboard line: a (model, method, retention, layer) and what its runs gave."""

    model: str
    method: str
    retention: float | None
    layer: int | None
    runs: list[Run] = field(default_factory=list)
    scores: dict[str, TaskScore] = field(default_factory=dict)
    sources: dict[str, Run] = field(default_factory=dict)  # task -> the run its score came from
    task_stats: dict[str, TokenStats] = field(default_factory=dict)
    overall: TokenStats = field(default_factory=TokenStats)
    average: float | None = None
    average_problem: str | None = None
    pct_of_vanilla: float | None = None
    # task (or AVERAGE) -> why that score is not compared with vanilla's (settings differ)
    vanilla_mismatch: dict[str, str] = field(default_factory=dict)

    def identity(self, task: str) -> dict[str, str] | None:
        run = self.sources.get(task)
        return run.identity.get(task) if run is not None else None

    def average_identity(self, units: list[str]) -> dict[str, str] | None:
        identities = [self.identity(u) for u in units]
        return merged(identities) if identities and None not in identities else None

    def compares_with_vanilla(self, task: str) -> bool:
        return task not in self.vanilla_mismatch

    @property
    def is_vanilla(self) -> bool:
        """The reference row: our vanilla model id, or any model a sweep labelled ``vanilla``."""
        return self.method == VANILLA or any(method_of(run.model_id) == VANILLA for run in self.runs)


@dataclass
class Leaderboard:
    """Everything the writers need; ``records`` is the long (one row per task) form."""

    configs: list[Config]
    columns: dict[str, list[str]]  # model -> score columns in display order
    units: dict[str, list[str]]  # model -> tasks the average runs over
    failed: list[Run]
    references: list[ReferenceRow]
    notes: list[str]
    records: list[dict] = field(default_factory=list)


def _sort_key(config: Config) -> tuple:
    # vanilla first, then methods by name, higher retention first (the order papers use)
    return (config.model, not config.is_vanilla, config.method, -(config.retention or 0.0), config.layer or 0)


def pct_of_vanilla(score: float, vanilla: float, higher_is_better: bool) -> float | None:
    """Score as a percentage of vanilla, oriented so that > 100 means better than vanilla."""
    if higher_is_better:
        return score / vanilla * 100.0 if vanilla else None
    return vanilla / score * 100.0 if score else None


def _stats_for(task: str, run: Run) -> TokenStats | None:
    if run.stats is None:
        return None
    leaves = run.leaves.get(task, [task])
    total = TokenStats()
    for leaf in leaves:
        if leaf in run.stats.per_task:
            total.add(run.stats.per_task[leaf])
    return total if total.samples else None


def _split_alike_models(runs: list[Run], notes: list[str]) -> None:
    """Checkpoints in folders named alike are different models: suffix their digest to the name."""
    digests: dict[str, set[str]] = {}
    for run in runs:
        for identity in run.identity.values():
            digests.setdefault(run.model, set()).add(identity["checkpoint"])
    for model, found in sorted(digests.items()):
        if len(found) < 2:
            continue
        notes.append(f"{model}: {len(found)} different checkpoints share this name; each row names its digest")
        for run in runs:
            if run.model == model and run.identity:
                run.model = f"{model} ({next(iter(run.identity.values()))['checkpoint']})"


def _mismatch(config: Config, vanilla: Config, task: str) -> str | None:
    diffs = differences(config.identity(task), vanilla.identity(task))
    return "; ".join(diffs) if diffs else None


def build_leaderboard(runs: list[Run], references: list[ReferenceRow] | None = None) -> Leaderboard:
    """Group runs into configurations, compute averages and % of vanilla, and the long records."""
    configs: dict[tuple, Config] = {}
    failed: list[Run] = []
    notes: list[str] = []
    _split_alike_models(runs, notes)
    # newest first, so a configuration re-run in another folder keeps its latest scores
    for run in sorted(runs, key=lambda r: r.date, reverse=True):
        if run.model_id == UNREADABLE:  # no configuration known: listed under failed runs only
            failed.append(run)
            continue
        config = configs.setdefault(run.key, Config(*run.key))
        config.runs.append(run)
        if run.status != COMPLETE:
            failed.append(run)
            continue
        contributed = False
        for task, score in run.scores.items():
            if task in config.scores:
                notes.append(
                    f"{run.model} {run.method} r={run.retention} L={run.layer}: task {task} is in several "
                    f"runs; using the newest, ignoring {run.results_file}"
                )
                continue
            config.scores[task] = score
            config.sources[task] = run
            contributed = True
            stats = _stats_for(task, run)
            if stats:
                config.task_stats[task] = stats
        if run.stats is not None and contributed:  # a fully superseded run's tokens do not count
            config.overall.add(run.stats.overall)

    models = sorted({c.model for c in configs.values()})
    columns: dict[str, list[str]] = {}
    units: dict[str, list[str]] = {}
    for model in models:
        model_runs = [r for r in runs if r.model == model and r.status == COMPLETE]
        units[model] = _ordered_unique(u for r in model_runs for u in r.units)
        columns[model] = _columns(model_runs, units[model])

    ordered = sorted(configs.values(), key=_sort_key)
    vanilla_of: dict[str, Config] = {}
    for config in ordered:
        wanted = units[config.model]
        missing = [u for u in wanted if u not in config.scores]
        broken = [r for r in config.runs if r.status != COMPLETE]
        if not wanted:
            config.average_problem = "no complete run"
        elif broken:
            config.average_problem = f"{len(broken)} run(s) not complete"
        elif missing:
            config.average_problem = f"no score for {missing}"
        else:
            config.average = sum(config.scores[u].value for u in wanted) / len(wanted)
        if config.is_vanilla:
            vanilla_of.setdefault(config.model, config)
    for model in models:
        if model not in vanilla_of:
            notes.append(f"{model}: no vanilla run, so no '% of vanilla'")

    for config in ordered:
        vanilla = vanilla_of.get(config.model)
        if vanilla is None:
            continue
        for task in config.scores:
            if vanilla is not config and task in vanilla.scores and (why := _mismatch(config, vanilla, task)):
                config.vanilla_mismatch[task] = why
        if config.average is not None and vanilla.average is not None:
            unlike = [u for u in units[config.model] if u in config.vanilla_mismatch]
            if unlike:
                config.vanilla_mismatch[AVERAGE] = f"{unlike[0]}: {config.vanilla_mismatch[unlike[0]]}"
                notes.append(f"{config.model} {config.method} r={config.retention} L={config.layer}: not compared "
                             f"with vanilla, settings differ ({config.vanilla_mismatch[AVERAGE]})")
                continue
            higher = all(config.scores[u].higher_is_better for u in units[config.model])
            config.pct_of_vanilla = pct_of_vanilla(config.average, vanilla.average, higher)

    board = Leaderboard(
        configs=ordered,
        columns=columns,
        units=units,
        failed=sorted(failed, key=lambda r: (r.model, r.method, -(r.retention or 0.0))),
        references=[ref for ref in (references or []) if any(ref.matches(m) for m in models)],
        notes=notes,
    )
    board.records = _records(board, vanilla_of)
    return board


def _columns(runs: list[Run], units: list[str]) -> list[str]:
    """Score columns: each unit, a group followed by its leaves, then anything else scored."""
    leaves: dict[str, list[str]] = {}
    for run in runs:
        for group, members in run.leaves.items():
            leaves.setdefault(group, members)
    ordered = []
    for unit in units:
        ordered += [unit, *leaves.get(unit, [])]
    ordered += [task for run in runs for task in run.scores]
    scored = {task for run in runs for task in run.scores}
    return [task for task in _ordered_unique(ordered) if task in scored]


def _ordered_unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def _runs_field(runs: list[Run]) -> str:
    return ";".join(str(r.folder) for r in runs)


def _records(board: Leaderboard, vanilla_of: dict[str, Config]) -> list[dict]:
    """The long form: one record per configuration and task, plus its average, plus failures."""
    records = []
    for config in board.configs:
        base = {"model": config.model, "method": config.method, "retention": config.retention,
                "layer": config.layer}
        vanilla = vanilla_of.get(config.model)
        for task in board.columns[config.model]:
            score = config.scores.get(task)
            if score is None:
                continue
            ref = vanilla.scores.get(task) if vanilla and config.compares_with_vanilla(task) else None
            stats = config.task_stats.get(task)
            records.append({
                **base, "task": task, "metric": score.metric, "score": score.value,
                "higher_is_better": score.higher_is_better,
                "vanilla_score": ref.value if ref else None,
                "pct_of_vanilla": pct_of_vanilla(score.value, ref.value, score.higher_is_better) if ref else None,
                "achieved_retention": stats.achieved_retention if stats else None,
                "mean_prefill_s": stats.mean_prefill_s if stats else None,
                "samples": score.samples, "status": COMPLETE, "problem": None,
                "runs": str(config.sources[task].folder), "scoring": score.scoring,
                "settings": to_text(config.identity(task)), "vanilla_mismatch": config.vanilla_mismatch.get(task),
            })
        records.append({
            **base, "task": AVERAGE, "metric": f"mean of {len(board.units[config.model])} task(s)",
            "score": config.average, "higher_is_better": None,
            "vanilla_score": vanilla.average if vanilla and config.compares_with_vanilla(AVERAGE) else None,
            "pct_of_vanilla": config.pct_of_vanilla,
            "achieved_retention": config.overall.achieved_retention,
            "mean_prefill_s": config.overall.mean_prefill_s,
            "samples": config.overall.samples or None,
            "status": COMPLETE if config.average is not None else "incomplete",
            "problem": config.average_problem, "runs": _runs_field(config.runs),
            "settings": to_text({"tasks": ",".join(board.units[config.model]),
                                 **(config.average_identity(board.units[config.model]) or {})}
                                if config.average is not None else None),
            "vanilla_mismatch": config.vanilla_mismatch.get(AVERAGE),
        })
    for run in board.failed:
        for task in run.tasks or ["?"]:
            records.append({
                "model": run.model, "method": run.method, "retention": run.retention, "layer": run.layer,
                "task": task, "metric": None, "score": None, "higher_is_better": None,
                "vanilla_score": None, "pct_of_vanilla": None, "achieved_retention": None,
                "mean_prefill_s": None, "samples": None, "status": run.status, "problem": run.problem,
                "runs": str(run.folder),
            })
    for ref in board.references:
        for task, value in ref.scores.items():
            records.append({
                "model": ref.model, "method": f"paper {VANILLA}", "retention": 1.0, "layer": None,
                "task": task, "metric": "published", "score": value, "higher_is_better": True,
                "vanilla_score": None, "pct_of_vanilla": None, "achieved_retention": None,
                "mean_prefill_s": None, "samples": None, "status": REFERENCE_STATUS,
                "problem": None, "runs": ref.source,
            })
    return records


def write_csv(board: Leaderboard, path: Path) -> None:
    """The long records as CSV, columns :data:`CSV_FIELDS` (an absent or None value: an empty cell)."""
    from headrouter_eval.leaderboard.frames import records_frame, write_csv_frame

    write_csv_frame(records_frame(board.records, CSV_FIELDS), path)


def write_json(board: Leaderboard, path: Path) -> None:
    """The long records, the averaged units and the notes as one JSON object."""
    # json.dumps, not DataFrame.to_json: pandas rounds floats (15 significant digits at
    # most, 0.30000000000000004 -> 0.3), writes "/" as "\/" and keeps only the records.
    payload = {
        "records": board.records,
        "units": board.units,
        "notes": board.notes,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    # scores on a 0-1 scale need more decimals than 0-100 ones to show a difference
    return f"{value:.{digits + 1}f}" if abs(value) <= 1.0 else f"{value:.{digits}f}"


def _fmt_retention(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _mixed_modes(board: Leaderboard, model: str, columns: list[str]) -> dict[str, bool]:
    """Per column: whether its scores were made with more than one scoring mode."""
    return {t: len({c.scores[t].scoring for c in board.configs if c.model == model and t in c.scores}) > 1
            for t in columns}


def _cell(score: TaskScore | None, mixed: bool) -> str:
    if score is None:
        return "—"
    return f"{_fmt(score.value)} [{score.scoring or 'mode not recorded'}]" if mixed else _fmt(score.value)


def _config_cells(config: Config, columns: list[str], mixed: dict[str, bool]) -> list[str]:
    """One configuration's line of the wide table."""
    cells = [config.method, _fmt_retention(config.retention), "—" if config.layer is None else str(config.layer)]
    cells += [_cell(config.scores.get(t), mixed.get(t, False)) for t in columns]
    cells.append(_fmt(config.average) if config.average is not None else f"— ({config.average_problem})")
    cells.append(_fmt(config.pct_of_vanilla, 1) if AVERAGE not in config.vanilla_mismatch
                 else "— (settings differ from vanilla's)")
    cells.append(_fmt(config.overall.achieved_retention, 2))
    prefill = config.overall.mean_prefill_s
    cells.append("—" if prefill is None else f"{prefill * 1000:.1f}")
    return cells


def _failed_cells(run: Run) -> list[str]:
    """One failed or incomplete run's line; a "|" in its reason would end the cell."""
    return [run.model, run.method, _fmt_retention(run.retention), "—" if run.layer is None else str(run.layer),
            ", ".join(run.tasks), run.status, (run.problem or "").replace("|", "\\|"), str(run.folder)]


def to_markdown(board: Leaderboard, title: str = "Leaderboard") -> str:
    """The wide table per model, the failed runs, the notes and a metric legend."""
    import pandas as pd

    from headrouter_eval.leaderboard.frames import markdown_table

    lines = [f"# {title}", ""]
    for model, columns in board.columns.items():
        lines += [f"## {model}", ""]
        header = ["method", "retention", "layer", *columns, AVERAGE, "% of vanilla", "achieved retention",
                  "prefill (ms)"]
        mixed = _mixed_modes(board, model, columns)
        rows = [_config_cells(config, columns, mixed) for config in board.configs if config.model == model]
        for ref in (r for r in board.references if r.matches(model)):
            rows.append([f"paper {VANILLA} ({ref.model})", "1", "—", *(_fmt(ref.scores.get(t)) for t in columns),
                         "—", "—", "—", "—"])
        # the three naming columns left-aligned, the numbers right-aligned
        wide = pd.DataFrame(rows, columns=header, dtype=object)
        lines += markdown_table(wide, [False] * 3 + [True] * (len(header) - 3))
        metrics = _ordered_unique(
            f"{t}: `{c.scores[t].metric}`" for c in board.configs if c.model == model for t in columns
            if t in c.scores
        )
        lines += ["", f"Average over: {', '.join(board.units[model]) or '—'}. Metrics: {'; '.join(metrics)}.", ""]
        modes = _ordered_unique(c.scores[t].scoring for c in board.configs if c.model == model
                                for t in columns if t in c.scores and c.scores[t].scoring)
        if modes:
            lines += [f"Scoring modes: {'; '.join(modes)}.", ""]
        if any(mixed.values()):
            lines += [f"Columns {', '.join(t for t in columns if mixed.get(t))} mix scoring modes: each score there "
                      "carries its mode in [brackets]; only scores with the same mode compare (nor do the "
                      "averages and % of vanilla of rows made with different modes).", ""]
        other_refs = [
            f"{t} = {v:g}" for ref in board.references if ref.matches(model)
            for t, v in ref.scores.items() if t not in columns
        ]
        if other_refs:
            lines += [f"Paper vanilla numbers for tasks not run here: {', '.join(other_refs)}.", ""]
    if board.failed:
        failed = pd.DataFrame([_failed_cells(run) for run in board.failed], dtype=object,
                              columns=["model", "method", "retention", "layer", "tasks", "status", "reason", "folder"])
        lines += ["## Failed or incomplete runs (not in any score or average)", ""]
        lines += markdown_table(failed, [False] * failed.shape[1]) + [""]
    if board.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in board.notes] + [""]
    return "\n".join(lines)
