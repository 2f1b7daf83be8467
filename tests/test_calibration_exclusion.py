"""Calibration items are never scored: the task filter, the adapter's refusal and the leaderboard's mark.

The filter runs on the real AudioMarathon and hr_synth task classes through lmms-eval's
own TaskManager; the refusal and the contamination mark through real ``lmms-eval eval``
runs of a HeadRouter profile calibrated on the AudioMarathon fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrouter_eval.profiles.exclusion import WRAPPER_CLASS, wrapper_yaml
from headrouter_eval.profiles.format import load_profile, save_profile
from headrouter_eval.profiles.holdout import CONTENT_RULE, item_id, legacy_item_id
from headrouter_eval.pruners.base import ModelInfo
from tests.conftest import REPO_ROOT
from tests.headrouter_testkit import calibrate_cli, make_profile
from tests.lmms_cli import read_results, run_lmms_eval

TASKS_DIR = REPO_ROOT / "tasks"
JSON_LAYOUT = REPO_ROOT / "tests" / "fixtures" / "audiomarathon" / "json_layout"


def _load(tmp_path: Path, body: str):
    from lmms_eval import utils
    from lmms_eval.tasks import TaskManager, get_task_dict

    path = tmp_path / "user.yaml"
    path.write_text(body)
    manager = TaskManager("ERROR", include_path=str(TASKS_DIR), include_defaults=False)
    return get_task_dict([utils.load_yaml_config(str(path))], manager)


def _load_named(tmp_path: Path, name: str, body: str):
    """A user's task folder holding ``name``.yaml, loaded by name as ``--include-path`` does."""
    from lmms_eval.tasks import TaskManager, get_task_dict

    folder = tmp_path / f"tasks_{len(list(tmp_path.glob('tasks_*')))}"  # fresh folder: lmms-eval indexes once
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(body)
    return get_task_dict([name], TaskManager("ERROR", include_path=str(folder), include_defaults=False))[name]


def _profile_holding_out(tmp_path: Path, items: dict[str, list[str]], id_rule: str | None = CONTENT_RULE,
                         name: str = "held.json") -> Path:
    """A profile holding ``items`` out; ``id_rule=None`` writes one as calibrated before content ids."""
    info = ModelInfo("tiny", num_layers=2, num_heads=4, num_kv_heads=2, hidden_size=64, layer=1, scoring_layer=0)
    profile = make_profile(info, {"semantic": ([0.1] * 4, [0.25] * 4)})
    profile.calibration["held_out"] = {"seed": 0, "per_task": 1, "items": items}
    if id_rule is not None:
        profile.calibration["id_rule"] = id_rule
    return save_profile(profile, tmp_path / name)


def test_task_filter_drops_held_out_items_and_records_how_many(tmp_path):
    from headrouter_eval.benchmarks.audiomarathon import AudioMarathonTask

    scr = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\n")["am_scr"]
    docs = list(scr.test_docs())
    assert len(docs) == 2 and scr.config.metadata["held_out"] == {"profiles": {}, "excluded": 0, "evaluated": 2}
    held = item_id("am_scr", docs[1])
    profile = _profile_holding_out(tmp_path, {"am_scr": [held], "am_asc": ["not-an-item"]})

    by_key = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\nexclude_calibration: {profile}\n")["am_scr"]
    assert [item_id("am_scr", d) for d in by_key.test_docs()] == [item_id("am_scr", docs[0])]
    assert by_key.config.metadata["held_out"] == {"profiles": {str(profile): 1}, "excluded": 1, "evaluated": 1}

    # what the sweep gives --tasks: the generic wrapper merged over the task of that name keeps its
    # own class (named again under task_class in the bundled template) and filters the same
    wrapped = _load(tmp_path, wrapper_yaml("am_scr", [str(profile)]) + f"dataset_path: {JSON_LAYOUT}\n")["am_scr"]
    assert isinstance(wrapped, AudioMarathonTask) and wrapped.config.task == "am_scr"
    assert len(wrapped.test_docs()) == 1 and wrapped.config.metadata["held_out"]["excluded"] == 1


def test_hr_synth_test_items_are_disjoint_from_the_bundled_profiles_calibration_items(tmp_path):
    from headrouter_eval.demo import BUNDLED_MODEL

    key = f"exclude_calibration: {BUNDLED_MODEL / 'headrouter_profile_L0.json'}\n"
    word = _load(tmp_path, "task: hr_synth_word\n" + key)["hr_synth_word"]
    assert len(word.test_docs()) == 40 and word.config.metadata["held_out"]["excluded"] == 0
    with pytest.raises(ValueError, match="every item is held out for calibration"):
        _load(tmp_path, "task: hr_synth_calib_word\n" + key)


