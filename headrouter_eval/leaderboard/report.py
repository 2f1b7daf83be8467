"""Read a runs folder and write its leaderboard (Markdown, CSV, JSON, PNG) in one call.

Shared by ``headrouter-eval leaderboard`` and ``headrouter-eval demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from headrouter_eval.leaderboard.table import Leaderboard

if TYPE_CHECKING:
    from headrouter_eval.leaderboard.comparisons import Pair


def write_leaderboard(
    runs_dir: Path,
    out: Path,
    *,
    name: str = "leaderboard",
    title: str = "Leaderboard",
    metrics: list[str] | None = None,
    reference: Path | None = None,
    plot_tasks: list[str] | None = None,
    plot: bool = True,
    echo: Callable[[str], None] = print,
    resamples: int = 1000,
    seed: int = 0,
    profiles: list[Path] | None = None,
    compare: list[Pair] | None = None,
) -> tuple[Leaderboard, list[Path]]:
    """Tabulate every run under ``runs_dir`` into ``out/<name>.{md,csv,json,png,pdf}`` and the tidy export.

    ``resamples`` bootstrap replicates (0: none) give each score its interval (see
    :mod:`headrouter_eval.leaderboard.board_intervals`). Each of ``compare``'s pairs of methods
    adds their paired differences, row against row (:mod:`headrouter_eval.leaderboard.comparisons`),
    to the Markdown and to ``out/<name>_comparisons.csv``.
    """
    from headrouter_eval.leaderboard.integrity import held_out_notes
    from headrouter_eval.leaderboard.metric_choice import MetricChoice
    from headrouter_eval.leaderboard.plot import plot_leaderboard
    from headrouter_eval.leaderboard.reference import load_reference
    from headrouter_eval.leaderboard.runs import discover_runs
    from headrouter_eval.leaderboard.seeds import seed_notes
    from headrouter_eval.leaderboard.table import build_leaderboard, to_markdown, write_csv, write_json

    if compare and not resamples:
        raise ValueError("comparing methods needs the bootstrap: --bootstrap must be above 0")
    runs = discover_runs(runs_dir, MetricChoice.parse(metrics or []), profiles or ())
    if not runs:
        raise ValueError(f"{runs_dir}: no sweep run folder and no lmms-eval *_results.json under it")
    board = build_leaderboard(runs, load_reference(reference) if reference is not None else [])
    board.notes += held_out_notes(runs) + seed_notes(board)
    estimates = None
    if resamples:
        from headrouter_eval.leaderboard.board_intervals import annotate_records, board_estimates
        from headrouter_eval.leaderboard.bootstrap import Bootstrap

        boot = Bootstrap(resamples=resamples, seed=seed)
        estimates = board_estimates(board, boot)
        annotate_records(board, estimates)
    comparisons = []
    if compare:
        from headrouter_eval.leaderboard.comparisons import compare_methods

        # before anything is written: a pair the board cannot make is an error, not half an output
        comparisons = compare_methods(board, compare, boot)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / name
    markdown = to_markdown(board, title)
    if estimates is not None:
        from headrouter_eval.leaderboard.board_intervals import to_markdown as uncertainty_markdown

        markdown = markdown.rstrip("\n") + "\n\n" + uncertainty_markdown(board, estimates)
    if comparisons:
        from headrouter_eval.leaderboard.comparisons import to_markdown as comparisons_markdown

        markdown = markdown.rstrip("\n") + "\n\n" + comparisons_markdown(board, comparisons, boot)
    stem.with_suffix(".md").write_text(markdown, encoding="utf-8")
    write_csv(board, stem.with_suffix(".csv"))
    write_json(board, stem.with_suffix(".json"))
    written = [stem.with_suffix(suffix) for suffix in (".md", ".csv", ".json")]
    from headrouter_eval.leaderboard.export import write_tidy

    written += write_tidy(board, estimates, out / f"{name}_tidy")
    if comparisons:
        from headrouter_eval.leaderboard.comparisons import COMPARISON_FIELDS, comparison_records
        from headrouter_eval.leaderboard.frames import records_frame, write_csv_frame

        path = out / f"{name}_comparisons.csv"
        write_csv_frame(records_frame(comparison_records(comparisons, boot), COMPARISON_FIELDS), path)
        written.append(path)
    if board.columns and plot:
        written += plot_leaderboard(board, stem, plot_tasks or [], estimates)
    complete = sum(run.status == "complete" for run in runs)
    echo(f"leaderboard: {complete} complete run(s), {len(board.failed)} failed/incomplete; wrote "
         + ", ".join(str(path) for path in written))
    for run in board.failed:
        echo(f"  {run.status.upper()}: {run.folder}: {run.problem}")
    return board, written
