"""Audio normalisation: every input form a task may hand over becomes 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from headrouter_eval.audio import TARGET_SR, AudioError, load_audio

from .conftest import AUDIO_DIR


def test_stereo_22k_wav_becomes_16k_mono_float32():
    wav = load_audio(AUDIO_DIR / "tone_stereo_22k.wav")
    assert wav.dtype == np.float32 and wav.ndim == 1
    assert abs(len(wav) - 3.0 * TARGET_SR) <= 2
    spectrum = np.abs(np.fft.rfft(wav))
    assert abs(np.argmax(spectrum) * TARGET_SR / len(wav) - 440) < 2  # still a 440 Hz tone


def test_flac_path_bytes_and_dict_forms_agree():
    path = AUDIO_DIR / "noise_16k.flac"
    from_path = load_audio(str(path))
    from_bytes = load_audio(path.read_bytes())
    from_path_dict = load_audio({"path": str(path)})
    from_bytes_dict = load_audio({"bytes": path.read_bytes(), "path": "noise.flac"})
    data, sr = sf.read(path, dtype="float32")
    from_array_dict = load_audio({"array": data, "sampling_rate": sr})
    for other in (from_bytes, from_path_dict, from_bytes_dict, from_array_dict):
        np.testing.assert_array_equal(from_path, other)


def test_decoder_objects_are_read_through_get_all_samples():
    class Samples:
        def __init__(self, data, rate):
            self.data, self.sample_rate = data, rate

    class Decoder:  # the shape of torchcodec's AudioDecoder
        def get_all_samples(self):
            t = np.arange(8000) / 8000
            return Samples(np.stack([np.sin(2 * np.pi * 200 * t)] * 2).astype(np.float32), 8000)

    wav = load_audio(Decoder())
    assert wav.shape == (TARGET_SR,) and wav.dtype == np.float32


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (str(AUDIO_DIR / "missing.wav"), "audio file not found: .*missing.wav"),
        (str(AUDIO_DIR / "not_audio.wav"), "cannot decode audio file .*not_audio.wav"),
        (b"definitely not audio", "cannot decode audio from raw bytes"),
        ({"array": np.zeros(10)}, "no 'sampling_rate'"),
        ({"url": "x"}, "none of 'array', 'bytes', 'path'"),
        (np.zeros(10), "bare array has no sampling rate"),
        (None, "no audio was given"),
        (3.5, "unsupported audio input of type float"),
    ],
)
def test_bad_audio_gets_a_clear_error_naming_where(bad, message):
    with pytest.raises(AudioError, match=f"^doc 7 of task ser: .*{message}"):
        load_audio(bad, where="doc 7 of task ser")
