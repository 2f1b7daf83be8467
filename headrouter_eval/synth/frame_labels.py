"""Per-audio-token labels of what sounds where: the auxiliary training signal of the audio tower.

The answer letter is one token of supervision behind a ~400-token prompt, and in a
probe the model learned only the easiest task (pitch) from it in the time budget.
So training also asks a throw-away linear head on the audio tower's output tokens
which sound each token holds (filler, one of the spoken words, a tone's frequency
band, a sweep, a noise burst, a click train). The head is not part of the shipped
model; it only gives the encoder a direct gradient. The label comes from the
recipe's events (distractors included), never from the answer, and filler is always "filler".
"""

from __future__ import annotations

import math

import torch

from headrouter_eval.synth.tasks import NUMBERS, WORDS

# One audio token per 40 ms (Qwen2.5-Omni: 25 tokens per second).
TOKEN_S = 0.04
SPOKEN = WORDS + NUMBERS
TONE_BANDS = 7  # half-octave bands from 250 Hz up: 250, 354, 500, ..., 2000 Hz
LABELS = ["filler"] + [f"speech:{w}" for w in SPOKEN] + [f"tone:{b}" for b in range(TONE_BANDS)] + [
    "sweep", "noise", "clicks"]
FILLER = 0
# Filler tokens outnumber event tokens 100 to 1 in long clips: weight them down so
# the head does not settle for "always filler".
FILLER_WEIGHT = 0.05


def event_label(event: dict) -> int:
    kind = event["kind"]
    if kind == "speech":
        return LABELS.index(f"speech:{event['snippet'].split('_')[0]}")
    if kind == "tone":
        band = min(TONE_BANDS - 1, max(0, round(2 * math.log2(event["freq"] / 250.0))))
        return LABELS.index(f"tone:{band}")
    return LABELS.index(kind)


def token_labels(recipe: dict, n_tokens: int) -> torch.Tensor:
    """Label of each of the clip's ``n_tokens`` audio tokens (a token takes its event's label if it overlaps it)."""
    labels = torch.full((n_tokens,), FILLER, dtype=torch.long)
    for event in recipe["events"] + recipe.get("distractors", []):
        first = int(event["onset"] / TOKEN_S)
        last = min(n_tokens - 1, int((event["onset"] + event["dur"]) / TOKEN_S))
        labels[first:last + 1] = event_label(event)
    return labels


def frame_loss(head: torch.nn.Module, audio_tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Weighted cross-entropy of ``head`` on the audio tower's output tokens."""
    losses = torch.nn.functional.cross_entropy(head(audio_tokens).float(), labels, reduction="none")
    weights = torch.where(labels == FILLER, FILLER_WEIGHT, 1.0)
    return (losses * weights).sum() / weights.sum()
