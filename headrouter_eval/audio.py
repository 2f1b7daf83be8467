"""Any audio input -> 16 kHz mono float32 numpy array, validated where it is decoded.

Tasks and the model adapter both go through :func:`load_audio`, so every code path sees the
same waveform whatever a data set hands over (a path, bytes, a decoded dict, a decoder
object). Reading uses soundfile and resampling soxr (librosa costs ~15 s of JIT on its first
call in a process). What is refused or scaled, and why: docs/bad_inputs.md, "Audio" and
"Model side".
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from headrouter_eval.audio_containers import truncation

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
    waveform = check_waveform(waveform, sr, f"{prefix}{source}")
    return to_16k_mono(waveform, sr)


#: float audio peaking above this is refused: decoders and resamplers overshoot [-1, 1] a little,
#: but a peak of 2 or more is a waveform in other units (integer PCM stored as float, dB, ...)
FLOAT_PEAK_LIMIT = 2.0


def check_waveform(waveform: Any, sampling_rate: int, what: str) -> np.ndarray:
    """The decoded clip as floats in [-1, 1] scale, or an :class:`AudioError` naming ``what``.

    Integer PCM is scaled by its type's range (int16 by 32768, uint8 around 128 ...), as
    soundfile does for files; float audio must peak at most :data:`FLOAT_PEAK_LIMIT`.
    """
    wav = np.asarray(waveform)
    if not isinstance(sampling_rate, (int, np.integer)) or sampling_rate <= 0:
        raise AudioError(f"{what}: sampling rate must be a positive integer, got {sampling_rate!r}")
    if wav.size == 0:
        raise AudioError(f"{what}: the audio holds no samples (empty clip)")
    if wav.dtype == np.bool_ or not np.issubdtype(wav.dtype, np.number) or np.iscomplexobj(wav):
        raise AudioError(f"{what}: audio samples must be real numbers, got dtype {wav.dtype}")
    if np.issubdtype(wav.dtype, np.integer):
        info = np.iinfo(wav.dtype)
        half = (int(info.max) + 1) // 2 if info.min == 0 else -int(info.min)
        middle = half if info.min == 0 else 0
        return ((wav.astype(np.float64) - middle) / half).astype(np.float32)
    finite = np.isfinite(wav)
    if not finite.all():
        bad = int(wav.size - np.count_nonzero(finite))
        raise AudioError(f"{what}: {bad} of {wav.size} audio samples are NaN or infinite")
    peak = float(np.abs(wav).max())
    if peak > FLOAT_PEAK_LIMIT:
        hint = (" Its values are whole numbers: integer PCM stored as float? Divide by the type's range "
                "(32768 for 16-bit) or pass the integer array itself, which is scaled"
                if np.all(wav == np.round(wav)) else "")
        raise AudioError(
            f"{what}: float audio peaks at {peak:g}, outside the [-{FLOAT_PEAK_LIMIT:g}, {FLOAT_PEAK_LIMIT:g}] "
            f"allowed for float samples (full scale is 1.0); the model would hear it {peak:.3g}x too loud.{hint}")
    return wav


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
    if os.path.isdir(path):
        raise AudioError(f"{prefix}audio path {path} is a folder, not an audio file")
    if not os.path.exists(path):
        raise AudioError(f"{prefix}audio file not found: {path}")
    with open(path, "rb") as handle:
        return _read_checked(handle, prefix, f"audio file {path}")


def _read_bytes(blob: bytes, prefix: str, what: str) -> tuple[np.ndarray, int]:
    return _read_checked(io.BytesIO(bytes(blob)), prefix, f"audio from {what}")


# frames re-read at the end of a file: its tail must decode after a seek, not only in a linear read
_TAIL_FRAMES = 1024


def _read_checked(handle: Any, prefix: str, what: str) -> tuple[np.ndarray, int]:
    """Decode the whole file, then check it against what its container says it holds (any format)."""
    import soundfile as sf

    try:
        with sf.SoundFile(handle) as sound:
            header_frames, sr = sound.frames, sound.samplerate
            data = sound.read(dtype="float32", always_2d=False)
            tail = _tail_frames(sound, header_frames)
    except Exception as exc:  # soundfile raises LibsndfileError, RuntimeError, ...
        raise AudioError(f"{prefix}cannot decode {what}: {exc}") from exc
    reason = truncation(handle, len(data), header_frames, sr)
    if reason is None and tail is not None:
        reason = tail
    if reason:
        raise AudioError(f"{prefix}{what}: {reason}; the file is truncated (re-download or re-export it)")
    return data, sr


def _tail_frames(sound: Any, header_frames: int) -> str | None:
    """Why the last frames do not decode after a seek, or ``None`` (also when the format cannot seek)."""
    if not sound.seekable() or header_frames <= 0:
        return None
    want = min(_TAIL_FRAMES, header_frames)
    try:
        sound.seek(header_frames - want)
        got = len(sound.read(want, dtype="float32", always_2d=True))
    except Exception as exc:  # a failed seek into a cut file
        return f"its last {want} frames do not decode ({exc})"
    if got < want:
        return f"only {got} of its last {want} frames decode"
    return None
