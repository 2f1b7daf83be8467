"""A stable id of one prompt: what the random pruner seeds its per-prompt draw with.

The id is the SHA-256 of the prompt's token ids (the text, chat template and audio
placeholders) and of its audio features (the log-mel frames the processor computes
deterministically from the audio samples). Two prompts share an id only if both
their text and their audio are identical, and the id of a prompt does not depend on
the process, the evaluation order or the data-parallel rank that scores it.
"""

from __future__ import annotations

import hashlib

import torch


def _tensor_bytes(tensor: torch.Tensor, dtype: torch.dtype) -> bytes:
    # A fixed dtype on the CPU: a bf16 copy on a GPU and the fp32 original hash alike.
    return tensor.detach().to("cpu", dtype).contiguous().numpy().tobytes()


def prompt_id(input_ids: torch.Tensor, input_features: torch.Tensor | None) -> str:
    """Hex SHA-256 of ``input_ids`` (as int64) and ``input_features`` (as float32; absent: no audio)."""
    digest = hashlib.sha256()
    digest.update(b"ids:" + _tensor_bytes(input_ids, torch.int64))
    if input_features is not None:
        digest.update(b"|features:" + str(tuple(input_features.shape)).encode())
        digest.update(_tensor_bytes(input_features.float(), torch.float32))
    return digest.hexdigest()


def seed_for(seed: int, prompt: str) -> int:
    """A 63-bit generator seed from ``(seed, prompt id)``: equal inputs, equal seed, in any process."""
    if not prompt:
        raise ValueError("a per-prompt seed needs the prompt's id (ScoringInputs.prompt_id is empty)")
    digest = hashlib.sha256(f"{int(seed)}:{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)
