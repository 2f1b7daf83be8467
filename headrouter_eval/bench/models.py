"""Build the model (and its processor) the benchmark measures, for any model family.

Either random weights in a preset's shape, or a real checkpoint through the project's
one loading path (the family's ``load_model``). A random model's config and processor
come from the family's tiny-checkpoint module (``headrouter_eval/models/tiny/``), and
the model from ``family.random_model``, constructed directly on the target device and
in the target dtype (a ``torch.device`` context plus ``dtype=`` at construction), so a
7B model never goes through a slow fp32 CPU init. Nothing here names a transformers
class or where a config keeps its parts: the generating config is found by the
family's class, the decoder's config through transformers' ``get_text_config``.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

import torch

from headrouter_eval.bench.presets import SizePreset
from headrouter_eval.models import ModelFamily, family_of_checkpoint, get_family
from headrouter_eval.models.loading import resolve_dtype

ATTN_IMPLEMENTATIONS = ("sdpa", "flash_attention_2", "eager")


@dataclass
class BenchModel:
    """A model ready to benchmark, its processor and a label for the report."""

    model: torch.nn.Module
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


def _qwen_omni_processor(tiny, tokenizer, spec):
    from headrouter_eval.models.qwen_omni import audio_only_processor

    return audio_only_processor(tokenizer, tiny.build_feature_extractor(spec.chunk_length_s))


def _stock_processor(tiny, tokenizer, spec):
    return tiny.build_processor(tokenizer)


# family -> processor over the tiny module's tokenizer (Qwen2.5-Omni's tiny module has no build_processor)
TINY_PROCESSORS = {"qwen_omni": _qwen_omni_processor, "qwen2_audio": _stock_processor,
                   "qwen3_omni": _stock_processor}


def generating_config(family: ModelFamily, config: Any) -> Any:
    """The config of ``family``'s generating class inside a full-model config (the config itself if it is one)."""
    wanted = family.model_class.config_class
    if isinstance(config, wanted):
        return config
    for key in getattr(config, "sub_configs", {}):
        sub = getattr(config, key, None)
        if isinstance(sub, wanted):
            return sub
    raise TypeError(f"{type(config).__name__} holds no {wanted.__name__} ({family.title})")


def apply_decoder_overrides(config: Any, overrides: dict) -> None:
    """Set a preset's decoder fields on the decoder's config; a dict value is merged into the existing dict."""
    decoder = config.get_text_config(decoder=True)
    for key, value in overrides.items():
        current = getattr(decoder, key, None)
        setattr(decoder, key, {**current, **value} if isinstance(value, dict) and isinstance(current, dict)
                else value)


def random_model_config(preset: SizePreset) -> tuple[ModelFamily, Any, Any]:
    """The family, the generating model's config and the processor of ``preset``."""
    family = get_family(preset.family)
    tiny = importlib.import_module(f"headrouter_eval.models.tiny.{preset.family}")
    tokenizer = tiny.build_tokenizer()
    config = generating_config(family, tiny.build_config(preset.spec, tokenizer))
    apply_decoder_overrides(config, preset.decoder_overrides)
    return family, config, TINY_PROCESSORS[preset.family](tiny, tokenizer, preset.spec)


def build_random_model(
    preset: SizePreset, *, device: torch.device, dtype: str | torch.dtype | None, attn: str, seed: int = 0
) -> BenchModel:
    """A random-weight model with ``preset``'s shapes, built in place on ``device``."""
    check_attn_implementation(attn, device)
    family, config, processor = random_model_config(preset)
    torch.manual_seed(seed)
    with torch.device(device):
        model = family.random_model(config, dtype=resolve_dtype(dtype, device), attn_implementation=attn)
    model.eval()
    label = preset.name if preset.family == "qwen_omni" else f"{preset.family}-{preset.name}"
    description = preset.description if preset.real else f"{family.title} {preset.description}"
    return BenchModel(model, family, processor, label, description, random_weights=True)


def load_pretrained_model(
    pretrained: str, *, device: torch.device, dtype: str | torch.dtype | None, attn: str
) -> BenchModel:
    """A real checkpoint, loaded exactly as the lmms-eval adapter loads it."""
    check_attn_implementation(attn, device)
    family = family_of_checkpoint(pretrained)
    model = family.load_model(pretrained, device=device, dtype=dtype, attn_implementation=attn)
    sizes = family.sizes(model.config)
    description = (
        f"{family.title} checkpoint {pretrained}: {sizes.layers} layers, hidden {sizes.hidden}, "
        f"{sizes.heads} heads / {sizes.kv_heads} KV heads, MLP {sizes.mlp}"
    )
    return BenchModel(model, family, family.load_processor(pretrained), f"pretrained:{pretrained}", description,
                      False)
