"""Synthetic long-audio prompts, built by the lmms-eval adapter's own prompt function.

The waveform is a seeded mix of a slow chirp, gated tones and noise at 16 kHz: its
content does not matter for cost, only its length (25 audio tokens per second for
Qwen2.5-Omni and Qwen2-Audio, about 13 for Qwen3-Omni).
The prompt goes through the family's ``prompt_inputs``, the function the adapter and
calibration use, with the same ``long_audio`` policy: audio longer than the feature
extractor's window is split into consecutive bos..eos spans (``split``, the benchmark's
default, so the model hears all of it) or cut at the window (``truncate``, the adapter's
default) exactly as in an evaluation, and the messages, system prompt and chat template
are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from headrouter_eval.audio import TARGET_SR
from headrouter_eval.engine.spans import find_audio_layout
from headrouter_eval.models import ModelFamily

MIN_SECONDS, MAX_SECONDS = 1.0, 300.0
QUESTION = "What happens in this recording? Describe the sounds and any speech in one sentence."


@dataclass
class BenchInput:
    """One prompt ready for ``model.generate`` plus the facts the FLOPs formula needs."""

    inputs: dict
    audio_seconds: float
    seq_len: int
    n_audio_tokens: int
    n_spans: int
    feature_lens: list[int]  # valid mel frames per audio item
    query_len: int  # text tokens after the last audio span
    audio_heard_s: float = 0.0  # what the model hears of audio_seconds (less with long_audio=truncate)


def synth_waveform(seconds: float, seed: int = 0) -> np.ndarray:
    """``seconds`` of deterministic 16 kHz mono float32 audio."""
    n = int(round(seconds * TARGET_SR))
    t = np.arange(n, dtype=np.float64) / TARGET_SR
    rng = np.random.default_rng(seed)
    chirp = np.sin(2 * np.pi * (200.0 + 20.0 * t) * t)
    tones = 0.5 * np.sin(2 * np.pi * 440.0 * t) * (np.sin(2 * np.pi * 0.25 * t) > 0)
    wav = 0.3 * chirp + 0.2 * tones + 0.05 * rng.standard_normal(n)
    return wav.astype(np.float32)


def build_input(
    family: ModelFamily,
    processor: Any,
    token_ids: Any,
    seconds: float,
    *,
    device: torch.device,
    dtype: torch.dtype,
    seed: int = 0,
    long_audio: str = "split",
) -> BenchInput:
    """The benchmark prompt with ``seconds`` of audio, on ``device``, features in ``dtype``."""
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError(f"--audio-seconds must be in [{MIN_SECONDS:g}, {MAX_SECONDS:g}], got {seconds:g}")
    wav = synth_waveform(seconds, seed)
    batch = family.prompt_inputs(processor, QUESTION, [wav], long_audio=long_audio)
    heard = sum(len(item) for item in family.audio_items(processor, [wav], long_audio)) / TARGET_SR
    layout = find_audio_layout(batch["input_ids"][0], token_ids)
    batch = batch.to(device)
    batch[family.features_kwarg] = batch[family.features_kwarg].to(dtype)
    return BenchInput(
        inputs=dict(batch),
        audio_seconds=float(seconds),
        audio_heard_s=round(heard, 3),
        seq_len=layout.seq_len,
        n_audio_tokens=layout.n_audio,
        n_spans=layout.n_spans,
        feature_lens=[int(v) for v in batch["feature_attention_mask"].sum(-1).tolist()],
        query_len=int(layout.query_positions.numel()),
    )
