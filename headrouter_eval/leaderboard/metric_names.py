"""Plain-words names for the metrics our tasks report, for axis labels.

lmms-eval only knows a metric by its key (``score,none``); what ``score`` means depends on
the benchmark (see tasks/README.md). Unknown metrics are shown by their key.
"""

from __future__ import annotations

from headrouter_eval.leaderboard.runs import TaskScore

# (task-name prefix, metric) -> words; the first matching prefix wins
KNOWN = [
    ("hr_synth", "score", "macro-F1 (0-100)"),
    ("am_asr", "score", "100 - WER (0-100)"),
    ("audiomarathon", "score", "AudioMarathon score: macro-F1, ASR 100 - WER (0-100)"),
    ("am_sgr", "score", "weighted F1 (0-100)"),
    ("am_", "score", "macro-F1 (0-100)"),
    ("mmau", "score", "MMAU-Pro score (0-100)"),
    ("", "accuracy", "accuracy (%)"),
    ("", "unparseable", "unparseable replies (count)"),
    ("", "wer", "word error rate"),
]


def describe(score: TaskScore) -> str:
    """``macro-F1 (0-100)`` for hr_synth's ``score,none``; the bare key where we know no better."""
    name = score.metric.split(",", 1)[0]
    for prefix, metric, words in KNOWN:
        if metric == name and score.task.startswith(prefix):
            return f"{words} [{name}]"
    return score.metric
