"""Build the thinker (and its processor) the benchmark measures.

Either random weights in a preset's shape, or a real checkpoint through the project's
one loading path (``headrouter_eval.omni.loading``). Random models are constructed
directly on the target device and in the target dtype (a ``torch.device`` context plus
``dtype=`` at construction), so a 7B thinker never goes through a slow fp32 CPU init.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch

from headrouter_eval.bench.presets import SizePreset
from headrouter_eval.omni.internals import THINKER_CLASS
from headrouter_eval.omni.loading import AudioOnlyOmniProcessor, load_processor, load_thinker, resolve_dtype
from headrouter_eval.omni.tiny import build_config, build_feature_extractor, build_tokenizer

ATTN_IMPLEMENTATIONS = ("sdpa", "flash_attention_2", "eager")


@dataclass
class BenchModel:
    """A thinker ready to benchmark, its processor and a label for the report."""

    thinker: torch.nn.Module
    processor: AudioOnlyOmniProcessor
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
    thinker_config = build_config(preset.spec, tokenizer).thinker_config
    text = thinker_config.text_config
    if preset.vocab_size is not None:
        text.vocab_size = preset.vocab_size  # the byte-level tokenizer's ids all stay below it
    if preset.mrope_section is not None:
        text.rope_parameters = {**text.rope_parameters, "mrope_section": list(preset.mrope_section)}
    torch.manual_seed(seed)
    with torch.device(device):
        thinker = THINKER_CLASS._from_config(
            thinker_config, dtype=resolve_dtype(dtype, device), attn_implementation=attn
        )
    thinker.eval()
    feature_extractor = build_feature_extractor(preset.spec.chunk_length_s)
    processor = AudioOnlyOmniProcessor(
        image_processor=None, video_processor=None, feature_extractor=feature_extractor,
        tokenizer=tokenizer, chat_template=tokenizer.chat_template,
    )
    return BenchModel(thinker, processor, preset.name, preset.description, random_weights=True)


def load_pretrained_model(
    pretrained: str, *, device: torch.device, dtype: str | torch.dtype | None, attn: str
) -> BenchModel:
    """A real checkpoint, loaded exactly as the lmms-eval adapter loads it."""
    check_attn_implementation(attn, device)
    thinker = load_thinker(pretrained, device=device, dtype=dtype, attn_implementation=attn)
    text = thinker.config.text_config
    description = (
        f"checkpoint {pretrained}: {text.num_hidden_layers} layers, hidden {text.hidden_size}, "
        f"{text.num_attention_heads} heads / {text.num_key_value_heads} KV heads, MLP {text.intermediate_size}"
    )
    return BenchModel(thinker, load_processor(pretrained), f"pretrained:{pretrained}", description, False)
