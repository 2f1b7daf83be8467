"""Every instruction-following checker with a passing and a failing reply, plus the
official-vs-robust differences BENCHMARKS.md lists."""

from __future__ import annotations

import pytest

from headrouter_eval.scoring.instruction_following import CHECKERS, UnknownInstruction, check

# identifier, kwargs, passing reply, failing reply (official/strict mode)
CASES = [
    ("keywords:existence", {"keywords": ["rain", "thunder"]}, "Rain and thunder.", "Only rain here."),
    ("keywords:forbidden_words", {"forbidden_words": ["noise"]}, "A soft hum.", "Loud Noise everywhere."),
    ("keywords:frequency", {"keyword": "bird", "frequency": 2, "relation": "at least"},
     "A bird, then another bird.", "One bird."),
    ("keywords:frequency", {"keyword": "bird", "frequency": 2, "relation": "less than"},
     "One bird.", "bird bird"),
    ("length_constraints:number_words", {"num_words": 5, "relation": "less than"},
     "Two words", "one two three four five"),
    ("length_constraints:number_words", {"num_words": 3, "relation": "at least"}, "it's a well-known song", "hi there"),
    ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at most"},
     "One. Two!", "One. Two. Three?"),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "First part.\n***\nSecond part.", "Just one."),
    ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n* two", "* one\n- two"),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name] at [address]", "Dear [name]"),
    ("detectable_format:title", {}, "<<Rainy Day>>\nIt rains.", "Rainy Day\nIt rains."),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and **two**", "*one* only"),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2},
     "Section 1\nfoo\nSection 2\nbar", "Section 1\nfoo"),
    ("combination:repeat_prompt", {"prompt_to_repeat": "What is this sound?"},
     "What is this sound? A bell.", "A bell."),
    ("combination:two_responses", {}, "A bell.\n******\nA chime.", "A bell."),
    ("change_case:english_capital", {}, "A LOUD BELL.", "A loud bell."),
    ("change_case:english_lowercase", {}, "a quiet bell.", "a quiet Bell."),
    ("change_case:capital_word_frequency", {"capital_frequency": 2, "capital_relation": "at least"},
     "VERY LOUD bell", "VERY loud bell"),
    ("startend:end_checker", {"end_phrase": "That is all."}, "A bell. That is all.", "That is all. A bell."),
    ("startend:start_checker", {"start_phrase": "Sure"}, "Sure, a bell.", "A bell, sure"),
    ("startend:quotation", {}, '"A bell."', "A bell."),
    ("punctuation:no_comma", {}, "A bell rings", "A bell, ringing"),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "A bell.\nP.S. It was loud.", "A bell."),
]


@pytest.mark.parametrize("identifier,kwargs,good,bad", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_checker_pass_and_fail(identifier, kwargs, good, bad):
    assert check(identifier, good, kwargs) is True
    assert check(identifier, bad, kwargs) is False


def test_every_checker_is_covered():
    assert {c[0] for c in CASES} == set(CHECKERS)


def test_official_quirks_versus_robust():
    # Keywords are raw substrings officially: "cat" is inside "category".
    assert check("keywords:existence", "a category", {"keywords": ["cat"]}, strict=True) is True
    assert check("keywords:existence", "a category", {"keywords": ["cat"]}, strict=False) is False
    assert check("keywords:forbidden_words", "scattered", {"forbidden_words": ["cat"]}, strict=True) is False
    assert check("keywords:forbidden_words", "scattered", {"forbidden_words": ["cat"]}, strict=False) is True
    # Only "* " lines are bullets officially.
    assert check("detectable_format:number_bullet_lists", "- a\n- b", {"num_bullets": 2}, strict=True) is False
    assert check("detectable_format:number_bullet_lists", "- a\n- b", {"num_bullets": 2}, strict=False) is True
    # Surrounding whitespace fails start/end/quotation officially.
    end = {"end_phrase": "That is all."}
    assert check("startend:end_checker", "A bell. That is all.\n", end, strict=True) is False
    assert check("startend:end_checker", "A bell. That is all.\n", end, strict=False) is True
    assert check("startend:start_checker", " Sure.", {"start_phrase": "Sure"}, strict=True) is False
    assert check("startend:start_checker", " Sure.", {"start_phrase": "Sure"}, strict=False) is True
    assert check("startend:quotation", '"A bell."\n', {}, strict=True) is False
    assert check("startend:quotation", '"A bell."\n', {}, strict=False) is True
    # Paragraphs: *** officially; blank lines also count in robust mode.
    para = {"num_paragraphs": 2}
    assert check("length_constraints:number_paragraphs", "One.\n\nTwo.", para, strict=True) is False
    assert check("length_constraints:number_paragraphs", "One.\n\nTwo.", para, strict=False) is True


def test_unknown_identifier_and_bad_kwargs():
    with pytest.raises(UnknownInstruction, match="language:response_language"):
        check("language:response_language", "hola", {"language": "es"})
    with pytest.raises(ValueError, match=r"lack \['keywords'\]"):
        check("keywords:existence", "x", {})
    with pytest.raises(ValueError, match="unknown relation"):
        check("length_constraints:number_words", "x", {"num_words": 1, "relation": "around"})
