"""The busy hr_synth tasks: the informative events share the clip with distractors of the other kind."""

from __future__ import annotations

import json

import numpy as np
import pytest

from headrouter_eval.synth import splits
from headrouter_eval.synth.frame_labels import FILLER, token_labels
from headrouter_eval.synth.render import render
from headrouter_eval.synth.tasks import BUSY_DISTRACTORS, BUSY_TASKS, NUMBERS, SEQUENCE_OPTIONS, TASKS, make_recipe

SOUNDS = {"tone", "sweep", "noise", "clicks"}


def _recipes(task: str) -> list[dict]:
    return [json.loads(row["recipe"]) for row in splits.load_test_items(task)]


@pytest.mark.parametrize("task", sorted(BUSY_TASKS))
def test_distractors_are_of_the_other_kind_and_never_overlap_an_event(task):
    spec = BUSY_TASKS[task]
    for r in _recipes(task):
        informative = {e["kind"] for e in r["events"]}
        kinds = {d["kind"] for d in r["distractors"]}
        assert BUSY_DISTRACTORS[0] <= len(r["distractors"]) <= BUSY_DISTRACTORS[-1]
        if spec.distractors == "speech":
            assert kinds == {"speech"} and informative <= SOUNDS, r
        else:
            assert kinds <= SOUNDS and informative == {"speech"}, r
        timeline = sorted(r["events"] + r["distractors"], key=lambda e: e["onset"])
        for before, after in zip(timeline, timeline[1:]):
            assert after["onset"] >= before["onset"] + before["dur"] + spec.min_gap_s - 1e-6
        assert timeline[-1]["onset"] + timeline[-1]["dur"] <= r["duration"]


def test_the_answer_follows_from_the_informative_events_alone():
    for r in _recipes("busy_sequence"):
        assert ", ".join(e["kind"] for e in r["events"]) == SEQUENCE_OPTIONS[r["label"]]
    for r in _recipes("busy_equal"):
        first, second = (e["snippet"].split("_")[0] for e in r["events"])
        assert first in NUMBERS and second in NUMBERS and (first == second) == (r["label"] == 0)


def test_distractors_fall_anywhere_among_the_events():
    """No placement rule: a distractor comes before, between and after the informative events alike."""
    places = []
    for task in ("busy_sequence", "busy_equal"):
        for r in _recipes(task):
            onsets = sorted(e["onset"] for e in r["events"])
            places += [int(np.searchsorted(onsets, d["onset"])) / len(onsets) for d in r["distractors"]]
    assert {0.0, 1.0} <= set(places) and any(0 < p < 1 for p in places)


def test_the_erased_control_keeps_the_distractors_and_drops_only_the_events():
    r = _recipes("busy_word")[0]
    erased, full = render(r, erase=True), render({**r, "distractors": []}, erase=True)
    for d in r["distractors"]:  # a distractor is still sounding in the erased clip
        start, end = int(16_000 * d["onset"]), int(16_000 * (d["onset"] + d["dur"]))
        assert np.abs(erased[start:end]).max() > 10 * np.abs(full[start:end]).max()
    (event,) = r["events"]
    start, end = int(16_000 * event["onset"]), int(16_000 * (event["onset"] + event["dur"]))
    assert np.allclose(erased[start:end], full[start:end])


def test_training_labels_every_distractor_token():
    r = make_recipe("busy_pitch", splits.TRAIN_SEED_BASE, min_s=2.0, max_s=6.0)
    labels = token_labels(r, int(r["duration"] / 0.04))
    for d in r["distractors"]:
        assert (labels[int(d["onset"] / 0.04) + 1] != FILLER).item()


def test_tasks_without_distractors_draw_exactly_as_before():
    """Adding the busy tasks changed no recipe of the others: the shipped test rows still rebuild."""
    for task in TASKS:
        for row in splits.load_test_items(task)[:5]:
            assert json.loads(row["recipe"]) == make_recipe(task, row["seed"], label=row["seed"] % len(
                TASKS[task].options))
            assert "distractors" not in json.loads(row["recipe"])


def test_the_task_list_option_names_groups_and_tasks_and_refuses_a_typo():
    import argparse

    from headrouter_eval.synth.cli import _task_list
    from headrouter_eval.synth.tasks import ALL_TASKS

    assert _task_list("single") == tuple(TASKS)
    assert _task_list("all,busy_equal") == (*ALL_TASKS, "busy_equal")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown hr_synth task 'busy_eqaul'"):
        _task_list("word,busy_eqaul")
