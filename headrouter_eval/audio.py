"""Any audio input -> 16 kHz mono float32 numpy array.

Tasks and the model adapter both go through :func:`load_audio`, so every code path
sees the same waveform whatever a data set hands over: a path, raw bytes, a
``{"array", "sampling_rate"}`` dict (what ``datasets`` and lmms-eval tasks produce),
a ``{"path"}`` / ``{"bytes"}`` dict, or a decoder object with ``get_all_samples()``
(torchcodec's ``AudioDecoder``). Reading uses soundfile and resampling soxr:
librosa does the same but costs ~15 s of JIT on its first call in a process.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

TARGET_SR = 16_000


class AudioError(ValueError):
    """An audio input that cannot be turned into a waveform; the message says which and why."""


def load_audio(audio: Any, *, where: str = "") -> np.ndarray:
    """Return ``audio`` as a 1-D float32 array at 16 kHz.

    ``where`` is prefixed to error messages (for example ``"doc 12 of task ser"``) so a
    failing item can be found in a data set of thousands.
    """
    prefix = f"{where}: " if where else ""
    waveform, sr = _decode(audio, prefix)
    return to_16k_mono(waveform, sr)


def audio_item(audio: Any, *, where: str = "") -> dict[str, Any]:
    """What a task's ``doc_to_visual`` returns per clip: ``{"array": 16 kHz mono float32, "sampling_rate"}``."""
    return {"array": load_audio(audio, where=where), "sampling_rate": TARGET_SR}


def to_16k_mono(waveform: np.ndarray, sampling_rate: int) -> np.ndarray:
    """Mix down to mono (channels last or first) and resample to 16 kHz with soxr."""
    import soxr

    wav = np.asarray(waveform, dtype=np.float32)
    if wav.ndim == 2:
        # soundfile gives (frames, channels); decoders and torch give (channels, frames).
        channel_axis = 1 if wav.shape[0] > wav.shape[1] else 0
        wav = wav.mean(axis=channel_axis)
    elif wav.ndim != 1:
        raise AudioError(f"audio must be 1-D or 2-D (channels x samples), got shape {wav.shape}")
    if sampling_rate != TARGET_SR:
        wav = soxr.resample(wav, sampling_rate, TARGET_SR).astype(np.float32, copy=False)
    return np.ascontiguousarray(wav, dtype=np.float32)


def audio_duration_s(audio: np.ndarray) -> float:
    return len(audio) / TARGET_SR


def _decode(audio: Any, prefix: str) -> tuple[np.ndarray, int]:
    if audio is None:
        raise AudioError(f"{prefix}no audio was given (got None)")
    if isinstance(audio, (str, os.PathLike)):
        return _read_file(os.fspath(audio), prefix)
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return _read_bytes(bytes(audio), prefix, "raw bytes")
    if isinstance(audio, dict):
        if audio.get("array") is not None:
            if audio.get("sampling_rate") is None:
                raise AudioError(f"{prefix}audio dict has an 'array' but no 'sampling_rate'")
            return np.asarray(audio["array"]), int(audio["sampling_rate"])
        if audio.get("bytes") is not None:
            return _read_bytes(audio["bytes"], prefix, f"bytes of {audio.get('path') or 'an audio dict'}")
        if audio.get("path") is not None:
            return _read_file(audio["path"], prefix)
        raise AudioError(f"{prefix}audio dict has none of 'array', 'bytes', 'path' (keys: {sorted(audio)})")
    if hasattr(audio, "get_all_samples"):  # torchcodec AudioDecoder and look-alikes
        samples = audio.get_all_samples()
        data = samples.data.numpy() if hasattr(samples.data, "numpy") else np.asarray(samples.data)
        return data, int(samples.sample_rate)
    if isinstance(audio, np.ndarray):
        raise AudioError(
            f"{prefix}a bare array has no sampling rate; pass {{'array': ..., 'sampling_rate': ...}}"
        )
    raise AudioError(f"{prefix}unsupported audio input of type {type(audio).__name__}")


def _read_file(path: str, prefix: str) -> tuple[np.ndarray, int]:
    import soundfile as sf

    if not os.path.exists(path):
        raise AudioError(f"{prefix}audio file not found: {path}")
    try:
        data, sr = sf.read(path, dtype="float32", always_2d=False)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, ...
        raise AudioError(f"{prefix}cannot decode audio file {path}: {exc}") from exc
    return data, sr


def _read_bytes(blob: bytes, prefix: str, what: str) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        data, sr = sf.read(io.BytesIO(blob), dtype="float32", always_2d=False)
    except Exception as exc:
        raise AudioError(f"{prefix}cannot decode audio from {what}: {exc}") from exc
    return data, sr
