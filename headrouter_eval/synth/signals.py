"""Waveform primitives for synthetic clips: events (tones, sweeps, bursts, clicks) and filler.

Everything is plain numpy on float64 until the final clip is cast to float32, and
every random draw comes from a generator the caller seeds, so a recipe renders to
the same bytes every time.
"""

from __future__ import annotations

import numpy as np

from headrouter_eval.synth import SAMPLE_RATE

# Raised-cosine ramps at both ends of every segment: a hard edge would itself be a
# broadband click, i.e. an unintended "event" the model could latch on to.
EVENT_RAMP_S = 0.01
FILLER_RAMP_S = 0.05


def n_samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))


def ramp(signal: np.ndarray, ramp_s: float) -> np.ndarray:
    """Fade ``signal`` in and out with raised-cosine ramps of ``ramp_s`` seconds (at most half its length)."""
    n = min(n_samples(ramp_s), len(signal) // 2)
    if n == 0:
        return signal
    fade = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    out = signal.copy()
    out[:n] *= fade
    out[-n:] *= fade[::-1]
    return out


def normalise_peak(signal: np.ndarray, peak: float) -> np.ndarray:
    top = np.max(np.abs(signal))
    return signal * (peak / top) if top > 0 else signal


def tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(n_samples(seconds)) / SAMPLE_RATE
    return np.sin(2 * np.pi * freq * t)


def sweep(f0: float, f1: float, seconds: float) -> np.ndarray:
    """Exponential sine sweep from ``f0`` to ``f1`` Hz."""
    n = n_samples(seconds)
    t = np.arange(n) / SAMPLE_RATE
    k = np.log(f1 / f0) / seconds
    return np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)


def clicks(rate_hz: float, seconds: float) -> np.ndarray:
    """A train of short decaying pulses (2 ms) at ``rate_hz``."""
    n = n_samples(seconds)
    out = np.zeros(n)
    pulse = np.exp(-np.arange(n_samples(0.002)) / (0.0004 * SAMPLE_RATE))
    period = SAMPLE_RATE / rate_hz
    for start in np.arange(0, n, period).astype(int):
        end = min(n, start + len(pulse))
        out[start:end] += pulse[: end - start]
    return out


def coloured_noise(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown), unit RMS."""
    white = rng.standard_normal(n)
    if exponent == 0:
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, d=1.0 / SAMPLE_RATE)
    spectrum /= np.maximum(freqs, 20.0) ** (exponent / 2)
    shaped = np.fft.irfft(spectrum, n=n)
    rms = np.sqrt(np.mean(shaped**2))
    return shaped / rms if rms > 0 else shaped


def hum(freq: float, seconds: float) -> np.ndarray:
    """A neutral mains-like hum: fundamental plus a weaker second harmonic, unit peak-ish."""
    return 0.8 * tone(freq, seconds) + 0.2 * tone(2 * freq, seconds)


def stretch(signal: np.ndarray, rate: float) -> np.ndarray:
    """Play ``signal`` ``rate`` times faster (pitch moves with it), by linear interpolation.

    np.interp rather than a resampling library: it is exactly reproducible across
    platforms, which the "recipes rebuild byte-identical clips" promise needs.
    """
    n_out = max(1, int(round(len(signal) / rate)))
    positions = np.arange(n_out) * rate
    return np.interp(positions, np.arange(len(signal)), signal)
