"""Instruction-following checkers for MMAU-Pro, keyed by its own ``task_identifier`` names.

MMAU-Pro's instruction rows name their constraint in the official evaluator's
vocabulary ("Include Keywords", "Number Words (range)", "Start Checker", ...) with
kwargs such as ``N``, ``N1``/``N2``, ``section_splitter``, ``keywords`` as one
comma-joined string. Two behaviours:

- ``strict=True`` ("official", the default) reproduces the official evaluator,
  quirks included: keywords are raw case-insensitive substrings split on ", "
  exactly; words are whitespace-separated pieces; sentences come from NLTK Punkt;
  start/end phrases compare letters and spaces only; a missing kwarg takes the
  evaluator's default (``N`` 0, ``N1`` 0, ``N2`` 999, strings ""), so for example
  "Include Keywords" without keywords passes; "Repeat Prompt" compares with the
  row's question.
- ``strict=False`` ("robust") matches keywords as whole words (split on commas,
  trimmed), also counts ``-`` and ``•`` bullets, and asks "Two Responses" for two
  non-empty answers.

An identifier the official evaluator does not handle scores as it scores there:
as not followed. :func:`is_known` lets callers count such rows separately.
kwargs reach :func:`check` as the dict the evaluator would see: see
:func:`normalise_kwargs` for a JSON string or a None-filled parquet struct.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from headrouter_eval.scoring.sentences import count_sentences

Checker = Callable[[str, Mapping[str, Any], str, bool], bool]


def normalise_kwargs(value: Any, *, where: str = "kwargs") -> dict[str, Any]:
    """The kwargs dict the official evaluator works on, from a dict, a JSON string or a struct.

    A parquet struct arrives with every key of every row present and None where the
    row has none; those keys are dropped, so ``.get(key, default)`` gives the
    evaluator's default exactly as on the row's own dict.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: kwargs string is not JSON: {value!r}") from exc
        if value is None:
            return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: kwargs must be a dict, a JSON object string or a struct, got {value!r}")
    return {str(k): (v.tolist() if hasattr(v, "tolist") else v) for k, v in value.items() if v is not None}


def _words(text: str) -> list[str]:
    return text.split()


def _letters(text: str, keep_space: bool = True) -> str:
    return re.sub(r"[^a-zA-Z ]" if keep_space else r"[^a-zA-Z]", "", text).lower()


def _keywords(kwargs: Mapping[str, Any], key: str, strict: bool) -> list[str]:
    raw = kwargs.get(key, "")
    if strict:
        return str(raw).split(", ")
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    return [str(k).strip() for k in items if str(k).strip()]


def _has(text: str, word: str, strict: bool) -> bool:
    if strict:
        return word.lower() in text.lower()
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.I) is not None


