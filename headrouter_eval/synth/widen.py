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


@torch.no_grad()
def reseed_copies(state: dict[str, torch.Tensor], spec: TinyOmniSpec, group: int, seed: int = 1
                  ) -> dict[str, torch.Tensor]:
    """Give the copies :func:`widen_heads` made fresh query weights, so they can learn something new.

    Copies that start 1% apart stay about 1% apart through training: the same inputs give them
    the same gradients (the bundled model's pairs did, README.md "Head-behaviour figures"). In
    each run of ``group`` consecutive query heads of every decoder layer, the first head takes
    the run's whole output (their output-projection columns summed, so the model computes
    about what it did: the copies differ a little) and every other head gets new random query
    rows (the weight matrix's own std, zero bias) and a zero output column. Keys and values stay:
    they are shared with the kept head, and the new heads' own queries are what lets them look
    elsewhere. Training then grows the new heads' output from zero.
    """
    if group < 2 or spec.num_heads % group:
        raise ValueError(f"cannot reseed copies in runs of {group} among {spec.num_heads} query heads")
    head_dim = spec.head_dim
    generator = torch.Generator().manual_seed(seed)
    new_state = {key: value.clone() for key, value in state.items()}
    for layer in range(spec.num_layers):
        prefix = f"model.language_model.layers.{layer}.self_attn."
        query, bias, out = (new_state[prefix + name] for name in ("q_proj.weight", "q_proj.bias", "o_proj.weight"))
        std = float(query.std())
        for head in range(spec.num_heads):
            if head % group == 0:
                continue
            rows = slice(head * head_dim, (head + 1) * head_dim)
            kept = head - head % group
            out[:, kept * head_dim:(kept + 1) * head_dim] += out[:, rows]
            out[:, rows] = 0
            query[rows] = torch.randn(query[rows].shape, generator=generator) * std
            bias[rows] = 0
    return new_state
