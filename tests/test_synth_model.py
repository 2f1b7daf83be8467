"""The bundled hr_synth model: loads as a hub-layout checkpoint, answers the test items, needs the events."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from headrouter_eval.synth.tasks import ALL_TASKS, BUSY_TASKS, TASKS, get_task, make_recipe
from headrouter_eval.synth.train import DEFAULT_OUT, REPORT_NAME
from headrouter_eval.tasks_path import tasks_dir

SUBSET_PER_TASK = 4
ANSWERS = 90.0  # vanilla accuracy (%) on the 40 test items from which a task counts as answered


def _group_tasks(group: str) -> list[str]:
    """The tasks of one of our lmms-eval groups, without the ``hr_synth_`` prefix."""
    data = yaml.safe_load((tasks_dir() / "hr_synth" / f"{group}.yaml").read_text())
    return [name.removeprefix("hr_synth_") for name in data["task"]]


@pytest.fixture(scope="module")
def model():
    from headrouter_eval.models.qwen_omni import FAMILY

    torch.set_num_threads(1)
    return FAMILY.load_model(DEFAULT_OUT), FAMILY.load_processor(DEFAULT_OUT)


def test_checkpoint_is_small_and_complete():
    weights = sum(p.stat().st_size for p in DEFAULT_OUT.glob("*.safetensors"))
    assert 0 < weights < 10 * 1024 * 1024
    config = json.loads((DEFAULT_OUT / "config.json").read_text())
    assert config["architectures"] == ["Qwen2_5OmniForConditionalGeneration"]
    assert config["thinker_config"]["audio_config"]["n_window"] == 8
    for name in ("tokenizer.json", "preprocessor_config.json", "chat_template.jinja", REPORT_NAME):
        assert (DEFAULT_OUT / name).is_file(), name


def test_vanilla_accuracy_on_a_subset(model):
    from headrouter_eval.synth.evaluate import evaluate

    thinker, processor = model
    report = evaluate(thinker, processor, sorted(TASKS) + _group_tasks("hr_synth_demo"), limit=SUBSET_PER_TASK)
    correct = sum(r["accuracy"] * r["n"] / 100 for r in report.values())
    total = sum(r["n"] for r in report.values())
    assert correct / total >= 0.9, report


def test_training_report_meets_the_targets():
    report = json.loads((DEFAULT_OUT / REPORT_NAME).read_text())
    assert set(report["vanilla"]) == set(ALL_TASKS)
    for task in TASKS:
        result = report["vanilla"][task]
        assert result["n"] == 40 and result["accuracy"] >= ANSWERS, (task, result)
    for task, result in report["erased_events"].items():
        # Near chance once the informative events are gone.
        assert result["n"] == 40 and result["accuracy"] <= result["chance"] + 15.0, (task, result)
    assert report["train_seed_range"][0] >= 1_000_000


def test_the_demo_runs_one_answered_multi_event_task_per_class_busy_where_the_class_has_one():
    """Retraining the model must move the demo's group with it: every demo task answered, one per
    HeadRouter class, several events each, and with distractors wherever a class has a busy task."""
    report = json.loads((DEFAULT_OUT / REPORT_NAME).read_text())
    demo = _group_tasks("hr_synth_demo")
    assert sorted(get_task(t).task_class for t in demo) == ["acoustic", "mixed", "semantic"]
    for task in demo:
        assert report["vanilla"][task]["accuracy"] >= ANSWERS, (task, report["vanilla"][task])
        assert len(make_recipe(task, 0)["events"]) >= 2, task
        busy_in_class = [b for b in BUSY_TASKS.values() if b.task_class == get_task(task).task_class]
        assert task in BUSY_TASKS or not busy_in_class, (task, busy_in_class)


def test_the_benchmark_groups_hold_only_tasks_the_model_answers():
    """Every task of hr_synth, hr_synth_dispersed and hr_synth_busy is answered by the shipped model;
    every other task is in hr_synth_unsolved. Retraining the model must move the groups with it."""
    report = json.loads((DEFAULT_OUT / REPORT_NAME).read_text())
    benchmark = [t for g in ("hr_synth", "hr_synth_dispersed", "hr_synth_busy") for t in _group_tasks(g)]
    unsolved = _group_tasks("hr_synth_unsolved")
    assert sorted(benchmark + unsolved) == sorted(ALL_TASKS)
    for task in benchmark:
        assert report["vanilla"][task]["accuracy"] >= ANSWERS, (task, report["vanilla"][task])
    for task in unsolved:
        assert report["vanilla"][task]["accuracy"] < ANSWERS, (task, report["vanilla"][task])


@pytest.mark.slow
def test_training_writes_a_checkpoint_of_the_asked_size_with_its_report(tmp_path):
    """Two real optimiser steps through the training script, with the options a retraining changes
    (heads, the multi-event tasks): the checkpoint has those sizes and the report says what ran."""
    from headrouter_eval.synth.splits import TRAIN_SEED_BASE
    from headrouter_eval.synth.train import Stage, TrainConfig, train

    # busy_word named twice: drawn twice as often, scored once
    cfg = TrainConfig(out_dir=tmp_path / "model", tasks=("count", "word", "busy_word", "busy_word"),
                      curriculum=(Stage(2, 2, 0.1, 0.8),),
                      num_heads=8, num_kv_heads=4, eval_limit=1, log_every=1)
    report = train(cfg, log=lambda line: None, command="test")
    text = json.loads((tmp_path / "model" / "config.json").read_text())["thinker_config"]["text_config"]
    assert (text["num_attention_heads"], text["num_key_value_heads"]) == (8, 4)
    assert (report["spec"]["num_heads"], report["spec"]["num_kv_heads"]) == (8, 4)
    assert [entry["step"] for entry in report["train_log"]] == [1, 2]
    assert report["train_seed_range"] == [TRAIN_SEED_BASE, TRAIN_SEED_BASE + 3]
    for scores in (report["vanilla"], report["erased_events"]):
        assert set(scores) == {"count", "word", "busy_word"} and all(r["n"] == 1 for r in scores.values())
