"""Where the audio sits in one prompt: the data every pruner reads.

The engine finds the spans (``headrouter_eval.engine.spans``); pruners only read this
record, so it lives beside them and needs nothing but torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AudioLayout:
    """Positions of the audio tokens of one prompt (batch item), all spans together."""

    seq_len: int
    audio_positions: torch.Tensor  # (N,) ascending sequence positions of the audio placeholder tokens
    span_ids: torch.Tensor  # (N,) index of the span each audio token belongs to
    spans: tuple[tuple[int, int], ...]  # per span: [start, end) positions of its audio tokens
    query_positions: torch.Tensor  # text tokens after the last span (instruction + assistant prefix)

    @property
    def n_audio(self) -> int:
        return int(self.audio_positions.numel())

    @property
    def n_spans(self) -> int:
        return len(self.spans)
