"""The bundled hr_synth model: loads as a hub-layout checkpoint, answers the test items, needs the events."""

from __future__ import annotations

import json

import pytest
import torch

from headrouter_eval.synth.prompt import QWEN_DEFAULT_SYSTEM_PROMPT, prompt_text, question_text
from headrouter_eval.synth.splits import load_test_items
from headrouter_eval.synth.tasks import TASKS
from headrouter_eval.synth.train import DEFAULT_OUT, REPORT_NAME

SUBSET_PER_TASK = 4


@pytest.fixture(scope="module")
def model():
    from headrouter_eval.omni.loading import load_processor, load_thinker

    torch.set_num_threads(1)
    return load_thinker(DEFAULT_OUT), load_processor(DEFAULT_OUT)


def test_checkpoint_is_small_and_complete():
    weights = sum(p.stat().st_size for p in DEFAULT_OUT.glob("*.safetensors"))
    assert 0 < weights < 10 * 1024 * 1024
    config = json.loads((DEFAULT_OUT / "config.json").read_text())
    assert config["architectures"] == ["Qwen2_5OmniForConditionalGeneration"]
    assert config["thinker_config"]["audio_config"]["n_window"] == 8
    for name in ("tokenizer.json", "preprocessor_config.json", "chat_template.jinja", REPORT_NAME):
        assert (DEFAULT_OUT / name).is_file(), name


def test_training_prompt_is_the_adapters_prompt(model):
    """Training tokenises exactly what the lmms-eval adapter sends (else the model is trained off-format)."""
    from headrouter_eval.adapters.qwen_omni import QWEN_SYSTEM_PROMPT, build_prompt_inputs
    from headrouter_eval.synth.render import render

    _, processor = model
    assert QWEN_SYSTEM_PROMPT == QWEN_DEFAULT_SYSTEM_PROMPT
    row = load_test_items("order")[0]
    wav = render(json.loads(row["recipe"]))
    ours = processor(text=[prompt_text(processor, "order")], audio=[wav], return_tensors="pt")
    adapter = build_prompt_inputs(processor, question_text("order"), [{"array": wav, "sampling_rate": 16_000}],
                                  QWEN_SYSTEM_PROMPT)
    assert torch.equal(ours["input_ids"], adapter["input_ids"])
    assert torch.equal(ours["input_features"], adapter["input_features"])


def test_vanilla_accuracy_on_a_subset(model):
    from headrouter_eval.synth.evaluate import evaluate

    thinker, processor = model
    report = evaluate(thinker, processor, sorted(TASKS), limit=SUBSET_PER_TASK)
    correct = sum(r["accuracy"] * r["n"] / 100 for r in report.values())
    total = sum(r["n"] for r in report.values())
    assert correct / total >= 0.9, report


def test_training_report_meets_the_targets():
    report = json.loads((DEFAULT_OUT / REPORT_NAME).read_text())
    assert set(report["vanilla"]) == set(TASKS)
    for task, result in report["vanilla"].items():
        assert result["n"] == 40 and result["accuracy"] >= 90.0, (task, result)
    for task, result in report["erased_events"].items():
        # Near chance (25%) once the informative events are gone.
        assert result["accuracy"] <= result["chance"] + 15.0, (task, result)
    assert report["train_seed_range"][0] >= 1_000_000
