"""Bootstrap intervals, paired differences, the tidy export and the figure, on real lmms-eval runs.

The runs are the committed ``dummy`` sweep runs (per-sample logs written by lmms-eval itself);
expected values come from the fixture answer keys and from an independent computation.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from headrouter_eval.leaderboard.board_intervals import board_estimates
from headrouter_eval.leaderboard.bootstrap import Bootstrap
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


def test_paired_difference_matches_an_independent_paired_bootstrap(board):
    boot = Bootstrap(resamples=500, seed=0)
    estimates = board_estimates(board, boot)
    mine, vanilla = _config(board, "always_b"), _config(board, "vanilla")
    estimate = estimates.get(mine, "hrlb_a")
    expected = exact_match_of("B", "hrlb_a") - exact_match_of("A", "hrlb_a")
    assert estimate.diff == pytest.approx(expected)
    # per-item differences, resampled with the same draws over the same doc ids
    answers = fixture_answers("hrlb_a")
    per_item = np.array([float(a.upper() == "B") - float(a.upper() == "A") for a in answers])
    draws = boot.draws("hrlb_a", len(answers))
    low, high = np.percentile(per_item[draws].mean(axis=1), [2.5, 97.5])
    assert (estimate.diff_low, estimate.diff_high) == pytest.approx((low, high))
    assert estimate.within_noise == (low <= 0 <= high)
    assert estimates.get(vanilla, "hrlb_a").diff is None  # vanilla is the reference, not compared


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
