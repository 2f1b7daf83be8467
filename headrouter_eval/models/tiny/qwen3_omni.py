"""Build tiny Qwen3-Omni checkpoints in the layout of ``Qwen/Qwen3-Omni-30B-A3B-Instruct``.

No weights can be downloaded where this project is built and tested, so tests build
models from configs. :func:`save_tiny_checkpoint` writes a full
``Qwen3OmniMoeForConditionalGeneration`` (thinker + talker + code2wav, as the hub
checkpoint holds) with seeded random weights: the thinker has a Qwen3-Omni audio encoder
(windowed Whisper-style, 13 tokens per 100 mel frames), a stub vision encoder and an MoE
text decoder (q/k RMS norms, interleaved M-RoPE); talker and code2wav are as small as
their configs allow. Alongside: a byte-level tokenizer with Qwen3-Omni's special tokens
and chat template, and the Whisper feature extractor (128 bins, 16 kHz).

The stock ``Qwen3OmniMoeProcessor`` needs an image and a video processor, and the video
processor needs torchvision (not installed). Audio work needs neither:
``headrouter_eval.models.qwen3_omni.AudioOnlyQwen3OmniProcessor`` accepts ``None`` for
both; :func:`build_processor` builds one over this module's tokenizer and extractor.

Token ids: the thinker's ``audio_token_id`` (``<|audio_pad|>``), ``audio_start_token_id``
(``<|audio_start|>``) and, as in the hub config.json, ``audio_end_token_id``
(``<|audio_end|>``), ``vision_start_token_id``/``vision_end_token_id`` (not declared by the
config class, stored as extra attributes). With a byte tokenizer the role words are several
tokens, so the top-level ``system/user/assistant_token_id`` (which the talker compares with
the token after ``<|im_start|>``) are the ids of the role's first byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from headrouter_eval.models.qwen3_omni import AudioOnlyQwen3OmniProcessor, audio_only_processor
from headrouter_eval.models.tiny._common import build_byte_tokenizer, save_checkpoint, stop_generation_config, token_ids

#: tokenizer attribute -> token, as in the real tokenizer_config.json
NAMED_TOKENS = {
    "audio_token": "<|audio_pad|>",
    "audio_bos_token": "<|audio_start|>",
    "audio_eos_token": "<|audio_end|>",
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_bos_token": "<|vision_start|>",
    "vision_eos_token": "<|vision_end|>",
}
PAD_TOKEN = "<|endoftext|>"
EOS_TOKEN = "<|im_end|>"
IM_START = "<|im_start|>"
#: talker text-to-speech markers (top-level config ids tts_pad/bos/eos_token_id)
TTS_TOKENS = {"tts_pad": "<tts_pad>", "tts_bos": "<tts_text_bos>", "tts_eos": "<tts_text_eod>"}

# Qwen3-Omni's chat format: <|im_start|>role\n ... <|im_end|>\n turns, no default system turn.
# In a list content each audio item becomes <|audio_start|><|audio_pad|><|audio_end|> (the
# processor expands <|audio_pad|>), images/videos <|vision_start|><|image_pad|/video_pad|><|vision_end|>,
# text items their text, all concatenated.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'audio' or 'audio' in item or 'audio_url' in item %}"
    "<|audio_start|><|audio_pad|><|audio_end|>"
    "{% elif item['type'] == 'image' or 'image' in item or 'image_url' in item %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'video' or 'video' in item %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in item %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass
class TinyQwen3OmniSpec:
    """Sizes of a tiny Qwen3-Omni thinker (MoE decoder). Defaults build in about a second, save to a few MB."""

    hidden_size: int = 64
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    num_experts: int = 4
    num_experts_per_tok: int = 2
    moe_intermediate_size: int = 32
    # dense MLP width, used only by layers listed in extra_text["mlp_only_layers"]
    intermediate_size: int = 128
    audio_d_model: int = 64
    audio_layers: int = 2
    audio_heads: int = 4
    audio_ffn: int = 128
    audio_downsample_hidden: int = 16
    # encoder window in mel frames / 2: the processor's default (50) must match it
    audio_n_window: int = 50
    # write talker + code2wav too (the hub layout); False writes enable_audio_output=False and no weights for them
    with_talker: bool = True
    seed: int = 0
    extra_text: dict = field(default_factory=dict)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads


def build_tokenizer():
    """Byte-level tokenizer with Qwen3-Omni's special tokens and chat template."""
    return build_byte_tokenizer(
        NAMED_TOKENS, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN, unnamed=[IM_START, *TTS_TOKENS.values()],
        chat_template=CHAT_TEMPLATE,
    )


def build_feature_extractor():
    """Whisper log-mel extractor as Qwen3-Omni uses it (128 bins, 16 kHz; clips are not cut to 30 s)."""
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(
        feature_size=128, sampling_rate=16_000, hop_length=160, n_fft=400, chunk_length=30,
        padding_value=0.0, padding_side="right", return_attention_mask=True,
    )


def build_processor(tokenizer=None, feature_extractor=None) -> AudioOnlyQwen3OmniProcessor:
    """An audio-only processor over our tokenizer and feature extractor."""
    return audio_only_processor(tokenizer or build_tokenizer(), feature_extractor or build_feature_extractor())


