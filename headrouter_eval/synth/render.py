"""Recipe -> waveform: rebuild an hr_synth clip exactly (16 kHz mono float32).

The same recipe renders to byte-identical audio every time: all randomness comes
from seeds stored in the recipe, speech comes from the shipped snippets, and
resampling uses np.interp. ``erase=True`` renders the same clip without its
informative events (filler only): the control that shows a model really needs
the events to answer. Distractors (the busy tasks' events the question is not about)
are part of the clip either way.
"""

from __future__ import annotations

import numpy as np

from headrouter_eval.synth import SAMPLE_RATE, signals, snippets
from headrouter_eval.synth.signals import n_samples


def render(recipe: dict, *, erase: bool = False) -> np.ndarray:
    """The clip described by ``recipe`` as float32 at 16 kHz; ``erase`` drops the informative events."""
    total = n_samples(recipe["duration"])
    clip = np.zeros(total)
    for index, segment in enumerate(recipe["filler"]):
        _add(clip, _filler_segment(segment, total, recipe["noise_seed"], index))
    for event in recipe.get("distractors", []) + ([] if erase else recipe["events"]):
        start = n_samples(event["onset"])
        wave = signals.normalise_peak(signals.ramp(_event_wave(event), signals.EVENT_RAMP_S), event["gain"])
        _add(clip, (start, wave))
    # Clip to the WAV range: peaks are at most ~0.65, so this never bites in practice.
    return np.clip(clip, -1.0, 1.0).astype(np.float32)


def _add(clip: np.ndarray, placed: tuple[int, np.ndarray]) -> None:
    start, wave = placed
    end = min(len(clip), start + len(wave))
    clip[start:end] += wave[: end - start]


def _filler_segment(segment: dict, total: int, noise_seed: int, index: int) -> tuple[int, np.ndarray]:
    # Segments are extended by one ramp on each side so neighbours cross-fade instead
    # of dipping or clicking at the boundary.
    pad = n_samples(signals.FILLER_RAMP_S)
    start = max(0, n_samples(segment["start"]) - pad)
    end = min(total, n_samples(segment["end"]) + pad)
    n = end - start
    rng = np.random.default_rng([noise_seed, index])
    kind = segment["kind"]
    if kind in ("silence", "white"):
        wave = rng.standard_normal(n)
    elif kind == "pink":
        wave = signals.coloured_noise(n, 1.0, rng)
    elif kind == "brown":
        wave = signals.coloured_noise(n, 2.0, rng)
    elif kind == "hum":
        wave = signals.hum(segment["freq"], n / SAMPLE_RATE)[:n]
    else:
        raise ValueError(f"unknown filler kind {kind!r} in recipe")
    return start, signals.ramp(wave * segment["level"], signals.FILLER_RAMP_S)


def _event_wave(event: dict) -> np.ndarray:
    kind, dur = event["kind"], event["dur"]
    if kind == "speech":
        return signals.stretch(snippets.load_snippet(event["snippet"]), event["rate"])
    if kind == "tone":
        return signals.tone(event["freq"], dur)
    if kind == "sweep":
        return signals.sweep(event["f0"], event["f1"], dur)
    if kind == "noise":
        return np.random.default_rng(event["seed"]).standard_normal(n_samples(dur))
    if kind == "clicks":
        return signals.clicks(event["rate_hz"], dur)
    raise ValueError(f"unknown event kind {event['kind']!r} in recipe")
