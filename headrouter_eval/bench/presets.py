"""Model-shape presets for the benchmark, all in one place.

``3b`` and ``7b`` are the real Qwen2.5-Omni thinker shapes (DESIGN section 3): the
text model's layers, widths and heads, the real audio encoder (32 layers, d_model
1280, 20 heads, FFN 5120, output projected to the text width) and the real
vocabulary size, because the thinker computes logits for every prompt position and
the vocabulary therefore shows up in prefill FLOPs and memory. ``tiny`` and ``small``
are CPU-sized stand-ins with the same structure.

Weights are random: latency, memory and FLOPs depend on shapes, not on weight values.
The feature extractor's window (``chunk_length_s``) of the real shapes is 300 s, the cap
of Qwen2.5-Omni's feature extractor, so 300 s of audio is one span; the
CPU stand-ins keep the 30 s default, so long audio there becomes several spans, exactly
as the adapter splits it. A checkpoint loaded with ``--pretrained`` uses its own extractor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec


@dataclass(frozen=True)
class SizePreset:
    """A named model shape: the thinker spec plus what TinyOmniSpec does not cover."""

    name: str
    spec: TinyOmniSpec
    vocab_size: int | None  # None: the byte-level test tokenizer's own (~270 entries)
    mrope_section: tuple[int, int, int] | None  # None: derived from head_dim by build_config
    description: str


def _real_shape(hidden: int, layers: int, heads: int, kv_heads: int, mlp: int) -> TinyOmniSpec:
    return TinyOmniSpec(
        hidden_size=hidden, num_layers=layers, num_heads=heads, num_kv_heads=kv_heads, intermediate_size=mlp,
        audio_d_model=1280, audio_layers=32, audio_heads=20, audio_ffn=5120, audio_n_window=100,
        chunk_length_s=300,
    )


PRESETS: dict[str, SizePreset] = {
    "tiny": SizePreset(
        name="tiny", spec=TinyOmniSpec(), vocab_size=None, mrope_section=None,
        description="test fixture: 4 layers, hidden 64, 4 heads / 2 KV heads, MLP 128; encoder 2 x d64",
    ),
    "small": SizePreset(
        name="small",
        spec=TinyOmniSpec(
            hidden_size=256, num_layers=8, num_heads=4, num_kv_heads=2, intermediate_size=1024,
            audio_d_model=256, audio_layers=4, audio_heads=4, audio_ffn=1024, audio_n_window=100,
        ),
        vocab_size=None, mrope_section=None,
        description="CPU stand-in: 8 layers, hidden 256, 4 heads / 2 KV heads, MLP 1024; encoder 4 x d256",
    ),
    "3b": SizePreset(
        name="3b", spec=_real_shape(2048, 36, 16, 2, 11008), vocab_size=151936,
        mrope_section=(16, 24, 24),
        description="Qwen2.5-Omni-3B thinker shape: 36 layers, hidden 2048, 16 heads / 2 KV heads, MLP 11008, "
                    "vocab 151936; encoder 32 x d1280 (20 heads, FFN 5120)",
    ),
    "7b": SizePreset(
        name="7b", spec=_real_shape(3584, 28, 28, 4, 18944), vocab_size=152064,
        mrope_section=(16, 24, 24),
        description="Qwen2.5-Omni-7B thinker shape: 28 layers, hidden 3584, 28 heads / 4 KV heads, MLP 18944, "
                    "vocab 152064; encoder 32 x d1280 (20 heads, FFN 5120)",
    ),
}


def get_preset(name: str, chunk_length_s: int | None = None) -> SizePreset:
    """The preset called ``name``, optionally with another feature-extractor window."""
    if name not in PRESETS:
        raise ValueError(f"unknown size {name!r}; choose one of {', '.join(PRESETS)} or pass --pretrained")
    preset = PRESETS[name]
    if chunk_length_s is not None:
        preset = replace(preset, spec=replace(preset.spec, chunk_length_s=int(chunk_length_s)))
    return preset
