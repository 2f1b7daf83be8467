"""Uniform: keep evenly spaced audio tokens, ``floor(i * N / keep)`` for i < keep.

Spacing runs over all audio tokens of the prompt in order (spans concatenated); the
per-span floor of the base class still guarantees one token per span.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import Pruner, ScoringInputs


def uniform_indices(n: int, keep: int) -> torch.Tensor:
    return torch.div(torch.arange(keep) * n, keep, rounding_mode="floor")


@dataclass
class UniformPruner(Pruner):
    name = "uniform"
    needs_attention = False

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        scores = torch.zeros(inputs.layout.n_audio)
        scores[uniform_indices(inputs.layout.n_audio, inputs.keep)] = 1.0
        return scores
