"""Small schema checks shared by every config file the tools read.

Regress baselines, sweep configs and HeadRouter profiles are hand-edited YAML/JSON, where
the silent failures are a misspelt key (ignored, so its default applies) and a value of the
wrong type (``higher_is_better: "false"`` is a non-empty string, i.e. true). These helpers
turn both into errors that name the file, the entry and the key, and suggest the key that
was probably meant.
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
        raise SchemaError(f"{where}: expected a mapping, found {_kind(mapping)} {mapping!r}")
    allowed = list(allowed)
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SchemaError(f"{where}: unknown key {key!r}{hint}; allowed keys: {sorted(allowed)}")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise SchemaError(f"{where}: missing required key(s) {missing}")
    return mapping


def boolean(value: Any, where: str, key: str) -> bool:
    """A real YAML/JSON boolean; a quoted "false" is refused rather than read as true."""
    if not isinstance(value, bool):
        raise SchemaError(f"{where}: {key} must be true or false (unquoted), found {_kind(value)} {value!r}")
    return value


def number(value: Any, where: str, key: str, *, minimum: float | None = None) -> float:
    """An int or float (not a bool, not a quoted number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SchemaError(f"{where}: {key} must be a number, found {_kind(value)} {value!r}")
    if minimum is not None and value < minimum:
        raise SchemaError(f"{where}: {key} must be >= {minimum:g}, found {value!r}")
    return float(value)


def integer(value: Any, where: str, key: str, *, minimum: int | None = None) -> int:
    """An int (not a bool, not a float such as 1.5, not a quoted number)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(f"{where}: {key} must be an integer, found {_kind(value)} {value!r}")
    if minimum is not None and value < minimum:
        raise SchemaError(f"{where}: {key} must be >= {minimum}, found {value!r}")
    return value


def string(value: Any, where: str, key: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise SchemaError(f"{where}: {key} must be a non-empty string, found {_kind(value)} {value!r}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return {int: "integer", float: "number", list: "list", dict: "mapping"}.get(type(value), type(value).__name__)
