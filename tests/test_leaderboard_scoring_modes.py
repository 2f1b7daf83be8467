"""The leaderboard records each score's scoring mode and marks columns that mix modes."""

from __future__ import annotations

from pathlib import Path

from headrouter_eval.leaderboard.metric_choice import MetricChoice
from headrouter_eval.leaderboard.runs import COMPLETE, Run, read_scores
from headrouter_eval.leaderboard.table import build_leaderboard, to_markdown


def _results(parser: str, value: float) -> dict:
    """An lmms-eval results dict as our AudioMarathon tasks leave it (two leaves and their group)."""
    meta = {"scoring": {"parser": parser}, "scoring_mode": f"parser={parser}"}
    leaf = {"metric_list": [{"metric": "score", "higher_is_better": True}], "metadata": meta}
    return {
        "results": {"am_scr": {"score,none": value}, "am_sd": {"score,none": 50.0},
                    "audiomarathon": {"score,none": (value + 50.0) / 2}},
        "group_subtasks": {"audiomarathon": ["am_scr", "am_sd"]},
        "configs": {"am_scr": leaf, "am_sd": leaf},
        "higher_is_better": {"am_scr": {"score": True}, "am_sd": {"score": True}},
        "n-samples": {"am_scr": {"original": 4, "effective": 4}, "am_sd": {"original": 4, "effective": 4}},
        "config": {"model_args": "pretrained=Qwen/Qwen2.5-Omni-3B"},
    }


def _run(method: str, parser: str, value: float) -> Run:
    scores, units = read_scores(_results(parser, value), method, MetricChoice())
    return Run(folder=Path(method), model="Qwen2.5-Omni-3B", model_id=f"{method}_qwen_omni", method=method,
               retention=None if method == "vanilla" else 0.5, layer=None, tasks=["audiomarathon"],
               status=COMPLETE, scores=scores, units=units)


def test_scores_carry_their_mode_and_groups_combine_leaves():
    run = _run("vanilla", "official", 70.0)
    assert run.scores["am_scr"].scoring == "parser=official"
    assert run.scores["audiomarathon"].scoring == "parser=official"


def test_mixed_modes_are_marked_in_the_table_and_records():
    board = build_leaderboard([_run("vanilla", "official", 70.0), _run("fastv", "robust", 60.0)])
    text = to_markdown(board)
    assert "[parser=robust]" in text and "[parser=official]" in text
    assert "mix scoring modes" in text
    assert {r["scoring"] for r in board.records if r.get("task") == "audiomarathon"} == {
        "parser=official", "parser=robust"}


def test_uniform_modes_are_stated_not_marked():
    board = build_leaderboard([_run("vanilla", "official", 70.0), _run("fastv", "official", 60.0)])
    text = to_markdown(board)
    assert "Scoring modes: parser=official." in text and "[parser=" not in text
