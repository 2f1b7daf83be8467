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


def _wav_bytes(samples: np.ndarray, subtype: str = "PCM_16") -> bytes:
    import io

    buffer = io.BytesIO()
    sf.write(buffer, samples, TARGET_SR, subtype=subtype, format="WAV")
    return buffer.getvalue()


def test_truncated_wav_is_refused_with_promised_and_decoded_lengths(tmp_path):
    full = _wav_bytes((0.3 * np.sin(np.arange(19 * TARGET_SR) / 10)).astype(np.float32))
    path = tmp_path / "cut.wav"
    path.write_bytes(full[:44 + 2 * 960])  # header promises 19 s, 0.06 s remain
    with pytest.raises(AudioError, match=r"^doc 3 of task t: audio file .*cut.wav: the WAV header promises "
                                         r"304000 frames \(19.00 s\) but only 960 \(0.06 s\)"):
        load_audio(str(path), where="doc 3 of task t")
    with pytest.raises(AudioError, match="truncated"):
        load_audio({"bytes": path.read_bytes(), "path": "cut.wav"})


def test_empty_wav_with_a_valid_header_is_refused(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(_wav_bytes(np.zeros(0, dtype=np.float32)))
    with pytest.raises(AudioError, match=r"^doc 0: audio file .*empty.wav: the audio holds no samples"):
        load_audio(path, where="doc 0")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_samples_are_refused(tmp_path, bad):
    samples = np.zeros(TARGET_SR, dtype=np.float32)
    samples[100:110] = bad
    path = tmp_path / "nan.wav"
    path.write_bytes(_wav_bytes(samples, subtype="FLOAT"))
    with pytest.raises(AudioError, match=r"^doc 5: audio file .*nan.wav: 10 of 16000 audio samples are NaN"):
        load_audio(str(path), where="doc 5")
    with pytest.raises(AudioError, match="audio array: 10 of 16000 audio samples are NaN or infinite"):
        load_audio({"array": samples, "sampling_rate": TARGET_SR})


def test_a_whole_wav_passes_the_header_check(tmp_path):
    path = tmp_path / "ok.wav"
    path.write_bytes(_wav_bytes(np.zeros(TARGET_SR, dtype=np.float32)))
    assert load_audio(path).shape == (TARGET_SR,)
