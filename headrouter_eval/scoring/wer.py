"""ASR scoring as AudioMarathon does it: transcript extraction, text normalisation, WER.

Official behaviour (``parser="official"``), reproduced from the benchmark's
LibriSpeech script, quirks kept so numbers compare with the paper:

- the reply is cut after the last ``"assistant\n"`` and stripped;
- the first of the markers "spoken content:", "content:", "transcription:",
  "transcript:" (tried in that order, as plain substrings, so "discontent:" counts)
  splits the reply, and only the piece *between* its first and second occurrence is
  kept; then "<transcribed text here>" and a ``<sep>`` tail are removed, and one
  leading "Spoken Text:" / "Spoken Content:" / "Content:" / "Transcript:" /
  "Transcription:" label;
- normalisation lower-cases, turns ``. ! ? , ; : " ( ) [ ] { }`` into spaces,
  deletes ``-`` and ``'`` and collapses whitespace;
- a sample's WER is 1.0 (100%) when either normalised side is empty and 0.0 when
  jiwer fails; a sample whose cleaned transcript (or reference) is empty is left out
  of the mean altogether (:func:`sample_wer` returns ``None``), and a task with no
  sample left scores WER 100%.

``parser="robust"`` matches the markers only as whole words, turns hyphens into
spaces, counts an empty reply as WER 1 and lets an empty reference score 0 only
against an empty hypothesis (1 otherwise) instead of hiding errors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jiwer

from headrouter_eval.scoring.choices import PARSERS

_MARKERS = ("spoken content:", "content:", "transcription:", "transcript:")
_ROBUST_MARKER = re.compile(r"\b(?:spoken\s+content|content|transcript(?:ion)?|transcribed\s+text)\s*:", re.I)
_TO_SPACE = str.maketrans({c: " " for c in '.!?,;:"()[]{}'})


def _check(parser: str) -> None:
    if parser not in PARSERS:
        raise ValueError(f"unknown parser {parser!r}; expected one of {PARSERS}")


def _official_clean(text: str) -> str:
    if not text or text.strip() == "":
        return ""
    for marker in _MARKERS:
        if marker in text.lower():
            pieces = re.split(re.escape(marker), text, flags=re.I)
            if len(pieces) > 1:
                text = pieces[1].strip()
                break
    text = text.replace("<transcribed text here>", "")
    text = re.sub(r"<sep>[^\n]*?(?:<|$)", "", text)
    text = re.sub(r"(?i)^(?:spoken\s+(?:text|content)|content|transcript|transcription):\s*", "", text.strip())
    return text.strip()


def extract_transcript(reply: str | None, *, parser: str = "official") -> str:
    """The transcript part of a model reply (the whole reply when no marker is present)."""
    _check(parser)
    text = "" if reply is None else str(reply)
    if parser == "official":
        marker = "assistant\n"
        at = text.rfind(marker)
        if at >= 0:
            text = text[at + len(marker):].strip()
        return _official_clean(text)
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


def sample_wer(reference: str, hypothesis: str, *, parser: str = "official") -> float | None:
    """Word error rate of one sample (0 = perfect, can exceed 1) after normalisation.

    ``None`` (official only): the sample is left out of the task's mean, as the
    benchmark leaves out every sample whose transcript or reference is empty.
    """
    ref = normalize_transcript(reference, parser=parser)
    hyp = normalize_transcript(hypothesis, parser=parser)
    if parser == "official":
        if not reference or not hypothesis:
            return None
        if not ref or not hyp:
            return 1.0
        try:
            return float(jiwer.wer(ref, hyp))
        except Exception:  # the official helper scores any jiwer failure as 0
            return 0.0
    if not ref:
        return 0.0 if not hyp else 1.0
    if not hyp:
        return 1.0  # every reference word deleted
    return float(jiwer.wer(ref, hyp))


def asr_score(wers: Sequence[float | None]) -> float:
    """Task score on 0-100: ``100 - 100 * mean per-sample WER`` over the samples not left out
    (0 when every sample was left out: the benchmark then reports WER 100%)."""
    if not wers:
        raise ValueError("no ASR samples to score")
    kept = [w for w in wers if w is not None]
    if not kept:
        return 0.0
    return 100.0 - 100.0 * sum(kept) / len(kept)
