"""The default (official) scoring agrees with the official code on every anchored case.

The anchors in tests/data/scoring_cases/ were computed by the benchmarks' own
functions (python -m headrouter_eval.scoring.anchors); these tests need no clone.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from headrouter_eval.benchmarks.audiomarathon import process_results as am_process_results
from headrouter_eval.benchmarks.mmau_pro import _kwargs_list
from headrouter_eval.benchmarks.mmau_pro import process_results as mmau_process_results
from headrouter_eval.scoring.am_official import label_of_letter
from headrouter_eval.scoring.instruction_following import CHECKERS
from headrouter_eval.scoring.judge import judge_prompt, parse_scores
from headrouter_eval.scoring.lmms import aggregate_score

CASES = Path(__file__).parent / "data" / "scoring_cases"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (CASES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


AM = _rows("audiomarathon.jsonl")
IF = _rows("mmau_pro_if.jsonl")


def _doc(row: dict) -> dict:
    opts = row.get("options", {})
    return {"id": row["id"], "task": row["task"], "option_letters": list(opts), "option_texts": list(opts.values()),
            "answer": row.get("reference", row.get("gold"))}


def _anchor_letter(row: dict) -> str | None:
    return next((k for k in row["options"] if label_of_letter(row["task"], k, row["options"]) == row["official"]), None)


def test_corpus_size_and_coverage():
    counts = Counter(r["task"] for r in AM)
    assert len(AM) >= 300 and set(counts) == {"asr", "scr", "ser", "sed", "asc", "mc", "er", "sd", "sar", "sgr"}
    assert min(counts.values()) >= 30
    assert len(IF) >= 150
    outcomes: dict[str, set] = {}
    for r in IF:
        outcomes.setdefault(r["identifier"], set()).add(r["official"])
    assert set(CHECKERS) <= set(outcomes), sorted(set(CHECKERS) - set(outcomes))
    for ident in CHECKERS:  # every identifier has a passing and a failing reply
        assert outcomes[ident] == {True, False}, ident
    assert {r["kwargs_form"] for r in IF} == {"dict", "json", "struct"}


@pytest.mark.parametrize("row", [r for r in AM if r["task"] != "asr"], ids=lambda r: r["id"])
def test_audiomarathon_choice_matches_official(row):
    item = am_process_results(_doc(row), [row["reply"]], options={"parser": "official"})["score"]
    assert item["pred"] == _anchor_letter(row), (row["reply"], row["official"])


@pytest.mark.parametrize("row", [r for r in AM if r["task"] == "asr"], ids=lambda r: r["id"])
def test_asr_wer_matches_official(row):
    item = am_process_results(_doc(row), [row["reply"]], options={"parser": "official"})["wer"]
    official = row["official"]
    if not official["counted"]:
        assert item["wer"] is None
    else:
        assert item["wer"] == pytest.approx(official["wer"], abs=1e-12)


def test_task_f1_matches_official():
    expected = json.loads((CASES / "audiomarathon_metrics.json").read_text())
    for task, f1 in expected.items():
        rows = [r for r in AM if r["task"] == task]
        items = [am_process_results(_doc(r), [r["reply"]], options={"parser": "official"})["score"] for r in rows]
        assert aggregate_score(items) == pytest.approx(f1, abs=1e-9), task


@pytest.mark.parametrize("row", IF, ids=lambda r: r["id"])
def test_instruction_following_matches_official(row):
    # The kwargs go through the loader's normalisation in the form the case gives (dict, JSON, struct).
    kwargs = _kwargs_list(row["kwargs_raw"], 1, row["id"])
    doc = {"id": row["id"], "task": "instruction_following", "question": row["question"],
           "identifiers": [row["identifier"]], "checker_kwargs_json": json.dumps(kwargs)}
    out = mmau_process_results(doc, [row["reply"]], options={"if_checkers": "official"})
    assert out["score"]["value"] == (1.0 if row["official"] else 0.0)
    assert bool(out["unknown_identifiers"]["unknown"]) == (row["identifier"] not in CHECKERS)


JUDGE = _rows("mmau_pro_judge.jsonl")


@pytest.mark.parametrize("row", JUDGE, ids=lambda r: r["id"])
def test_judge_prompt_and_score_match_official(row):
    messages = judge_prompt(row["question"], row["reference"], row["prediction"])
    assert messages[0] == {"role": "system", "content": "You are a helpful and objective evaluator."}
    assert messages[1]["content"] == row["official"]["prompt"]
    assert parse_scores(row["judge_reply"])["overall"] == row["official"]["overall"]


def test_readme_departure_table_matches_the_corpus():
    import re

    from headrouter_eval.scoring.departures import audiomarathon_departures, instruction_departures

    readme = (Path(__file__).parents[1] / "tasks" / "README.md").read_text(encoding="utf-8")
    for task, c in audiomarathon_departures(CASES / "audiomarathon.jsonl").items():
        row = re.search(rf"^\s*\| `am_{task}` \|[^|]*\| (\d+)/(\d+)[^|]*\|\s*(\d*)\s*\|\s*(\d*)\s*\|", readme, re.M)
        assert row, task
        assert (int(row[1]), int(row[2])) == (c.get("agreement", 0), c["total"]), task
        if task != "asr":
            assert (int(row[3]), int(row[4])) == (c.get("rescued", 0), c.get("lost", 0)), task
    c = instruction_departures(CASES / "mmau_pro_if.jsonl")
    assert f"| {c['agreement']}/{c['total']} |" in readme
