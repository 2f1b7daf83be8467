"""Find where the audio sits in a prompt: every ``<audio bos> <audio>... <audio eos>`` span.

A prompt may hold several spans (long audio split at the feature extractor's window,
MMAU-Pro's multi-clip questions); pruning treats their audio tokens as one pool with
a per-span floor (see ``headrouter_eval.pruners.base.keep_count``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.pruners.layout import AudioLayout


@dataclass(frozen=True)
class AudioTokenIds:
    """The placeholder id the processor repeats once per audio token, and the ids around each clip.

    Every family's integration module reads them from its checkpoint's config. ``bos`` /
    ``eos`` may be ``None`` where a model does not say (the span check is then skipped).
    """

    audio: int
    bos: int | None
    eos: int | None


class PromptLayoutError(ValueError):
    """The prompt's audio placeholders are not in the bos / audio... / eos form the model expects."""


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
        if ids.bos is not None and ids.eos is not None and (before != ids.bos or after != ids.eos):
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
