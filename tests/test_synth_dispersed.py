"""The multi-event hr_synth tasks: each answer follows from several events, placed without bias."""

from __future__ import annotations

import json

import numpy as np
import pytest

from headrouter_eval.synth import splits
from headrouter_eval.synth.tasks import (
    DISPERSED_TASKS,
    DURATION_OPTIONS,
    MIXED_OPTIONS,
    NUMBERS,
    SEQUENCE_OPTIONS,
    WORDS,
    make_recipe,
)


def _recipes(task: str) -> list[dict]:
    return [json.loads(row["recipe"]) for row in splits.load_test_items(task)]


def _word(event: dict) -> str:
    return event["snippet"].split("_")[0]


def test_count_is_the_number_of_tone_bursts():
    for r in _recipes("count"):
        assert len(r["events"]) == r["label"] + 2 and all(e["kind"] == "tone" for e in r["events"])


@pytest.mark.parametrize("task, position", [("first_word", 0), ("last_word", -1)])
def test_first_and_last_word(task, position):
    for r in _recipes(task):
        words = [_word(e) for e in r["events"]]
        assert len(words) == 3 == len(set(words)) and set(words) <= set(WORDS)
        assert words[position] == WORDS[r["label"]]


def test_sequence_is_the_order_of_all_three_sounds():
    for r in _recipes("sequence"):
        assert ", ".join(e["kind"] for e in r["events"]) == SEQUENCE_OPTIONS[r["label"]]
    assert all(sorted(option.split(", ")) == ["clicks", "noise", "tone"] for option in SEQUENCE_OPTIONS)


def test_equal_numbers():
    for r in _recipes("equal"):
        first, second = (_word(e) for e in r["events"])
        assert first in NUMBERS and second in NUMBERS and (first == second) == (r["label"] == 0)


def test_duration_bands_do_not_overlap():
    for r in _recipes("duration"):
        (event,) = r["events"]
        nominal = float(DURATION_OPTIONS[r["label"]].split()[1])
        assert 0.9 * nominal - 1e-9 <= event["dur"] <= 1.1 * nominal + 1e-9


def test_mixed_is_a_word_then_a_sound():
    for r in _recipes("mixed"):
        speech, sound = r["events"]
        word, what = MIXED_OPTIONS[r["label"]].split(", then ")
        assert _word(speech) == word and sound["kind"] == ("tone" if what == "a tone" else "noise")


def test_events_are_placed_without_a_positional_bias():
    """Onsets spread over the whole clip: no rule puts events where one scorer looks (start or end)."""
    relative = [e["onset"] / r["duration"] for task in DISPERSED_TASKS for r in _recipes(task) for e in r["events"]]
    hist, _ = np.histogram(relative, bins=4, range=(0.0, 1.0))
    assert len(relative) > 500 and hist.min() > 0.15 * len(relative), hist


def test_multi_event_clips_keep_their_gaps_in_short_training_crops():
    for task, spec in DISPERSED_TASKS.items():
        for seed in range(splits.TRAIN_SEED_BASE, splits.TRAIN_SEED_BASE + 30):
            events = make_recipe(task, seed, min_s=0.1, max_s=0.8)["events"]
            for before, after in zip(events, events[1:]):
                assert after["onset"] >= before["onset"] + before["dur"] + spec.min_gap_s - 1e-6
