"""MMAU-Pro multiple choice: map a free-text reply to one of the choice texts.

The official scorer embeds the reply and every choice with a large embedding model
and takes the nearest choice. Here:

- ``deterministic`` (default): the shared robust parser reads a letter (mapped to its
  choice text) or a choice text named in the reply; anything else is unmatched.
- ``embedding``: a user-supplied sentence-transformers model. A reply that names a
  letter is first mapped to its choice exactly; a bare letter (even one beyond the
  choices) is never embedded, since its embedding says nothing about the choice.

Each result carries the matcher's name (``deterministic`` or ``embedding:<model>``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from headrouter_eval.scoring.choices import extract_choice

_BARE_LETTER = re.compile(r"[\(\[]?[A-Za-z][\)\]\.:]?")


class Encoder(Protocol):
    def encode(self, sentences: list[str]) -> Any: ...


def letters_for(choices: Sequence[str]) -> dict[str, str]:
    if len(choices) > 26:
        raise ValueError(f"{len(choices)} choices; at most 26 can be lettered")
    return {chr(ord("A") + i): str(c) for i, c in enumerate(choices)}


def deterministic_match(reply: str | None, choices: Sequence[str]) -> str | None:
    """The choice text the reply selects, or None."""
    if not choices:
        raise ValueError("a multiple-choice item needs choices")
    options = letters_for(choices)
    letter = extract_choice(reply, options, task="generic", parser="robust")
    return options[letter] if letter else None


class EmbeddingMatcher:
    """Nearest choice by cosine similarity of sentence embeddings."""

    def __init__(self, model: str, *, encoder: Encoder | None = None) -> None:
        self.model = model
        if encoder is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    "scoring.matcher=embedding needs sentence-transformers "
                    "(pip install 'headrouter-eval[embed]')"
                ) from exc
            encoder = SentenceTransformer(model)
        self.encoder = encoder

    @property
    def name(self) -> str:
        return f"embedding:{self.model}"

    def match(self, reply: str | None, choices: Sequence[str]) -> str | None:
        exact = deterministic_match(reply, choices)
        if exact is not None:
            return exact
        text = "" if reply is None else str(reply).strip()
        if not text or _BARE_LETTER.fullmatch(text):
            return None
        vectors = np.asarray(self.encoder.encode([text, *map(str, choices)]), dtype=np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        similarity = vectors[1:] @ vectors[0]
        return str(choices[int(np.argmax(similarity))])
