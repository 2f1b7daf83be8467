"""FastV: keep the audio tokens the last token attends to most (rotary on, head-averaged).

The last token's real attention probabilities at the scoring layer (softmax over the
whole causal prefix, then restricted to the audio columns), averaged over heads.
Known bias: rotary attention favours keys close to the query, i.e. the audio tail.

Computed through the same probe and weighting code as HeadRouter
(``headrouter_eval.pruners.head_probe``): FastV is HeadRouter with uniform head
weights, ``probe=rope``, ``queries=last``, ``softmax=prefix``, by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.base import ModelInfo, Pruner, ScoringInputs
from headrouter_eval.pruners.head_probe import probe_heads, uniform_weights, weighted_scores


@dataclass
class FastVPruner(Pruner):
    name = "fastv"

    @classmethod
    def scoring_flops(cls, model: ModelInfo, seq_len: int, query_len: int) -> int:
        """k for all T keys, q for the last token, one row of logits: 2 T d (H_kv h) + 2 d (H h) + 2 H h T."""
        h, d = model.dim_per_head, model.hidden_size
        heads, kv_heads = model.num_heads, model.num_kv_heads
        return 2 * seq_len * d * kv_heads * h + 2 * d * heads * h + 2 * heads * h * seq_len

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        heads = probe_heads(inputs, rope=True, queries="last", softmax="prefix")
        weights = uniform_weights(heads.distributions.shape[0], heads.distributions.device)
        return weighted_scores(heads.distributions, weights)
