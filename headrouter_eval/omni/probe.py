"""Recompute the few attention rows that scoring needs, never the full matrix.

FastV and HeadRouter need attention from a handful of query tokens (the last token,
or the text after the audio) to the audio keys at one layer. The model itself runs
SDPA or FlashAttention-2, which never exposes probabilities; asking for eager
attention with ``output_attentions`` would materialise heads x T x T for *every*
layer (several GB for 5-minute audio on the 7B model). Instead we re-project q and k
with the scoring layer's own weights from its post-norm input and compute
heads x Q x K logits for just the rows and columns asked for.
"""

from __future__ import annotations

import torch

from headrouter_eval.omni.internals import apply_rotary_pos_emb


def project_queries_keys(
    attn: torch.nn.Module,
    hidden: torch.Tensor,
    position_embeddings: tuple[torch.Tensor, torch.Tensor],
    query_positions: torch.Tensor,
    key_positions: torch.Tensor,
    *,
    rope: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """q (H, Q, d) and k (H, K, d) in float32, k repeated over grouped-query heads.

    ``hidden`` is the scoring layer's post-norm attention input for one prompt, shape
    (T, hidden). ``rope=False`` skips the rotary embedding (HeadRouter's
    position-agnostic probe); ``rope=True`` gives exactly the model's q and k.
    """
    head_dim = attn.head_dim
    q = attn.q_proj(hidden[query_positions]).view(len(query_positions), -1, head_dim).transpose(0, 1)
    k = attn.k_proj(hidden[key_positions]).view(len(key_positions), -1, head_dim).transpose(0, 1)
    if rope:
        cos, sin = position_embeddings
        cos, sin = cos[0], sin[0]  # (T, d): batch of one
        q, _ = apply_rotary_pos_emb(q, q, cos[query_positions], sin[query_positions], unsqueeze_dim=0)
        k, _ = apply_rotary_pos_emb(k, k, cos[key_positions], sin[key_positions], unsqueeze_dim=0)
    k = k.repeat_interleave(attn.num_key_value_groups, dim=0)
    return q.float(), k.float()


def attention_logits(
    attn: torch.nn.Module,
    hidden: torch.Tensor,
    position_embeddings: tuple[torch.Tensor, torch.Tensor],
    query_positions: torch.Tensor,
    key_positions: torch.Tensor,
    *,
    rope: bool,
) -> torch.Tensor:
    """Scaled dot products q . k * scaling, shape (H, Q, K), float32."""
    q, k = project_queries_keys(attn, hidden, position_embeddings, query_positions, key_positions, rope=rope)
    return torch.matmul(q, k.transpose(-1, -2)) * attn.scaling


def causal_attention_rows(
    attn: torch.nn.Module,
    hidden: torch.Tensor,
    position_embeddings: tuple[torch.Tensor, torch.Tensor],
    query_positions: torch.Tensor,
) -> torch.Tensor:
    """The model's own attention probabilities for ``query_positions`` over the whole prefix.

    Shape (H, Q, T): rotary applied, causal mask, softmax over every key up to the
    query, exactly the rows ``output_attentions`` of eager attention would give.
    """
    seq_len = hidden.shape[0]
    keys = torch.arange(seq_len, device=hidden.device)
    logits = attention_logits(attn, hidden, position_embeddings, query_positions, keys, rope=True)
    future = keys[None, :] > query_positions[:, None]
    logits = logits.masked_fill(future[None], float("-inf"))
    return torch.softmax(logits, dim=-1)
