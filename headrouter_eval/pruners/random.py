"""Random: keep a uniformly random subset of the audio tokens.

Each prompt draws from a fresh generator seeded with ``seed``, so a prompt's subset
depends only on the seed and the prompt, never on evaluation order or on how
data-parallel ranks split the data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import Pruner, ScoringInputs


@dataclass
class RandomPruner(Pruner):
    seed: int = 0

    name = "random"
    needs_attention = False

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        generator = torch.Generator().manual_seed(int(self.seed))
        return torch.rand(inputs.layout.n_audio, generator=generator)
