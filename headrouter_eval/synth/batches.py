"""Training batches for hr_synth: fresh recipes from training seeds, tokenised like evaluation.

Each batch row is the evaluation prompt (see :mod:`headrouter_eval.synth.prompt`)
followed by the answer letter and ``<|im_end|>``; the loss covers those two tokens
only, which is exactly what greedy decoding at evaluation time must produce.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from headrouter_eval.synth.frame_labels import frame_loss, token_labels
from headrouter_eval.synth.model_init import QWEN_OMNI, check_whole_clips, prompt_text
from headrouter_eval.synth.render import render
from headrouter_eval.synth.splits import check_train_seed
from headrouter_eval.synth.tasks import make_recipe

# Tokens the loss covers at the end of each row: the letter and <|im_end|>.
ANSWER_TOKENS = 2


@dataclass
class Batch:
    inputs: dict  # processor output: input_ids, attention_mask, input_features, feature_attention_mask
    targets: torch.Tensor  # (batch, ANSWER_TOKENS) token ids the model must produce
    token_labels: torch.Tensor  # (all audio tokens of the batch,) frame labels, see frame_labels


def make_batch(processor, tasks: list[str], seeds: list[int], min_s: float, max_s: float) -> Batch:
    """Render one clip per (task, seed) with a duration in [min_s, max_s] and tokenise them."""
    texts, wavs, recipes = [], [], []
    for task, seed in zip(tasks, seeds):
        recipe = make_recipe(task, check_train_seed(seed), min_s=min_s, max_s=max_s)
        recipes.append(recipe)
        wavs.append(render(recipe))
        texts.append(prompt_text(processor, task) + recipe["answer"] + processor.tokenizer.eos_token)
    check_whole_clips(processor, wavs, "hr_synth training batch")
    with feature_window(processor, max(len(w) for w in wavs)):
        inputs = processor(text=texts, audio=wavs, return_tensors="pt", padding=True)
    # Left padding (the tokenizer's side) puts every row's answer at the very end.
    targets = inputs["input_ids"][:, -ANSWER_TOKENS:].clone()
    # Audio tokens per clip, in the order the audio tower concatenates them.
    n_tokens = audio_token_counts(inputs["feature_attention_mask"].sum(-1))
    labels = torch.cat([token_labels(r, int(n)) for r, n in zip(recipes, n_tokens)])
    return Batch(inputs=dict(inputs), targets=targets, token_labels=labels)


def audio_token_counts(mel_frames: torch.Tensor) -> torch.Tensor:
    """Qwen2.5-Omni's encoder output length for each clip of ``mel_frames`` valid frames."""
    return ((mel_frames - 1) // 2 + 1 - 2) // 2 + 1


@contextlib.contextmanager
def feature_window(processor, longest: int):
    """Let the feature extractor pad to just past the longest clip instead of its full window.

    The processor always pads to the extractor's window (60 s here): for 2 s training
    crops that is 30x wasted STFT work. The log-mel of the real frames is unchanged:
    each frame sees the same samples (the clip, then zeros), and the per-clip maximum
    that Whisper's normalisation uses comes from the real frames either way. One
    second of zeros past the clip covers the STFT's half-window.
    """
    extractor = processor.feature_extractor
    saved = extractor.n_samples
    seconds = int(np.ceil(longest / extractor.sampling_rate)) + 1
    extractor.n_samples = min(saved, seconds * extractor.sampling_rate)
    try:
        yield
    finally:
        extractor.n_samples = saved


def answer_loss(thinker: torch.nn.Module, batch: Batch, frame_head: torch.nn.Module | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy on the answer tokens (plus the frame loss if ``frame_head``), and per-row letter hits."""
    captured = []
    hook = None
    if frame_head is not None:
        hook = QWEN_OMNI.audio_encoder(thinker).register_forward_hook(
            lambda module, args, output: captured.append(output.last_hidden_state))
    try:
        out = thinker(**batch.inputs, use_cache=False)
    finally:
        if hook is not None:
            hook.remove()
    # logits at position t predict token t+1: the answer tokens are predicted from
    # the ANSWER_TOKENS positions just before them.
    logits = out.logits[:, -ANSWER_TOKENS - 1 : -1, :]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                                             batch.targets.reshape(-1))
    letter_right = logits[:, 0, :].argmax(-1) == batch.targets[:, 0]
    if frame_head is not None:
        loss = loss + frame_loss(frame_head, captured[0], batch.token_labels)
    return loss, letter_right


def seeded_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 0x5EED])
