"""Bootstrap intervals, paired differences, the tidy export and the figure, on real lmms-eval runs.

The runs are the committed ``dummy`` sweep runs (per-sample logs written by lmms-eval itself);
expected values come from the fixture answer keys and from an independent computation.
"""

from __future__ import annotations

import json
import random
import statistics
import zlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from headrouter_eval.leaderboard.board_intervals import board_estimates
from headrouter_eval.leaderboard.bootstrap import Bootstrap, Composite, Leaf
from headrouter_eval.leaderboard.fast_aggregates import twin_for
from headrouter_eval.leaderboard.regress import compare
from headrouter_eval.leaderboard.runs import discover_runs
from headrouter_eval.leaderboard.table import AVERAGE, build_leaderboard
from headrouter_eval.scoring.lmms import aggregate_accuracy, aggregate_score, aggregate_unparseable

from .leaderboard_helpers import cli, dummy_runs, exact_match_of, fixture_answers


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return dummy_runs(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def board(runs):
    return build_leaderboard([r for r in discover_runs(runs) if r.status == "complete"])


def _config(board, method):
    return next(c for c in board.configs if c.method == method)


def test_intervals_contain_the_score_and_are_seeded(board):
    first = board_estimates(board, Bootstrap(resamples=200, seed=3))
    again = board_estimates(board, Bootstrap(resamples=200, seed=3))
    for config in board.configs:
        for task in ["hrlb_a", "hrlb_b", "hrlb_group", AVERAGE]:
            estimate = first.get(config, task)
            assert estimate is not None and estimate.problem is None, (config.method, task, estimate)
            value = config.average if task == AVERAGE else config.scores[task].value
            assert estimate.low <= value <= estimate.high
            assert (estimate.low, estimate.high) == (again.get(config, task).low, again.get(config, task).high)


def _scipy_reference(per_item: list[float], task: str, resamples: int, seed: int):
    """scipy.stats.bootstrap of the mean of per-item values, seeded as the leaderboard seeds ``task``."""
    rng = np.random.default_rng((seed, zlib.crc32(task.encode("utf-8"))))
    return stats.bootstrap((np.asarray(per_item, dtype=float),), np.mean, n_resamples=resamples, vectorized=True,
                           method="percentile", confidence_level=0.95, rng=rng)


def _hits(response: str, task: str) -> list[float]:
    return [float(a == response) for a in fixture_answers(task)]


def test_task_and_group_intervals_match_scipy_on_the_per_item_scores(board):
    boot = Bootstrap(resamples=500, seed=4)
    estimates = board_estimates(board, boot)
    config = _config(board, "always_b")
    by_task = {task: _scipy_reference(_hits("B", task), task, 500, 4) for task in ("hrlb_a", "hrlb_b")}
    for task, reference in by_task.items():
        estimate = estimates.get(config, task)
        assert (estimate.low, estimate.high) == pytest.approx(tuple(reference.confidence_interval))
    # the group (plain mean of its tasks) is stratified: each task resampled on its own, then averaged
    pooled = 0.5 * by_task["hrlb_a"].bootstrap_distribution + 0.5 * by_task["hrlb_b"].bootstrap_distribution
    group = estimates.get(config, "hrlb_group")
    assert (group.low, group.high) == pytest.approx(tuple(stats.quantile(pooled, [0.025, 0.975])))


def test_paired_difference_matches_an_independent_paired_bootstrap(board):
    estimates = board_estimates(board, Bootstrap(resamples=500, seed=0))
    mine, vanilla = _config(board, "always_b"), _config(board, "vanilla")
    estimate = estimates.get(mine, "hrlb_a")
    expected = exact_match_of("B", "hrlb_a") - exact_match_of("A", "hrlb_a")
    assert estimate.diff == pytest.approx(expected)
    # per-item differences, each resample taking the same documents from both runs
    per_item = np.subtract(_hits("B", "hrlb_a"), _hits("A", "hrlb_a"))
    low, high = _scipy_reference(per_item, "hrlb_a", 500, 0).confidence_interval
    assert (estimate.diff_low, estimate.diff_high) == pytest.approx((low, high))
    assert estimate.within_noise == (low <= 0 <= high)
    assert estimates.get(vanilla, "hrlb_a").diff is None  # vanilla is the reference, not compared


def test_a_single_item_resamples_to_itself():
    # scipy's bootstrap needs two items; one item's every resample is that item
    leaf = Leaf("one", "score", {"only": 0.25}, statistics.fmean, key=("one", "score"))
    assert Bootstrap(resamples=20).interval(Composite([(1.0, leaf)])) == (0.25, 0.25)


def test_missing_sample_log_gives_a_reason_not_a_number(board, tmp_path):
    config = _config(board, "vanilla")
    samples = list(config.sources["hrlb_a"].results_file.parent.glob("*_samples_hrlb_a.jsonl"))
    assert samples
    moved = tmp_path / "moved.jsonl"
    samples[0].rename(moved)
    try:
        estimate = board_estimates(board, Bootstrap(resamples=50)).get(config, "hrlb_a")
    finally:
        moved.rename(samples[0])
    assert estimate.low is None and "--log_samples" in estimate.problem


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_vectorised_mcq_twins_equal_the_task_functions(average):
    rng = random.Random(1)
    items = [{"pred": rng.choice(["A", "B", "C", None]), "gold": rng.choice("ABCD"), "parser": "robust",
              "average": average} for _ in range(30)]
    draws = np.random.default_rng(0).integers(0, 30, size=(40, 30))
    for function in (aggregate_score, aggregate_accuracy, aggregate_unparseable):
        twin = twin_for(function, items)
        expected = [function([items[i] for i in row]) for row in draws]
        assert twin(draws) == pytest.approx(expected, abs=1e-9)


def test_leaderboard_files_tidy_export_and_figure(runs, tmp_path):
    code, out, err = cli("leaderboard", runs, "--out", tmp_path, "--bootstrap", "200")
    assert code == 0, out + err
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "difference from vanilla [95% paired interval]" in markdown
    tidy = pd.read_csv(tmp_path / "leaderboard_tidy.csv")
    lines = pd.read_json(tmp_path / "leaderboard_tidy.jsonl", lines=True)
    assert len(tidy) == len(lines) > 0
    row = tidy[(tidy.method == "always_b") & (tidy.task == "hrlb_a") & tidy.leaderboard_metric].iloc[0]
    assert row.value == pytest.approx(exact_match_of("B", "hrlb_a"))
    assert row.ci_low <= row.value <= row.ci_high and row.results_file.endswith("_results.json")
    assert set(tidy.task) >= {"hrlb_a", "hrlb_b", "hrlb_group", AVERAGE}
    records = json.loads((tmp_path / "leaderboard.json").read_text())["records"]
    assert any(r["ci_low"] is not None for r in records)
    assert (tmp_path / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "leaderboard.pdf").read_bytes()[:4] == b"%PDF"


def test_regress_interval_replaces_the_tolerance():
    key = {"model": "m", "method": "fastv", "retention": 0.5, "layer": 0, "task": "t", "metric": "acc,none",
           "settings": {"limit": "-"}}
    fresh = [{**key, "score": 0.80, "higher_is_better": True, "status": "complete", "ci_low": 0.70, "ci_high": 0.88,
              "settings": json.dumps(key["settings"])}]
    inside = [{**key, "score": 0.86, "higher_is_better": True}]
    above = [{**key, "score": 0.90, "higher_is_better": True}]
    assert [f.kind for f in compare(fresh, inside, 0.01)] == ["REGRESSION"]  # tolerance alone fails it
    assert [f.kind for f in compare(fresh, inside, 0.01, use_interval=True)] == []
    assert [f.kind for f in compare(fresh, above, 0.5, use_interval=True)] == ["REGRESSION"]
    no_interval = [{**fresh[0], "ci_low": None, "ci_high": None}]
    finding = compare(no_interval, inside, 0.01, use_interval=True)[0]
    assert finding.kind == "REGRESSION" and "tolerance used" in finding.text


def _results_recording(task: str, metric: str, aggregation: str, include_path: str | None) -> dict:
    """The parts of an lmms-eval results file the aggregation lookup reads."""
    return {"configs": {task: {"metric_list": [{"metric": metric, "aggregation": aggregation}]}},
            "config": {"resolved_cli_args": {"include_path": include_path}}}


def test_a_custom_aggregation_is_the_function_lmms_eval_loads_for_the_task(tmp_path):
    from headrouter_eval.benchmarks.audiomarathon import aggregate_wer
    from headrouter_eval.leaderboard.aggregations import mean, task_aggregation

    # as lmms-eval records a `!function` aggregation; the run's task folder is gone (another
    # machine), so the task is found in this package's tasks
    recorded = _results_recording("am_asr", "wer", "<function aggregate_wer at 0x7f00>", str(tmp_path / "gone"))
    name, function = task_aggregation(recorded, "am_asr", "wer")
    assert function is aggregate_wer and name == "headrouter_eval.benchmarks.audiomarathon.aggregate_wer"
    assert task_aggregation(_results_recording("t", "acc", "mean", None), "t", "acc") == ("mean", mean)
    # the task's YAML now names another function than the run used: no silent substitute
    changed = _results_recording("am_asr", "wer", "<function aggregate_cer at 0x7f00>", None)
    with pytest.raises(LookupError, match=r"am_asr.yaml: metric wer aggregates with .*aggregate_wer.* the run "
                                          r"recorded <function aggregate_cer"):
        task_aggregation(changed, "am_asr", "wer")


@pytest.mark.slow  # indexes all of lmms-eval's own tasks before giving up
def test_an_aggregation_of_an_unknown_task_is_refused_naming_the_folders_searched(tmp_path):
    from headrouter_eval.leaderboard.aggregations import task_aggregation

    recorded = _results_recording("no_such_task", "acc", "<function agg at 0x7f00>", str(tmp_path))
    with pytest.raises(LookupError, match=rf"task no_such_task is not in lmms-eval's task index \(folders: "
                                          rf"{tmp_path}, .*tasks and lmms-eval's own\)"):
        task_aggregation(recorded, "no_such_task", "acc")


def test_a_comparison_of_two_rows_is_the_paired_bootstrap_of_their_per_item_differences(board):
    from headrouter_eval.leaderboard.comparisons import Pair, compare_methods

    boot = Bootstrap(resamples=500, seed=0)
    (forward,) = compare_methods(board, [Pair.parse("always_b:vanilla")], boot)
    (backward,) = compare_methods(board, [Pair.parse("vanilla:always_b")], boot)
    per_item = np.subtract(_hits("B", "hrlb_a"), _hits("A", "hrlb_a"))
    low, high = _scipy_reference(per_item, "hrlb_a", 500, 0).confidence_interval
    cell = forward.cells["hrlb_a"]
    assert cell.diff == pytest.approx(float(per_item.mean())) and cell.problem is None
    assert (cell.diff_low, cell.diff_high) == pytest.approx((low, high))
    assert set(forward.cells) == {"hrlb_a", "hrlb_b", "hrlb_group", AVERAGE}
    # the same items drawn either way round: the reversed pair mirrors every difference and interval
    for task, mine in forward.cells.items():
        theirs = backward.cells[task]
        assert (theirs.diff, theirs.diff_low, theirs.diff_high) == pytest.approx(
            (-mine.diff, -mine.diff_high, -mine.diff_low)), task


def test_comparisons_are_written_beside_the_leaderboard_and_bad_pairs_are_refused(runs, tmp_path):
    code, out, err = cli("leaderboard", runs, "--out", tmp_path / "ok", "--no-plot", "--bootstrap", "100",
                         "--compare", "always_b:vanilla")
    assert code == 0, out + err
    markdown = (tmp_path / "ok" / "leaderboard.md").read_text()
    assert "### dummy-model: always_b - vanilla" in markdown
    table = pd.read_csv(tmp_path / "ok" / "leaderboard_comparisons.csv")
    row = table[table.task == "hrlb_a"].iloc[0]
    assert (row["first"], row["second"]) == ("always_b", "vanilla")
    assert row["diff"] == pytest.approx(row.first_score - row.second_score)
    assert row.first_score == pytest.approx(exact_match_of("B", "hrlb_a"))
    assert row.diff_low <= row["diff"] <= row.diff_high
    for bad, message in (("always_b:fastv", "no row of method 'fastv'; the leaderboard's methods: always_b, vanilla"),
                         ("always_b", "expected two method labels as FIRST:SECOND"),
                         ("vanilla:vanilla", "a method compared with itself")):
        code, out, err = cli("leaderboard", runs, "--out", tmp_path / "bad", "--no-plot", "--compare", bad)
        assert code == 2 and message in err, (bad, out, err)
        assert not (tmp_path / "bad").exists(), bad  # refused before anything was written
    code, out, err = cli("leaderboard", runs, "--out", tmp_path / "bad", "--no-plot", "--bootstrap", "0",
                         "--compare", "always_b:vanilla")
    assert code == 2 and "--bootstrap must be above 0" in err


def test_the_figure_takes_an_interval_that_misses_its_score_by_a_rounding_error(tmp_path):
    """The demo's own case: three tasks at 100 resample to 1/3 * 100 three times, so the group's
    interval is [99.99999999999999, 99.99999999999999] around lmms-eval's 100.0."""
    from headrouter_eval.leaderboard.board_intervals import BoardEstimates
    from headrouter_eval.leaderboard.bootstrap import Estimate
    from headrouter_eval.leaderboard.plot import plot_leaderboard
    from headrouter_eval.leaderboard.run_record import TaskScore
    from headrouter_eval.leaderboard.table import Config, Leaderboard

    def config(method, retention):
        score = TaskScore("group", "score,none", 100.0, True, 40, True)
        return Config("m", method, retention, 0, scores={"group": score}, average=100.0)

    configs = [config("vanilla", None), config("fastv", 0.5), config("fastv", 0.25)]
    board = Leaderboard(configs, {"m": ["group"]}, {"m": ["group"]}, [], [], [])
    below = 1e2 * (1 / 3) * 3
    assert below < 100.0
    estimates = BoardEstimates(Bootstrap(), {(c.model, c.method, c.retention, c.layer, task): Estimate(below, below)
                                             for c in configs for task in ("group", AVERAGE)})
    paths = plot_leaderboard(board, tmp_path / "figure", estimates=estimates)
    assert [p.suffix for p in paths] == [".png", ".pdf"] and all(p.stat().st_size > 0 for p in paths)