CALIB_WORD = (f"task: my_word_copy\ninclude: {TASKS_DIR / 'hr_synth' / 'hr_synth_calib_word.yaml'}\n"
              "dataset_kwargs:\n  data_files:\n"
              f"    test: {TASKS_DIR / 'hr_synth' / 'data' / 'calibration' / 'word.jsonl'}\n")


def test_a_renamed_task_holding_the_calibration_records_is_excluded_under_both_id_rules(tmp_path):
    from headrouter_eval.demo import BUNDLED_MODEL

    # the bundled profile (content ids) on its items under another task name; old_rule below is a
    # profile of before content ids (no id_rule), whose items go by task name
    bundled = BUNDLED_MODEL / "headrouter_profile_L0.json"
    assert load_profile(bundled).id_rule == CONTENT_RULE
    docs = list(_load_named(tmp_path, "my_word_copy", CALIB_WORD).test_docs())
    content = _profile_holding_out(tmp_path, {"hr_synth_calib_word": [item_id("x", docs[1])]})
    old_rule = _profile_holding_out(tmp_path, {"hr_synth_calib_word": [legacy_item_id("hr_synth_calib_word", docs[1])]},
                                    id_rule=None, name="old.json")
    assert load_profile(content).id_rule == CONTENT_RULE
    for profile in (content, old_rule):
        renamed = _load_named(tmp_path, "my_word_copy", CALIB_WORD + f"exclude_calibration: {profile}\n")
        assert [d["id"] for d in renamed.test_docs()] == [d["id"] for i, d in enumerate(docs) if i != 1], profile
        assert renamed.config.metadata["held_out"] == {"profiles": {str(profile): 1}, "excluded": 1,
                                                       "evaluated": len(docs) - 1}
    with pytest.raises(ValueError, match="every item is held out for calibration"):
        _load_named(tmp_path, "my_word_copy", CALIB_WORD + f"exclude_calibration: {bundled}\n")


TINY = REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task"
TINY_BODY = (f"include: {TINY / 'tiny_audio.yaml'}\n"
             f"dataset_kwargs:\n  data_files:\n    test: {TINY / 'docs.jsonl'}\n")


def test_any_lmms_eval_task_wrapped_by_the_generic_class_drops_the_calibration_items(tmp_path):
    """A plain lmms-eval task (no headrouter task class) under a new name, wrapped in a YAML naming
    ExcludingTask: the items go by content, lmms-eval's --limit is what held_out.evaluated counts,
    and the wrapper refuses a YAML that names no profile or a class that is not a task."""
    from lmms_eval.api.task import ConfigurableTask

    plain = _load(tmp_path, "task: someone_elses_task\n" + TINY_BODY)["someone_elses_task"]
    assert type(plain) is ConfigurableTask
    docs = list(plain.test_docs())
    assert len(docs) == 4 and "held_out" not in (plain.config.metadata or {})
    profile = _profile_holding_out(tmp_path, {"hr_test_tiny_audio": [item_id("x", docs[0]), item_id("x", docs[2])]})
    wrapper = f"task: someone_elses_task\n{TINY_BODY}class: !function {WRAPPER_CLASS}\n"
    # a user's task folder given to --include_path holding the wrapper
    task = _load_named(tmp_path, "someone_elses_task", wrapper + f"exclude_calibration: [{profile}]\n")
    assert isinstance(task, ConfigurableTask) and task.config.task == "someone_elses_task"
    assert [item_id("x", d) for d in task.test_docs()] == [item_id("x", docs[1]), item_id("x", docs[3])]
    assert task.config.metadata["held_out"] == {"profiles": {str(profile): 2}, "excluded": 2, "evaluated": 2}
    task.build_all_requests(limit=1, rank=0, world_size=1)
    assert len(task.instances) == 1 and task.config.metadata["held_out"]["evaluated"] == 1
    with pytest.raises(ValueError, match="someone_elses_task: class ExcludingTask needs 'exclude_calibration"):
        _load_named(tmp_path, "someone_elses_task", wrapper)
    with pytest.raises(ValueError, match="'task_class' must name an lmms-eval ConfigurableTask class"):
        _load_named(tmp_path, "someone_elses_task",
                    wrapper + f"exclude_calibration: {profile}\ntask_class: !function json.dumps\n")


