"""Build tiny Qwen2-Audio checkpoints in the layout of ``Qwen/Qwen2-Audio-7B-Instruct``.

No weights can be downloaded where this project is built and tested, so tests build
models from configs. :func:`save_tiny_checkpoint` writes a
``Qwen2AudioForConditionalGeneration`` (Whisper-style ``Qwen2AudioEncoder`` audio tower,
linear projector, Qwen2 text decoder) with seeded random weights, plus a byte-level
tokenizer carrying Qwen2-Audio's special tokens and chat template and the Whisper feature
extractor of the real ``preprocessor_config.json`` (which names ``Qwen2AudioProcessor``), so that
``AutoProcessor.from_pretrained(path)`` and
``Qwen2AudioForConditionalGeneration.from_pretrained(path)`` take the code path a hub
checkpoint takes.

Qwen2-Audio specifics the tiny model keeps: the encoder only accepts mel inputs of exactly
``2 * max_source_positions`` frames (1500 -> 3000 frames = 30 s), so the processor pads
every clip to the window (``padding="max_length"``) and marks the real frames in
``feature_attention_mask``; one audio token per 40 ms (25 per second). The window is the
published 30 s unless the spec sets a shorter one (``window_s``, encoder and extractor
together): the encoder then runs over fewer padded frames, which is what tests pay for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.models.tiny._common import (
    build_byte_tokenizer,
    save_checkpoint,
    stop_generation_config,
    token_ids,
    windowed_preprocessor_config,
    write_preprocessor_config,
)

#: tokenizer attribute -> token, as in the real tokenizer_config.json
NAMED_TOKENS = {
    "audio_token": "<|AUDIO|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
}
PAD_TOKEN = "<|endoftext|>"
EOS_TOKEN = "<|im_end|>"
IM_START = "<|im_start|>"

# Qwen2-Audio-7B-Instruct's published chat template, character for character as
# transformers' own tests carry it for that checkpoint
# (huggingface/transformers, tests/models/qwen2_audio/test_processor_qwen2_audio.py,
# ``prepare_processor_dict``). A default system turn when the first message is not one, then
# <|im_start|>role\n ... <|im_end|>\n turns. An item of a list content renders as audio only
# when it has an ``audio`` or ``audio_url`` key ({"type": "audio"} alone renders nothing):
# "Audio i: <|audio_bos|><|AUDIO|><|audio_eos|>\n", i counted over the conversation; the
# processor expands <|AUDIO|> to one token per 40 ms of audio.
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and "
    "message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if 'audio' in content or 'audio_url' "
    "in content or message['type'] == 'audio' %}{% set audio_count.value = audio_count.value + 1 %}Audio "
    "{{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n{% elif 'text' in content %}"
    "{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if "
    "add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen2-Audio-7B-Instruct's preprocessor_config.json (hub repository Qwen/Qwen2-Audio-7B-Instruct),
# key for key and value for value as public copies of that file give it; written verbatim into the
# checkpoint, and the feature extractor is built from it.
PREPROCESSOR_CONFIG = {
    "chunk_length": 30,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 128,
    "hop_length": 160,
    "n_fft": 400,
    "n_samples": 480000,
    "nb_max_frames": 3000,
    "padding_side": "right",
    "padding_value": 0.0,
    "processor_class": "Qwen2AudioProcessor",
    "return_attention_mask": True,
    "sampling_rate": 16000,
}


@dataclass
class TinyQwen2AudioSpec:
    """Sizes of a tiny Qwen2-Audio. Defaults build in well under a second and save to ~1 MB."""

    hidden_size: int = 64
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 128
    audio_d_model: int = 64
    audio_layers: int = 2
    audio_heads: int = 4
    audio_ffn: int = 128
    # the audio window in seconds (published: 30); the encoder's positions follow it
    window_s: int = 30
    seed: int = 0
    extra_text: dict = field(default_factory=dict)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


def build_tokenizer():
    """Byte-level tokenizer with Qwen2-Audio's special tokens and chat template."""
    return build_byte_tokenizer(
        NAMED_TOKENS, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN, unnamed=[IM_START], chat_template=CHAT_TEMPLATE
    )


def preprocessor_config(window_s: int = 30) -> dict:
    """The published preprocessor config with the audio window set to ``window_s`` seconds."""
    return windowed_preprocessor_config(PREPROCESSOR_CONFIG, window_s)


def build_feature_extractor(window_s: int = 30):
    """The Whisper log-mel extractor of Qwen2-Audio's ``preprocessor_config.json`` (128 bins, 16 kHz;
    the published 30 s window unless ``window_s`` says otherwise)."""
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(**extractor_kwargs(preprocessor_config(window_s)))


def extractor_kwargs(published: dict) -> dict:
    """Constructor arguments of a Whisper extractor from a published preprocessor config (the
    class and processor names, and the sizes the extractor derives itself, left out)."""
    derived = ("feature_extractor_type", "processor_class", "n_samples", "nb_max_frames")
    return {key: value for key, value in published.items() if key not in derived}


def build_processor(tokenizer=None, feature_extractor=None):
    """The stock ``Qwen2AudioProcessor`` over our tokenizer and feature extractor."""
    from transformers import Qwen2AudioProcessor

    tokenizer = tokenizer or build_tokenizer()
    return Qwen2AudioProcessor(
        feature_extractor=feature_extractor or build_feature_extractor(),
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )


def build_config(spec: TinyQwen2AudioSpec, tokenizer):
    """A ``Qwen2AudioConfig`` with ``spec``'s sizes and our tokenizer's ids."""
    from transformers import Qwen2AudioConfig

    ids = token_ids(tokenizer, {**NAMED_TOKENS, "pad": PAD_TOKEN, "eos": EOS_TOKEN})
    text = dict(
        model_type="qwen2", vocab_size=len(tokenizer), hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size, num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads, num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=8192, rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        tie_word_embeddings=False, pad_token_id=ids["pad"], eos_token_id=ids["eos"], **spec.extra_text,
    )
    audio = dict(
        model_type="qwen2_audio_encoder", num_mel_bins=128, encoder_layers=spec.audio_layers,
        encoder_attention_heads=spec.audio_heads, encoder_ffn_dim=spec.audio_ffn, d_model=spec.audio_d_model,
        # the encoder insists on exactly 2 * max_source_positions mel frames (100 per second):
        # 3000 = the published 30 s window
        max_source_positions=spec.window_s * 50,
    )
    return Qwen2AudioConfig(audio_config=audio, text_config=text, audio_token_index=ids["audio_token"],
                            pad_token_id=ids["pad"])


def save_tiny_checkpoint(path: str | Path, spec: TinyQwen2AudioSpec | None = None) -> Path:
    """Write a tiny Qwen2-Audio checkpoint (weights, configs, tokenizer, processor files) to ``path``."""
    import torch
    from transformers import Qwen2AudioForConditionalGeneration

    spec = spec or TinyQwen2AudioSpec()
    tokenizer = build_tokenizer()
    config = build_config(spec, tokenizer)
    torch.manual_seed(spec.seed)
    model = Qwen2AudioForConditionalGeneration(config).eval()
    model.generation_config = stop_generation_config(tokenizer, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN)
    save_checkpoint(path, model, tokenizer, build_feature_extractor(spec.window_s), "Qwen2AudioProcessor")
    return write_preprocessor_config(path, preprocessor_config(spec.window_s))
