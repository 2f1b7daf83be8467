"""Metrics against hand-computed values, WER normalisation and the lmms-eval MCQ helpers."""

from __future__ import annotations

import pytest

from headrouter_eval.scoring import lmms as mcq
from headrouter_eval.scoring import wer
from headrouter_eval.scoring.metrics import mcq_metrics

PREDS = ["A", "B", None, "A", "C"]
GOLDS = ["A", "B", "B", "C", "C"]


def test_macro_f1_by_hand():
    # Parseable pairs: (A,A) (B,B) (A,C) (C,C). F1: A = 2/3, B = 1, C = 2/3 -> macro 7/9.
    m = mcq_metrics(PREDS, GOLDS)
    assert m["f1"] == pytest.approx(100 * 7 / 9)
    assert m["accuracy"] == pytest.approx(60.0)  # 3 of 5, the unparseable one counts wrong
    assert m["unparseable"] == 1
    assert m["n"] == 5


def test_weighted_f1_by_hand():
    # Supports among parseable golds: A 1, B 1, C 2 -> (2/3 + 1 + 2 * 2/3) / 4 = 3/4.
    assert mcq_metrics(PREDS, GOLDS, average="weighted")["f1"] == pytest.approx(75.0)


def test_all_unparseable():
    m = mcq_metrics([None, None], ["A", "B"])
    assert m == {"f1": 0.0, "accuracy": 0.0, "unparseable": 2, "n": 2, "average": "macro"}


def test_perfect():
    assert mcq_metrics(["A", "B"], ["A", "B"])["f1"] == pytest.approx(100.0)


def test_metric_errors():
    with pytest.raises(ValueError, match="2 predictions but 1"):
        mcq_metrics(["A", "B"], ["A"])
    with pytest.raises(ValueError, match="unknown F1 average"):
        mcq_metrics(["A"], ["A"], average="micro")


@pytest.mark.parametrize(
    "text,official,robust",
    [
        ("Well-known, isn't it? (Yes)", "wellknown isnt it yes", "well known isnt it yes"),
        ('He said: "stop!"  [twice] {x}; ok.', "he said stop twice x ok", "he said stop twice x ok"),
        ("  MIXED   Case\tTabs\n", "mixed case tabs", "mixed case tabs"),
        ("", "", ""),
    ],
)
def test_normalisation(text, official, robust):
    assert wer.normalize_transcript(text, parser="official") == official
    assert wer.normalize_transcript(text, parser="robust") == robust


@pytest.mark.parametrize(
    "reply,official,robust",
    [
        ("Spoken Content: Hello world", "Hello world", "Hello world"),
        ("spoken content:hello", "hello", "hello"),
        ("Transcript: a b c", "a b c", "a b c"),
        ("I feel discontent: fine words", "fine words", "I feel discontent: fine words"),
        ("just the words", "just the words", "just the words"),
        ("Spoken Content: <hello there>", "<hello there>", "hello there"),
        (None, "", ""),
    ],
)
def test_transcript_extraction(reply, official, robust):
    assert wer.extract_transcript(reply, parser="official") == official
    assert wer.extract_transcript(reply, parser="robust") == robust


def test_sample_wer_and_score():
    assert wer.sample_wer("the cat sat", "The cat sit.") == pytest.approx(1 / 3)
    assert wer.sample_wer("well-known fact", "wellknown fact", parser="official") == 0.0
    assert wer.sample_wer("well-known fact", "wellknown fact", parser="robust") == pytest.approx(2 / 3)
    assert wer.asr_score([0.0, 0.5]) == pytest.approx(75.0)
    with pytest.raises(ValueError, match="no ASR samples"):
        wer.asr_score([])


def test_official_wer_hides_jiwer_failures(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("jiwer refuses")

    monkeypatch.setattr(wer.jiwer, "wer", broken)
    assert wer.sample_wer("a b", "c d", parser="official") == 0.0  # the official helper's quirk
    with pytest.raises(ValueError, match="jiwer refuses"):
        wer.sample_wer("a b", "c d", parser="robust")


def test_robust_wer_empty_cases():
    assert wer.sample_wer("", "", parser="robust") == 0.0
    assert wer.sample_wer("", "words", parser="robust") == 1.0
    assert wer.sample_wer("some words", "", parser="robust") == 1.0


def test_gold_letter_variants():
    opts = {"A": "Male", "B": "Female"}
    assert mcq.gold_letter("B", opts) == "B"
    assert mcq.gold_letter("(b)", opts) == "B"
    assert mcq.gold_letter("female", opts) == "B"
    with pytest.raises(ValueError, match="neither an option letter nor a choice text"):
        mcq.gold_letter("child", opts)


def test_lmms_helpers_round_trip():
    opts = {"A": "x", "B": "y", "C": "z"}
    replies = ["A", "B", "nonsense", "A", "C"]
    items = [mcq.mcq_process_results(r, opts, g)["score"] for r, g in zip(replies, GOLDS)]
    assert {i["parser"] for i in items} == {"robust"}
    assert mcq.aggregate_score(items) == pytest.approx(100 * 7 / 9)
    assert mcq.aggregate_accuracy(items) == pytest.approx(60.0)
    assert mcq.aggregate_unparseable(items) == 1
    weighted = [mcq.mcq_item(r, opts, g, average="weighted") for r, g in zip(replies, GOLDS)]
    assert mcq.aggregate_score(weighted) == pytest.approx(75.0)
    with pytest.raises(ValueError, match="disagree on the F1 average"):
        mcq.aggregate_score(items[:1] + weighted[:1])
