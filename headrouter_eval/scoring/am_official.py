"""AudioMarathon's official answer extractors, reproduced behaviour for behaviour.

Each function here reimplements (in this project's own code) what the benchmark's
per-task Qwen2.5-Omni evaluation scripts do with a decoded reply, quirks included,
so that ``parser="official"`` scores compare with the paper's tables. The
differential corpus in ``tests/data/scoring_cases/`` (anchored by
:mod:`headrouter_eval.scoring.anchors` against the benchmark's own functions)
proves the agreement.

:func:`official_label` returns what the official script would store as the
prediction: an option letter for SCR/SER/SED/ASC/MC/ER, the label text for SD
("real"/"fake"), SGR (the lower-cased choice text) and SAR (the choice text), and
``""`` when the script extracts nothing. :func:`official_letter` maps that back to
an option letter of the item (``None`` when the metric step would drop it).

What the scripts' main loops do around the extractor is reproduced too: the
DESED, TAU, GTZAN, VESUS, HAD and LibriSpeech scripts keep only the text after the
last ``"assistant\\n"`` and strip it (:func:`assistant_tail`); RACE, SLUE, Vox and
Vox_age decode only the generated tokens and pass them on as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Tasks whose official main loop cuts the decoded text at the last "assistant\n".
_TRIMS_ASSISTANT = frozenset({"sed", "asc", "mc", "er", "sd", "asr"})
# Label vocabularies the official metric steps keep (anything else is dropped).
FIXED_VALID = {
    "scr": ("A", "B", "C", "D"),
    "ser": ("A", "B", "C", "D"),
    "sed": ("A", "B", "C", "D"),
    "mc": ("A", "B", "C", "D"),
    "sd": ("real", "fake"),
    "sgr": ("male", "female"),
}


def assistant_tail(text: str) -> str:
    """The part after the last ``"assistant\\n"``, stripped (unchanged when absent)."""
    marker = "assistant\n"
    at = text.rfind(marker)
    return text[at + len(marker):].strip() if at >= 0 else text


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch in "ABCD")


def _scr(text: str, opts: Mapping[str, str]) -> str:
    # RACE: the first A-D character of the upper-cased reply, wherever it is. When
    # there is none the script returns the reply's first word, which its metric
    # step then drops; "" here stands for that.
    found = _letters(text.strip().upper())
    return found[0] if found else ""


def _ser(text: str, opts: Mapping[str, str]) -> str:
    # SLUE: exact letter, a short reply starting with a letter, a standalone
    # letter, then any A-D character at all. Its "option X" rule comes after the
    # any-character rule and is written in lower case against upper-cased text, so
    # it can never decide anything.
    if not text:
        return ""
    up = text.strip().upper()
    if up in ("A", "B", "C", "D"):
        return up
    if up[:1] in ("A", "B", "C", "D") and len(up) <= 3:
        return up[0]
    standalone = re.search(r"\b([ABCD])\b", up)
    if standalone:
        return standalone.group(1)
    found = _letters(up)
    return found[0] if found else ""


def _sed(text: str, opts: Mapping[str, str]) -> str:
    # DESED: exact letter, a standalone letter, then any A-D character.
    if not text:
        return ""
    up = assistant_tail(text).strip().upper()
    if up in ("A", "B", "C", "D"):
        return up
    standalone = re.search(r"\b([ABCD])\b", up)
    if standalone:
        return standalone.group(1)
    found = _letters(up)
    return found[0] if found else ""


def _asc(text: str, opts: Mapping[str, str]) -> str:
    # TAU: letter rules (label prefix, then "option x"/"choice x"/"x)" anywhere, in
    # option order), then a choice text contained in the reply, then the choice whose
    # words (before " - ") occur most often as substrings, if more than one does.
    low = text.lower().strip()
    letters = "abcd"
    if low in letters and len(low) == 1:
        return low.upper()
    for letter in letters:
        if low.startswith((f"{letter}.", f"{letter})", f"{letter}:")):
            return letter.upper()
    for letter in letters:
        if any(cue in low for cue in (f"option {letter}", f"choice {letter}", f"{letter})")):
            return letter.upper()
    choices = [opts.get(c, "") for c in "ABCD"]
    best, best_overlap = "", 0
    for index, choice in enumerate(choices):
        choice_low = choice.lower()
        if choice_low in low:  # an empty choice text is "in" every reply
            return "ABCD"[index]
        words = choice_low.split(" - ")[0].split()
        overlap = sum(1 for word in words if word in low)
        if overlap > best_overlap:
            best, best_overlap = "ABCD"[index], overlap
    return best if best and best_overlap > 1 else ""


def _mc(text: str, opts: Mapping[str, str]) -> str:
    # GTZAN: exact letter; a reply starting "X." / "X)" or ending " X"; then
    # "option x" / "choice x" / "x)" anywhere; then a standalone letter; then any
    # A-D character. Each rule is tried for A, B, C, D in that order.
    if not text:
        return ""
    up = assistant_tail(text).strip().upper()
    if up in ("A", "B", "C", "D"):
        return up
    for letter in "ABCD":
        if up.startswith((f"{letter}.", f"{letter})")) or up.endswith(f" {letter}"):
            return letter
    low = up.lower()
    for letter in "abcd":
        if any(cue in low for cue in (f"option {letter}", f"choice {letter}", f"{letter})")):
            return letter.upper()
    standalone = re.search(r"\b([ABCD])\b", up)
    if standalone:
        return standalone.group(1)
    found = _letters(up)
    return found[0] if found else ""


# VESUS's emotion table: a reply keyword counts for a choice only when the choice
# text contains a keyword of the same row, so "sad" (a choice) never matches.
_VESUS_TABLE = (
    ("anger", "frustrated", "mad", "furious"),
    ("joy", "cheerful", "pleased", "delighted"),
    ("sadness", "melancholy", "depressed", "sorrow"),
    ("fear", "anxiety", "scared", "afraid"),
    ("flat", "emotionless", "neutral", "bland"),
)


def _er(text: str, opts: Mapping[str, str]) -> str:
    low = text.lower().strip()
    for letter in "abcd":
        if low == letter or low.startswith((f"{letter}.", f"{letter})")):
            return letter.upper()
    for letter in "abcd":
        if any(cue in low for cue in (f"option {letter}", f"choice {letter}", f"{letter})", f"({letter})")):
            return letter.upper()
    for letter in "ABCD":
        choice = opts.get(letter, "").lower()
        for row in _VESUS_TABLE:
            if any(k in low for k in row) and any(k in choice for k in row):
                return letter
    return ""


def _sd(text: str, opts: Mapping[str, str]) -> str:
    # HAD, with the script's default choices ("real", "fake"); it never passes the
    # item's own. The "more than 10 output tokens" rewrite in its main loop cannot
    # fire at its 5-token budget and is not reproduced.
    low = text.lower().strip()
    if low == "a" or low.startswith(("a.", "a)")) or low.endswith(" a"):
        return "real"
    if low == "b" or low.startswith(("b.", "b)")) or low.endswith(" b"):
        return "fake"
    if any(cue in low for cue in ("option a", "choice a", "a)", " a ")):
        return "real"
    if any(cue in low for cue in ("option b", "choice b", "b)", " b ")):
        return "fake"
    if "real" in low and "fake" not in low:
        return "real"
    if "fake" in low and "real" not in low:
        return "fake"
    real = re.search(r"\b(?:real|authentic|genuine)\b", low) is not None
    fake = re.search(r"\b(?:fake|artificial|synthetic|synthesized)\b|\bcontains.*fake\b", low) is not None
    if real != fake:
        return "real" if real else "fake"
    return ""


def _sgr(text: str, opts: Mapping[str, str]) -> str:
    # Vox: the item's choice A / B texts, lower-cased, with "male"/"female" defaults.
    first = str(opts.get("A", "male")).lower().strip()
    second = str(opts.get("B", "female")).lower().strip()
    low = text.lower().strip()
    if low == "a" or low.startswith(("a.", "a)")):
        return first
    if low == "b" or low.startswith(("b.", "b)")):
        return second
    if any(cue in low for cue in ("option a", "choice a", "a)")):
        return first
    if any(cue in low for cue in ("option b", "choice b", "b)")):
        return second
    if first in low and second not in low:
        return first
    if second in low and first not in low:
        return second
    if (first, second) == ("male", "female"):
        male = re.search(r"\bmale\b", low) is not None
        female = re.search(r"\bfemale\b", low) is not None
        if male != female:
            return "male" if male else "female"
    return ""


def _sar(text: str, opts: Mapping[str, str]) -> str:
    # Vox_age: five choices A-E; the script indexes choice_a..choice_e directly.
    missing = [c for c in "ABCDE" if c not in opts]
    if missing:
        raise ValueError(f"the official SAR extractor needs choices A-E; {missing} missing in {dict(opts)}")
    low = text.lower().strip()
    letters = "abcde"
    for letter in letters:
        if low == letter or low.startswith((f"{letter}.", f"{letter})")) or low.endswith(f" {letter}"):
            return opts[letter.upper()]
    standalone = {letter for letter in letters if re.search(rf"\b{letter}\b", low)}
    if len(standalone) == 1:
        return opts[standalone.pop().upper()]
    for letter in letters:
        if any(f"{cue} {letter}" in low for cue in ("option", "choice", "answer")):
            return opts[letter.upper()]
    named = [opts[c] for c in "ABCDE" if opts[c].lower() in low]
    return named[0] if len(named) == 1 else ""


_EXTRACTORS = {"scr": _scr, "ser": _ser, "sed": _sed, "asc": _asc, "mc": _mc,
               "er": _er, "sd": _sd, "sgr": _sgr, "sar": _sar}
TASKS = tuple(_EXTRACTORS)


def official_label(task: str, reply: str | None, options: Mapping[str, str]) -> str:
    """What the official script stores as the prediction for ``reply`` ("" = nothing)."""
    if task not in _EXTRACTORS:
        raise ValueError(f"no official AudioMarathon extractor for task {task!r}; expected one of {TASKS}")
    text = "" if reply is None else str(reply)
    if task in _TRIMS_ASSISTANT:
        text = assistant_tail(text).strip()
    return _EXTRACTORS[task](text, options)


def label_of_letter(task: str, letter: str, options: Mapping[str, str]) -> str:
    """The official label vocabulary for an option letter (the gold side of the metric)."""
    if task == "sd":
        return str(options[letter]).lower().strip()
    if task == "sgr":
        return str(options[letter]).lower().strip()
    if task == "sar":
        return str(options[letter]).strip()
    return letter


def official_letter(task: str, reply: str | None, options: Mapping[str, str]) -> str | None:
    """The option letter of the official prediction, or None when it names no option."""
    label = official_label(task, reply, options)
    if not label:
        return None
    if task in ("sd", "sgr", "sar"):
        for letter in options:
            if label_of_letter(task, letter, options) == label:
                return letter
        return None
    return label if label in options else None
