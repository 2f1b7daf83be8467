"""MMAU-Pro multiple choice: map a free-text reply to one of the choice texts.

The official scorer embeds the reply and every choice with a large embedding model
and takes the nearest choice. Here:

- ``deterministic`` (default): the shared robust parser reads a letter (mapped to its
  choice text) or a choice text named in the reply; anything else is unmatched.
- ``official``: MMAU-Pro's published protocol, exactly: the reply as it is (an empty
  one as ""; a bare letter is embedded like any text) and every choice are embedded
  by NV-Embed-v2 (``nvidia/NV-Embed-v2`` or a local copy of it) with
  ``instruction=""`` and ``max_length=4096``, L2-normalised, scored by dot product
  x 100, and the first highest-scoring choice is the prediction (it must equal the
  answer text exactly to count). Needs the weights; nothing is downloaded for you
  in an offline run.
- ``embedding``: a user-supplied sentence-transformers model. A reply that names a
  letter is first mapped to its choice exactly; a bare letter (even one beyond the
  choices) is never embedded, since its embedding says nothing about the choice.

Each result carries the matcher's name (``deterministic``, ``official:<model>`` or
``embedding:<model>``).
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


OFFICIAL_EMBEDDING_MODEL = "nvidia/NV-Embed-v2"


class OfficialEncoder(Protocol):
    def encode(self, prompts: list[str], instruction: str = "", max_length: int = 4096) -> Any: ...


class OfficialEmbeddingMatcher:
    """MMAU-Pro's multiple-choice scorer: NV-Embed-v2 similarity argmax over the choices."""

    def __init__(self, model: str = OFFICIAL_EMBEDDING_MODEL, *, encoder: OfficialEncoder | None = None) -> None:
        self.model = model
        if encoder is None:
            import torch
            from transformers import AutoModel

            # As the official scorer loads it (its remote code provides ``encode``).
            encoder = AutoModel.from_pretrained(model, trust_remote_code=True)
            encoder.to("cuda" if torch.cuda.is_available() else "cpu")
        self.encoder = encoder

    @property
    def name(self) -> str:
        return f"official:{self.model}"

    def _embed(self, texts: list[str]) -> Any:
        import torch
        import torch.nn.functional as F

        vectors = self.encoder.encode(texts, instruction="", max_length=4096)
        return F.normalize(torch.as_tensor(vectors), p=2, dim=1)

    def match(self, reply: str | None, choices: Sequence[str]) -> str:
        """The choice the official scorer picks for ``reply`` (always one: it never abstains)."""
        import torch

        if not choices:
            raise ValueError("a multiple-choice item needs choices")
        text = "" if reply is None else str(reply)  # the scorer fills a missing reply with ""
        scores = (self._embed([text]) @ self._embed([str(c) for c in choices]).T) * 100
        return str(choices[int(torch.argmax(scores.squeeze()).item())])
