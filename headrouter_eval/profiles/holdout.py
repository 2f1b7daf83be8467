"""Stable item ids and the deterministic held-out split that HeadRouter calibration draws from.

An *item id* names one benchmark item independently of its position in a data set:
the first 20 hex digits of SHA-256 over ``[task, record id, question]``, where the
record id is the record's own ``id`` field or, when it has none, the file names of its
audio (never absolute paths, which differ between machines). The same item gets the
same id on every machine, in every process and after any re-ordering or filtering.

The *held-out split* of a task is its ``per_task`` items with the smallest
``SHA-256(f"{seed}:{item id}")``: a seeded pseudo-random choice that depends only on
the items themselves, not on how a data set happens to be sorted. Calibration uses
only held-out items; the profile records every held-out id (``calibration.held_out``),
and evaluation with that profile excludes them for every method
(:mod:`headrouter_eval.profiles.exclusion`), so no reported number scores an item that
shaped the profile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

ID_HEX = 20
RECORD_ID_KEYS = ("id",)
AUDIO_KEYS = ("audio", "audio_path")
QUESTION_KEYS = ("question",)


def _record_id(doc: Mapping[str, Any]) -> str:
    for key in RECORD_ID_KEYS:
        value = doc.get(key)
        if value is not None and str(value).strip():
            return f"id:{value}"
    for key in AUDIO_KEYS:
        value = doc.get(key)
        if value:
            paths = value if isinstance(value, (list, tuple)) else [value]
            return "audio:" + "|".join(PurePath(str(p)).name for p in paths)
    # No id and no audio path: the whole record is its own identity (e.g. a recipe).
    return "doc:" + json.dumps(doc, sort_keys=True, default=str)


def item_id(task: str, doc: Mapping[str, Any]) -> str:
    """Stable id of ``doc`` in ``task`` (see the module docstring)."""
    question = next((str(doc[k]) for k in QUESTION_KEYS if doc.get(k) is not None), "")
    payload = json.dumps([str(task), _record_id(doc), question], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:ID_HEX]


def split_rank(item: str, seed: int) -> str:
    """The key the held-out split sorts by: a seeded hash of the item id."""
    return hashlib.sha256(f"{int(seed)}:{item}".encode()).hexdigest()


def held_out_indices(ids: Sequence[str], per_task: int, seed: int) -> list[int]:
    """Indices (ascending) of the ``per_task`` items of one task held out for calibration."""
    if per_task < 1:
        raise ValueError(f"the held-out split needs at least 1 item per task, got {per_task}")
    duplicates = len(ids) - len(set(ids))
    if duplicates:
        raise ValueError(f"{duplicates} items share an id with another item of the task; their records need "
                         "distinct 'id' fields (or audio file names) to be held out reliably")
    order = sorted(range(len(ids)), key=lambda i: split_rank(ids[i], seed))
    return sorted(order[:per_task])
