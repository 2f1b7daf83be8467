"""Build the thinker (and its processor) the benchmark measures.

Either random weights in a preset's shape, or a real checkpoint through the project's
one loading path (the family's ``load_model``). Random models are constructed
directly on the target device and in the target dtype (a ``torch.device`` context plus
``dtype=`` at construction), so a 7B thinker never goes through a slow fp32 CPU init.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import torch

from headrouter_eval.bench.presets import SizePreset
from headrouter_eval.models import ModelFamily, family_of_checkpoint
from headrouter_eval.models.loading import resolve_dtype
from headrouter_eval.models.qwen_omni import FAMILY as QWEN_OMNI
from headrouter_eval.models.qwen_omni import audio_only_processor
from headrouter_eval.models.tiny.qwen_omni import build_feature_extractor, build_thinker_config, build_tokenizer

ATTN_IMPLEMENTATIONS = ("sdpa", "flash_attention_2", "eager")


@dataclass
class BenchModel:
    """A thinker ready to benchmark, its processor and a label for the report."""

    thinker: torch.nn.Module
    family: ModelFamily
    processor: Any
    label: str
    description: str
    random_weights: bool


def check_attn_implementation(attn: str, device: torch.device) -> None:
    """Fail early with a clear message when the attention kernel cannot run here."""
    if attn not in ATTN_IMPLEMENTATIONS:
        raise ValueError(f"unknown attention implementation {attn!r}; use one of {', '.join(ATTN_IMPLEMENTATIONS)}")
    if attn == "flash_attention_2":
        if device.type != "cuda":
            raise ValueError("flash_attention_2 needs a CUDA device; use --attn sdpa on CPU")
        if importlib.util.find_spec("flash_attn") is None:
            raise ValueError("flash_attention_2 requested but the flash-attn package is not installed")


def build_random_model(
    preset: SizePreset, *, device: torch.device, dtype: str | torch.dtype | None, attn: str, seed: int = 0
) -> BenchModel:
    """A random-weight thinker with ``preset``'s shapes, built in place on ``device``."""
    check_attn_implementation(attn, device)
    tokenizer = build_tokenizer()
    thinker_config = build_thinker_config(preset.spec, tokenizer, vocab_size=preset.vocab_size,
                                          mrope_section=preset.mrope_section)
    torch.manual_seed(seed)
    with torch.device(device):
        thinker = QWEN_OMNI.random_model(thinker_config, dtype=resolve_dtype(dtype, device), attn_implementation=attn)
    thinker.eval()
    processor = audio_only_processor(tokenizer, build_feature_extractor(preset.spec.chunk_length_s))
    return BenchModel(thinker, QWEN_OMNI, processor, preset.name, preset.description, random_weights=True)


def load_pretrained_model(
    pretrained: str, *, device: torch.device, dtype: str | torch.dtype | None, attn: str
) -> BenchModel:
    """A real checkpoint, loaded exactly as the lmms-eval adapter loads it."""
    check_attn_implementation(attn, device)
    family = family_of_checkpoint(pretrained)
    thinker = family.load_model(pretrained, device=device, dtype=dtype, attn_implementation=attn)
    sizes = family.sizes(thinker.config)
    description = (
        f"{family.title} checkpoint {pretrained}: {sizes.layers} layers, hidden {sizes.hidden}, "
        f"{sizes.heads} heads / {sizes.kv_heads} KV heads, MLP {sizes.mlp}"
    )
    return BenchModel(thinker, family, family.load_processor(pretrained), f"pretrained:{pretrained}", description,
                      False)
