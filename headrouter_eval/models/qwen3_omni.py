"""Qwen3-Omni (30B-A3B): the MoE thinker, text output only.

Names every Qwen3-Omni internal this project relies on (checked with transformers
5.24); the shared conventions are in ``headrouter_eval/models/base.py``.

* ``Qwen3OmniMoeThinkerForConditionalGeneration`` generates; a hub checkpoint holds the
  full model (thinker + talker + code2wav), whose extra weights are skipped at load time.
* Mixture-of-experts MLPs; attention normalises q and k per head (``q_norm``/``k_norm``)
  before rotary, so the scoring probe does too. Interleaved M-RoPE with the sections
  merged into cos/sin by the rotary module: rows of cos/sin can be sliced.
* Audio placeholder ``<|audio_pad|>`` (``audio_token_id``) between
  ``audio_start_token_id`` / ``audio_end_token_id``; 13 tokens per 100 mel frames (one
  second). The processor does not cut long clips (``truncation=False``), so a clip is
  always one span, however long.
* The stock ``Qwen3OmniMoeProcessor`` insists on image and video processors (the video
  one needs torchvision); :class:`AudioOnlyQwen3OmniProcessor` accepts ``None`` for both.
* No system turn unless the task sets one (the model card's examples send none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import AutoTokenizer, Qwen3OmniMoeThinkerForConditionalGeneration, WhisperFeatureExtractor
from transformers.models.qwen3_omni_moe import modeling_qwen3_omni_moe
from transformers.models.qwen3_omni_moe.processing_qwen3_omni_moe import Qwen3OmniMoeProcessor

from headrouter_eval.models.base import AudioOnlyProcessorMixin, DecoderSizes, EncoderSizes, ModelFamily


class AudioOnlyQwen3OmniProcessor(AudioOnlyProcessorMixin, Qwen3OmniMoeProcessor):
    """``Qwen3OmniMoeProcessor`` without image/video processors (no torchvision)."""


def audio_only_processor(tokenizer, feature_extractor) -> AudioOnlyQwen3OmniProcessor:
    return AudioOnlyQwen3OmniProcessor.audio_only(tokenizer, feature_extractor)


class Qwen3Omni(ModelFamily):
    name = "qwen3_omni"
    model_class = Qwen3OmniMoeThinkerForConditionalGeneration
    rotary = "interleaved M-RoPE (3-D, sections merged into cos/sin)"
    apply_rotary = staticmethod(modeling_qwen3_omni_moe.apply_rotary_pos_emb)
    qk_norm = True

    def load_processor(self, pretrained: str | Path) -> AudioOnlyQwen3OmniProcessor:
        self.check_checkpoint(pretrained)
        return audio_only_processor(AutoTokenizer.from_pretrained(pretrained),
                                    WhisperFeatureExtractor.from_pretrained(pretrained))

    def clip_window(self, processor: Any) -> int | None:
        return None  # the processor encodes any length: no split

    def sizes(self, config: Any) -> DecoderSizes:
        text = self.text_config(config)
        return DecoderSizes(
            layers=text.num_hidden_layers, hidden=text.hidden_size, heads=text.num_attention_heads,
            kv_heads=text.num_key_value_heads, head_dim=getattr(text, "head_dim", None)
            or text.hidden_size // text.num_attention_heads,
            mlp=text.moe_intermediate_size, vocab=text.vocab_size, experts=text.num_experts,
            experts_per_token=text.num_experts_per_tok,
        )


    def encoder_sizes(self, config: Any) -> EncoderSizes:
        # 2-D conv stem over chunks of 2 * n_window frames; attention within n_window_infer frames
        audio = config.audio_config
        return EncoderSizes(
            d_model=audio.d_model, layers=audio.encoder_layers, ffn=audio.encoder_ffn_dim,
            mel_bins=audio.num_mel_bins, window=audio.n_window_infer, output_dim=audio.output_dim,
            conv2d_channels=audio.downsample_hidden_size, conv_chunk=2 * audio.n_window,
        )


FAMILY = Qwen3Omni()
