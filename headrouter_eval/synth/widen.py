"""Give a trained hr_synth thinker more decoder heads without changing what it computes.

Training from scratch with more heads and the multi-event tasks did not fit a CPU session
(README.md, "Not yet learned"), so training can go on from a trained model instead; the
bundled model was made so, from one with 4 query and 2 key/value heads per layer (head
routing needs more heads to tell apart). :func:`widen_heads` duplicates every query and
key/value head (``factor`` copies each, head width unchanged) and divides the output
projection's columns by ``factor``: the copies of a head produce the same output, so the sum
is the old head's and the widened model gives the same logits. A little noise on the copies'
query/key/value rows then lets training pull them apart; without it, identical copies get
identical gradients and never specialise.

Grouped-query attention stays consistent: query head ``n`` of the widened model reads
key/value head ``n // group``. Copy ``n`` of query head ``n // factor`` and copy ``j`` of
key/value head ``j // factor`` satisfy that, because the old query head ``n // factor``
read key/value head ``n // factor // group``.
"""

from __future__ import annotations

import dataclasses

import torch

from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec

#: std of the symmetry-breaking noise, relative to each projection's own weight std
NOISE = 0.01


def widened_spec(spec: TinyOmniSpec, factor: int) -> TinyOmniSpec:
    """``spec`` with ``factor`` times the decoder heads, each as wide as before."""
    if factor < 1:
        raise ValueError(f"head widening factor must be >= 1, got {factor}")
    return dataclasses.replace(spec, num_heads=spec.num_heads * factor, num_kv_heads=spec.num_kv_heads * factor,
                               decoder_head_dim=spec.head_dim)


@torch.no_grad()
def widen_heads(old_state: dict[str, torch.Tensor], spec: TinyOmniSpec, factor: int, seed: int = 0,
                noise: float = NOISE) -> dict[str, torch.Tensor]:
    """A thinker state dict for :func:`widened_spec` ``(spec, factor)`` computing what ``old_state`` does.

    ``old_state`` is a thinker ``state_dict`` of a model with ``spec``'s sizes. Only the
    decoder's attention projections change; everything else is copied as it is. ``noise``
    (relative std) perturbs every copy but the first; 0 gives an exactly equivalent model.
    """
    head_dim = spec.head_dim
    generator = torch.Generator().manual_seed(seed)
    new_state = dict(old_state)
    for key, value in old_state.items():
        if ".self_attn." not in key or not key.startswith("model.language_model.layers."):
            continue  # the audio and vision towers keep their heads
        if any(f".self_attn.{p}_proj." in key for p in "qkv"):
            # rows: heads x head_dim (bias: the same, as a vector)
            heads = value.reshape(-1, head_dim, *value.shape[1:])
            copies = heads.repeat_interleave(factor, dim=0)
            jitter = torch.randn(copies.shape, generator=generator, dtype=copies.dtype) * noise * value.std()
            jitter[::factor] = 0  # the first copy of each head stays exact
            new_state[key] = (copies + jitter).reshape(-1, *value.shape[1:])
        elif ".self_attn.o_proj.weight" in key:
            # columns: heads x head_dim; each copy contributes 1/factor of the old head's output
            heads = value.reshape(value.shape[0], -1, head_dim)
            new_state[key] = (heads.repeat_interleave(factor, dim=1) / factor).reshape(value.shape[0], -1)
    return new_state
