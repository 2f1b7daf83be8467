"""Calibration items are never scored: the task filter, the adapter's refusal and the leaderboard's mark.

The filter runs on the real AudioMarathon and hr_synth task classes through lmms-eval's
own TaskManager; the refusal and the contamination mark through real ``lmms-eval eval``
runs of a HeadRouter profile calibrated on the AudioMarathon fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrouter_eval.profiles.exclusion import ENV_VAR
from headrouter_eval.profiles.format import load_profile, save_profile
from headrouter_eval.profiles.holdout import item_id
from headrouter_eval.pruners.base import ModelInfo
from tests.conftest import REPO_ROOT
from tests.headrouter_testkit import make_profile
from tests.lmms_cli import read_results, run_lmms_eval
from tests.test_profiles import calibrate_cli

TASKS_DIR = REPO_ROOT / "tasks"
JSON_LAYOUT = REPO_ROOT / "tests" / "fixtures" / "audiomarathon" / "json_layout"


def _load(tmp_path: Path, body: str):
    from lmms_eval import utils
    from lmms_eval.tasks import TaskManager, get_task_dict

    path = tmp_path / "user.yaml"
    path.write_text(body)
    manager = TaskManager("ERROR", include_path=str(TASKS_DIR), include_defaults=False)
    return get_task_dict([utils.load_yaml_config(str(path))], manager)


def _profile_holding_out(tmp_path: Path, items: dict[str, list[str]]) -> Path:
    info = ModelInfo("tiny", num_layers=2, num_heads=4, num_kv_heads=2, hidden_size=64, layer=1, scoring_layer=0)
    profile = make_profile(info, {"semantic": ([0.1] * 4, [0.25] * 4)})
    profile.calibration["held_out"] = {"seed": 0, "per_task": 1, "items": items}
    return save_profile(profile, tmp_path / "held.json")


def test_task_filter_drops_held_out_items_and_records_how_many(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    scr = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\n")["am_scr"]
    docs = list(scr.test_docs())
    assert len(docs) == 2 and scr.config.metadata["held_out"] == {"profiles": {}, "excluded": 0, "evaluated": 2}
    held = item_id("am_scr", docs[1])
    profile = _profile_holding_out(tmp_path, {"am_scr": [held], "am_asc": ["not-an-item"]})

    by_key = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\nexclude_calibration: {profile}\n")["am_scr"]
    assert [item_id("am_scr", d) for d in by_key.test_docs()] == [item_id("am_scr", docs[0])]
    assert by_key.config.metadata["held_out"] == {"profiles": {str(profile): 1}, "excluded": 1, "evaluated": 1}

    monkeypatch.setenv(ENV_VAR, str(profile))  # what the sweep sets: the same filter without a task key
    by_env = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\n")["am_scr"]
    assert len(by_env.test_docs()) == 1 and by_env.config.metadata["held_out"]["excluded"] == 1


def test_hr_synth_test_items_are_disjoint_from_the_bundled_profiles_calibration_items(tmp_path, monkeypatch):
    from headrouter_eval.demo import BUNDLED_MODEL

    monkeypatch.setenv(ENV_VAR, str(BUNDLED_MODEL / "headrouter_profile_L0.json"))
    word = _load(tmp_path, "task: hr_synth_word\n")["hr_synth_word"]
    assert len(word.test_docs()) == 40 and word.config.metadata["held_out"]["excluded"] == 0
    with pytest.raises(ValueError, match="every item is held out for calibration"):
        _load(tmp_path, "task: hr_synth_calib_word\n")


@pytest.mark.slow
def test_a_run_scoring_calibration_items_fails_or_is_marked_contaminated(tiny_checkpoint, tmp_path):
    from headrouter_eval.leaderboard.integrity import CONTAMINATED
    from headrouter_eval.leaderboard.runs import COMPLETE, discover_runs

    tasks = tmp_path / "am_tasks"  # the real AudioMarathon tasks, pointed at the fixture data
    tasks.mkdir()
    for name in ("am_scr", "am_asc"):
        (tasks / f"{name}.yaml").write_text(
            f"task: {name}\ninclude: {TASKS_DIR / 'audiomarathon' / f'{name}.yaml'}\ndataset_path: {JSON_LAYOUT}\n")
    profile_path = tmp_path / "am.json"
    assert calibrate_cli("--model-args", f"pretrained={tiny_checkpoint},layer=1", "--tasks", "am_scr,am_asc",
                         "--include-path", str(tasks), "--per-class", "1", "--holdout", "1",
                         "--out", str(profile_path), "--no-progress") == 0
    profile = load_profile(profile_path)
    assert {t: len(ids) for t, ids in profile.held_out_items.items()} == {"am_scr": 1, "am_asc": 1}
    assert sorted(profile.classes) == ["acoustic", "semantic"]

    model_args = f"pretrained={tiny_checkpoint},retention=0.5,layer=1"
    runs = tmp_path / "runs"
    # 1. HeadRouter asked to score its own calibration items: refuses, no results
    refused = run_lmms_eval("headrouter_qwen_omni", f"{model_args},profile={profile_path}", "am_scr,am_asc",
                            tasks, runs / "leaky_headrouter")
    assert "held out to calibrate the HeadRouter profile" in refused.stderr, refused.stderr[-3000:]
    assert not list((runs / "leaky_headrouter").rglob("*_results.json"))
    # 2. the same with the profile's items excluded: runs, and says how many were held out
    clean = {ENV_VAR: str(profile_path)}
    done = run_lmms_eval("headrouter_qwen_omni", f"{model_args},profile={profile_path}", "am_scr,am_asc", tasks,
                         runs / "headrouter", env_extra=clean)
    results = read_results(runs / "headrouter")
    assert results["configs"]["am_scr"]["metadata"]["held_out"]["excluded"] == 1, done.stderr[-3000:]
    assert results["n-samples"]["am_scr"]["effective"] == 1
    # 3. a baseline run on the same tasks: excluded -> clean; not excluded -> contaminated in the leaderboard
    run_lmms_eval("random_qwen_omni", model_args, "am_scr,am_asc", tasks, runs / "random_clean", env_extra=clean)
    run_lmms_eval("uniform_qwen_omni", model_args, "am_scr,am_asc", tasks, runs / "uniform_leaky")
    board = {run.method: run for run in discover_runs(runs)}
    assert board["headrouter"].status == COMPLETE and board["random"].status == COMPLETE
    assert board["uniform"].status == CONTAMINATED
    assert "scored 2 item(s) held out to calibrate" in board["uniform"].problem
    stats = [json.loads(line) for line in next((runs / "random_clean").rglob("*_pruning_stats_rank0.jsonl")).open()]
    assert len(stats) == 2 and not {row["item"] for row in stats} & {i for ids in profile.held_out_items.values()
                                                                    for i in ids}
