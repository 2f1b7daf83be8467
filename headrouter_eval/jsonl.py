"""Read JSON-lines files (per-sample logs, pruning stats, head vectors) with line-numbered errors.

A rank killed mid-write leaves a torn last line; every reader must name the file and line
rather than fail with a bare decoder message, so they all read through :func:`read_jsonl`.
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
