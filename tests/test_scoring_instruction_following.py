"""MMAU-Pro instruction checkers: kwargs forms, unknown identifiers, robust departures, Punkt sentences."""

from __future__ import annotations

import json

import pytest

from headrouter_eval.benchmarks.mmau_pro import aggregate_score, aggregate_unknown, process_results
from headrouter_eval.scoring.instruction_following import check, is_known, normalise_kwargs
from headrouter_eval.scoring.sentences import count_sentences


@pytest.mark.parametrize("raw", [
    {"keywords": "rain, thunder"},
    json.dumps({"keywords": "rain, thunder"}),
    {"keywords": "rain, thunder", "N": None, "N1": None, "section_splitter": None},
])
def test_kwargs_forms_give_the_same_dict(raw):
    assert normalise_kwargs(raw) == {"keywords": "rain, thunder"}
    assert check("Include Keywords", "Rain and thunder", normalise_kwargs(raw))


def test_struct_none_means_the_official_default():
    # N1 missing (None in the struct) -> the evaluator's default 0; N2 given.
    kwargs = normalise_kwargs({"N1": None, "N2": 2, "keywords": None})
    assert check("Number Words (range)", "one two", kwargs)
    assert not check("Number Words (range)", "one two three", kwargs)


def test_bad_kwargs_are_clear_errors():
    with pytest.raises(ValueError, match="not JSON"):
        normalise_kwargs("{keywords: rain")
    with pytest.raises(ValueError, match="must be a dict"):
        normalise_kwargs(["rain"])
    with pytest.raises(TypeError, match="Number Words"):
        check("Number Words (at least)", "a b", {"N": "2"})


def test_unknown_identifier_fails_and_is_counted():
    assert not is_known("JSON Format") and not check("JSON Format", '{"a": 1}', {})
    doc = {"id": "x", "task": "instruction_following", "question": "q", "identifiers": ["JSON Format"],
           "checker_kwargs_json": "[{}]"}
    item = process_results(doc, ['{"a": 1}'], options={"if_checkers": "official"})
    assert item["score"]["value"] == 0.0 and aggregate_unknown([item["unknown_identifiers"]]) == 1
    assert aggregate_score([item["score"]]) == 0.0


def test_official_quirks_and_robust_departures():
    assert check("Include Keywords", "a category", {"keywords": "cat"})  # raw substring
    assert not check("Include Keywords", "a category", {"keywords": "cat"}, strict=False)
    assert not check("Number Bullets", "- a\n- b", {"N": 2})
    assert check("Number Bullets", "- a\n- b", {"N": 2}, strict=False)
    assert check("Two Responses", "a ******", {})  # an empty second answer passes officially
    assert not check("Two Responses", "a ******", {}, strict=False)
    assert check("Include Keywords", "anything", {})  # no keywords: passes, as officially
    assert check("Repeat Prompt", "  Say hi. Hi!", {}, question="say hi.")
    assert check("All Lowercase", None, {}) is False  # None reads as "None"


def test_punkt_sentences_know_abbreviations():
    assert count_sentences("Dr. Smith hears rain. It stops.") == 2
    assert count_sentences("Mr. Jones arrived at 3 p.m. on Monday.") == 1
    assert count_sentences("") == 0
