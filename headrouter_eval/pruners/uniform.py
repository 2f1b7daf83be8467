"""Uniform: keep evenly spaced audio tokens within every audio span.

Allocation across spans (deterministic): every span first gets one token (the keep rule
guarantees ``keep >= n_spans``); the other ``keep - n_spans`` tokens are shared in proportion
to each span's remaining tokens ``n_s - 1`` by the largest-remainder method, ties going to the
earlier span. Within a span of ``n`` tokens keeping ``k``, the kept tokens are
``floor(i * n / k)`` for ``i < k``. The selection is made here, not through the base class's
top-k, so no evenly spaced token is displaced by the span floor. ``rounding=frame``
(AudioMarathon's "frame" baseline): docs/dart.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import Pruner, ScoringInputs

#: ``floor``: ours (the keep rule, per span); ``frame``: AudioMarathon's frame rule
ROUNDINGS = ("floor", "frame")


def uniform_indices(n: int, keep: int) -> torch.Tensor:
    """``floor(i * n / keep)`` for ``i < keep``: ``keep`` evenly spaced indices into ``range(n)``."""
    return torch.div(torch.arange(keep) * n, keep, rounding_mode="floor")


def frame_indices(n: int, retention: float) -> torch.Tensor:
    """AudioMarathon's frame rule over ``n`` tokens: ``int(i * step)`` for ``i < max(1, int(n * (1 - ratio)))``."""
    reduction_ratio = 1.0 - retention  # AudioMarathon is configured with the pruned fraction
    kept = max(1, int(n * (1 - reduction_ratio)))
    if kept >= n:
        return torch.arange(n)
    step = n / kept
    return torch.tensor([int(i * step) for i in range(kept)], dtype=torch.long)


def span_allocation(sizes: list[int], keep: int) -> list[int]:
    """Tokens kept per span: one each, the rest by largest remainder over ``size - 1`` (ties: earlier span)."""
    if any(size < 1 for size in sizes):
        raise ValueError(f"every audio span needs at least one token, got sizes {sizes}")
    total, n_spans = sum(sizes), len(sizes)
    if not n_spans <= keep <= total:
        raise ValueError(f"cannot keep {keep} tokens of {total} in {n_spans} spans (need n_spans <= keep <= total)")
    rest, room = keep - n_spans, total - n_spans
    if rest == 0:
        return [1] * n_spans
    quotas = [rest * (size - 1) for size in sizes]  # in units of 1/room: exact integer arithmetic
    shares = [q // room for q in quotas]
    leftover = rest - sum(shares)
    order = sorted(range(n_spans), key=lambda s: (-(quotas[s] % room), s))
    for span in order[:leftover]:
        shares[span] += 1
    return [1 + share for share in shares]


@dataclass
class UniformPruner(Pruner):
    rounding: str = "floor"

    name = "uniform"
    needs_attention = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"uniform pruner: rounding must be one of {', '.join(ROUNDINGS)}, got {self.rounding!r}")

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        if self.rounding == "frame":
            return frame_indices(inputs.layout.n_audio, self.retention)
        span_ids = inputs.layout.span_ids.cpu()
        sizes = torch.bincount(span_ids).tolist()
        kept, start = [], 0
        for size, k in zip(sizes, span_allocation(sizes, inputs.keep)):
            kept.append(start + uniform_indices(size, k))
            start += size
        return torch.cat(kept)

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        """1 for the kept tokens, 0 elsewhere (the selection itself is :meth:`select`)."""
        scores = torch.zeros(inputs.layout.n_audio)
        scores[self.select(inputs)] = 1.0
        return scores
