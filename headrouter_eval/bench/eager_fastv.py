"""FastV as it is usually implemented, for the side-by-side comparison.

Public FastV code runs the model with eager attention and ``output_attentions`` and
reads the last token's attention row at the scoring layer from the full
heads x T x T map. Here: the whole model switched to eager attention
(``set_attn_implementation``, restored afterwards), a forward hook keeping the
scoring layer's attention-probability map until the pruning layer has used it, and
the same score as our FastV (last token's row, audio columns, mean over heads). The
kept set is the same; what differs is the cost: every layer materialises its T x T
map, and one of them stays alive until the pruning decision. The engine's row-only
scoring (``headrouter_eval.engine.probe``) is what this is compared against.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from headrouter_eval.models import ModelFamily
from headrouter_eval.pruners.base import Pruner, ScoringInputs


@dataclass
class EagerFastVPruner(Pruner):
    """FastV scores read from the scoring layer's full eager attention map."""

    captured: Any = field(default=None, repr=False)

    name = "fastv_eager"
    needs_attention = False  # the engine must not recompute rows: the map comes from the model itself

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        weights, self.captured = self.captured, None
        if weights is None:
            raise RuntimeError(
                "fastv_eager found no attention map from the scoring layer: the model must run eager "
                "attention (use eager_attention()) and the pruning layer must be >= 1"
            )
        return weights[0, :, -1, inputs.layout.audio_positions].float().mean(dim=0)


@contextmanager
def eager_attention(model: torch.nn.Module, family: ModelFamily) -> Iterator[None]:
    """Run ``model`` (all of it) with eager attention inside the block, then restore its kernel."""
    original = family.attention_implementation(model)
    family.set_attention(model, "eager")
    try:
        yield
    finally:
        family.set_attention(model, original)


@contextmanager
def capture_attention_map(
    model: torch.nn.Module, family: ModelFamily, pruner: EagerFastVPruner, scoring_layer: int
) -> Iterator[None]:
    """Hand the scoring layer's prefill attention map (1, H, T, T) to ``pruner``."""
    attn = family.attention_module(family.decoder_layers(model)[scoring_layer])

    def keep_map(module, args, output):
        weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
        if weights is None:
            raise RuntimeError("the scoring layer returned no attention weights: is the model in eager mode?")
        if weights.shape[-2] > 1:  # prefill only; decode steps have one query row
            pruner.captured = weights

    handle = attn.register_forward_hook(keep_map)
    try:
        yield
    finally:
        handle.remove()
        pruner.captured = None
