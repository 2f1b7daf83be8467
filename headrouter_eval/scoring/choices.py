"""Multiple-choice answer extraction: one parser, per-task rules, two behaviours.

``parser="official"`` reproduces the rule-based extractors of AudioMarathon's own
evaluation scripts *including their quirks* (see ../shared BENCHMARKS.md, "The
official extractors have quirks"), so scores compare with published numbers:

- ``scr``: the first A-D character anywhere in the upper-cased reply
  ("The answer is B" -> A, the A of "ANSWER").
- ``ser`` / ``sed``: bare letter, "A." prefixes, "option A", a standalone letter
  (so the article "a" reads as A), the choice text, then any A-D letter inside a word.
- ``asc`` (TAU): only a bare letter or a leading "A." / "A)" / "A:" label; nothing for
  "The answer is B" or a bare scene name.
- ``mc`` (GTZAN): the *last* standalone letter wins ("A, or maybe C" -> C).
- ``er`` (VESUS): letter rules, then an emotion table that lists only synonyms, so a
  bare "sad" gives nothing.
- ``sd`` (HAD): " a " anywhere reads as "real" ("It is a fake recording" -> real).
- ``sgr``: "female"/"male" words and a bare a/b; "Answer: A" gives nothing.
- ``sar`` and ``generic``: letter rules and then the choice text as a substring.

``parser="robust"`` reads as a careful person would, the same for every task plus
task vocabularies (emotions, real/fake, male/female). It never guesses: an
ambiguous reply or a letter beyond the offered choices gives ``None``.

The returned value is always an option letter from ``options`` (upper case) or
``None`` for an unparseable reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PARSERS = ("official", "robust")
TASKS = ("generic", "scr", "ser", "sed", "asc", "mc", "er", "sd", "sar", "sgr")


def extract_choice(
    reply: str | None,
    options: Mapping[str, str],
    *,
    task: str = "generic",
    parser: str = "robust",
) -> str | None:
    """Return the option letter ``reply`` chooses among ``options`` (letter -> text), or None.

    ``task`` selects the per-task rules (one of :data:`TASKS`); ``parser`` is
    ``"official"`` (the benchmark's extractor, quirks included) or ``"robust"``.
    """
    if parser not in PARSERS:
        raise ValueError(f"unknown parser {parser!r}; expected one of {PARSERS}")
    if task not in TASKS:
        raise ValueError(f"unknown choice-extraction task {task!r}; expected one of {TASKS}")
    opts = normalise_options(options)
    text = "" if reply is None else str(reply)
    if parser == "official":
        return _OFFICIAL[task](text, opts)
    return _robust(text, opts, task)


def normalise_options(options: Mapping[str, str]) -> dict[str, str]:
    """Upper-case single-letter keys, stripped texts; rejects anything else with a clear error."""
    if not options:
        raise ValueError("a multiple-choice item needs at least one option")
    out: dict[str, str] = {}
    for key, value in options.items():
        letter = str(key).strip().upper()
        if len(letter) != 1 or not letter.isalpha():
            raise ValueError(f"option keys must be single letters, got {key!r} in {dict(options)}")
        out[letter] = str(value).strip()
    return out


# ----------------------------------------------------------------------------- official

_PREFIX = re.compile(r"^\(?([A-Z])[\.\):]")
_OPTION_WORD = re.compile(r"\b(?:OPTION|CHOICE)\s*\(?([A-Z])\b")


def _letter_rules(text: str, opts: dict[str, str]) -> str | None:
    """The letter rules the official extractors share: bare letter, "A." label, "option A"."""
    upper = text.strip().upper()
    if upper in opts:
        return upper
    for pattern in (_PREFIX, _OPTION_WORD):
        match = pattern.search(upper)
        if match and match.group(1) in opts:
            return match.group(1)
    return None


def _first_contained_text(text: str, opts: dict[str, str]) -> str | None:
    # Plain substring test in option order, as the official scripts do ("male" is in "female").
    lower = text.lower()
    for letter, option in opts.items():
        if option and option.lower() in lower:
            return letter
    return None


def _official_generic(text: str, opts: dict[str, str]) -> str | None:
    return _letter_rules(text, opts) or _first_contained_text(text, opts)


def _official_scr(text: str, opts: dict[str, str]) -> str | None:
    for char in text.upper():
        if char in "ABCD":
            return char
    return None


def _official_ser(text: str, opts: dict[str, str]) -> str | None:
    found = _letter_rules(text, opts)
    if found:
        return found
    upper = text.upper()
    standalone = re.search(r"\b([A-D])\b", upper)  # upper-casing first makes the article "a" an A
    if standalone:
        return standalone.group(1)
    found = _first_contained_text(text, opts)
    if found:
        return found
    for char in upper:  # last resort: a letter inside any word ("PARIS" -> A)
        if char in "ABCD":
            return char
    return None


def _official_asc(text: str, opts: dict[str, str]) -> str | None:
    upper = text.strip().upper()
    if upper in opts:
        return upper
    match = re.match(r"^\(?([A-D])(?:[\.\):]|\s|$)", upper)
    return match.group(1) if match and match.group(1) in opts else None


def _official_mc(text: str, opts: dict[str, str]) -> str | None:
    letters = re.findall(r"\b([A-D])\b", text.upper())
    if letters:
        return letters[-1]
    return _first_contained_text(text, opts)


# Only synonyms, never the emotion word itself: this is why a bare "sad" is unparseable
# under the official VESUS extractor.
_VESUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "happy": ("joyful", "cheerful", "glad", "delighted", "pleased"),
    "sad": ("unhappy", "sorrowful", "depressed", "melancholy", "gloomy"),
    "angry": ("furious", "mad", "irritated", "annoyed", "enraged"),
    "neutral": ("calm", "indifferent", "emotionless", "flat"),
    "fearful": ("afraid", "scared", "frightened", "terrified", "anxious"),
}
_VESUS_SYNONYMS["fear"] = _VESUS_SYNONYMS["fearful"]


def _official_er(text: str, opts: dict[str, str]) -> str | None:
    found = _letter_rules(text, opts)
    if found:
        return found
    lower = text.lower()
    for letter, option in opts.items():
        if any(syn in lower for syn in _VESUS_SYNONYMS.get(option.lower(), ())):
            return letter
    return None


def _letter_of(opts: dict[str, str], label: str) -> str:
    for letter, option in opts.items():
        if option.strip().lower() == label:
            return letter
    raise ValueError(f"options {opts} have no choice {label!r}; this extractor needs it")


def _official_sd(text: str, opts: dict[str, str]) -> str | None:
    lower = text.strip().lower()
    if lower in ("a", "a.", "a)") or " a " in lower or "real" in lower:
        return _letter_of(opts, "real")
    if lower in ("b", "b.", "b)") or " b " in lower or "fake" in lower:
        return _letter_of(opts, "fake")
    return None


def _official_sgr(text: str, opts: dict[str, str]) -> str | None:
    lower = text.strip().lower()
    if lower in ("a", "b"):
        return lower.upper() if lower.upper() in opts else None
    if "female" in lower:
        return _letter_of(opts, "female")
    if "male" in lower:
        return _letter_of(opts, "male")
    return None


_OFFICIAL: dict[str, Callable[[str, dict[str, str]], str | None]] = {
    "generic": _official_generic,
    "sar": _official_generic,
    "scr": _official_scr,
    "ser": _official_ser,
    "sed": _official_ser,
    "asc": _official_asc,
    "mc": _official_mc,
    "er": _official_er,
    "sd": _official_sd,
    "sgr": _official_sgr,
}


# ----------------------------------------------------------------------------- robust

_BARE = re.compile(r"^[\(\[]?([A-Za-z])[\)\]]?[\.\):]?$")
_LABEL = re.compile(r"^(?:\(([A-Za-z])\)|\[([A-Za-z])\]|([A-Za-z])[\.\):](?=\s|$)|([A-Z])(?=\s*[-–—]\s))")
_ANSWER_PHRASE = re.compile(
    r"\b(?:answer|option|choice)\s*(?:is|would be|=|-)?\s*:?\s*(?:option\s*|choice\s*)?[\(\[]?([A-Za-z])\b[\)\]]?",
    re.IGNORECASE,
)
# "I choose C": upper-case letters only, so "choose a ..." is not read as A.
_CHOOSE = re.compile(r"\b(?:choose|pick|select|go with)\s+(?:option\s+|choice\s+)?[\(\[]?([A-Z])\b")
_LETTER_IS = re.compile(r"(?:^|[\s\(])([A-Z])\s+is\s+(?:the\s+)?correct\b")
_PAREN = re.compile(r"\(([A-Za-z])\)")

_EMOTIONS: dict[str, tuple[str, ...]] = {
    emotion: (emotion, *synonyms) for emotion, synonyms in _VESUS_SYNONYMS.items()
}
_EMOTIONS["happy"] += ("happiness", "joy")
_EMOTIONS["sad"] += ("sadness", "sorrow")
_EMOTIONS["angry"] += ("anger",)
_EMOTIONS["fearful"] += ("fear",)
_EMOTIONS["fear"] = _EMOTIONS["fearful"]

_VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "er": _EMOTIONS,
    "sd": {
        "real": ("real", "genuine", "authentic", "bona fide", "bonafide", "natural", "human"),
        "fake": ("fake", "spoof", "spoofed", "synthetic", "synthesized", "synthesised", "generated",
                 "artificial", "deepfake", "forged"),
    },
    "sgr": {
        "male": ("male", "man", "men", "boy", "masculine", "gentleman"),
        "female": ("female", "woman", "women", "girl", "feminine", "lady"),
    },
}


def _clean(text: str) -> str:
    # Markdown emphasis and code marks carry no meaning for the answer.
    cleaned = re.sub(r"[*`_#]+", "", text).strip()
    return cleaned.strip("\"'“”‘’ \t\n")


def _unique(letters: list[str], opts: dict[str, str]) -> str | None:
    """The one letter the candidates agree on; None when they disagree or leave the choices."""
    distinct = set(letters)
    if len(distinct) != 1:
        return None
    letter = distinct.pop()
    return letter if letter in opts else None


def _robust(text: str, opts: dict[str, str], task: str) -> str | None:
    cleaned = _clean(text)
    if not cleaned:
        return None
    bare = _BARE.match(cleaned)
    if bare:
        letter = bare.group(1).upper()
        return letter if letter in opts else None
    label = _LABEL.match(cleaned)
    if label:
        letter = next(g for g in label.groups() if g).upper()
        return letter if letter in opts else None
    phrases = [m.group(1) for m in _ANSWER_PHRASE.finditer(cleaned) if _is_letter_answer(cleaned, m)]
    phrases += _LETTER_IS.findall(cleaned) + _CHOOSE.findall(cleaned)
    if phrases:
        return _unique([p.upper() for p in phrases], opts)
    parens = _PAREN.findall(cleaned)
    if parens:
        return _unique([p.upper() for p in parens], opts)
    if task in _VOCAB:
        # Vocabulary first: it understands negation ("not real") and synonyms ("a woman").
        mentioned, by_vocab = _match_vocabulary(cleaned, opts, _VOCAB[task])
        if mentioned:  # a negated or conflicting mention must not fall through to plain text
            return by_vocab
    return _match_option_text(cleaned, opts)


def _is_letter_answer(text: str, match: re.Match[str]) -> bool:
    """A lower-case letter after "answer is" must end the clause: "answer is a" yes, "is a dog" no."""
    letter = match.group(1)
    if letter.isupper():
        return True
    rest = text[match.end():].lstrip()
    return rest == "" or rest[0] in ".,;:!)]"


def _match_option_text(text: str, opts: dict[str, str]) -> str | None:
    lower = text.lower()
    hits = []
    for letter, option in opts.items():
        needle = option.lower()
        if needle and re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", lower):
            hits.append(letter)
    # "male and female" style replies name several options: a careful reader gives up,
    # except when one hit is only part of another hit's text ("rain" inside "heavy rain").
    hits = [h for h in hits if not any(h != o and opts[h].lower() in opts[o].lower() for o in hits)]
    return hits[0] if len(hits) == 1 else None


def _match_vocabulary(
    text: str, opts: dict[str, str], vocab: dict[str, tuple[str, ...]]
) -> tuple[bool, str | None]:
    """(whether any vocabulary word occurs, the option it points to or None)."""
    lower = text.lower()
    labels = set()
    for label, words in vocab.items():
        for word in words:
            for hit in re.finditer(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lower):
                negated = re.search(r"\b(?:not|n't|never|no)\s+(?:a\s+|an\s+)?$", lower[: hit.start()])
                labels.add((label, bool(negated)))
    positive = {label for label, negated in labels if not negated}
    if len(positive) == 1:
        label = positive.pop()
    elif not positive and len(vocab) == 2 and len({label for label, _ in labels}) == 1:
        # "not real" means fake when there are exactly two classes.
        label = next(iter(set(vocab) - {next(iter(labels))[0]}))
    else:
        return bool(labels), None
    for letter, option in opts.items():
        if option.strip().lower() in vocab.get(label, ()) or option.strip().lower() == label:
            return True, letter
    return True, None
