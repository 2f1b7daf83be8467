"""ASR scoring as AudioMarathon does it: transcript extraction, text normalisation, WER.

Official behaviour (``parser="official"``), quirks kept so numbers compare with the
paper: the transcript is what follows the first "spoken content:", "content:",
"transcript:" or "transcription:" found as a plain substring (so "discontent:" also
matches); normalisation lower-cases, turns ``. ! ? , ; : " ( ) [ ] { }`` into spaces,
deletes ``-`` and ``'`` ("well-known" -> "wellknown") and collapses whitespace; a
jiwer failure (an empty reference) scores 0, i.e. perfect.

``parser="robust"`` matches the markers only as whole words, turns hyphens into
spaces, and lets an empty reference score 0 only against an empty hypothesis (1
otherwise) instead of hiding errors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jiwer

from headrouter_eval.scoring.choices import PARSERS

_MARKERS = ("spoken content:", "content:", "transcript:", "transcription:")
_ROBUST_MARKER = re.compile(r"\b(?:spoken\s+content|content|transcript(?:ion)?|transcribed\s+text)\s*:", re.I)
_TO_SPACE = str.maketrans({c: " " for c in '.!?,;:"()[]{}'})


def _check(parser: str) -> None:
    if parser not in PARSERS:
        raise ValueError(f"unknown parser {parser!r}; expected one of {PARSERS}")


def extract_transcript(reply: str | None, *, parser: str = "official") -> str:
    """The transcript part of a model reply (the whole reply when no marker is present)."""
    _check(parser)
    text = "" if reply is None else str(reply)
    if parser == "official":
        lower = text.lower()
        for marker in _MARKERS:
            at = lower.find(marker)
            if at >= 0:
                return text[at + len(marker):].strip()
        return text.strip()
    match = _ROBUST_MARKER.search(text)
    if match:
        text = text[match.end():]
    return text.strip().strip("\"'<>").strip()


def normalize_transcript(text: str, *, parser: str = "official") -> str:
    """Benchmark text normalisation applied to both reference and hypothesis."""
    _check(parser)
    out = text.lower().translate(_TO_SPACE)
    out = out.replace("'", "")
    out = out.replace("-", "" if parser == "official" else " ")
    return " ".join(out.split())


def sample_wer(reference: str, hypothesis: str, *, parser: str = "official") -> float:
    """Word error rate of one sample (0 = perfect, can exceed 1) after normalisation."""
    ref = normalize_transcript(reference, parser=parser)
    hyp = normalize_transcript(hypothesis, parser=parser)
    if parser == "official":
        try:
            return float(jiwer.wer(ref, hyp))
        except Exception:  # the official helper returns 0 on any jiwer failure
            return 0.0
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0  # every reference word deleted
    return float(jiwer.wer(ref, hyp))


def asr_score(wers: Sequence[float]) -> float:
    """Task score on 0-100: ``100 - 100 * mean per-sample WER``."""
    if not wers:
        raise ValueError("no ASR samples to score")
    return 100.0 - 100.0 * sum(wers) / len(wers)