def build_config(spec: TinyQwen3OmniSpec, tokenizer):
    """A ``Qwen3OmniMoeConfig`` whose thinker has ``spec``'s sizes and our tokenizer's ids."""
    from transformers import Qwen3OmniMoeConfig

    ids = token_ids(tokenizer, {**NAMED_TOKENS, **TTS_TOKENS, "pad": PAD_TOKEN, "eos": EOS_TOKEN, "im_start": IM_START})
    # role words are several byte tokens: the talker checks the token after <|im_start|>, i.e. the first byte
    role_ids = {role: tokenizer.convert_tokens_to_ids(role[0]) for role in ("system", "user", "assistant")}
    half = spec.head_dim // 2
    mrope = [half - 2 * (half // 4), half // 4, half // 4]  # T/H/W sections, sum == head_dim / 2
    text = dict(
        vocab_size=len(tokenizer), hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers, num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads, head_dim=spec.head_dim, max_position_embeddings=65536,
        num_experts=spec.num_experts, num_experts_per_tok=spec.num_experts_per_tok,
        moe_intermediate_size=spec.moe_intermediate_size, norm_topk_prob=True, decoder_sparse_step=1,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": mrope,
                         "interleaved": True, "mrope_interleaved": True},
        tie_word_embeddings=False, pad_token_id=ids["pad"], eos_token_id=ids["eos"], **spec.extra_text,
    )
    audio = dict(
        num_mel_bins=128, encoder_layers=spec.audio_layers, encoder_attention_heads=spec.audio_heads,
        encoder_ffn_dim=spec.audio_ffn, d_model=spec.audio_d_model, output_dim=spec.hidden_size,
        n_window=spec.audio_n_window, n_window_infer=800, conv_chunksize=500,
        downsample_hidden_size=spec.audio_downsample_hidden, max_source_positions=1500,
    )
    vision = dict(depth=1, hidden_size=16, intermediate_size=32, num_heads=2, patch_size=16,
                  out_hidden_size=spec.hidden_size, num_position_embeddings=64, deepstack_visual_indexes=[0])
    thinker = dict(
        audio_config=audio, vision_config=vision, text_config=text,
        audio_token_id=ids["audio_token"], image_token_id=ids["image_token"], video_token_id=ids["video_token"],
        audio_start_token_id=ids["audio_bos_token"], audio_end_token_id=ids["audio_eos_token"],
        vision_start_token_id=ids["vision_bos_token"], vision_end_token_id=ids["vision_eos_token"],
        user_token_id=role_ids["user"], position_id_per_seconds=13, seconds_per_chunk=2,
        pad_token_id=ids["pad"], eos_token_id=ids["eos"],
    )
    top = dict(
        thinker_config=thinker, enable_audio_output=spec.with_talker,
        im_start_token_id=ids["im_start"], im_end_token_id=ids["eos"],
        tts_pad_token_id=ids["tts_pad"], tts_bos_token_id=ids["tts_bos"], tts_eos_token_id=ids["tts_eos"],
        system_token_id=role_ids["system"], user_token_id=role_ids["user"],
        assistant_token_id=role_ids["assistant"],
    )
    if spec.with_talker:
        top.update(talker_config=_talker_config(spec, ids, role_ids), code2wav_config=_code2wav_config())
    return Qwen3OmniMoeConfig(**top)


# codec vocabulary of the tiny talker: codes 0..47, then the control ids
_CODEC = dict(codec_pad_id=50, codec_bos_id=51, codec_eos_token_id=52, codec_nothink_id=53,
              codec_think_bos_id=54, codec_think_eos_id=55)
_CODEC_VOCAB = 64
_CODE_GROUPS = 4


def _talker_config(spec: TinyQwen3OmniSpec, ids: dict, role_ids: dict) -> dict:
    text = dict(
        vocab_size=_CODEC_VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, num_experts=2, num_experts_per_tok=1,
        moe_intermediate_size=16, shared_expert_intermediate_size=32,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [4, 2, 2],
                         "interleaved": True, "mrope_interleaved": True},
    )
    predictor = dict(
        vocab_size=_CODEC_VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=16, num_code_groups=_CODE_GROUPS,
    )
    return dict(
        text_config=text, code_predictor_config=predictor, num_code_groups=_CODE_GROUPS,
        thinker_hidden_size=spec.hidden_size, accept_hidden_layer=spec.num_layers, spatial_merge_size=2,
        audio_token_id=ids["audio_token"], image_token_id=ids["image_token"], video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_bos_token"], audio_start_token_id=ids["audio_bos_token"],
        position_id_per_seconds=13, speaker_id={"ethan": 60, "chelsie": 61}, **_CODEC,
    )


def _code2wav_config() -> dict:
    return dict(
        codebook_size=48, hidden_size=32, num_attention_heads=2, num_key_value_heads=2, intermediate_size=64,
        num_hidden_layers=1, num_quantizers=_CODE_GROUPS, sliding_window=8, upsample_rates=[2, 2],
        upsampling_ratios=[2], decoder_dim=32, max_position_embeddings=1024,
    )


def save_tiny_checkpoint(path: str | Path, spec: TinyQwen3OmniSpec | None = None) -> Path:
    """Write a tiny full Qwen3-Omni checkpoint (weights, config, tokenizer, feature extractor) to ``path``."""
    import torch
    from transformers import Qwen3OmniMoeForConditionalGeneration

    spec = spec or TinyQwen3OmniSpec()
    tokenizer = build_tokenizer()
    config = build_config(spec, tokenizer)
    torch.manual_seed(spec.seed)
    model = Qwen3OmniMoeForConditionalGeneration(config).eval()
    model.generation_config = stop_generation_config(tokenizer, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN)
    return save_checkpoint(path, model, tokenizer, build_feature_extractor(), "Qwen3OmniMoeProcessor")
