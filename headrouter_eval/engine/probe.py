"""Recompute the few attention rows that scoring needs, never the full matrix.

FastV and HeadRouter need attention from a handful of query tokens (the last token,
or the text after the audio) to the audio keys at one layer. The model itself runs
SDPA or FlashAttention-2, which never exposes probabilities; asking for eager
attention with ``output_attentions`` would materialise heads x T x T for *every*
layer (several GB for 5-minute audio on the 7B model). Instead we re-project q and k
with the scoring layer's own weights from its post-norm input and compute
heads x Q x K logits for just the rows and columns asked for.

What differs between model families (bias, per-head q/k norms, the rotary form) is
hidden behind the three callables of :class:`AttentionProbe`, which the family's
integration module (``headrouter_eval/models/``) builds from the layer; this file
only does the arithmetic, in torch. The engine hands the probe to the pruner inside
``ScoringInputs``; pruners call its methods and never import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

#: rows of the post-norm input (n, hidden) -> per-head vectors (heads, n, head_dim), before rotary
Projection = Callable[[torch.Tensor], torch.Tensor]
#: per-head vectors (heads, n, head_dim) at sequence positions (n,) -> the same with rotary applied
Rotation = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class AttentionProbe:
    """One layer's attention, as far as scoring needs it, for one prompt.

    ``hidden`` is the layer's post-norm attention input, shape (T, hidden).
    ``kv_groups`` query heads share each key head (grouped-query attention);
    ``scaling`` multiplies q . k (usually ``head_dim ** -0.5``).
    ``output`` is the layer's output (the input of the pruning layer K), shape
    (T, hidden), and ``output_norm`` the decoder's final norm: DART compares tokens by
    the cosine of ``output_norm(output)``. The engine sets both; at ``layer=0`` the
    output is the embeddings (there is no earlier layer).
    """

    hidden: torch.Tensor
    queries: Projection
    keys: Projection
    rotate: Rotation
    kv_groups: int
    scaling: float
    output: torch.Tensor | None = None
    output_norm: Callable[[torch.Tensor], torch.Tensor] | None = None

    def project(
        self, query_positions: torch.Tensor, key_positions: torch.Tensor, *, rope: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """q (H, Q, d) and k (H, K, d) in float32, k repeated over grouped-query heads.

        ``rope=False`` skips the rotary embedding (HeadRouter's position-agnostic probe);
        ``rope=True`` gives exactly the model's q and k.
        """
        q = self.queries(self.hidden[query_positions])
        k = self.keys(self.hidden[key_positions])
        if rope:
            q = self.rotate(q, query_positions)
            k = self.rotate(k, key_positions)
        k = k.repeat_interleave(self.kv_groups, dim=0)
        return q.float(), k.float()

    def logits(self, query_positions: torch.Tensor, key_positions: torch.Tensor, *, rope: bool) -> torch.Tensor:
        """Scaled dot products q . k * scaling, shape (H, Q, K), float32."""
        q, k = self.project(query_positions, key_positions, rope=rope)
        return torch.matmul(q, k.transpose(-1, -2)) * self.scaling

    def causal_rows(self, query_positions: torch.Tensor) -> torch.Tensor:
        """The model's own attention probabilities for ``query_positions`` over the whole prefix.

        Shape (H, Q, T): rotary applied, causal mask, softmax over every key up to the
        query, exactly the rows ``output_attentions`` of eager attention would give.
        """
        keys = torch.arange(self.hidden.shape[0], device=self.hidden.device)
        logits = self.logits(query_positions, keys, rope=True)
        future = keys[None, :] > query_positions[:, None]
        return torch.softmax(logits.masked_fill(future[None], float("-inf")), dim=-1)
