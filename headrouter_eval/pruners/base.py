"""The pruner interface: turn "scores for the audio tokens" into "which audio tokens to keep".

A pruner is a small dataclass with one method, :meth:`Pruner.score`; the keep count
(:func:`keep_count`), the per-span floor and gathering live here and in
``headrouter_eval.engine``. Pruners see tensors and small callables only
(:class:`ScoringInputs`). The keep rule: README.md, "How pruning works"; how the engine calls a pruner:
ARCHITECTURE.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from headrouter_eval.pruners.layout import AudioLayout

if TYPE_CHECKING:  # the engine builds it and hands it over; pruners only call its methods
    from headrouter_eval.engine.probe import AttentionProbe


def validate_retention(retention: float) -> float:
    """``retention`` as a float in (0, 1], or a ValueError saying what was given."""
    try:
        value = float(retention)
    except (TypeError, ValueError):
        raise ValueError(f"retention must be a number in (0, 1], got {retention!r}") from None
    if not 0.0 < value <= 1.0:
        raise ValueError(f"retention must be in (0, 1] (fraction of audio tokens kept), got {value}")
    return value


def keep_count(n_audio: int, retention: float, n_spans: int = 1) -> int:
    """Audio tokens kept: ``max(ceil(retention * n_audio), n_spans)``, at most ``n_audio``."""
    # round first so 0.7 * 10 = 7.000000000000001 keeps 7, not 8
    wanted = math.ceil(round(retention * n_audio, 6))
    return min(n_audio, max(wanted, n_spans))


def top_k_with_span_floor(scores: torch.Tensor, keep: int, span_ids: torch.Tensor) -> torch.Tensor:
    """Indices (ascending) of ``keep`` tokens: each span's best, then the best overall."""
    n_spans = int(span_ids.max()) + 1
    chosen = torch.zeros_like(scores, dtype=torch.bool)
    for span in range(n_spans):
        members = torch.nonzero(span_ids == span).flatten()
        chosen[members[torch.argmax(scores[members])]] = True
    rest = keep - n_spans
    if rest > 0:
        open_scores = scores.float().masked_fill(chosen, float("-inf"))
        chosen[torch.topk(open_scores, rest).indices] = True
    return torch.nonzero(chosen).flatten()


@dataclass(frozen=True)
class ModelInfo:
    """What a pruner may need to know about the model it is attached to."""

    name_or_path: str
    num_layers: int
    num_heads: int
    num_kv_heads: int
    hidden_size: int
    layer: int  # pruning layer K
    scoring_layer: int
    head_dim: int = 0  # 0: hidden_size // num_heads

    @property
    def dim_per_head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_heads


@dataclass
class ScoringInputs:
    """What a pruner sees at the scoring layer for one prompt.

    ``probe`` holds the scoring layer's post-norm attention input and projections; it
    is ``None`` for pruners that declare ``needs_attention = False`` (the engine then
    skips that work).
    """

    layout: AudioLayout
    keep: int
    scoring_layer: int
    probe: AttentionProbe | None = None
    #: stable id of the prompt (hash of token ids and audio features), set for pruners with ``needs_prompt_id``
    prompt_id: str = ""

    def last_token_attention(self) -> torch.Tensor:
        """(H, N_audio): the last token's real attention (rotary, softmax over the whole prefix)."""
        last = torch.tensor([self.layout.seq_len - 1], device=self.probe.hidden.device)
        return self.probe.causal_rows(last)[:, 0, self.layout.audio_positions]

    def audio_logits(self, query_positions: torch.Tensor, *, rope: bool) -> torch.Tensor:
        """(H, Q, N_audio) scaled q.k logits from ``query_positions`` to the audio tokens."""
        return self.probe.logits(query_positions, self.layout.audio_positions, rope=rope)


@dataclass
class Pruner:
    """Base class: subclasses set ``name`` and implement :meth:`score`."""

    retention: float = 1.0

    name: ClassVar[str] = ""
    needs_attention: ClassVar[bool] = True
    needs_prompt_id: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self.retention = validate_retention(self.retention)

    def bind(self, model: ModelInfo) -> None:
        """Called once when attached to a model; check model-specific state here (e.g. a profile)."""

    @property
    def routes_by_task(self) -> bool:
        """True when :meth:`score` needs the class of the task being answered (HeadRouter's routing=oracle)."""
        return False

    def set_task_class(self, task_class: str | None) -> None:
        """The class of the task whose prompts come next; callers set it when :attr:`routes_by_task`."""

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        """(N_audio,) importance of each audio token; the highest are kept."""
        raise NotImplementedError(f"{type(self).__name__} must implement score()")

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        """Ascending indices into ``inputs.layout.audio_positions`` of the tokens to keep."""
        return top_k_with_span_floor(self.score(inputs), inputs.keep, inputs.layout.span_ids)

    @classmethod
    def scoring_flops(cls, model: ModelInfo, seq_len: int, query_len: int) -> int:
        """FLOPs :meth:`score` adds to a prefill of ``seq_len`` tokens (one multiply-add = 2).

        ``query_len`` is the number of text tokens after the audio. The efficiency
        benchmark reports it beside the measured scoring time; 0 for methods that read
        no attention.
        """
        return 0

    def sample_stats(self) -> dict[str, Any]:
        """Extra per-sample facts for the stats file (e.g. HeadRouter's routing)."""
        return {}

    def calibration_profile(self) -> Any | None:
        """The profile this pruner was calibrated on (its held-out items must never be scored), or
        None for a pruner calibrated on nothing (HeadRouter: the loaded ``profile``)."""
        return None
