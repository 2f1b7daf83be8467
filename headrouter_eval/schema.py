"""The error every hand-edited config file raises, and small hand-written checks in its words.

Regress baselines, sweep configs, the paper reference and HeadRouter profiles are
hand-edited YAML/JSON, where the silent failures are a misspelt key (ignored, so its default
applies) and a value of the wrong type (``higher_is_better: "false"`` is a non-empty string,
i.e. true). Both become a :class:`SchemaError` naming the file, the entry and the key, and
suggesting the key that was probably meant. The results-tooling files are pydantic models
(``headrouter_eval/config_models.py``, which words pydantic's errors like these helpers); the
HeadRouter profile format (``profiles/format.py``) uses the helpers below.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class SchemaError(ValueError):
    """A config value or key that does not fit the file's schema; the message names where."""


def check_keys(mapping: Any, allowed: Iterable[str], where: str, required: Iterable[str] = ()) -> dict:
    """``mapping`` must be a dict with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(mapping, dict):
        raise SchemaError(f"{where}: expected a mapping, found {value_kind(mapping)} {mapping!r}")
    unknown = unknown_key(mapping, allowed)
    if unknown:
        raise SchemaError(f"{where}: {unknown}")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise SchemaError(f"{where}: missing required key(s) {missing}")
    return mapping


def unknown_key(mapping: dict, allowed: Iterable[str]) -> str | None:
    """The first key of ``mapping`` not ``allowed``, in words with the key probably meant; None if none."""
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"unknown key {key!r}{hint}; allowed keys: {sorted(allowed)}"
    return None


def number(value: Any, where: str, key: str, *, minimum: float | None = None) -> float:
    """An int or float (not a bool, not a quoted number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemaError(f"{where}: {key} must be a number, found {value_kind(value)} {value!r}")
    if minimum is not None and value < minimum:
        raise SchemaError(f"{where}: {key} must be >= {minimum:g}, found {value!r}")
    return float(value)


def integer(value: Any, where: str, key: str, *, minimum: int | None = None) -> int:
    """An int (not a bool, not a float such as 1.5, not a quoted number)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f"{where}: {key} must be an integer, found {value_kind(value)} {value!r}")
    if minimum is not None and value < minimum:
        raise SchemaError(f"{where}: {key} must be >= {minimum}, found {value!r}")
    return value


def value_kind(value: Any) -> str:
    """What a YAML/JSON reader calls the type of ``value`` (``string``, ``null``, ``mapping``...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return {int: "integer", float: "number", list: "list", dict: "mapping"}.get(type(value), type(value).__name__)
