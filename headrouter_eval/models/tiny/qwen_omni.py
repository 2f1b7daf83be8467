"""Build tiny Qwen2.5-Omni checkpoints in the hub layout, with our own tokenizer.

No model weights can be downloaded on the machines this project is built and tested
on, so tests, the bundled demo model and the efficiency benchmark build models from
configs. :func:`save_tiny_checkpoint` writes a *full*
``Qwen2_5OmniForConditionalGeneration`` (thinker + talker + token2wav, as
``Qwen/Qwen2.5-Omni-3B`` holds) plus tokenizer, chat template and Whisper feature
extractor files, so the adapter loads it through exactly the code path a hub
checkpoint takes.

The tokenizer is byte-level (256 byte tokens, no merges) plus Qwen's chat and audio
special tokens: any text round-trips, and the vocabulary stays ~270 entries, which
keeps embedding matrices tiny.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.models.tiny._common import (
    build_byte_tokenizer,
    windowed_preprocessor_config,
    write_preprocessor_config,
)

SPECIAL_TOKENS = {
    "pad_token": "<|endoftext|>",
    "im_start": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "audio_token": "<|AUDIO|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
    "image_token": "<|IMAGE|>",
    "video_token": "<|VIDEO|>",
    "vision_bos_token": "<|vision_bos|>",
    "vision_eos_token": "<|vision_eos|>",
}

# Qwen2.5-Omni's published chat template, character for character as transformers' own tests
# carry it for Qwen2_5OmniProcessor (huggingface/transformers,
# tests/models/qwen2_5_omni/test_processor_qwen2_5_omni.py, ``prepare_processor_dict``). An item
# with type "audio" (or an ``audio`` / ``audio_url`` key) becomes one
# <|audio_bos|><|AUDIO|><|audio_eos|> span (the processor expands <|AUDIO|>); "Audio i: " only
# with ``add_audio_id``, which the project never sets.
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}{% set video_count = "
    "namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}"
    "\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in "
    "message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_bos|><|IMAGE|><|vision_eos|>{% elif content['type'] == 'audio' or 'audio' in content "
    "or 'audio_url' in content %}{% set audio_count.value = audio_count.value + 1 %}{% if add_audio_id %}Audio "
    "{{ audio_count.value }}: {% endif %}<|audio_bos|><|AUDIO|><|audio_eos|>{% elif content['type'] == 'video' "
    "or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_bos|><|VIDEO|><|vision_eos|>{% elif 'text' in content %}"
    "{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if "
    "add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen2.5-Omni-7B's preprocessor_config.json (hub repository Qwen/Qwen2.5-Omni-7B; Qwen2.5-Omni-3B's
# is the same), key for key and value for value as public copies of that file give it. The
# checkpoint gets it verbatim except the audio window, which the spec sets (``chunk_length_s``;
# the published 300 s, i.e. n_samples 4800000 and nb_max_frames 30000, is longer than any test
# clip): :func:`preprocessor_config`.
PREPROCESSOR_CONFIG = {
    "chunk_length": 300,
    "dither": 0.0,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 128,
    "hop_length": 160,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_processor_type": "Qwen2VLImageProcessor",
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "max_pixels": 12845056,
    "merge_size": 2,
    "min_pixels": 3136,
    "n_fft": 400,
    "n_samples": 4800000,
    "nb_max_frames": 30000,
    "padding_side": "right",
    "padding_value": 0.0,
    "patch_size": 14,
    "processor_class": "Qwen2_5OmniProcessor",
    "return_attention_mask": True,
    "sampling_rate": 16000,
    "temporal_patch_size": 2,
}
#: the published keys of the Whisper extractor (the rest configure the image processor)
AUDIO_KEYS = ("chunk_length", "dither", "feature_size", "hop_length", "n_fft", "padding_side", "padding_value",
              "return_attention_mask", "sampling_rate")


def preprocessor_config(chunk_length_s: int) -> dict:
    """The published preprocessor config with the audio window set to ``chunk_length_s`` seconds."""
    return windowed_preprocessor_config(PREPROCESSOR_CONFIG, chunk_length_s)


@dataclass
class TinyOmniSpec:
    """Sizes of a tiny Qwen2.5-Omni. Defaults build in milliseconds and save to ~2 MB."""

    hidden_size: int = 64
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 128
    audio_d_model: int = 64
    audio_layers: int = 2
    audio_heads: int = 4
    audio_ffn: int = 128
    # Encoder attention window in mel frames / 2 (Qwen's default 100 = 2 s). Small windows
    # keep an audio event local to its few tokens.
    audio_n_window: int = 100
    # Feature-extractor window in seconds: clips longer than this become several spans.
    chunk_length_s: int = 30
    seed: int = 0
    extra_thinker: dict = field(default_factory=dict)
    # Per-head width of the decoder; None: hidden_size // num_heads. Set when a trained model's
    # heads were duplicated (headrouter_eval/synth/widen.py), which keeps each head's width.
    decoder_head_dim: int | None = None

    @property
    def head_dim(self) -> int:
        return self.decoder_head_dim or self.hidden_size // self.num_heads


def build_tokenizer():
    """Byte-level tokenizer with Qwen2.5-Omni's special tokens and chat template."""
    named = {k: v for k, v in SPECIAL_TOKENS.items() if k not in ("pad_token", "eos_token", "im_start")}
    return build_byte_tokenizer(named, eos_token=SPECIAL_TOKENS["eos_token"], pad_token=SPECIAL_TOKENS["pad_token"],
                                chat_template=CHAT_TEMPLATE, unnamed=[SPECIAL_TOKENS["im_start"]])


