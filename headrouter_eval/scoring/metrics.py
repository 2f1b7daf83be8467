"""Classification metrics on a 0-100 scale, the way AudioMarathon reports them.

F1 is computed only over the predictions the parser could read (the benchmark drops
unparseable outputs before calling scikit-learn); accuracy counts every sample, an
unparseable one as wrong; the unparseable count is reported so nothing hides.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.metrics import f1_score

AVERAGES = ("macro", "weighted")


def mcq_metrics(
    preds: Sequence[str | None],
    golds: Sequence[str],
    *,
    average: str = "macro",
) -> dict[str, float | int]:
    """Per-sample predictions (``None`` = unparseable) and gold labels -> metric dict.

    Keys: ``f1`` (macro or weighted F1 over parseable predictions, 0-100; 0.0 when no
    prediction was parseable), ``accuracy`` (over all samples, 0-100), ``unparseable``
    (count), ``n`` (samples), ``average`` (which F1 average was used).
    """
    if average not in AVERAGES:
        raise ValueError(f"unknown F1 average {average!r}; expected one of {AVERAGES}")
    if len(preds) != len(golds):
        raise ValueError(f"{len(preds)} predictions but {len(golds)} gold labels")
    if any(g is None for g in golds):
        raise ValueError("a gold label is None; every sample needs a gold answer")
    parsed = [(p, g) for p, g in zip(preds, golds) if p is not None]
    n = len(golds)
    if parsed:
        y_pred, y_true = zip(*parsed)
        # Labels default to the union of y_true and y_pred, as the benchmark's sklearn call does.
        f1 = 100.0 * float(f1_score(list(y_true), list(y_pred), average=average, zero_division=0))
    else:
        f1 = 0.0
    correct = sum(1 for p, g in zip(preds, golds) if p is not None and p == g)
    return {
        "f1": f1,
        "accuracy": 100.0 * correct / n if n else 0.0,
        "unparseable": n - len(parsed),
        "n": n,
        "average": average,
    }


# Per AudioMarathon task, what the official metric step does (see am_official):
# which labels survive (a fixed set, or the labels seen among the gold answers),
# which labels sklearn is told about (fixed, gold-seen, or its default union) and
# the F1 average the paper reports.
_LABELS_FIXED = {"scr": ("A", "B", "C", "D"), "mc": ("A", "B", "C", "D")}


def official_f1(pred_labels: Sequence[str | None], gold_labels: Sequence[str], *, task: str) -> dict[str, float | int]:
    """F1 (0-100) and the count of dropped predictions, as the official script of ``task`` computes them.

    Labels are in the official vocabulary (:func:`headrouter_eval.scoring.am_official.label_of_letter`).
    """
    from headrouter_eval.scoring.am_official import FIXED_VALID, TASKS

    if task not in TASKS:
        raise ValueError(f"no official metric for task {task!r}; expected one of {TASKS}")
    if len(pred_labels) != len(gold_labels):
        raise ValueError(f"{len(pred_labels)} predictions but {len(gold_labels)} gold labels")
    valid = set(FIXED_VALID.get(task, gold_labels))
    pairs = [(p, g) for p, g in zip(pred_labels, gold_labels) if p in valid and g in valid]
    if not pairs:
        return {"f1": 0.0, "dropped": len(gold_labels)}
    y_pred, y_true = (list(x) for x in zip(*pairs))
    labels = _LABELS_FIXED.get(task)
    if task == "sar":  # the script passes the sorted age groups of the gold answers
        labels = tuple(sorted(set(gold_labels)))
    average = "weighted" if task == "sgr" else "macro"
    f1 = f1_score(y_true, y_pred, labels=list(labels) if labels else None, average=average, zero_division=0)
    return {"f1": 100.0 * float(f1), "dropped": len(gold_labels) - len(pairs)}
