"""Reading benchmark records whose key names vary between releases.

Each canonical field has a list of accepted keys; a record that has none of them
fails with :class:`RecordFormatError` naming the columns it does have, so an
unknown CSV layout is diagnosed in one line instead of a KeyError deep in a run.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class RecordFormatError(ValueError):
    """A record (or file) that matches none of the documented layouts."""


def is_missing(value: Any) -> bool:
    """None, NaN (pandas' empty CSV cell) and blank strings count as absent."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def pick(record: Mapping[str, Any], keys: Sequence[str], *, field: str, where: str, required: bool = True) -> Any:
    """The value of the first present key among ``keys`` (case-insensitive)."""
    lowered = {str(k).lower(): k for k in record}
    for key in keys:
        actual = lowered.get(key.lower())
        if actual is not None and not is_missing(record[actual]):
            return record[actual]
    if required:
        raise RecordFormatError(
            f"{where}: no {field} column; expected one of {list(keys)}, found columns {sorted(map(str, record))}"
        )
    return None


def parse_listish(value: Any, *, field: str, where: str) -> Any:
    """Lists/dicts as they come, or as the JSON / Python-literal strings a CSV flattens them to."""
    if isinstance(value, (list, tuple, dict)):
        return value
    if hasattr(value, "tolist"):  # numpy arrays from parquet
        return value.tolist()
    if isinstance(value, str):
        text = value.strip()
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError):
                continue
            if isinstance(parsed, (list, tuple, dict)):
                return parsed
        return value
    raise RecordFormatError(f"{where}: {field} has unsupported type {type(value).__name__}: {value!r}")


def audio_paths(value: Any, *, where: str) -> list[str]:
    """One or several audio references -> list of path strings.

    Accepts a path, a list of paths (or its JSON/literal string form), and the
    ``{"path": ..., "bytes": ...}`` dicts of an undecoded ``datasets`` Audio column.
    """
    parsed = parse_listish(value, field="audio path", where=where)
    items = [parsed] if isinstance(parsed, (str, dict)) else list(parsed)
    paths = []
    for item in items:
        if isinstance(item, Mapping):
            if is_missing(item.get("path")):
                raise RecordFormatError(f"{where}: audio entry has no 'path' (keys {sorted(item)})")
            item = item["path"]
        paths.append(str(item))
    if not paths:
        raise RecordFormatError(f"{where}: the audio path list is empty")
    return paths


def resolve_audio(path: str, bases: Sequence[Path]) -> str:
    """Absolute path of ``path``: as given when absolute, else the first base where it exists.

    When it exists nowhere the first base's candidate is returned, so the later
    "audio file not found" error names a concrete location.
    """
    candidate = Path(str(path)).expanduser()
    if candidate.is_absolute():
        return str(candidate)
    for base in bases:
        joined = base / candidate
        if joined.exists():
            return str(joined.resolve())
    return str((bases[0] / candidate).resolve()) if bases else str(candidate)


def hub_table(repo_id: str, filename: str, kwargs: Mapping[str, Any]) -> Path:
    """Local path of one table file of a hub data set (downloaded on first use, at run time).

    Reading the file itself, rather than through ``datasets.load_dataset``, keeps hub and
    local copies on exactly the same parsing path. ``kwargs`` may hold ``revision``.
    """
    unknown = sorted(set(kwargs) - {"revision"})
    if unknown:
        raise ValueError(
            f"dataset_kwargs {unknown} are not understood for hub data set {repo_id}; known: audio_root, revision"
        )
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(repo_id=repo_id, filename=filename, repo_type="dataset", revision=kwargs.get("revision"))
    return Path(path)
