"""Stable item ids and the seeded held-out split that calibration draws from."""

from __future__ import annotations

import pytest

from headrouter_eval.profiles.holdout import held_out_indices, item_id


def test_item_id_is_stable_and_names_task_record_and_question():
    doc = {"id": "r1", "audio": ["/data/a/x.wav"], "question": "Which city?"}
    assert item_id("am_scr", doc) == item_id("am_scr", {**doc, "audio": ["/elsewhere/x.wav"], "answer": "B"})
    assert item_id("am_scr", doc) != item_id("am_ser", doc)
    assert item_id("am_scr", doc) != item_id("am_scr", {**doc, "question": "Which town?"})
    assert item_id("am_scr", doc) != item_id("am_scr", {**doc, "id": "r2"})
    no_id = {"audio": ["/data/a/x.wav"], "question": "q"}  # falls back to the audio file name, not the path
    assert item_id("t", no_id) == item_id("t", {**no_id, "audio": ["/mnt/copy/x.wav"]})
    assert item_id("t", no_id) != item_id("t", {**no_id, "audio": ["/data/a/y.wav"]})
    assert item_id("t", doc) == item_id("t", dict(reversed(list(doc.items()))))  # key order is irrelevant


def test_held_out_split_is_seeded_fixed_size_and_order_free():
    ids = [item_id("t", {"id": str(i), "question": "q"}) for i in range(200)]
    first = held_out_indices(ids, 10, seed=0)
    assert len(first) == 10 and first == sorted(first)
    assert held_out_indices(ids, 10, seed=0) == first
    assert held_out_indices(ids, 10, seed=1) != first
    shuffled = ids[::-1]  # the same items in another order: the same items are held out
    assert {shuffled[i] for i in held_out_indices(shuffled, 10, seed=0)} == {ids[i] for i in first}
    assert set(held_out_indices(ids, 12, seed=0)) >= set(first)  # a larger split extends the smaller
    with pytest.raises(ValueError, match="share an id"):
        held_out_indices(ids + ids[:1], 3, seed=0)
    with pytest.raises(ValueError, match="at least 1 item"):
        held_out_indices(ids, 0, seed=0)
