"""Model-shape presets for the benchmark: one small table per model family.

A preset is a tiny-checkpoint spec of the family (``headrouter_eval/models/tiny/``)
with real or CPU-sized shapes, plus the decoder config fields that spec does not
cover (``decoder_overrides``, keyed as in the published ``config.json``). Weights are
random: latency, memory and FLOPs depend on shapes, not on weight values. Real sizes
use the real vocabulary, because the model computes logits for every prompt position
and the vocabulary therefore shows up in prefill FLOPs and memory.

Feature-extractor windows: Qwen2.5-Omni's real shapes use 300 s (the cap of its feature
extractor), so 300 s of audio is one span; its CPU stand-ins keep Whisper's 30 s, so
long audio there becomes several spans, exactly as the adapter splits it. Qwen2-Audio
always encodes 30 s items (its encoder takes exactly 3000 mel frames); Qwen3-Omni's
processor never cuts a clip. A checkpoint loaded with ``--pretrained`` uses its own
extractor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from headrouter_eval.models.tiny.qwen2_audio import TinyQwen2AudioSpec
from headrouter_eval.models.tiny.qwen3_omni import TinyQwen3OmniSpec
from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec

DEFAULT_FAMILY = "qwen_omni"
WHISPER_ENCODER = dict(audio_d_model=1280, audio_layers=32, audio_heads=20, audio_ffn=5120)


@dataclass(frozen=True)
class SizePreset:
    """A named model shape of one family."""

    name: str
    family: str
    spec: Any  # the family's tiny spec (TinyOmniSpec, TinyQwen2AudioSpec, TinyQwen3OmniSpec)
    description: str
    # decoder config fields the spec does not set; dict values are merged into the built dict.
    # Without vocab_size the byte-level test tokenizer's own (~270 entries) is used.
    decoder_overrides: dict = field(default_factory=dict)
    real: bool = False  # a published model's shape (meant for a GPU), not a CPU stand-in


QWEN_OMNI = {
    "tiny": SizePreset(
        "tiny", "qwen_omni", TinyOmniSpec(),
        "test fixture: 4 layers, hidden 64, 4 heads / 2 KV heads, MLP 128; encoder 2 x d64",
    ),
    "small": SizePreset(
        "small", "qwen_omni",
        TinyOmniSpec(hidden_size=256, num_layers=8, num_heads=4, num_kv_heads=2, intermediate_size=1024,
                     audio_d_model=256, audio_layers=4, audio_heads=4, audio_ffn=1024, audio_n_window=100),
        "CPU stand-in: 8 layers, hidden 256, 4 heads / 2 KV heads, MLP 1024; encoder 4 x d256",
    ),
    "3b": SizePreset(
        "3b", "qwen_omni",
        TinyOmniSpec(hidden_size=2048, num_layers=36, num_heads=16, num_kv_heads=2, intermediate_size=11008,
                     audio_n_window=100, chunk_length_s=300, **WHISPER_ENCODER),
        "Qwen2.5-Omni-3B thinker shape (published config.json of Qwen/Qwen2.5-Omni-3B, as best known): "
        "36 layers, hidden 2048, 16 heads / 2 KV heads, MLP 11008, vocab 151936; "
        "encoder 32 x d1280 (20 heads, FFN 5120)",
        {"vocab_size": 151936, "rope_parameters": {"mrope_section": [16, 24, 24]}}, real=True,
    ),
    "7b": SizePreset(
        "7b", "qwen_omni",
        TinyOmniSpec(hidden_size=3584, num_layers=28, num_heads=28, num_kv_heads=4, intermediate_size=18944,
                     audio_n_window=100, chunk_length_s=300, **WHISPER_ENCODER),
        "Qwen2.5-Omni-7B thinker shape (published config.json of Qwen/Qwen2.5-Omni-7B, as best known): "
        "28 layers, hidden 3584, 28 heads / 4 KV heads, MLP 18944, vocab 152064; "
        "encoder 32 x d1280 (20 heads, FFN 5120)",
        {"vocab_size": 152064, "rope_parameters": {"mrope_section": [16, 24, 24]}}, real=True,
    ),
}

QWEN2_AUDIO = {
    "tiny": SizePreset(
        "tiny", "qwen2_audio", TinyQwen2AudioSpec(),
        "test fixture: 4 layers, hidden 64, 4 heads / 2 KV heads, MLP 128; encoder 2 x d64 (30 s items)",
    ),
    "7b": SizePreset(
        "7b", "qwen2_audio",
        TinyQwen2AudioSpec(hidden_size=4096, num_layers=32, num_heads=32, num_kv_heads=32, intermediate_size=11008,
                           **WHISPER_ENCODER),
        "Qwen2-Audio-7B shape (published config.json of Qwen/Qwen2-Audio-7B(-Instruct), as best known): "
        "32 layers, hidden 4096, 32 heads / 32 KV heads, MLP 11008, vocab 156032; "
        "encoder 32 x d1280 (20 heads, FFN 5120), every item padded to 30 s",
        {"vocab_size": 156032}, real=True,
    ),
}

QWEN3_OMNI = {
    "tiny": SizePreset(
        "tiny", "qwen3_omni", TinyQwen3OmniSpec(with_talker=False),
        "test fixture: 4 layers, hidden 64, 4 heads / 2 KV heads, 4 experts (2 active) of width 32; "
        "encoder 2 x d64",
    ),
    "30b-a3b": SizePreset(
        "30b-a3b", "qwen3_omni",
        TinyQwen3OmniSpec(hidden_size=2048, num_layers=48, num_heads=32, num_kv_heads=4, num_experts=128,
                          num_experts_per_tok=8, moe_intermediate_size=768, intermediate_size=768,
                          audio_downsample_hidden=480, audio_n_window=50, with_talker=False, **WHISPER_ENCODER),
        "Qwen3-Omni-30B-A3B thinker shape (published config.json of Qwen/Qwen3-Omni-30B-A3B-Instruct, as best "
        "known): 48 layers, hidden 2048, 32 heads / 4 KV heads, head_dim 128, 128 experts (8 active) of width "
        "768, vocab 152064; encoder 32 x d1280 (20 heads, FFN 5120, 2-D conv stem of 480 channels)",
        {"vocab_size": 152064, "head_dim": 128, "rope_parameters": {"mrope_section": [24, 20, 20]}}, real=True,
    ),
}

PRESETS: dict[str, dict[str, SizePreset]] = {"qwen_omni": QWEN_OMNI, "qwen2_audio": QWEN2_AUDIO,
                                             "qwen3_omni": QWEN3_OMNI}


def get_preset(name: str, chunk_length_s: int | None = None, family: str = DEFAULT_FAMILY) -> SizePreset:
    """The preset ``name`` of ``family``, optionally with another feature-extractor window (Qwen2.5-Omni only)."""
    if family not in PRESETS:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(PRESETS)}")
    table = PRESETS[family]
    if name not in table:
        raise ValueError(f"unknown size {name!r} for {family}; choose one of {', '.join(table)} or pass --pretrained")
    preset = table[name]
    if chunk_length_s is not None:
        if not hasattr(preset.spec, "chunk_length_s"):
            raise ValueError(f"--chunk-seconds applies to qwen_omni only; {family}'s window is fixed")
        preset = replace(preset, spec=replace(preset.spec, chunk_length_s=int(chunk_length_s)))
    return preset