@pytest.mark.slow  # indexes every task lmms-eval ships (seconds)
def test_sweep_wrappers_keep_task_and_group_names_and_lmms_eval_prefers_its_own_index(tmp_path):
    """How the sweep passes exclusions: a --tasks folder of ``task: <name>`` wrappers, merged by
    lmms-eval over the task or every member of the group of that name (its own class kept), so the
    results keep the names. A same-name YAML under --include_path could not do it: lmms-eval's own
    task index wins a duplicate name over the include path."""
    from lmms_eval import utils
    from lmms_eval.tasks import TaskManager, get_task_dict

    from headrouter_eval.benchmarks.audiomarathon import AudioMarathonTask

    folder = tmp_path / "user_tasks"
    folder.mkdir()
    (folder / "tiny_a.yaml").write_text("task: tiny_a\n" + TINY_BODY)
    (folder / "am_scr.yaml").write_text(f"task: am_scr\ninclude: {TASKS_DIR / 'audiomarathon' / 'am_scr.yaml'}\n"
                                          f"dataset_path: {JSON_LAYOUT}\n")
    (folder / "grp.yaml").write_text("group: grp\ntask: [tiny_a, am_scr]\n")
    (folder / "stock_twin.yaml").write_text("task: clotho_aqa_test\n" + TINY_BODY)
    manager = TaskManager("ERROR", include_path=str(folder))  # lmms-eval's own tasks indexed too, as the CLI does
    stock = manager.task_index["clotho_aqa_test"]["yaml_path"]
    assert "lmms_eval" in stock and not stock.startswith(str(folder)), stock

    plain = get_task_dict(["grp"], manager)
    docs = {name: list(task.test_docs()) for group in plain.values() for name, task in group.items()}
    held = [item_id("x", docs["tiny_a"][1]), item_id("x", docs["am_scr"][0])]
    profile = _profile_holding_out(tmp_path, {"x": held})
    wrappers = tmp_path / "wrappers"
    wrappers.mkdir()
    (wrappers / "grp.yaml").write_text(wrapper_yaml("grp", [str(profile)]))
    # what lmms-eval's CLI does with a --tasks folder: every YAML in it, loaded, is one task config
    loaded = get_task_dict([utils.load_yaml_config(str(p)) for p in sorted(wrappers.glob("*.yaml"))], manager)
    (group, members), = loaded.items()
    assert group.group_name == "grp" and sorted(members) == ["am_scr", "tiny_a"]
    assert isinstance(members["am_scr"], AudioMarathonTask)
    for name, task in members.items():
        assert task.config.task == name
        assert task.config.metadata["held_out"] == {"profiles": {str(profile): 1}, "excluded": 1,
                                                    "evaluated": len(docs[name]) - 1}


def test_the_adapter_refuses_calibration_records_read_through_a_renamed_task(tmp_path):
    """The refusal itself, in-process, on the documents lmms-eval hands the model (its task_dict)."""
    from headrouter_eval.adapters.lmms_model import PrunedAudioLM
    from headrouter_eval.profiles.exclusion import CalibrationItems

    task = _load_named(tmp_path, "my_word_copy", CALIB_WORD)
    docs = task.dataset["test"]
    for held in (_profile_holding_out(tmp_path, {"hr_synth_calib_word": [item_id("x", docs[1])]}),
                 _profile_holding_out(tmp_path, {"hr_synth_calib_word": [legacy_item_id("hr_synth_calib_word",
                                                                                       docs[1])]},
                                      id_rule=None, name="old.json")):
        model = PrunedAudioLM.__new__(PrunedAudioLM)  # only the refusal's state: no checkpoint is loaded
        model.task_dict = {"my_word_copy": task.dataset}
        model.calibration_items = CalibrationItems([load_profile(held)])
        model.stats_meta = {"profile": str(held)}
        items = {("my_word_copy", "test", i): model._item(i, "my_word_copy", "test") for i in range(len(docs))}
        with pytest.raises(ValueError, match=r"1 request\(s\) are items held out.*doc 1 of task my_word_copy"):
            model._refuse_calibration_items(items)
        model._refuse_calibration_items({key: item for key, item in items.items() if key[2] != 1})  # the rest run


