"""Spoken-word snippets: synthesised once with espeak-ng, shipped as 16 kHz WAV files.

:func:`build_snippets` needs the ``espeak-ng`` program and is run only by a
maintainer (``headrouter-eval synth build-data``); loading the shipped snippets
(:func:`load_snippet`) needs only soundfile, so tests and evaluation never depend
on espeak-ng being installed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from headrouter_eval.audio import load_audio

SPEECH_DIR = Path(__file__).resolve().parent / "data" / "speech"

# espeak-ng voices (base voice + variant) and speaking rates (words per minute).
# Fast rates keep words short (~0.3 s): short events are what makes token pruning
# matter, since a long event survives almost any subset of its tokens.
VOICES = ("en-us", "en-us+f3", "en-gb-x-rp+m3", "en-gb+f4")
RATES_WPM = (230, 290)
# Below this peak-relative level a sample counts as silence when trimming espeak's padding.
TRIM_LEVEL = 0.02


def snippet_name(word: str, voice_index: int, rate_index: int) -> str:
    return f"{word}_v{voice_index}_r{rate_index}"


def snippet_names(word: str) -> list[str]:
    """Every shipped snippet of ``word`` (one per voice and rate)."""
    return [snippet_name(word, v, r) for v in range(len(VOICES)) for r in range(len(RATES_WPM))]


@functools.cache
def load_snippet(name: str) -> np.ndarray:
    """The shipped snippet ``name`` as float64 at 16 kHz (cached; callers must not modify it)."""
    path = SPEECH_DIR / f"{name}.wav"
    if not path.is_file():
        raise FileNotFoundError(
            f"speech snippet {name!r} is not shipped ({path} missing); "
            "reinstall headrouter-eval, or rebuild the shipped data with "
            "`headrouter-eval synth build-data --replace-shipped`"
        )
    wav = load_audio(str(path)).astype(np.float64)
    wav.setflags(write=False)
    return wav


def trim(wav: np.ndarray) -> np.ndarray:
    """Cut leading/trailing silence that espeak-ng pads around a word."""
    loud = np.nonzero(np.abs(wav) > TRIM_LEVEL * np.max(np.abs(wav)))[0]
    if len(loud) == 0:
        raise ValueError("espeak-ng produced a silent snippet")
    return wav[loud[0] : loud[-1] + 1]


def build_snippets(words: list[str], out_dir: Path = SPEECH_DIR) -> list[Path]:
    """Synthesise every word in every voice/rate with espeak-ng into 16-bit 16 kHz WAV files."""
    import soundfile as sf

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (Debian: apt-get install espeak-ng); "
                           "it is needed only to rebuild the shipped snippets")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for word in words:
            for v, voice in enumerate(VOICES):
                for r, wpm in enumerate(RATES_WPM):
                    raw = Path(tmp) / "raw.wav"
                    subprocess.run([espeak, "-v", voice, "-s", str(wpm), "-w", str(raw), word],
                                   check=True, capture_output=True)
                    wav = trim(load_audio(str(raw)).astype(np.float64))
                    wav = 0.9 * wav / np.max(np.abs(wav))
                    path = out_dir / f"{snippet_name(word, v, r)}.wav"
                    sf.write(path, wav.astype(np.float32), 16_000, subtype="PCM_16")
                    written.append(path)
    return written
