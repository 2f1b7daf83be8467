"""FastV: keep the audio tokens the last token attends to most (rotary on, head-averaged).

The last token's real attention probabilities at the scoring layer (softmax over the
whole causal prefix, then restricted to the audio columns), averaged over heads.
Known bias: rotary attention favours keys close to the query, i.e. the audio tail.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import Pruner, ScoringInputs


@dataclass
class FastVPruner(Pruner):
    name = "fastv"

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        return inputs.last_token_attention().mean(dim=0)
