"""Which metric scores a group: the same one in every run, whatever lmms-eval's key order."""

from __future__ import annotations

from headrouter_eval.leaderboard.metric_choice import MetricChoice
from headrouter_eval.leaderboard.runs import read_scores


def results_with_group_keys(order: list[str]) -> dict:
    """An lmms-eval results dict (as 0.7.3 writes it) whose group entry lists metrics in ``order``."""
    group_entry = {key: {"score,none": 90.0, "accuracy,none": 80.0}[key] for key in order}
    group_entry["alias"] = "grp"
    leaf = {"score,none": 90.0, "score_stderr,none": "N/A", "accuracy,none": 80.0, "alias": "leaf"}
    return {
        "results": {"grp": group_entry, "grp_leaf": leaf},
        "group_subtasks": {"grp": ["grp_leaf"], "grp_leaf": []},
        "configs": {"grp_leaf": {"metric_list": [{"metric": "score"}, {"metric": "accuracy"}]}},
        "higher_is_better": {"grp": {"score": True, "accuracy": True}, "grp_leaf": {"score": True}},
        "n-samples": {"grp_leaf": {"original": 10, "effective": 10}},
    }


def test_group_takes_its_tasks_primary_metric_in_any_key_order():
    for order in (["score,none", "accuracy,none"], ["accuracy,none", "score,none"]):
        scores, _ = read_scores(results_with_group_keys(order), "results.json", MetricChoice())
        assert scores["grp"].metric == "score,none" and scores["grp"].value == 90.0
        assert scores["grp_leaf"].metric == "score,none"
