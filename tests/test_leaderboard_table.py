"""The leaderboard on results written by real lmms-eval runs (the ``dummy`` model, fixture tasks).

Expected scores are derived from the fixture's answer keys, not copied from any output.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from headrouter_eval.leaderboard.metric_choice import MetricChoice
from headrouter_eval.leaderboard.reference import load_reference
from headrouter_eval.leaderboard.runs import COMPLETE, FAILED, discover_runs
from headrouter_eval.leaderboard.table import CSV_FIELDS, Leaderboard, build_leaderboard, write_csv

from .leaderboard_helpers import cli, dummy_runs, exact_match_of, run_plain_lmms_eval


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return dummy_runs(tmp_path_factory.getbasetemp())


def group_score(response: str) -> float:
    # the fixture group averages its two tasks without weighting by size
    return (exact_match_of(response, "hrlb_a") + exact_match_of(response, "hrlb_b")) / 2


def test_runs_are_read_and_judged(runs):
    found = {(r.method, tuple(r.tasks)): r for r in discover_runs(runs)}
    assert set(found) == {("vanilla", ("hrlb_group",)), ("always_b", ("hrlb_group",)),
                          ("always_b", ("hrlb_broken",))}
    broken = found[("always_b", ("hrlb_broken",))]
    assert broken.status == FAILED
    assert "Error during evaluation" in broken.problem
    assert list(broken.folder.rglob("*_results.json")) == []  # nothing that looks complete
    vanilla = found[("vanilla", ("hrlb_group",))]
    assert vanilla.status == COMPLETE
    assert vanilla.scores["hrlb_a"].value == pytest.approx(exact_match_of("A", "hrlb_a"))
    assert vanilla.scores["hrlb_group"].value == pytest.approx(group_score("A"))
    assert vanilla.scores["hrlb_group"].samples == 10
    assert vanilla.units == ["hrlb_group"]


def test_failed_run_is_listed_and_kept_out_of_averages(runs, tmp_path):
    code, out, err = cli("leaderboard", runs, "--out", tmp_path)
    assert code == 0, out + err
    assert "FAILED" in out and "hrlb_broken" in out
    records = json.loads((tmp_path / "leaderboard.json").read_text())["records"]
    by = {(r["method"], r["task"], r["status"]): r for r in records}
    vanilla_avg = by[("vanilla", "average", COMPLETE)]
    assert vanilla_avg["score"] == pytest.approx(group_score("A"))
    assert vanilla_avg["pct_of_vanilla"] == pytest.approx(100.0)
    # always_b's own hrlb_group run is complete and shown, with % of vanilla per task ...
    b_a = by[("always_b", "hrlb_a", COMPLETE)]
    assert b_a["score"] == pytest.approx(exact_match_of("B", "hrlb_a"))
    assert b_a["pct_of_vanilla"] == pytest.approx(exact_match_of("B", "hrlb_a") / exact_match_of("A", "hrlb_a") * 100)
    # ... but its failed run means no average at all, never an average over what is left
    b_avg = by[("always_b", "average", "incomplete")]
    assert b_avg["score"] is None and "not complete" in b_avg["problem"]
    failed = by[("always_b", "hrlb_broken", FAILED)]
    assert "Error during evaluation" in failed["problem"]

    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "## Failed or incomplete runs" in markdown and "hrlb_broken" in markdown
    with (tmp_path / "leaderboard.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(records)
    assert (tmp_path / "leaderboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metric_choice(runs):
    choice = MetricChoice.parse(["hrlb_a=exact_match,none"])
    run = next(r for r in discover_runs(runs, choice) if r.method == "vanilla")
    assert run.scores["hrlb_a"].metric == "exact_match,none"
    with pytest.raises(ValueError, match=r"hrlb_a.*no metric 'accuracy'.*exact_match,none"):
        discover_runs(runs, MetricChoice.parse(["hrlb_a=accuracy"]))
    code, _, err = cli("leaderboard", runs, "--metric", "hrlb_a=accuracy", "--no-plot")
    assert code == 2 and "_results.json" in err and "accuracy" in err


@pytest.mark.slow
def test_plain_lmms_eval_output_is_read(tmp_path):
    result = run_plain_lmms_eval(tmp_path / "plain", "pretrained=somewhere/plain-model,response=B", "hrlb_a")
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = discover_runs(tmp_path / "plain")
    assert (run.model, run.method, run.status) == ("plain-model", "dummy", COMPLETE)
    assert run.scores["hrlb_a"].value == pytest.approx(exact_match_of("B", "hrlb_a"))


def test_paper_reference_rows(runs, tmp_path):
    references = load_reference()
    rows = {r.model: r for r in references}
    # the AudioMarathon average in BENCHMARKS.md is the mean of its ten task columns
    tasks = ["am_ser", "am_scr", "am_asr", "am_sed", "am_mc", "am_asc", "am_sd", "am_er", "am_sar", "am_sgr"]
    for model in ("Qwen2.5-Omni-3B", "Qwen2.5-Omni-7B"):
        mean = sum(rows[model].scores[t] for t in tasks) / 10
        assert mean == pytest.approx(rows[model].scores["audiomarathon"], abs=0.06)
    # references join a table only for a matching model, as their own rows
    board = build_leaderboard(discover_runs(runs), references)
    assert board.references == []
    renamed = discover_runs(runs)
    for run in renamed:
        run.model = "Qwen2.5-Omni-3B"
    board = build_leaderboard(renamed, references)
    assert [r.model for r in board.references] == ["Qwen2.5-Omni-3B"]
    reference_records = [r for r in board.records if r["status"] == "reference"]
    assert {r["task"] for r in reference_records} >= {"am_ser", "mmau_pro"}
    assert all(r["method"] == "paper vanilla" for r in reference_records)


def test_csv_cells_keep_their_python_form(tmp_path):
    """pandas writes the CSV, but each cell reads as Python's csv module writes it; None is an empty cell."""
    records = [
        {"model": "m,1", "method": 'say "hi"', "retention": 0.5, "layer": 12, "score": 0.1 + 0.2,
         "higher_is_better": True, "samples": 40, "problem": "two\nlines"},
        {"model": "m", "retention": None, "layer": None, "score": float("nan"), "higher_is_better": None,
         "samples": None, "pct_of_vanilla": 1e-07},
    ]
    board = Leaderboard(configs=[], columns={}, units={}, failed=[], references=[], notes=[], records=records)
    write_csv(board, tmp_path / "board.csv")
    written = (tmp_path / "board.csv").read_bytes()
    # the oracle: Python's csv module on the same cells, the form the CSV has always had
    expected = io.StringIO(newline="")
    writer = csv.writer(expected)
    writer.writerow(CSV_FIELDS)
    for record in records:
        writer.writerow(["" if record.get(name) is None else record[name] for name in CSV_FIELDS])
    assert written == expected.getvalue().encode()
    first, second = csv.DictReader(io.StringIO(written.decode(), newline=""))
    # an int column with a gap stays ints (not 12.0); NaN is a value, not a gap
    assert [first[k] for k in ("layer", "samples", "score", "higher_is_better")] == ["12", "40", "0.30000000000000004",
                                                                                    "True"]
    assert [second[k] for k in ("layer", "samples", "score", "pct_of_vanilla")] == ["", "", "nan", "1e-07"]
