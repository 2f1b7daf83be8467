"""Where the audio sits in a prompt: every ``<|audio_bos|> <|AUDIO|>... <|audio_eos|>`` span.

A prompt may hold several spans (long audio split at the feature extractor's window,
MMAU-Pro's multi-clip questions); pruning treats their audio tokens as one pool with
a per-span floor (see ``headrouter_eval.pruners.base.keep_count``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.omni.internals import AudioTokenIds


class PromptLayoutError(ValueError):
    """The prompt's audio placeholders are not in the bos / audio... / eos form the model expects."""


@dataclass(frozen=True)
class AudioLayout:
    """Positions of the audio tokens of one prompt (batch item), all spans together."""

    seq_len: int
    audio_positions: torch.Tensor  # (N,) ascending sequence positions of <|AUDIO|> tokens
    span_ids: torch.Tensor  # (N,) index of the span each audio token belongs to
    spans: tuple[tuple[int, int], ...]  # per span: [start, end) positions of its audio tokens
    query_positions: torch.Tensor  # text tokens after the last span (instruction + assistant prefix)

    @property
    def n_audio(self) -> int:
        return int(self.audio_positions.numel())

    @property
    def n_spans(self) -> int:
        return len(self.spans)


def find_audio_layout(input_ids: torch.Tensor, ids: AudioTokenIds) -> AudioLayout | None:
    """Audio layout of a 1-D ``input_ids``; ``None`` when the prompt has no audio."""
    if input_ids.dim() != 1:
        raise ValueError(f"expected 1-D input_ids of one prompt, got shape {tuple(input_ids.shape)}")
    is_audio = input_ids == ids.audio
    if not bool(is_audio.any()):
        return None
    positions = torch.nonzero(is_audio).flatten()
    # a new span starts wherever the audio positions jump
    breaks = torch.nonzero(positions[1:] != positions[:-1] + 1).flatten() + 1
    starts = torch.cat([positions[:1], positions[breaks]]).tolist()
    ends = (torch.cat([positions[breaks - 1], positions[-1:]]) + 1).tolist()
    seq_len = int(input_ids.numel())
    for start, end in zip(starts, ends):
        before = int(input_ids[start - 1]) if start > 0 else None
        after = int(input_ids[end]) if end < seq_len else None
        if before != ids.bos or after != ids.eos:
            raise PromptLayoutError(
                f"audio tokens at positions {start}..{end - 1} are not wrapped in audio bos/eos "
                f"(found {before} before, {after} after; expected {ids.bos} and {ids.eos})"
            )
    span_ids = torch.repeat_interleave(
        torch.arange(len(starts), device=input_ids.device),
        torch.tensor([e - s for s, e in zip(starts, ends)], device=input_ids.device),
    )
    last_eos = ends[-1]
    query_positions = torch.arange(last_eos + 1, seq_len, device=input_ids.device)
    if query_positions.numel() == 0:  # audio at the very end: the eos itself is the only later token
        query_positions = torch.tensor([seq_len - 1], device=input_ids.device)
    return AudioLayout(
        seq_len=seq_len,
        audio_positions=positions,
        span_ids=span_ids,
        spans=tuple(zip(starts, ends)),
        query_positions=query_positions,
    )
