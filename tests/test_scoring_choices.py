"""Answer extraction: the robust parser on a table of realistic replies (the official
extractors are pinned by the anchored corpus in tests/test_scoring_anchors.py)."""

from __future__ import annotations

import pytest

from headrouter_eval.scoring.choices import extract_choice

O4 = {"A": "dog barking", "B": "rain", "C": "speech", "D": "music"}
SED = {"A": "Alarm bell ringing", "B": "Dog", "C": "Speech", "D": "Cat"}
TAU = {"A": "airport", "B": "park", "C": "metro station", "D": "street traffic"}
GTZAN = {"A": "blues", "B": "classical", "C": "jazz", "D": "metal"}
VESUS = {"A": "happy", "B": "sad", "C": "angry", "D": "neutral"}
HAD = {"A": "real", "B": "fake"}
GENDER = {"A": "Male", "B": "Female"}
AGE = {
    "A": "Young adult (18-30)",
    "B": "Adult (31-45)",
    "C": "Middle-aged (46-60)",
    "D": "Senior (61-75)",
    "E": "Elderly (76+)",
}

# (reply, official, robust)
SCR = [
    ("B", "B", "B"),
    ("The answer is B", "A", "B"),  # official: the A of "ANSWER"
    ("(c)", "C", "C"),
    ("Option D.", "D", "D"),
    ("b", "B", "B"),
    ("B.", "B", "B"),
    ("E", None, None),  # beyond the choices
    ("", None, None),
    ("It is a dog barking", "A", "A"),
    ("rain", "A", "B"),  # official: the A of "RAIN"
    ("**C**", "C", "C"),
    ("I think C is correct", "C", "C"),
    ("Answer: D", "A", "D"),
    ("speech", "C", "C"),
    ("None of the above", "A", None),
    ("The correct option is (B) rain", "C", "B"),  # official: the C of "CORRECT"
    ("A and C are both possible", "A", None),
    ("d", "D", "D"),
    ("music.", "C", "D"),  # official: the C of "MUSIC"
    ("\n B \n", "B", "B"),
]

SER = [
    ("B", "B", "B"),
    ("The answer is B", "B", "B"),
    ("It is a rain sound", "A", "B"),  # official: the article "a" is option A
    ("(c)", "C", "C"),
    ("Option D.", "D", "D"),
    ("rain", "B", "B"),
    ("Paris", "A", None),  # official: any A-D letter inside a word
    ("", None, None),
    ("E", None, None),
    ("b", "B", "B"),
    ("Answer: C", "C", "C"),
    ("I hear speech", "C", "C"),
    ("Dog barking and rain", "A", None),
    ("music", "D", "D"),
    ("Hmm", None, None),
    ("B) rain", "B", "B"),
    ("There is a speech", "A", "C"),
]

SED_ROWS = [
    ("Dog", "B", "B"),
    ("a dog", "A", "B"),  # article again
    ("Cat", "D", "D"),
    ("Barking", "B", None),  # the B of "BARKING"
    ("C", "C", "C"),
    ("The answer is D", "D", "D"),
    ("alarm bell ringing", "A", "A"),
    ("", None, None),
    ("(b)", "B", "B"),
    ("Option C.", "C", "C"),
    ("b", "B", "B"),
    ("E", None, None),
    ("It is a cat", "A", "D"),
    ("speech and a dog", "A", None),
    ("Dogs barking", "B", None),  # official: plain substring "dog"; robust: whole words only
]

ASC = [
    ("B", "B", "B"),
    ("The answer is B", None, "B"),
    ("park", None, "B"),  # a bare scene name gives nothing officially
    ("(c)", "C", "C"),
    ("Option D.", None, "D"),
    ("b", "B", "B"),
    ("B. park", "B", "B"),
    ("A", "A", "A"),
    ("E", None, None),
    ("", None, None),
    ("D street traffic", "D", "D"),
    ("It sounds like a metro station", None, "C"),
    ("c)", "C", "C"),
    ("street traffic", None, "D"),
    ("A airport", "A", "A"),
    ("a park", "A", "B"),  # official reads the article as a leading label
]

MC = [
    ("B", "B", "B"),
    ("The answer is B", "B", "B"),
    ("A. blues, or maybe C", "C", "A"),  # official: the trailing letter wins
    ("(c)", "C", "C"),
    ("Option D.", "D", "D"),
    ("classical", "B", "B"),
    ("jazz", "C", "C"),
    ("b", "B", "B"),
    ("E", None, None),
    ("", None, None),
    ("It is a jazz piece", "A", "C"),
    ("B, not D", "D", None),
    ("Answer: B", "B", "B"),
    ("Classical music", "B", "B"),
    ("I think it's metal", "D", "D"),
    ("blues or jazz", "A", None),
]

ER = [
    ("B", "B", "B"),
    ("sad", None, "B"),  # the official table lists only synonyms
    ("The speaker sounds unhappy", "B", "B"),
    ("angry", None, "C"),
    ("furious", "C", "C"),
    ("(d)", "D", "D"),
    ("Option A.", "A", "A"),
    ("neutral", None, "D"),
    ("calm", "D", "D"),
    ("The answer is C", None, "C"),
    ("", None, None),
    ("E", None, None),
    ("happy", None, "A"),
    ("The speaker is glad", "A", "A"),
    ("The speaker is not happy", None, None),
    ("d", "D", "D"),
    ("He sounds annoyed, almost furious", "C", "C"),
]

