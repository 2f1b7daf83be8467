"""Stable item ids and the deterministic held-out split that HeadRouter calibration draws from.

An item id names one benchmark item by its content (id rule ``content-v1``), whatever task it
is read through; the older rule ``task-v0`` is still computed for profiles made with it. The
rules and the split are explained in docs/headrouter.md, "Calibration never touches an
evaluated item"; what each kind of audio value hashes to is in :func:`audio_digest`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

import numpy as np

ID_HEX = 20
CONTENT_RULE = "content-v1"
LEGACY_RULE = "task-v0"
ID_RULES = (CONTENT_RULE, LEGACY_RULE)
RECORD_ID_KEYS = ("id",)
AUDIO_KEYS = ("audio", "audio_path", "audio_file", "wav", "speech")
QUESTION_KEYS = ("question", "query", "prompt", "instruction", "text")
OPTION_PREFIXES = ("choice", "option")

# file digests by (path, size, mtime): a task's documents are hashed by the filter, the
# adapter and calibration in one process, and the files do not change in between
_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_DIGESTS:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _FILE_DIGESTS[key] = "file:" + digest.hexdigest()
    return _FILE_DIGESTS[key]


def _path_digest(value: str | os.PathLike) -> str:
    path = Path(value)
    try:
        if path.is_file():
            return _file_digest(path)
    except OSError:  # a name too long for the file system, a permission problem: not a readable file
        pass
    return "name:" + PurePath(str(value)).name


def _array_digest(value: Any, rate: Any = None) -> str:
    array = np.ascontiguousarray(np.asarray(value))
    head = f"{array.dtype.str}:{array.shape}:{rate}".encode()
    return "array:" + hashlib.sha256(head + array.tobytes()).hexdigest()


def _is_audio_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and ("array" in value or "bytes" in value or
                                           ("path" in value and "sampling_rate" in value))


def audio_digest(value: Any) -> str:
    """Digest of one audio value of a record (SHA-256, prefixed by the form it came in).

    Raw bytes as given; a path by the bytes of the file it names (a path that does not exist
    from the working directory, e.g. one a task resolves against its own data folder, by its
    file name); a decoded ``{"array", "sampling_rate"}`` dict or a bare array by its samples,
    dtype, shape and rate; a ``{"bytes"}`` / ``{"path"}`` dict like its bytes or path; a list
    of clips by each clip. A record with no audio field is identified by the whole record
    (:func:`content_id`).
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, (str, os.PathLike)):
        return _path_digest(value)
    if isinstance(value, Mapping):
        if value.get("bytes") is not None:
            return audio_digest(value["bytes"])
        path = value.get("path")
        if path and Path(str(path)).is_file():
            return _file_digest(Path(str(path)))
        if value.get("array") is not None:
            return _array_digest(value["array"], value.get("sampling_rate"))
        if path:
            return _path_digest(path)
        raise ValueError(f"an audio dict with no 'bytes', 'path' or 'array' (keys: {sorted(value)})")
    if isinstance(value, np.ndarray):
        return _array_digest(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (int, float)) for v in value[:16]):  # a bare list of samples
            return _array_digest(value)
        return "list:" + "|".join(audio_digest(v) for v in value)
    raise ValueError(f"cannot identify audio of type {type(value).__name__}")


def _audio_of(doc: Mapping[str, Any]) -> Any:
    for key in AUDIO_KEYS:
        if doc.get(key) is not None and not (isinstance(doc[key], (list, tuple, str)) and not doc[key]):
            return doc[key]
    # any other field holding a decoded audio dict (tasks name their audio column freely)
    for key in sorted(doc):
        if _is_audio_dict(doc[key]):
            return doc[key]
    return None


def _question(doc: Mapping[str, Any]) -> str:
    question = next((str(doc[k]) for k in QUESTION_KEYS if doc.get(k) is not None), "")
    # the answer options belong to the question: one clip asked the same question with two
    # option sets is two items (AudioMarathon's scene task has such records)
    options = [[k, doc[k]] for k in sorted(doc) if k.lower().startswith(OPTION_PREFIXES) and doc[k] is not None]
    return question if not options else json.dumps([question, options], ensure_ascii=False, default=str)


def content_id(doc: Mapping[str, Any]) -> str:
    """Id of ``doc`` by its content: audio digest plus question (rule ``content-v1``)."""
    audio = _audio_of(doc)
    if audio is None:
        # No audio field: the whole record is its own identity (e.g. a recipe the task synthesises from)
        payload = json.dumps(["doc", json.dumps(doc, sort_keys=True, default=str)], ensure_ascii=False)
    else:
        payload = json.dumps([audio_digest(audio), _question(doc)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:ID_HEX]


def _record_id(doc: Mapping[str, Any]) -> str:
    for key in RECORD_ID_KEYS:
        value = doc.get(key)
        if value is not None and str(value).strip():
            return f"id:{value}"
    for key in ("audio", "audio_path"):
        value = doc.get(key)
        if value:
            paths = value if isinstance(value, (list, tuple)) else [value]
            return "audio:" + "|".join(PurePath(str(p)).name for p in paths)
    return "doc:" + json.dumps(doc, sort_keys=True, default=str)


def legacy_item_id(task: str, doc: Mapping[str, Any]) -> str:
    """Id of ``doc`` under the rule of profiles without ``id_rule`` (``task-v0``): it hashes the task name."""
    question = next((str(doc[k]) for k in ("question",) if doc.get(k) is not None), "")
    payload = json.dumps([str(task), _record_id(doc), question], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:ID_HEX]


def item_id(task: str, doc: Mapping[str, Any], rule: str = CONTENT_RULE) -> str:
    """Stable id of ``doc``; under the default ``content-v1`` rule ``task`` plays no part."""
    if rule == CONTENT_RULE:
        return content_id(doc)
    if rule == LEGACY_RULE:
        return legacy_item_id(task, doc)
    raise ValueError(f"unknown item id rule {rule!r}; known: {', '.join(ID_RULES)}")


def split_rank(item: str, seed: int) -> str:
    """The key the held-out split sorts by: a seeded hash of the item id."""
    return hashlib.sha256(f"{int(seed)}:{item}".encode()).hexdigest()


def held_out_indices(ids: Sequence[str], per_task: int, seed: int) -> list[int]:
    """Indices (ascending) of the ``per_task`` items of one task held out for calibration."""
    if per_task < 1:
        raise ValueError(f"the held-out split needs at least 1 item per task, got {per_task}")
    duplicates = len(ids) - len(set(ids))
    if duplicates:
        raise ValueError(f"{duplicates} items share an id with another item of the task: the same audio and "
                         "question twice; remove the duplicate records so each item is held out (or not) once")
    order = sorted(range(len(ids)), key=lambda i: split_rank(ids[i], seed))
    return sorted(order[:per_task])
