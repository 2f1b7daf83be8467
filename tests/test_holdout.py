"""Stable item ids and the seeded held-out split that calibration draws from."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from headrouter_eval.profiles.holdout import LEGACY_RULE, content_id, held_out_indices, item_id, legacy_item_id


def test_item_id_is_the_content_audio_and_question_not_the_task_or_record_id(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "copy").mkdir()
    clip = tmp_path / "a" / "x.wav"
    clip.write_bytes(b"RIFF-one-clip")
    (tmp_path / "copy" / "renamed.wav").write_bytes(b"RIFF-one-clip")  # the same bytes under another name
    (tmp_path / "a" / "y.wav").write_bytes(b"RIFF-another")
    doc = {"id": "r1", "audio": [str(clip)], "question": "Which city?"}
    same = item_id("am_scr", doc)
    assert same == item_id("my_renamed_task", doc) == content_id(doc)  # the task name plays no part
    assert same == item_id("t", {**doc, "id": "other", "answer": "B"})  # nor the record id or the answer
    assert same == item_id("t", {**doc, "audio": [str(tmp_path / "copy" / "renamed.wav")]})  # file bytes
    assert same != item_id("t", {**doc, "audio": [str(tmp_path / "a" / "y.wav")]})
    assert same != item_id("t", {**doc, "question": "Which town?"})
    assert same != item_id("t", {**doc, "option_texts": ["a", "b"]})  # the options belong to the question
    assert same == item_id("t", dict(reversed(list(doc.items()))))  # key order is irrelevant
    # audio given as bytes, as an HF-style dict, as a decoded array: each by its content
    raw = {"audio": {"bytes": b"RIFF-one-clip", "path": None}, "question": "Which city?"}
    assert item_id("t", raw) == item_id("u", {"audio": b"RIFF-one-clip", "question": "Which city?"})
    decoded = {"audio": {"array": np.zeros(8, np.float32), "sampling_rate": 16000}, "question": "q"}
    assert item_id("t", decoded) == item_id("u", {**decoded, "audio": {"array": np.zeros(8, np.float32),
                                                                       "sampling_rate": 16000}})
    assert item_id("t", decoded) != item_id("t", {**decoded, "audio": {"array": np.ones(8, np.float32),
                                                                       "sampling_rate": 16000}})
    recipe = {"id": "w-1", "recipe": "{...}", "options": ["a", "b"]}  # no audio field: the whole record
    assert item_id("t", recipe) != item_id("t", {**recipe, "recipe": "{..}"})


def test_the_old_task_name_rule_is_kept_for_profiles_calibrated_with_it():
    doc = {"id": "r1", "audio": ["/data/a/x.wav"], "question": "Which city?"}
    assert item_id("am_scr", doc, rule=LEGACY_RULE) == legacy_item_id("am_scr", doc)
    assert legacy_item_id("am_scr", doc) == legacy_item_id("am_scr", {**doc, "audio": ["/elsewhere/x.wav"]})
    assert legacy_item_id("am_scr", doc) != legacy_item_id("am_ser", doc)
    # the ids the bundled (old-rule) profiles hold: sha256(["task", "id:<id>", question])[:20]
    expected = hashlib.sha256(json.dumps(["am_scr", "id:r1", "Which city?"]).encode()).hexdigest()[:20]
    assert legacy_item_id("am_scr", doc) == expected
    with pytest.raises(ValueError, match="unknown item id rule"):
        item_id("t", doc, rule="content-v9")


def test_held_out_split_is_seeded_fixed_size_and_order_free():
    ids = [item_id("t", {"audio": f"clip{i}.wav", "question": "q"}) for i in range(200)]
    first = held_out_indices(ids, 10, seed=0)
    assert len(first) == 10 and first == sorted(first)
    assert held_out_indices(ids, 10, seed=0) == first
    assert held_out_indices(ids, 10, seed=1) != first
    shuffled = ids[::-1]  # the same items in another order: the same items are held out
    assert {shuffled[i] for i in held_out_indices(shuffled, 10, seed=0)} == {ids[i] for i in first}
    assert set(held_out_indices(ids, 12, seed=0)) >= set(first)  # a larger split extends the smaller
    with pytest.raises(ValueError, match="share an id.*same audio and question"):
        held_out_indices(ids + ids[:1], 3, seed=0)
    with pytest.raises(ValueError, match="at least 1 item"):
        held_out_indices(ids, 0, seed=0)
