"""The regress baseline file (hand-edited YAML/JSON) as pydantic models, with our error wording.

pydantic checks the file: strict types (a quoted ``"false"`` is not a boolean, a quoted
``"80"`` not a number), no unknown keys, required keys, minimums. Its first error is reported
in the wording every hand-edited file of the project uses (``headrouter_eval/config_models.py``):
the file, the entry (``entries[3]``), the key, what was found, and for an unknown key the key
that was probably meant.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from headrouter_eval.config_models import FileModel, Text, validate

WRITE_AGAIN = "`headrouter-eval regress LEADERBOARD BASELINE --write-baseline`"
NonNegative = Annotated[float, Field(ge=0)]
SETTINGS_MISSING = ("no 'settings' (the run identity: checkpoint, items, generation, scoring, dtype, attention); "
                    f"this baseline was written by an older headrouter-eval: write it again with {WRITE_AGAIN}")


class BaselineEntry(FileModel):
    """One (model, method, retention, layer, task) row the fresh leaderboard must hold."""

    model: Text
    method: Text
    task: Text
    score: float
    retention: float | None = None
    layer: Annotated[int, Field(ge=0)] | None = None
    metric: Text | None = None
    higher_is_better: bool = True
    tolerance: NonNegative = 0.0
    settings: dict  # the run identity (leaderboard.run_identity)

    wording = {("settings", "missing"): SETTINGS_MISSING,
               ("settings", "dict_type"): "'settings' must be a mapping, got {type}"}

    @field_validator("score")
    @classmethod
    def _not_nan(cls, value: float) -> float:
        if math.isnan(value):  # inf is a score (a perplexity can be); NaN compares with nothing
            raise ValueError("'score' is NaN: nothing to compare against")
        return value


class BaselineFile(FileModel):
    """The whole file: the default tolerance and the entries."""

    default_tolerance: NonNegative = 0.0
    entries: Annotated[list[BaselineEntry], Field(min_length=1)]

    wording = {("entries", "list_type"): "'entries' must be a list",
               ("entries", "too_short"): "'entries' is empty: a baseline that checks nothing would always pass; "
                                         f"write one with {WRITE_AGAIN}"}


def parse_baseline(data: Any, path: Path) -> tuple[float, list[dict]]:
    """The default tolerance and the entries (as written, plain dicts) of a loaded baseline file.

    Raises :class:`~headrouter_eval.schema.SchemaError` (a ``ValueError``) naming the file,
    the entry and the key; a baseline without entries is refused, since a gate that checks
    nothing would always pass.
    """
    baseline = validate(BaselineFile, data, str(path))
    return baseline.default_tolerance, data["entries"]
