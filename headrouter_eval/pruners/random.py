"""Random: keep a uniformly random subset of the audio tokens, drawn afresh for every prompt.

Each prompt draws from a generator seeded by ``(seed, prompt id)``, the id being a hash
of the prompt's token ids and audio features (:mod:`headrouter_eval.pruners.prompt_id`).
So two different prompts with the same number of audio tokens keep different subsets,
while the same prompt with the same seed keeps the same subset in any process, in any
evaluation order and on any data-parallel rank. Several seeds estimate the spread of
the random baseline (the sweep config accepts a list: ``model_args: {seed: [0, 1, 2]}``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import Pruner, ScoringInputs
from headrouter_eval.pruners.prompt_id import seed_for


@dataclass
class RandomPruner(Pruner):
    seed: int = 0

    name = "random"
    needs_attention = False
    needs_prompt_id = True

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            self.seed = int(self.seed)
        except (TypeError, ValueError):
            raise ValueError(f"random pruner: seed must be an integer, got {self.seed!r}") from None

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed_for(self.seed, inputs.prompt_id))
        return torch.rand(inputs.layout.n_audio, generator=generator)
