"""The tidy export: one row per (model, method, retention, layer, task, metric), for leaderboard sites.

Every metric of every complete configuration (``leaderboard_metric`` marks the one the
leaderboard shows), with interval, scoring mode and provenance; failed runs are not rows.
Columns and loading: README.md, "Sweeps, leaderboards and the regression check".
"""

from __future__ import annotations

import json
from pathlib import Path

from headrouter_eval.jsonl import read_json_object
from headrouter_eval.leaderboard.metric_choice import available_metrics
from headrouter_eval.leaderboard.table import AVERAGE, Leaderboard

TIDY_FIELDS = [
    "model", "method", "retention", "layer", "task", "is_group", "metric", "leaderboard_metric", "value",
    "higher_is_better", "scoring", "ci_low", "ci_high", "diff_vs_vanilla", "diff_low", "diff_high", "within_noise",
    "interval_problem", "samples", "achieved_retention", "mean_prefill_s", "model_id", "model_args",
    "lmms_eval_version", "lmms_eval_commit", "evaluated", "results_file", "run_folder", "interval_method",
]


def tidy_rows(board: Leaderboard, estimates=None) -> list[dict]:
    """The rows; ``estimates`` (from :func:`uncertainty.board_estimates`) adds intervals."""
    from headrouter_eval.leaderboard.board_intervals import config_composite

    rows: list[dict] = []
    for config in board.configs:
        base = {"model": config.model, "method": config.method, "retention": config.retention,
                "layer": config.layer}
        vanilla = estimates.vanilla.get(config.model) if estimates is not None else None
        for task in board.columns.get(config.model, []):
            score = config.scores.get(task)
            if score is None:
                continue
            run = config.sources[task]
            results = read_json_object(run.results_file)
            entry = results["results"][task]
            higher = results.get("higher_is_better", {}).get(task, {})
            stats = config.task_stats.get(task)
            for key in sorted(available_metrics(entry)):
                row = {**base, "task": task, "is_group": score.is_group, "metric": key,
                       "leaderboard_metric": key == score.metric, "value": float(entry[key]),
                       "higher_is_better": higher.get(key.split(",", 1)[0]), "scoring": score.scoring,
                       "samples": score.samples,
                       "achieved_retention": stats.achieved_retention if stats else None,
                       "mean_prefill_s": stats.mean_prefill_s if stats else None,
                       **_provenance(run, results)}
                if estimates is not None:
                    if key == score.metric:
                        estimate = estimates.get(config, task)
                    else:
                        estimate = _other_metric(estimates, config, vanilla, task, key, config_composite)
                    row.update(_interval_fields(estimate, estimates.description))
                rows.append(row)
        if config.average is not None:
            row = {**base, "task": AVERAGE, "is_group": True,
                   "metric": f"mean of {len(board.units[config.model])} task(s)", "leaderboard_metric": True,
                   "value": config.average, "higher_is_better": None, "samples": config.overall.samples or None,
                   "achieved_retention": config.overall.achieved_retention,
                   "mean_prefill_s": config.overall.mean_prefill_s,
                   "model_id": ";".join(sorted({r.model_id for r in config.runs})),
                   "run_folder": ";".join(str(r.folder) for r in config.runs)}
            if estimates is not None:
                row.update(_interval_fields(estimates.get(config, AVERAGE), estimates.description))
            rows.append(row)
    return [{name: row.get(name) for name in TIDY_FIELDS} for row in rows]


def _other_metric(estimates, config, vanilla, task, metric, composite):
    from headrouter_eval.leaderboard.board_intervals import estimate_for

    paired = vanilla is not None and vanilla is not config and task in vanilla.scores
    return estimate_for(estimates.boot, lambda: composite(estimates.boot, config, task, metric),
                     (lambda: composite(estimates.boot, vanilla, task, metric)) if paired else None)


def _interval_fields(estimate, method: str) -> dict:
    if estimate is None:
        return {}
    return {"ci_low": estimate.low, "ci_high": estimate.high, "diff_vs_vanilla": estimate.diff,
            "diff_low": estimate.diff_low, "diff_high": estimate.diff_high, "within_noise": estimate.within_noise,
            "interval_problem": estimate.problem, "interval_method": method if estimate.low is not None else None}


def _provenance(run, results: dict) -> dict:
    config = results.get("config") or {}
    return {"model_id": run.model_id, "model_args": config.get("model_args"),
            "lmms_eval_version": results.get("lmms_eval_version"), "lmms_eval_commit": results.get("git_hash"),
            "evaluated": results.get("date"), "results_file": str(run.results_file), "run_folder": str(run.folder)}


def write_tidy(board: Leaderboard, estimates, stem: Path) -> list[Path]:
    """Write ``stem``.csv and ``stem``.jsonl; returns both paths."""
    from headrouter_eval.leaderboard.frames import records_frame, write_csv_frame

    rows = tidy_rows(board, estimates)
    csv_path, jsonl_path = stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".jsonl")
    write_csv_frame(records_frame(rows, TIDY_FIELDS), csv_path)
    # json.dumps per row, not DataFrame.to_json(lines=True): pandas rounds floats (15
    # significant digits at most), writes "/" as "\/" and NaN as null.
    with jsonl_path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return [csv_path, jsonl_path]
