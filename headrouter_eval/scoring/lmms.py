"""lmms-eval glue for multiple-choice tasks: per-sample ``process_results`` items and
the ``aggregation`` functions that turn them into the metrics of
:func:`headrouter_eval.scoring.metrics.mcq_metrics`.

A new MCQ task needs only::

    def process_results(doc, results):
        return mcq_process_results(results[0], options_of(doc), doc["answer"], task="generic")

and in its YAML ``metric_list`` entries ``score`` / ``accuracy`` / ``unparseable``
with ``aggregation: !function utils.aggregate_score`` etc. (re-exported names).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from headrouter_eval.scoring.am_official import TASKS as AM_TASKS
from headrouter_eval.scoring.am_official import label_of_letter
from headrouter_eval.scoring.choices import extract_choice, normalise_options
from headrouter_eval.scoring.metrics import AVERAGES, mcq_metrics, official_f1

MCQ_METRICS = ("score", "accuracy", "unparseable")


def gold_letter(answer: str, options: Mapping[str, str]) -> str:
    """The option letter of a gold answer given as a letter ("B", "(B)", "B.") or as a choice text."""
    opts = normalise_options(options)
    text = str(answer).strip()
    match = re.fullmatch(r"[\(\[]?([A-Za-z])[\)\]\.:]?", text)
    if match and match.group(1).upper() in opts:
        return match.group(1).upper()
    for letter, option in opts.items():
        if option.lower() == text.lower():
            return letter
    raise ValueError(f"gold answer {answer!r} is neither an option letter nor a choice text of {opts}")


def mcq_item(
    reply: str | None,
    options: Mapping[str, str],
    gold: str,
    *,
    task: str = "generic",
    parser: str = "robust",
    average: str = "macro",
) -> dict[str, Any]:
    """One sample's record: parsed letter (or None), gold letter, and how it was scored."""
    if average not in AVERAGES:
        raise ValueError(f"unknown F1 average {average!r}; expected one of {AVERAGES}")
    opts = normalise_options(options)
    pred = extract_choice(reply, opts, task=task, parser=parser)
    gold_l = gold_letter(gold, opts)
    item: dict[str, Any] = {"pred": pred, "gold": gold_l, "parser": parser, "average": average}
    if task in AM_TASKS:
        item["task"] = task
        # The official metric works on the script's own label vocabulary (letters,
        # or texts for SD / SGR / SAR); keep both sides in it.
        item["pred_label"] = None if pred is None else label_of_letter(task, pred, opts)
        item["gold_label"] = label_of_letter(task, gold_l, opts)
    return item


def mcq_process_results(
    reply: str | None,
    options: Mapping[str, str],
    gold: str,
    *,
    task: str = "generic",
    parser: str = "robust",
    average: str = "macro",
) -> dict[str, dict[str, Any]]:
    """``process_results`` return value: the same item under each MCQ metric name."""
    item = mcq_item(reply, options, gold, task=task, parser=parser, average=average)
    return {name: item for name in MCQ_METRICS}


def _metrics(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if not items:
        raise ValueError("no samples to aggregate")
    averages = {item["average"] for item in items}
    if len(averages) != 1:
        raise ValueError(f"samples of one task disagree on the F1 average: {sorted(averages)}")
    out = mcq_metrics([i["pred"] for i in items], [i["gold"] for i in items], average=averages.pop())
    tasks = {item.get("task") for item in items}
    if len(tasks) == 1 and (task := tasks.pop()) in AM_TASKS:
        # AudioMarathon: F1 and the dropped count exactly as the benchmark's script computes them.
        official = official_f1([i["pred_label"] for i in items], [i["gold_label"] for i in items], task=task)
        out["f1"], out["unparseable"] = official["f1"], official["dropped"]
    return out


def aggregate_score(items: Sequence[Mapping[str, Any]]) -> float:
    """Task score: F1 (macro or weighted, as the items say) over parseable predictions, 0-100."""
    return float(_metrics(items)["f1"])


def aggregate_accuracy(items: Sequence[Mapping[str, Any]]) -> float:
    """Accuracy over all samples, unparseable counted wrong, 0-100."""
    return float(_metrics(items)["accuracy"])


def aggregate_unparseable(items: Sequence[Mapping[str, Any]]) -> int:
    """How many replies the parser could not read (AudioMarathon: how many the official metric drops)."""
    return int(_metrics(items)["unparseable"])