SD = [
    ("a", "A", "A"),
    ("b", "B", "B"),
    ("It is a fake recording", "A", "B"),  # official: " a " reads as real
    ("fake", "B", "B"),
    ("real", "A", "A"),
    ("Real.", "A", "A"),
    ("This is a real recording", "A", "A"),
    ("The recording is fake", "B", "B"),
    ("", None, None),
    ("Fake speech", "B", "B"),
    ("synthetic", None, "B"),
    ("genuine human speech", None, "A"),
    ("A", "A", "A"),
    ("B.", "B", "B"),
    ("It's not real", "A", "B"),
    ("unreal voice", "A", None),
    ("c", None, None),  # beyond the two choices
    ("The answer is B", None, "B"),
]

SGR = [
    ("a", "A", "A"),
    ("b", "B", "B"),
    ("Male", "A", "A"),
    ("Female", "B", "B"),
    ("female", "B", "B"),  # "male" is inside "female"
    ("Answer: A", None, "A"),
    ("The speaker is male", "A", "A"),
    ("The speaker is female", "B", "B"),
    ("A", "A", "A"),
    ("", None, None),
    ("woman", None, "B"),
    ("a man", None, "A"),
    ("Male.", "A", "A"),
    ("(b)", None, "B"),
    ("It's a female voice", "B", "B"),
    ("B) Female", "B", "B"),
    ("not female", "B", "A"),
    ("c", None, None),
    ("The answer is B", None, "B"),
    ("Option D.", None, None),
]

SAR = [
    ("B", "B", "B"),
    ("E", "E", "E"),
    ("F", None, None),  # a letter beyond the five choices
    ("(c)", "C", "C"),
    ("Option D.", "D", "D"),
    ("The answer is B", None, "B"),
    ("Adult (31-45)", "B", "B"),
    ("Young adult (18-30)", "A", "A"),
    ("e", "E", "E"),
    ("", None, None),
    ("Senior (61-75).", "D", "D"),
    ("B. Adult (31-45)", "B", "B"),
    ("adult", None, None),
    ("d", "D", "D"),
    ("Answer: C", None, "C"),
]

# Robust generic parser, as the synthetic benchmark uses it.
GENERIC_ROBUST = [
    ("**Answer:** B", "B"),
    ("The correct answer is (C) speech.", "C"),
    ("I would choose option b.", "B"),
    ("The answer is a dog barking", "A"),
    ("B - rain", "B"),
    ("Both A and B", None),
    ("The answer is B, not C", "B"),
    ("Answer: E", None),
    ("answer is d", "D"),
    ("[C]", "C"),
    ("c.", "C"),
    ("'B'", "B"),
    ("The sound is rain falling", "B"),
    ("I cannot tell", None),
    ("D is correct", "D"),
    ("The answer is: B", "B"),
    ("I choose C.", "C"),
    ("I would choose a dog barking", "A"),  # the article, then the choice text
    ("Answer: (A) dog barking", "A"),
]


def _cases(task, options, rows):
    return [pytest.param(task, options, r, o, b, id=f"{task}:{r!r}") for r, o, b in rows]


ALL = (
    _cases("scr", O4, SCR)
    + _cases("ser", O4, SER)
    + _cases("sed", SED, SED_ROWS)
    + _cases("asc", TAU, ASC)
    + _cases("mc", GTZAN, MC)
    + _cases("er", VESUS, ER)
    + _cases("sd", HAD, SD)
    + _cases("sgr", GENDER, SGR)
    + _cases("sar", AGE, SAR)
)


@pytest.mark.parametrize("task,options,reply,official,robust", ALL)
def test_official_and_robust(task, options, reply, official, robust):
    # The official column records what these tables expected before the extractors were
    # checked against the benchmark's code; the official truth is now the anchored corpus
    # (tests/test_scoring_anchors.py), so only the robust reading is pinned here.
    assert extract_choice(reply, options, task=task, parser="robust") == robust


@pytest.mark.parametrize("reply,expected", GENERIC_ROBUST)
def test_generic_robust(reply, expected):
    assert extract_choice(reply, O4) == expected


def test_tables_are_large_enough():
    for rows in (SCR, SER, SED_ROWS, ASC, MC, ER, SD, SGR, SAR, GENERIC_ROBUST):
        assert len(rows) >= 15


def test_generic_official_is_letter_rules_then_text():
    assert extract_choice("The answer is B", O4, task="generic", parser="official") is None
    assert extract_choice("speech", O4, task="generic", parser="official") == "C"


def test_none_reply_is_unparseable():
    assert extract_choice(None, O4) is None


@pytest.mark.parametrize(
    "kwargs,match",
    [({"parser": "lenient"}, "unknown parser"), ({"task": "vqa"}, "unknown choice-extraction task")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        extract_choice("B", O4, **kwargs)


def test_bad_options():
    with pytest.raises(ValueError, match="single letters"):
        extract_choice("B", {"AB": "x"})
    with pytest.raises(ValueError, match="at least one option"):
        extract_choice("B", {})


def test_sd_official_names_only_real_or_fake():
    # The official HAD extractor answers "real"/"fake" whatever the choices; other choices get nothing.
    assert extract_choice("a", {"A": "yes", "B": "no"}, task="sd", parser="official") is None
    assert extract_choice("a", {"A": "fake", "B": "real"}, task="sd", parser="official") == "B"
