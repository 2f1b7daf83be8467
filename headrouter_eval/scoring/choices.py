"""Multiple-choice answer extraction: one parser, per-task rules, two behaviours.

``parser="official"`` reproduces, for the ten AudioMarathon tasks, the extractors of
the benchmark's own evaluation scripts *including their quirks* (implemented in
:mod:`headrouter_eval.scoring.am_official`, proven against the official functions by
the anchored corpus in ``tests/data/scoring_cases/``). For example SCR takes the
first A-D character anywhere ("The answer is B" -> A, the A of "ANSWER"), SER/SED
read the article "a" as A and fall back to any A-D letter inside a word, SD reads
" a " anywhere as "real". ``generic`` (tasks of this project, not AudioMarathon)
uses letter rules and then the choice text as a substring.

``parser="robust"`` reads as a careful person would, the same for every task plus
task vocabularies (emotions, real/fake, male/female). It never guesses: an
ambiguous reply or a letter beyond the offered choices gives ``None``.

The returned value is always an option letter from ``options`` (upper case) or
``None`` for an unparseable reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from headrouter_eval.scoring.am_official import TASKS as AM_TASKS
from headrouter_eval.scoring.am_official import official_letter

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


# Synonyms the robust parser reads for the emotion choices (with the words themselves).
_VESUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "happy": ("joyful", "cheerful", "glad", "delighted", "pleased"),
    "sad": ("unhappy", "sorrowful", "depressed", "melancholy", "gloomy"),
    "angry": ("furious", "mad", "irritated", "annoyed", "enraged"),
    "neutral": ("calm", "indifferent", "emotionless", "flat"),
    "fearful": ("afraid", "scared", "frightened", "terrified", "anxious"),
}
_VESUS_SYNONYMS["fear"] = _VESUS_SYNONYMS["fearful"]


def _official_task(task: str) -> Callable[[str, dict[str, str]], str | None]:
    def extract(text: str, opts: dict[str, str]) -> str | None:
        return official_letter(task, text, opts)
    return extract


_OFFICIAL: dict[str, Callable[[str, dict[str, str]], str | None]] = {
    "generic": _official_generic,
    **{task: _official_task(task) for task in AM_TASKS},
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
