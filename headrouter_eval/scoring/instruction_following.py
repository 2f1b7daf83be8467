"""Instruction-following checkers for MMAU-Pro, keyed by ``task_identifier``.

The identifiers and ``kwargs`` names follow IFEval, which MMAU-Pro's instruction
rows reuse (``keywords:existence`` with ``keywords=[...]`` and so on). Each checker
takes the reply, the row's kwargs and ``strict``:

- ``strict=True`` (the default, "official") reproduces the official checkers'
  behaviour: keywords match as raw case-insensitive substrings ("cat" is found in
  "category"), only lines starting with ``* `` count as bullets, and start/end
  phrases and quotation marks are checked on the unstripped reply, so surrounding
  whitespace fails them.
- ``strict=False`` ("robust") matches keywords as whole words, also counts ``-`` and
  ``•`` bullets, and strips the reply before start/end/quotation checks.

:func:`check` raises :class:`UnknownInstruction` for an identifier without a checker;
callers report such rows as not scored, never as passed or failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any


class UnknownInstruction(KeyError):
    """A ``task_identifier`` this module has no checker for."""


def _relation(count: int, target: int, relation: str) -> bool:
    rel = str(relation).strip().lower()
    if rel == "less than":
        return count < target
    if rel == "at least":
        return count >= target
    if rel == "at most":
        return count <= target
    if rel in ("more than", "greater than"):
        return count > target
    if rel in ("exactly", "equal to"):
        return count == target
    raise ValueError(f"unknown relation {relation!r} (expected 'less than', 'at least', 'at most', ...)")


def _count(reply: str, keyword: str, strict: bool) -> int:
    if strict:
        return reply.lower().count(keyword.lower())
    return len(re.findall(rf"(?<!\w){re.escape(keyword)}(?!\w)", reply, flags=re.I))


def _need(kwargs: Mapping[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if kwargs.get(n) is None]
    if missing:
        raise ValueError(f"checker kwargs {dict(kwargs)} lack {missing}")
    return [kwargs[n] for n in names]


def keywords_existence(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (keywords,) = _need(kwargs, "keywords")
    return all(_count(reply, k, strict) > 0 for k in keywords)


def forbidden_words(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (words,) = _need(kwargs, "forbidden_words")
    return all(_count(reply, w, strict) == 0 for w in words)


def keyword_frequency(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    keyword, frequency, relation = _need(kwargs, "keyword", "frequency", "relation")
    return _relation(_count(reply, keyword, strict), int(frequency), relation)


def number_words(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    num, relation = _need(kwargs, "num_words", "relation")
    return _relation(len(re.findall(r"\w+(?:['’-]\w+)*", reply)), int(num), relation)


def number_sentences(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    num, relation = _need(kwargs, "num_sentences", "relation")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply.strip()) if re.search(r"\w", s)]
    return _relation(len(sentences), int(num), relation)


def number_paragraphs(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (num,) = _need(kwargs, "num_paragraphs")
    # IFEval's convention: paragraphs are separated by the markdown divider ***.
    if strict or "***" in reply:
        parts = re.split(r"\s?\*\*\*\s?", reply)
    else:
        parts = re.split(r"\n\s*\n", reply)
    parts = [p for p in parts if p.strip()]
    return len(parts) == int(num)


def number_bullets(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (num,) = _need(kwargs, "num_bullets")
    pattern = r"^\* " if strict else r"^\s*(?:[\*\-•])\s+"
    return len(re.findall(pattern, reply, flags=re.M)) == int(num)


def number_placeholders(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (num,) = _need(kwargs, "num_placeholders")
    return len(re.findall(r"\[[^\[\]]*\]", reply)) >= int(num)


def title(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    return any(t.strip() for t in re.findall(r"<<([^\n]+?)>>", reply))


def highlighted_sections(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (num,) = _need(kwargs, "num_highlights")
    single = [h for h in re.findall(r"(?<!\*)\*([^\n\*]+)\*(?!\*)", reply) if h.strip()]
    double = [h for h in re.findall(r"\*\*([^\n\*]+)\*\*", reply) if h.strip()]
    return len(single) + len(double) >= int(num)


def multiple_sections(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    splitter, num = _need(kwargs, "section_spliter", "num_sections")
    sections = re.split(rf"\s?{re.escape(str(splitter))}\s?\d+\s?", reply)
    return len(sections) - 1 >= int(num)


def repeat_prompt(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (prompt,) = _need(kwargs, "prompt_to_repeat")
    text = reply if strict else reply.strip()
    return text.lower().startswith(str(prompt).strip().lower())


def two_responses(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    parts = reply.split("******")
    if len(parts) != 2:
        return False
    first, second = parts[0].strip(), parts[1].strip()
    return bool(first) and bool(second) and first != second


def all_capitals(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    return bool(re.search(r"[A-Za-z]", reply)) and reply == reply.upper()


def all_lowercase(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    return bool(re.search(r"[A-Za-z]", reply)) and reply == reply.lower()


def capital_word_frequency(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    frequency, relation = _need(kwargs, "capital_frequency", "capital_relation")
    capitals = [w for w in re.findall(r"\b[A-Za-z]+\b", reply) if w.isupper()]
    return _relation(len(capitals), int(frequency), relation)


def end_phrase(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (phrase,) = _need(kwargs, "end_phrase")
    if strict:
        return reply.endswith(str(phrase))
    return reply.strip().lower().endswith(str(phrase).strip().lower())


def start_phrase(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (phrase,) = _need(kwargs, "start_phrase")
    if strict:
        return reply.startswith(str(phrase))
    return reply.strip().lower().startswith(str(phrase).strip().lower())


def quotation(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    text = reply if strict else reply.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


def no_comma(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    return "," not in reply


def postscript(reply: str, kwargs: Mapping[str, Any], strict: bool) -> bool:
    (marker,) = _need(kwargs, "postscript_marker")
    return re.search(rf"^\s*{re.escape(str(marker).lower())}", reply.lower(), flags=re.M) is not None


Checker = Callable[[str, Mapping[str, Any], bool], bool]

CHECKERS: dict[str, Checker] = {
    "keywords:existence": keywords_existence,
    "keywords:forbidden_words": forbidden_words,
    "keywords:frequency": keyword_frequency,
    "length_constraints:number_words": number_words,
    "length_constraints:number_sentences": number_sentences,
    "length_constraints:number_paragraphs": number_paragraphs,
    "detectable_format:number_bullet_lists": number_bullets,
    "detectable_content:number_placeholders": number_placeholders,
    "detectable_format:title": title,
    "detectable_format:number_highlighted_sections": highlighted_sections,
    "detectable_format:multiple_sections": multiple_sections,
    "combination:repeat_prompt": repeat_prompt,
    "combination:two_responses": two_responses,
    "change_case:english_capital": all_capitals,
    "change_case:english_lowercase": all_lowercase,
    "change_case:capital_word_frequency": capital_word_frequency,
    "startend:end_checker": end_phrase,
    "startend:start_checker": start_phrase,
    "startend:quotation": quotation,
    "punctuation:no_comma": no_comma,
    "detectable_content:postscript": postscript,
}


def check(identifier: str, reply: str, kwargs: Mapping[str, Any] | None, *, strict: bool = True) -> bool:
    """Whether ``reply`` follows the instruction ``identifier`` with arguments ``kwargs``."""
    checker = CHECKERS.get(str(identifier).strip())
    if checker is None:
        raise UnknownInstruction(f"no checker for task_identifier {identifier!r}; known: {sorted(CHECKERS)}")
    return bool(checker("" if reply is None else str(reply), dict(kwargs or {}), strict))
