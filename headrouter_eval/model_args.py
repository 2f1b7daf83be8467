"""lmms-eval's ``--model_args`` text (``key=value,key=value``): the package's one reader of it.

The sweep validates what a user wrote with it, the sweep's calibration exclusion reads the
profiles a grid names with it, and the leaderboard reads what a results file recorded.
"""

from __future__ import annotations


def split_model_args(text: str) -> dict[str, str]:
    """``{key: value}`` of a ``k=v,k=v`` string, both stripped; empty parts are skipped.

    A part without ``=`` maps to ``""`` (what lmms-eval's own parser refuses; callers that
    validate user input check :func:`malformed_parts` first).
    """
    parsed = {}
    for part in text.split(","):
        if part.strip():
            key, _, value = part.partition("=")
            parsed[key.strip()] = value.strip()
    return parsed


def malformed_parts(text: str) -> list[str]:
    """The non-empty parts of ``text`` that are not ``key=value``."""
    return [part for part in text.split(",") if part.strip() and "=" not in part]