def build_feature_extractor(chunk_length_s: int = 30):
    """The Whisper log-mel extractor of Qwen2.5-Omni's published config (128 bins, 16 kHz), window
    ``chunk_length_s``."""
    from transformers import WhisperFeatureExtractor

    published = preprocessor_config(chunk_length_s)
    return WhisperFeatureExtractor(**{key: published[key] for key in AUDIO_KEYS})


def build_config(spec: TinyOmniSpec, tokenizer):
    """A full ``Qwen2_5OmniConfig`` whose thinker has ``spec``'s sizes."""
    from transformers import Qwen2_5OmniConfig

    ids = {k: tokenizer.convert_tokens_to_ids(v) for k, v in SPECIAL_TOKENS.items()}
    vocab = len(tokenizer)
    half = spec.head_dim // 2
    mrope = [half - 2 * (half // 3), half // 3, half // 3]  # sum == head_dim / 2, as M-RoPE requires
    text = dict(
        vocab_size=vocab, hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers, num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads, head_dim=spec.head_dim, max_position_embeddings=32768,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": mrope},
        tie_word_embeddings=False, pad_token_id=ids["pad_token"], eos_token_id=ids["eos_token"],
    )
    audio = dict(
        num_mel_bins=128, encoder_layers=spec.audio_layers, encoder_attention_heads=spec.audio_heads,
        encoder_ffn_dim=spec.audio_ffn, d_model=spec.audio_d_model, output_dim=spec.hidden_size,
        n_window=spec.audio_n_window, max_source_positions=1500,
    )
    vision = dict(depth=1, hidden_size=16, intermediate_size=32, num_heads=2, out_hidden_size=spec.hidden_size,
                  fullatt_block_indexes=[0])
    thinker = dict(
        audio_config=audio, vision_config=vision, text_config=text,
        audio_token_index=ids["audio_token"], audio_start_token_id=ids["audio_bos_token"],
        audio_end_token_id=ids["audio_eos_token"], image_token_index=ids["image_token"],
        video_token_index=ids["video_token"], vision_start_token_id=ids["vision_bos_token"],
        vision_end_token_id=ids["vision_eos_token"], user_token_id=ids["im_start"],
        pad_token_id=ids["pad_token"], eos_token_id=ids["eos_token"], **spec.extra_thinker,
    )
    talker = dict(
        vocab_size=vocab, embedding_size=spec.hidden_size, hidden_size=32, intermediate_size=64,
        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [4, 2, 2]},
        audio_token_index=ids["audio_token"], image_token_index=ids["image_token"],
        video_token_index=ids["video_token"], audio_start_token_id=ids["audio_bos_token"],
        audio_end_token_id=ids["audio_eos_token"], vision_start_token_id=ids["vision_bos_token"],
        vision_end_token_id=ids["vision_eos_token"],
        tts_text_start_token_id=ids["im_start"], tts_text_end_token_id=ids["eos_token"],
        tts_text_pad_token_id=ids["pad_token"], tts_codec_start_token_id=60, tts_codec_end_token_id=61,
        tts_codec_pad_token_id=62, tts_codec_mask_token_id=63,
    )
    token2wav = dict(
        dit_config=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, ff_mult=1, emb_dim=16,
                        head_dim=16, num_embeds=64, mel_dim=16, enc_emb_dim=16, enc_dim=16,
                        enc_channels=[16, 16, 16, 16, 32], enc_attention_channels=8, enc_se_channels=8,
                        look_ahead_layers=[0], look_backward_layers=[0]),
        bigvgan_config=dict(mel_dim=16, upsample_initial_channel=16, resblock_kernel_sizes=[3],
                            resblock_dilation_sizes=[[1, 3, 5]], upsample_rates=[2], upsample_kernel_sizes=[4]),
    )
    return Qwen2_5OmniConfig(thinker_config=thinker, talker_config=talker, token2wav_config=token2wav)


def build_thinker_config(
    spec: TinyOmniSpec, tokenizer, *, vocab_size: int | None = None, mrope_section: tuple[int, int, int] | None = None
):
    """The thinker part of :func:`build_config`, optionally with a real vocabulary size and M-RoPE sections.

    ``vocab_size`` larger than the byte tokenizer's keeps every id valid (the benchmark's
    real-size shapes compute logits over the real vocabulary).
    """
    config = build_config(spec, tokenizer).thinker_config
    if vocab_size is not None:
        config.text_config.vocab_size = vocab_size
    if mrope_section is not None:
        config.text_config.rope_parameters = {**config.text_config.rope_parameters,
                                              "mrope_section": list(mrope_section)}
    return config


def save_tiny_checkpoint(path: str | Path, spec: TinyOmniSpec | None = None, thinker_state: dict | None = None) -> Path:
    """Write a tiny full Qwen2.5-Omni checkpoint (weights, config, tokenizer, extractor) to ``path``.

    Weights are seeded random unless ``thinker_state`` (a thinker ``state_dict``, e.g.
    from training) is given, which then replaces the thinker's weights.
    """
    import torch
    from transformers import Qwen2_5OmniForConditionalGeneration

    spec = spec or TinyOmniSpec()
    path = Path(path)
    tokenizer = build_tokenizer()
    config = build_config(spec, tokenizer)
    torch.manual_seed(spec.seed)
    model = Qwen2_5OmniForConditionalGeneration(config).eval()
    if thinker_state is not None:
        model.thinker.load_state_dict(thinker_state)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    build_feature_extractor(spec.chunk_length_s).save_pretrained(path)
    return write_preprocessor_config(path, preprocessor_config(spec.chunk_length_s))
