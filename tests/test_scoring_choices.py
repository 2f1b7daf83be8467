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

# (reply, robust reading)
SCR = [
    ('B', 'B'),
    ('The answer is B', 'B'),
    ('(c)', 'C'),
    ('Option D.', 'D'),
    ('b', 'B'),
    ('B.', 'B'),
    ('E', None),  # beyond the choices
    ('', None),
    ('It is a dog barking', 'A'),
    ('rain', 'B'),
    ('**C**', 'C'),
    ('I think C is correct', 'C'),
    ('Answer: D', 'D'),
    ('speech', 'C'),
    ('None of the above', None),
    ('The correct option is (B) rain', 'B'),
    ('A and C are both possible', None),
    ('d', 'D'),
    ('music.', 'D'),
    ('\n B \n', 'B'),
]

SER = [
    ('B', 'B'),
    ('The answer is B', 'B'),
    ('It is a rain sound', 'B'),
    ('(c)', 'C'),
    ('Option D.', 'D'),
    ('rain', 'B'),
    ('Paris', None),
    ('', None),
    ('E', None),
    ('b', 'B'),
    ('Answer: C', 'C'),
    ('I hear speech', 'C'),
    ('Dog barking and rain', None),
    ('music', 'D'),
    ('Hmm', None),
    ('B) rain', 'B'),
    ('There is a speech', 'C'),
]

SED_ROWS = [
    ('Dog', 'B'),
    ('a dog', 'B'),  # article again
    ('Cat', 'D'),
    ('Barking', None),  # the B of "BARKING"
    ('C', 'C'),
    ('The answer is D', 'D'),
    ('alarm bell ringing', 'A'),
    ('', None),
    ('(b)', 'B'),
    ('Option C.', 'C'),
    ('b', 'B'),
    ('E', None),
    ('It is a cat', 'D'),
    ('speech and a dog', None),
    ('Dogs barking', None),  # robust: whole words only
]

ASC = [
    ('B', 'B'),
    ('The answer is B', 'B'),
    ('park', 'B'),
    ('(c)', 'C'),
    ('Option D.', 'D'),
    ('b', 'B'),
    ('B. park', 'B'),
    ('A', 'A'),
    ('E', None),
    ('', None),
    ('D street traffic', 'D'),
    ('It sounds like a metro station', 'C'),
    ('c)', 'C'),
    ('street traffic', 'D'),
    ('A airport', 'A'),
    ('a park', 'B'),
]

MC = [
    ('B', 'B'),
    ('The answer is B', 'B'),
    ('A. blues, or maybe C', 'A'),
    ('(c)', 'C'),
    ('Option D.', 'D'),
    ('classical', 'B'),
    ('jazz', 'C'),
    ('b', 'B'),
    ('E', None),
    ('', None),
    ('It is a jazz piece', 'C'),
    ('B, not D', None),
    ('Answer: B', 'B'),
    ('Classical music', 'B'),
    ("I think it's metal", 'D'),
    ('blues or jazz', None),
]

ER = [
    ('B', 'B'),
    ('sad', 'B'),
    ('The speaker sounds unhappy', 'B'),
    ('angry', 'C'),
    ('furious', 'C'),
    ('(d)', 'D'),
    ('Option A.', 'A'),
    ('neutral', 'D'),
    ('calm', 'D'),
    ('The answer is C', 'C'),
    ('', None),
    ('E', None),
    ('happy', 'A'),
    ('The speaker is glad', 'A'),
    ('The speaker is not happy', None),
    ('d', 'D'),
    ('He sounds annoyed, almost furious', 'C'),
]

SD = [
    ('a', 'A'),
    ('b', 'B'),
    ('It is a fake recording', 'B'),
    ('fake', 'B'),
    ('real', 'A'),
    ('Real.', 'A'),
    ('This is a real recording', 'A'),
    ('The recording is fake', 'B'),
    ('', None),
    ('Fake speech', 'B'),
    ('synthetic', 'B'),
    ('genuine human speech', 'A'),
    ('A', 'A'),
    ('B.', 'B'),
    ("It's not real", 'B'),
    ('unreal voice', None),
    ('c', None),  # beyond the two choices
    ('The answer is B', 'B'),
]

SGR = [
    ('a', 'A'),
    ('b', 'B'),
    ('Male', 'A'),
    ('Female', 'B'),
    ('female', 'B'),  # "male" is inside "female"
    ('Answer: A', 'A'),
    ('The speaker is male', 'A'),
    ('The speaker is female', 'B'),
    ('A', 'A'),
    ('', None),
    ('woman', 'B'),
    ('a man', 'A'),
    ('Male.', 'A'),
    ('(b)', 'B'),
    ("It's a female voice", 'B'),
    ('B) Female', 'B'),
    ('not female', 'A'),
    ('c', None),
    ('The answer is B', 'B'),
    ('Option D.', None),
]

SAR = [
    ('B', 'B'),
    ('E', 'E'),
    ('F', None),  # a letter beyond the five choices
    ('(c)', 'C'),
    ('Option D.', 'D'),
    ('The answer is B', 'B'),
    ('Adult (31-45)', 'B'),
    ('Young adult (18-30)', 'A'),
    ('e', 'E'),
    ('', None),
    ('Senior (61-75).', 'D'),
    ('B. Adult (31-45)', 'B'),
    ('adult', None),
    ('d', 'D'),
    ('Answer: C', 'C'),
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
    return [pytest.param(task, options, r, b, id=f"{task}:{r!r}") for r, b in rows]


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


@pytest.mark.parametrize("task,options,reply,robust", ALL)
def test_robust(task, options, reply, robust):
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
