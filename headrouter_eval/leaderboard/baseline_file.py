"""The regress baseline file (hand-edited YAML/JSON) as pydantic models, with our error wording.

pydantic checks the file: strict types (a quoted ``"false"`` is not a boolean, a quoted
``"80"`` not a number), no unknown keys, required keys, minimums. Its errors are turned into
the wording every hand-edited file of the project uses (``headrouter_eval/schema.py``): the
file, the entry (``entries[3]``), the key, what was found, and for an unknown key the key
that was probably meant. Of several problems the first is reported, in the order a reader
meets them: unknown keys, missing keys, then the keys in file-format order.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from headrouter_eval.schema import SchemaError, _kind

WRITE_AGAIN = "`headrouter-eval regress LEADERBOARD BASELINE --write-baseline`"
NonNegative = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BaselineEntry(_Strict):
    """One (model, method, retention, layer, task) row the fresh leaderboard must hold."""

    model: str
    method: str
    task: str
    score: float
    retention: float | None = None
    layer: Annotated[int, Field(ge=0)] | None = None
    metric: str | None = None
    higher_is_better: bool = True
    tolerance: NonNegative = 0.0
    settings: dict  # the run identity (leaderboard.run_identity); required, see SETTINGS_MISSING

    @field_validator("model", "method", "task", "metric")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise PydanticCustomError("blank", "blank")
        return value

    @field_validator("score")
    @classmethod
    def _not_nan(cls, value: float) -> float:
        if math.isnan(value):
            raise PydanticCustomError("nan", "nan")
        return value


class BaselineFile(_Strict):
    """The whole file: the default tolerance and the entries (each checked as a :class:`BaselineEntry`)."""

    entries: Annotated[list, Field(min_length=1)]  # empty: a gate that checks nothing would always pass
    default_tolerance: NonNegative = 0.0


REQUIRED = {BaselineFile: ["entries"], BaselineEntry: ["model", "method", "task", "score"]}
WORDS = {str: "must be a non-empty string", float: "must be a number", int: "must be an integer",
         bool: "must be true or false (unquoted)"}
KIND = {"entries": list, "default_tolerance": float, "model": str, "method": str, "task": str, "score": float,
        "retention": float, "layer": int, "metric": str, "higher_is_better": bool, "tolerance": float}
EMPTY = f"'entries' is empty: a baseline that checks nothing would always pass; write one with {WRITE_AGAIN}"
SETTINGS_MISSING = ("no 'settings' (the run identity: checkpoint, items, generation, scoring, dtype, attention); "
                    f"this baseline was written by an older headrouter-eval: write it again with {WRITE_AGAIN}")


def _message(model: type[BaseModel], data: Any, exc: ValidationError) -> str:
    """The first problem of ``exc``, in our words (the caller prefixes file and entry)."""
    if not isinstance(data, dict):
        return f"expected a mapping, found {_kind(data)} {data!r}"
    allowed = list(model.model_fields)
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return f"unknown key {key!r}{hint}; allowed keys: {sorted(allowed)}"
    missing = [key for key in REQUIRED[model] if key not in data]
    if missing:
        return f"missing required key(s) {missing}"
    errors = {str(error["loc"][0]): error for error in exc.errors()}
    for key in allowed:  # the file format's order
        error = errors.get(key)
        if error is None:
            continue
        if key == "settings":
            return SETTINGS_MISSING if error["type"] == "missing" else \
                f"'settings' must be a mapping, got {type(data[key]).__name__}"
        if key == "entries":
            return EMPTY if error["type"] == "too_short" else "'entries' must be a list"
        value = data[key]
        if error["type"] == "nan":
            return f"'{key}' is NaN: nothing to compare against"
        if error["type"] == "greater_than_equal":
            return f"{key} must be >= {error['ctx']['ge']:g}, found {value!r}"
        return f"{key} {WORDS[KIND[key]]}, found {_kind(value)} {value!r}"
    raise AssertionError(f"unhandled baseline error {exc.errors()}")  # a key added above without its words


def _check(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(f"{where}: {_message(model, data, exc)}") from None


def parse_baseline(data: Any, path: Path) -> tuple[float, list[dict]]:
    """The default tolerance and the entries (as written, plain dicts) of a loaded baseline file.

    Raises :class:`~headrouter_eval.schema.SchemaError` (a ``ValueError``) naming the file,
    the entry and the key; a baseline without entries is refused, since a gate that checks
    nothing would always pass.
    """
    where = str(path)
    baseline = _check(BaselineFile, data, where)
    for index, entry in enumerate(baseline.entries):
        _check(BaselineEntry, entry, f"{where}: entries[{index}]")
    return baseline.default_tolerance, baseline.entries
