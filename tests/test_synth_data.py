"""hr_synth data: recipes rebuild byte-identical clips, test and training seeds never meet."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from headrouter_eval.synth import SAMPLE_RATE, splits
from headrouter_eval.synth.batches import make_batch
from headrouter_eval.synth.lmms_task import doc_to_text, doc_to_visual
from headrouter_eval.synth.render import render
from headrouter_eval.synth.signals import n_samples
from headrouter_eval.synth.tasks import LETTERS, MAX_CLIP_S, MIN_CLIP_S, TASKS, make_recipe


def _digest(wav: np.ndarray) -> str:
    return hashlib.sha256(wav.tobytes()).hexdigest()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_recipe_rebuilds_byte_identical_clip(task):
    row = splits.load_test_items(task)[1]
    recipe = json.loads(row["recipe"])
    first, second = render(recipe), render(json.loads(json.dumps(recipe)))
    assert first.dtype == np.float32 and first.ndim == 1
    assert _digest(first) == _digest(second)
    assert len(first) == n_samples(recipe["duration"])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_shipped_recipes_match_their_seeds(task):
    """The shipped JSONL is exactly what the generator gives for those seeds (nothing hand-edited)."""
    rows = splits.load_test_items(task)
    assert [r["seed"] for r in rows] == list(range(len(rows)))
    for row in rows[:5]:
        assert row == splits.test_item(task, row["seed"])


@pytest.mark.parametrize("task", sorted(TASKS))
def test_test_set_shape(task):
    rows = splits.load_test_items(task)
    spec = TASKS[task]
    assert len(rows) == splits.DEFAULT_TEST_ITEMS
    answers = [r["answer"] for r in rows]
    # Classes balanced exactly, options in the one fixed order.
    assert {a: answers.count(a) for a in set(answers)} == {
        letter: len(rows) // len(spec.options) for letter in LETTERS[: len(spec.options)]}
    assert all(r["options"] == list(spec.options) for r in rows)
    assert all(MIN_CLIP_S <= r["duration"] <= MAX_CLIP_S for r in rows)


def test_erasing_removes_only_the_events():
    recipe = json.loads(splits.load_test_items("order")[7]["recipe"])
    full, erased = render(recipe).astype(np.float64), render(recipe, erase=True).astype(np.float64)
    inside = np.zeros(len(full), bool)
    for event in recipe["events"]:
        inside[n_samples(event["onset"]): n_samples(event["onset"] + event["dur"]) + 1] = True
    assert np.allclose(full[~inside], erased[~inside], atol=1e-7)
    # The events stand well above the filler (peak gain >= 0.2; filler noise RMS <= 0.02).
    assert np.abs(full[inside]).max() > 2 * np.abs(erased).max()


def test_same_seed_same_recipe_different_seed_different_recipe():
    assert make_recipe("word", 5) == make_recipe("word", 5)
    assert make_recipe("word", 5) != make_recipe("word", 6)
    assert make_recipe("word", 5)["events"] != make_recipe("number", 5)["events"]


def test_train_and_test_seeds_are_disjoint():
    test_seeds = {r["seed"] for task in TASKS for r in splits.load_test_items(task)}
    assert max(test_seeds) < splits.TEST_SEED_LIMIT <= splits.TRAIN_SEED_BASE
    with pytest.raises(AssertionError, match="test range"):
        splits.check_train_seed(3)
    with pytest.raises(AssertionError, match="test range"):
        make_batch(processor=None, tasks=["word"], seeds=[0], min_s=1.5, max_s=3.0)
    assert splits.check_train_seed(splits.TRAIN_SEED_BASE) == splits.TRAIN_SEED_BASE


def test_test_file_with_a_training_seed_is_refused(tmp_path):
    row = dict(splits.test_item("pitch", 0), seed=splits.TRAIN_SEED_BASE + 1)
    (tmp_path / "pitch.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(AssertionError, match="training-range seeds"):
        splits.load_test_items("pitch", test_dir=tmp_path)


def test_short_training_crops_hold_every_event():
    for task in TASKS:
        for seed in range(splits.TRAIN_SEED_BASE, splits.TRAIN_SEED_BASE + 20):
            recipe = make_recipe(task, seed, min_s=1.5, max_s=3.0)
            assert recipe["events"][-1]["onset"] + recipe["events"][-1]["dur"] <= recipe["duration"]


def test_doc_hooks():
    row = splits.load_test_items("sound")[0]
    (item,) = doc_to_visual(row)
    assert item["sampling_rate"] == SAMPLE_RATE == 16_000
    assert item["array"].dtype == np.float32 and item["array"].ndim == 1
    text = doc_to_text(row)
    assert text.splitlines()[1:5] == [f"{letter}. {opt}" for letter, opt in zip("ABCD", TASKS["sound"].options)]


def test_shipped_data_is_small():
    from headrouter_eval.synth.snippets import SPEECH_DIR

    files = [p for folder in (splits.TASK_DATA_DIR, SPEECH_DIR) for p in folder.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total < 10 * 1024 * 1024, f"shipped hr_synth data is {total / 2**20:.1f} MB"


def test_calibration_items_are_disjoint_from_test_and_training_and_rebuild_exactly(tmp_path):
    splits.write_calibration_items(out_dir=tmp_path)
    test_seeds = {r["seed"] for task in TASKS for r in splits.load_test_items(task)}
    for task in TASKS:
        shipped = (splits.CALIBRATION_DIR / f"{task}.jsonl").read_text()
        assert shipped == (tmp_path / f"{task}.jsonl").read_text()
        seeds = {json.loads(line)["seed"] for line in shipped.splitlines()}
        assert seeds and not seeds & test_seeds
        assert all(splits.CALIBRATION_SEED_BASE <= s < splits.TRAIN_SEED_BASE for s in seeds)


def test_a_clip_longer_than_the_processors_window_is_refused_by_name(tiny_checkpoint):
    """Training batches and the synthetic evaluation hand each clip over whole: the adapter's
    long_audio policy does not apply there, so a clip past the window is an error, not a silent cut."""
    from headrouter_eval.models.qwen_omni import FAMILY
    from headrouter_eval.synth.evaluate import generate_reply

    processor = FAMILY.load_processor(tiny_checkpoint)
    window = FAMILY.clip_window(processor)
    seed, seconds = splits.TRAIN_SEED_BASE, window / SAMPLE_RATE
    make_batch(processor, tasks=["word"], seeds=[seed], min_s=1.5, max_s=seconds - 0.5)
    message = r"a \d+\.\d s clip is longer than the processor's \d+ s window; .*long_audio policy.*does not apply"
    with pytest.raises(ValueError, match="hr_synth training batch: " + message):
        make_batch(processor, tasks=["word"], seeds=[seed], min_s=seconds + 1, max_s=seconds + 2)
    with pytest.raises(ValueError, match="hr_synth evaluation of word: " + message):  # before any model runs
        generate_reply(None, processor, "word", np.zeros(window + 1, dtype=np.float32))