def test_the_leaderboard_marks_a_run_that_scored_calibration_items_under_another_task_name(tmp_path):
    from headrouter_eval.leaderboard.integrity import CONTAMINATED, mark_contaminated
    from headrouter_eval.leaderboard.pruning_stats import PruningStats
    from headrouter_eval.leaderboard.runs import COMPLETE, Run

    doc = {"audio": ["/data/clip.wav"], "question": "Which city?"}
    content = _profile_holding_out(tmp_path, {"am_scr": [item_id("am_scr", doc)]})
    old_rule = _profile_holding_out(tmp_path, {"am_scr": [legacy_item_id("am_scr", doc)]}, id_rule=None,
                                    name="old.json")

    def run(task: str) -> Run:  # what discover_runs reads from a run's stats file, for a run in any folder
        stats = PruningStats(complete=True, problem=None, items={item_id(task, doc)},
                             legacy_items={legacy_item_id(task, doc)})
        return Run(folder=tmp_path / "elsewhere", model="m", model_id="uniform_qwen_omni", method="uniform",
                   retention=0.5, layer=2, tasks=[task], status=COMPLETE, stats=stats)

    (renamed,) = mark_contaminated([run("my_race_copy")], [content])
    assert renamed.status == CONTAMINATED and f"held out to calibrate {content.resolve()}" in renamed.problem
    # an old-rule profile knows only its task names' ids: the same task is caught, a renamed one cannot be
    assert mark_contaminated([run("am_scr")], [old_rule])[0].status == CONTAMINATED
    assert mark_contaminated([run("my_race_copy")], [old_rule])[0].status == COMPLETE


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
    # a --tasks folder of generic wrappers over the same task names, as headrouter-eval sweep writes
    clean = tmp_path / "excluding"
    clean.mkdir()
    for name in ("am_scr", "am_asc"):
        (clean / f"{name}.yaml").write_text(wrapper_yaml(name, [str(profile_path)]))
    done = run_lmms_eval("headrouter_qwen_omni", f"{model_args},profile={profile_path}", str(clean), tasks,
                         runs / "headrouter")
    results = read_results(runs / "headrouter")
    held_out = results["configs"]["am_scr"]["metadata"]["held_out"]
    assert (held_out["excluded"], held_out["evaluated"]) == (1, 1), done.stderr[-3000:]
    assert results["n-samples"]["am_scr"]["effective"] == 1
    # 3. a baseline run on the same tasks: excluded -> clean; not excluded -> contaminated in the leaderboard
    run_lmms_eval("random_qwen_omni", model_args, str(clean), tasks, runs / "random_clean")
    run_lmms_eval("uniform_qwen_omni", model_args, "am_scr,am_asc", tasks, runs / "uniform_leaky")
    board = {run.method: run for run in discover_runs(runs)}
    assert board["headrouter"].status == COMPLETE and board["random"].status == COMPLETE
    assert board["uniform"].status == CONTAMINATED
    assert "scored 2 item(s) held out to calibrate" in board["uniform"].problem
    stats = [json.loads(line) for line in next((runs / "random_clean").rglob("*_pruning_stats_rank0.jsonl")).open()]
    assert len(stats) == 2 and not {row["item"] for row in stats} & {i for ids in profile.held_out_items.values()
                                                                    for i in ids}


def test_held_out_counts_what_runs_under_limit(tmp_path):
    task = _load(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\n")["am_scr"]
    assert task.config.metadata["held_out"]["evaluated"] == 2
    task.build_all_requests(limit=1, rank=0, world_size=1)  # what lmms-eval does with --limit 1
    assert len(task.instances) == 1 and task.config.metadata["held_out"]["evaluated"] == 1


def test_the_pruners_public_hook_names_the_profile_whose_items_are_held_out(tmp_path):
    """The adapter learns which items to refuse from Pruner.calibration_profile(), never a private field."""
    from headrouter_eval.pruners import PRUNERS

    profile = _profile_holding_out(tmp_path, {"am_scr": ["some-item"]})
    loaded = PRUNERS["headrouter"](retention=0.5, profile=str(profile)).calibration_profile()
    assert loaded.source == str(profile) and loaded.held_out_items == {"am_scr": ["some-item"]}
    assert PRUNERS["headrouter"](retention=0.5).calibration_profile() is None
    others = [cls for name, cls in PRUNERS.items() if name != "headrouter"]
    assert others and all(cls(retention=0.5).calibration_profile() is None for cls in others)
