"""Any audio input -> 16 kHz mono float32 numpy array.

Tasks and the model adapter both go through :func:`load_audio`, so every code path
sees the same waveform whatever a data set hands over: a path, raw bytes, a
``{"array", "sampling_rate"}`` dict (what ``datasets`` and lmms-eval tasks produce),
a ``{"path"}`` / ``{"bytes"}`` dict, or a decoder object with ``get_all_samples()``
(torchcodec's ``AudioDecoder``). Reading uses soundfile and resampling soxr:
librosa does the same but costs ~15 s of JIT on its first call in a process.

Decoded audio is validated here, where it is decoded, because nothing downstream can
tell a broken clip from a hard one: a clip with NaN/Inf samples, a clip with no samples,
and a WAV file whose header promises more frames than it holds (a truncated download or
copy) are each refused with an :class:`AudioError` naming the doc and the file. A short
read is an error rather than a warning on purpose: a model scored on 0.06 s of a 19 s
clip gives a plausible-looking but wrong number.
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
    source = _describe_source(audio)
    check_waveform(waveform, sr, f"{prefix}{source}")
    return to_16k_mono(waveform, sr)


def check_waveform(waveform: Any, sampling_rate: int, what: str) -> None:
    """Refuse a decoded clip that cannot be a real recording; ``what`` names the doc and file."""
    wav = np.asarray(waveform)
    if not isinstance(sampling_rate, (int, np.integer)) or sampling_rate <= 0:
        raise AudioError(f"{what}: sampling rate must be a positive integer, got {sampling_rate!r}")
    if wav.size == 0:
        raise AudioError(f"{what}: the audio holds no samples (empty clip)")
    if not np.issubdtype(wav.dtype, np.number):
        raise AudioError(f"{what}: audio samples must be numbers, got dtype {wav.dtype}")
    finite = np.isfinite(wav)
    if not finite.all():
        bad = int(wav.size - np.count_nonzero(finite))
        raise AudioError(f"{what}: {bad} of {wav.size} audio samples are NaN or infinite")


def _describe_source(audio: Any) -> str:
    """The file (or kind of input) a clip came from, for error messages."""
    if isinstance(audio, (str, os.PathLike)):
        return f"audio file {os.fspath(audio)}"
    if isinstance(audio, dict):
        if audio.get("array") is None and audio.get("path"):
            return f"audio file {audio['path']}"
        return f"audio array from {audio['path']}" if audio.get("path") else "audio array"
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return "audio bytes"
    return f"audio from {type(audio).__name__}"


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
    with open(path, "rb") as handle:
        _check_wav_length(handle.read(_HEADER_BYTES), len(data), sr, f"{prefix}audio file {path}")
    return data, sr


def _read_bytes(blob: bytes, prefix: str, what: str) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        data, sr = sf.read(io.BytesIO(blob), dtype="float32", always_2d=False)
    except Exception as exc:
        raise AudioError(f"{prefix}cannot decode audio from {what}: {exc}") from exc
    _check_wav_length(blob[:_HEADER_BYTES], len(data), sr, f"{prefix}audio from {what}")
    return data, sr


# Enough of a WAV file to reach its data chunk's header past LIST/fact/bext chunks.
_HEADER_BYTES = 1 << 16


def wav_header_frames(head: bytes) -> int | None:
    """Frames a RIFF/WAVE header says its data chunk holds, or None when it does not say.

    libsndfile quietly reports the frames actually present, so a truncated WAV decodes
    "fine" to a fraction of its length; the header is the only witness of what was meant.
    Streaming writers put 0 or 0xFFFFFFFF as the size: those say nothing and give None.
    """
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    block_align = None
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk_id == b"fmt " and pos + 22 <= len(head):
            block_align = int.from_bytes(head[pos + 20:pos + 22], "little")
        elif chunk_id == b"data":
            if not block_align or size in (0, 0xFFFFFFFF):
                return None
            return size // block_align
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def _check_wav_length(head: bytes, decoded_frames: int, sampling_rate: int, what: str) -> None:
    promised = wav_header_frames(head)
    if promised is not None and decoded_frames < promised:
        raise AudioError(
            f"{what}: the WAV header promises {promised} frames ({promised / sampling_rate:.2f} s) but only "
            f"{decoded_frames} ({decoded_frames / sampling_rate:.2f} s) could be decoded; the file is "
            "truncated (re-download or re-export it)"
        )
