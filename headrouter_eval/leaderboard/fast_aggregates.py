"""Vectorised twins of the aggregations bootstrap replicates run most, for speed only.

A bootstrap replicate runs a task's own aggregation on resampled items; for our multiple
choice tasks that is scikit-learn's ``f1_score``, whose per-call overhead (~10 ms) times
1,000 replicates x tasks x configurations makes a leaderboard take minutes. The twins
here compute the same numbers for all replicates at once from per-kind counts (items with
equal logged values are interchangeable). :mod:`.bootstrap` uses a twin only after it
matched the real function on the first replicates; otherwise it runs the real function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np

Twin = Callable[[np.ndarray], np.ndarray]  # draws (replicates x n) -> one value per replicate


def _kinds(values: Sequence) -> tuple[np.ndarray, list]:
    """Index of each item's kind, and one representative value per kind."""
    index: dict[str, int] = {}
    representatives: list = []
    codes = []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in index:
            index[key] = len(representatives)
            representatives.append(value)
        codes.append(index[key])
    return np.asarray(codes), representatives


def _counts(codes: np.ndarray, kinds: int, draws: np.ndarray) -> np.ndarray:
    """replicates x kinds: how often each kind was drawn."""
    picked = codes[draws]
    offsets = picked + kinds * np.arange(draws.shape[0])[:, None]
    return np.bincount(offsets.ravel(), minlength=kinds * draws.shape[0]).reshape(draws.shape[0], kinds)


def _mcq(values: Sequence, what: str) -> Twin | None:
    """Twin of ``headrouter_eval.scoring.lmms.aggregate_<what>`` (F1 over parseable, accuracy, unparseable)."""
    if not all(isinstance(v, dict) and {"pred", "gold", "average"} <= set(v) for v in values):
        return None
    averages = {v["average"] for v in values}
    if len(averages) != 1 or averages.pop() not in ("macro", "weighted"):
        return None
    weighted = values[0]["average"] == "weighted"
    codes, reps = _kinds(values)
    preds = [r["pred"] for r in reps]
    golds = [r["gold"] for r in reps]
    parsed = np.array([p is not None for p in preds])
    correct = np.array([p is not None and p == g for p, g in zip(preds, golds)])
    labels = sorted({str(g) for g in golds} | {str(p) for p in preds if p is not None})

    def twin(draws: np.ndarray) -> np.ndarray:
        counts = _counts(codes, len(reps), draws).astype(float)
        n = draws.shape[1]
        if what == "accuracy":
            return 100.0 * (counts @ correct) / n
        if what == "unparseable":
            return counts @ (~parsed)
        f1s, supports, present = [], [], []
        for label in labels:
            is_pred = np.array([p is not None and str(p) == label for p in preds])
            is_gold = np.array([str(g) == label for g in golds]) & parsed
            tp = counts @ (is_pred & is_gold)
            fp = counts @ (is_pred & ~is_gold)
            fn = counts @ (is_gold & ~is_pred)
            denominator = 2 * tp + fp + fn
            f1s.append(np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0))
            supports.append(tp + fn)
            present.append(denominator > 0)  # sklearn's labels: those in y_true or y_pred
        f1s, supports, present = np.array(f1s), np.array(supports), np.array(present)
        if weighted:
            total = supports.sum(axis=0)
            score = np.divide((f1s * supports).sum(axis=0), total, out=np.zeros_like(total), where=total > 0)
        else:
            count = present.sum(axis=0)
            score = np.divide((f1s * present).sum(axis=0), count, out=np.zeros(len(count)), where=count > 0)
        return 100.0 * score

    return twin


def _mean(values: Sequence) -> Twin | None:
    if not all(isinstance(v, (int, float)) for v in values):
        return None
    array = np.asarray([float(v) for v in values])
    return lambda draws: array[draws].mean(axis=1)


def twin_for(function: Callable, values: Sequence) -> Twin | None:
    """A vectorised twin of ``function`` on ``values``, when one is known; None otherwise."""
    module, name = getattr(function, "__module__", ""), getattr(function, "__name__", "")
    if module == "headrouter_eval.scoring.lmms" and name.startswith("aggregate_"):
        return _mcq(values, name[len("aggregate_"):])
    if name == "mean":
        return _mean(values)
    return None
