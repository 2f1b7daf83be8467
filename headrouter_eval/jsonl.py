"""Read JSON files: JSON-lines (per-sample logs, pruning stats, head vectors) and JSON objects
(lmms-eval results, pruning summaries, sweep manifests), each through one reader.

A rank killed mid-write leaves a torn last line or a half-written file; every reader must
name the file (and line) rather than fail with a bare decoder message, so JSON-lines files
are read through :func:`read_jsonl` and single-object files through :func:`read_json_object`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed value)`` for every non-blank line of ``path``.

    Raises ValueError naming ``path:line`` when a line is not valid JSON.
    """
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: not valid JSON ({exc})") from exc


def read_json_object(path: Path) -> dict:
    """The JSON object in ``path``; ValueError naming the file when it is unreadable, not JSON
    (a half-written file), or not an object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data
