"""``headrouter-eval regress`` on leaderboards built from real lmms-eval runs.

Baseline: the committed dummy runs (``vanilla`` always answers "A"). Fresh: a second sweep in
which ``vanilla`` answers "B", so its hrlb_a score really drops.
"""

from __future__ import annotations

import json

import pytest
import yaml

from headrouter_eval.leaderboard.regress import compare, load_leaderboard

from .leaderboard_helpers import cli, committed_runs, dummy_runs, exact_match_of


@pytest.fixture(scope="module")
def boards(tmp_path_factory):
    """(baseline-side leaderboard folder, fresh-side leaderboard folder)."""
    base = tmp_path_factory.getbasetemp()
    old = tmp_path_factory.mktemp("board_old")
    code, out, err = cli("leaderboard", dummy_runs(base), "--out", old, "--no-plot")
    assert code == 0, out + err
    new = tmp_path_factory.mktemp("board_new")
    code, out, err = cli("leaderboard", committed_runs("regressed_runs", base), "--out", new, "--no-plot")
    assert code == 0, out + err
    return old, new


def test_write_baseline_then_pass(boards, tmp_path):
    old, _ = boards
    baseline = tmp_path / "baseline.yaml"
    code, out, _ = cli("regress", old / "leaderboard.csv", baseline, "--write-baseline", "--tolerance", "0.01")
    assert code == 0
    assert "not in baseline (not complete)" in out and "hrlb_broken" in out
    data = yaml.safe_load(baseline.read_text())
    assert data["default_tolerance"] == 0.01
    keys = {(e["method"], e["task"]) for e in data["entries"]}
    assert ("vanilla", "hrlb_a") in keys and ("vanilla", "average") in keys
    assert ("always_b", "average") not in keys  # incomplete rows never become a baseline
    code, out, _ = cli("regress", old / "leaderboard.json", baseline)  # JSON and CSV read alike
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("OK:")


def test_regression_fails_with_a_readable_diff(boards, tmp_path):
    old, new = boards
    baseline = tmp_path / "baseline.yaml"
    cli("regress", old / "leaderboard.csv", baseline, "--write-baseline", "--tolerance", "0.01")
    code, out, _ = cli("regress", new / "leaderboard.csv", baseline)
    assert code == 1, out
    before, after = exact_match_of("A", "hrlb_a"), exact_match_of("B", "hrlb_a")
    line = next(x for x in out.splitlines() if x.startswith("REGRESSION") and "[hrlb_a]" in x)
    assert "dummy-model vanilla" in line
    assert f"{before:.4g} -> {after:.4g}" in line
    # hrlb_b went up for vanilla: reported, not failed
    assert any(x.startswith("improved") and " vanilla " in x and "[hrlb_b]" in x for x in out.splitlines())
    assert out.strip().splitlines()[-1].startswith("FAIL:")

    # the same drop within a per-entry tolerance passes
    data = yaml.safe_load(baseline.read_text())
    for entry in data["entries"]:
        entry["tolerance"] = 0.5
    baseline.write_text(yaml.safe_dump(data))
    code, out, _ = cli("regress", new / "leaderboard.csv", baseline)
    assert code == 0, out


def test_failed_and_missing_rows_fail(boards, tmp_path):
    old, new = boards
    baseline = tmp_path / "baseline.yaml"
    # baseline from the side where always_b is complete; the other side has its failed run
    cli("regress", new / "leaderboard.csv", baseline, "--write-baseline", "--tolerance", "1.0")
    code, out, _ = cli("regress", old / "leaderboard.csv", baseline)
    assert code == 1, out
    assert any(x.startswith("FAILED") and " always_b " in x and "[average]" in x for x in out.splitlines())

    fresh = [r for r in load_leaderboard(new / "leaderboard.json")
             if not (r["method"] == "vanilla" and r["task"] == "hrlb_b")]
    entries = yaml.safe_load(baseline.read_text())["entries"]
    findings = compare(fresh, entries, 1.0)
    missing = [f for f in findings if f.kind == "MISSING"]
    assert [(f.key[1], f.key[4]) for f in missing] == [("vanilla", "hrlb_b")]
    assert missing[0].fails


def test_lower_is_better_direction():
    entry = {"model": "m", "method": "fastv", "retention": 0.5, "layer": 2, "task": "wer", "metric": "wer,none",
             "score": 10.0, "higher_is_better": False, "settings": {"limit": "-", "dtype": "auto"}}
    fresh = {**entry, "status": "complete", "settings": json.dumps(entry["settings"])}
    assert [f.kind for f in compare([{**fresh, "score": 10.5}], [entry], 1.0)] == []
    assert [f.kind for f in compare([{**fresh, "score": 12.0}], [entry], 1.0)] == ["REGRESSION"]
    assert [f.kind for f in compare([{**fresh, "score": 8.0}], [entry], 1.0)] == ["improved"]
    assert [f.kind for f in compare([{**fresh, "score": 10.0, "metric": "cer,none"}], [entry], 1.0)] == ["METRIC"]
    # the same score on other items is not comparable
    other = json.dumps({"limit": "3", "dtype": "auto"})
    findings = compare([{**fresh, "score": 10.0, "settings": other}], [entry], 1.0)
    assert [f.kind for f in findings] == ["SETTINGS"] and "limit 3 vs -" in findings[0].text


def test_bad_inputs_exit_2_naming_the_problem(boards, tmp_path):
    old, _ = boards
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"default_tolerance": 0.1, "entries": [
        {"model": "m", "method": "x", "retention": 0.5, "layer": 2, "task": "t", "score": 1.0, "tolerance": -1}]}))
    code, _, err = cli("regress", old / "leaderboard.csv", bad)
    assert code == 2 and "entries[0]" in err and "tolerance" in err
    code, _, err = cli("regress", old / "leaderboard.csv", tmp_path / "absent.yaml")
    assert code == 2 and "absent.yaml" in err
    not_board = tmp_path / "x.json"
    not_board.write_text(json.dumps({"rows": []}))
    code, _, err = cli("regress", not_board, bad)
    assert code == 2 and "records" in err
