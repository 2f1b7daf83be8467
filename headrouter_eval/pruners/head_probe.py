"""Per-head attention probes over the audio tokens, per-head selectivity, head-weighted scores.

One path for every attention-based pruner: FastV is computed here as
"uniform head weights, rotary on, last query, the model's own softmax over the causal
prefix", so HeadRouter with those settings gives FastV's scores bit for bit (same
functions, same float operations), not by coincidence.

For query tokens Q and audio tokens A of one prompt, at the scoring layer:

* logits ``L_h[i, t] = q_h[i] . k_h[t] * scaling`` for every key ``t`` up to the query
  (``rope=False`` leaves out the rotary embedding: HeadRouter's position-agnostic probe);
* ``softmax="audio"``: ``P_h[i, j] = softmax over j in A of L_h[i, j]`` (paper 3.3.5);
  ``softmax="prefix"``: the attention probabilities over the whole causal prefix,
  restricted to the audio columns (the model's real attention when ``rope=True``);
* ``a_h[j] = mean over i in Q of P_h[i, j]`` (the head's probe distribution);
* ``audio mass m_h = mean over i in Q of sum over j in A`` of the prefix softmax: how much
  of the head's attention goes to audio at all (same rotary setting as the probe);
* selectivity ``s_h = 1 - entropy(a_h / sum a_h) / log|A|`` in [0, 1];
* score ``score[j] = sum_h w_h a_h[j]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.layout import AudioLayout

QUERY_MODES = ("text", "last")
PROBE_MODES = ("norope", "rope")
SOFTMAX_MODES = ("audio", "prefix")


@dataclass
class HeadProbe:
    """What one prompt's probe gives: per-head distributions over the audio and audio mass."""

    distributions: torch.Tensor  # (H, N_audio) a_h
    audio_mass: torch.Tensor  # (H,) m_h


def query_positions(layout: AudioLayout, queries: str) -> torch.Tensor:
    """Sequence positions of the probing queries: the text after the audio, or the last token."""
    if queries == "text":
        return layout.query_positions
    if queries == "last":
        return torch.tensor([layout.seq_len - 1], device=layout.audio_positions.device)
    raise ValueError(f"queries must be one of {QUERY_MODES}, got {queries!r}")


def probe_heads(inputs, *, rope: bool, queries: str, softmax: str) -> HeadProbe:
    """Probe distributions ``a_h`` and audio mass ``m_h`` of every head at the scoring layer.

    ``inputs`` is a :class:`~headrouter_eval.pruners.base.ScoringInputs` with attention.
    Only the rows of the queries are computed (H x Q x prefix), never the full map.
    """
    if softmax not in SOFTMAX_MODES:
        raise ValueError(f"softmax must be one of {SOFTMAX_MODES}, got {softmax!r}")
    layout = inputs.layout
    rows = query_positions(layout, queries)
    keys = torch.arange(int(rows.max()) + 1, device=rows.device)
    logits = inputs.probe.logits(rows, keys, rope=rope)
    future = keys[None, :] > rows[:, None]
    prefix = torch.softmax(logits.masked_fill(future[None], float("-inf")), dim=-1)  # (H, Q, T)
    audio = layout.audio_positions
    on_audio = prefix[..., audio]
    mass = on_audio.sum(dim=-1).mean(dim=1)
    if softmax == "prefix":
        per_query = on_audio
    else:
        # audio columns always precede the queries, so none of them is masked here
        per_query = torch.softmax(logits[..., audio], dim=-1)
    return HeadProbe(distributions=per_query.mean(dim=1), audio_mass=mass)


def selectivity(distributions: torch.Tensor) -> torch.Tensor:
    """(H,) ``1 - entropy / log|A|`` of each head's distribution (renormalised over the audio)."""
    n_audio = distributions.shape[-1]
    if n_audio <= 1:  # one token: nothing to be selective about, and log 1 = 0
        return torch.zeros(distributions.shape[0], device=distributions.device)
    p = distributions / distributions.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(distributions.dtype).tiny)
    entropy = -torch.special.xlogy(p, p).sum(dim=-1)
    return (1.0 - entropy / torch.log(torch.tensor(float(n_audio)))).clamp(0.0, 1.0)


def uniform_weights(num_heads: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Equal weight 1/H per head: plain head averaging (FastV)."""
    return torch.full((num_heads,), 1.0 / num_heads, device=device)


def weighted_scores(distributions: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(N_audio,) ``sum_h w_h a_h[j]``."""
    if weights.shape != distributions.shape[:1]:
        raise ValueError(f"{weights.shape[0]} head weights for {distributions.shape[0]} heads")
    return (weights.to(distributions.dtype)[:, None] * distributions).sum(dim=0)