def _include_keywords(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return all(_has(r, k, strict) for k in _keywords(kw, "keywords", strict))


def _forbidden_words(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return not any(_has(r, k, strict) for k in _keywords(kw, "forbidden_words", strict))


def _keyword_frequency(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    keyword = str(kw.get("keyword", "")).lower()
    return len(re.findall(r"\b" + re.escape(keyword) + r"\b", r.lower())) == kw.get("N", 0)


def _count_check(counter: Callable[[str], int], mode: str) -> Checker:
    """A count compared with ``N`` (at least / at most / exactly) or with ``N1``..``N2`` (range)."""

    def checker(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
        actual = counter(r)
        if mode == "range":
            return kw.get("N1", 0) <= actual <= kw.get("N2", 999)
        target = kw.get("N", 0)
        return actual >= target if mode == "at least" else actual <= target if mode == "at most" else actual == target

    return checker


def _paragraphs(r: str) -> int:
    return len([p for p in r.split("***") if p.strip()])


def _capital_words(r: str) -> int:
    return sum(1 for w in r.split() if w.isupper())


def _bullets(strict: bool) -> Callable[[str], int]:
    pattern = r"(?:^|\n)\s*\*\s+" if strict else r"(?:^|\n)\s*[\*\-•]\s+"
    return lambda r: len(re.findall(pattern, r))


def _number_bullets(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return _bullets(strict)(r) == kw.get("N", 0)


def _placeholders(r: str) -> int:
    return len(re.findall(r"\[[^\]]+\]", r))


def _highlights(r: str) -> int:
    return len(re.findall(r"\*([^*]+)\*", r))


def _postscript(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return _letters(str(kw.get("postscript_marker", "")), False) in _letters(r, False)


def _title(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return re.search(r"<<[^>]+>>", r) is not None


def _sections(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    splitter = str(kw.get("section_splitter", ""))
    parts = re.split(rf"\s*{re.escape(splitter)}\s*", r.strip())
    return len([p for p in parts if p.strip()]) == kw.get("N", 0)


def _repeat_prompt(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return r.strip().lower().startswith(q.strip().lower())


def _two_responses(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    parts = r.split("******")
    if len(parts) != 2:
        return False
    first, second = (p.lower().strip() for p in parts)
    return first != second and (strict or bool(first and second))


def _start(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return _letters(r).startswith(_letters(str(kw.get("start_phrase", ""))))


def _end(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    return _letters(r).endswith(_letters(str(kw.get("end_phrase", ""))))


def _quotation(r: str, kw: Mapping[str, Any], q: str, strict: bool) -> bool:
    text = r.strip()
    return text.startswith('"') and text.endswith('"')


CHECKERS: dict[str, Checker] = {
    "Include Keywords": _include_keywords,
    "Keyword Frequency": _keyword_frequency,
    "Forbidden Words": _forbidden_words,
    "Number Paragraphs": _count_check(_paragraphs, "exactly"),
    "Number Words (at least)": _count_check(lambda r: len(_words(r)), "at least"),
    "Number Words (at most)": _count_check(lambda r: len(_words(r)), "at most"),
    "Number Words (range)": _count_check(lambda r: len(_words(r)), "range"),
    "Number Sentences (at least)": _count_check(count_sentences, "at least"),
    "Number Sentences (at most)": _count_check(count_sentences, "at most"),
    "Number Sentences (range)": _count_check(count_sentences, "range"),
    "Postscript": _postscript,
    "Number Placeholder": _count_check(_placeholders, "at least"),
    "Number Bullets": _number_bullets,
    "Title": _title,
    "Minimum Number Highlighted Section": _count_check(_highlights, "at least"),
    "Multiple Sections": _sections,
    "Repeat Prompt": _repeat_prompt,
    "Two Responses": _two_responses,
    "All Uppercase": lambda r, kw, q, strict: r.isupper(),
    "All Lowercase": lambda r, kw, q, strict: r.islower(),
    "All-capital Words (at least)": _count_check(_capital_words, "at least"),
    "All-capital Words (at most)": _count_check(_capital_words, "at most"),
    "All-capital Words (range)": _count_check(_capital_words, "range"),
    "Start Checker": _start,
    "End Checker": _end,
    "Quotation": _quotation,
    "No Commas": lambda r, kw, q, strict: "," not in r,
}


def is_known(identifier: Any) -> bool:
    """Whether the official evaluator handles ``identifier`` (it compares exact strings)."""
    return isinstance(identifier, str) and identifier in CHECKERS


def check(
    identifier: Any,
    reply: str | None,
    kwargs: Mapping[str, Any] | None,
    *,
    question: str = "",
    strict: bool = True,
) -> bool:
    """Whether ``reply`` follows the instruction ``identifier``; an unknown identifier is not followed.

    A reply of None reads as the text "None", as the evaluator's ``str(...)`` makes it.
    Comparing a count with a kwarg that is not a number raises ``TypeError`` (the
    evaluator stops there too) with the identifier named.
    """
    if not is_known(identifier):
        return False
    text = str(reply)
    try:
        return bool(CHECKERS[identifier](text, dict(kwargs or {}), str(question or ""), strict))
    except TypeError as exc:
        raise TypeError(f"instruction {identifier!r} with kwargs {dict(kwargs or {})}: {exc}") from exc
