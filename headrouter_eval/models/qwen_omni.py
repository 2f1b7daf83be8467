"""Qwen2.5-Omni (3B, 7B): the thinker, text output only.

Names every Qwen2.5-Omni internal this project relies on (checked with transformers
5.23 and 5.24); the shared conventions are in ``headrouter_eval/models/base.py``.

* ``Qwen2_5OmniThinkerForConditionalGeneration`` generates; a hub checkpoint holds the
  full model (thinker + talker + token2wav), whose extra weights are skipped at load
  time, never materialised.
* M-RoPE over 3-D position ids, sections merged into cos/sin by the rotary module; for
  audio-only prompts all three axes carry the same sequential positions.
* Audio placeholder ``audio_token_id`` between ``audio_start_token_id`` /
  ``audio_end_token_id``; 25 tokens per second; the feature extractor's window
  (``chunk_length``) caps one item, so longer audio becomes several items (spans).
* The stock ``Qwen2_5OmniProcessor`` insists on image and video processors, and the
  video processor needs torchvision (no working CPU build here); audio work needs
  neither, so :class:`AudioOnlyOmniProcessor` accepts ``None`` for both.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoTokenizer, Qwen2_5OmniThinkerForConditionalGeneration, WhisperFeatureExtractor
from transformers.models.qwen2_5_omni import modeling_qwen2_5_omni
from transformers.models.qwen2_5_omni.processing_qwen2_5_omni import Qwen2_5OmniProcessor

from headrouter_eval.models.base import AudioOnlyProcessorMixin, ModelFamily

QWEN_SYSTEM_PROMPT = (
    "You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving "
    "auditory and visual inputs, as well as generating text and speech."
)


class AudioOnlyOmniProcessor(AudioOnlyProcessorMixin, Qwen2_5OmniProcessor):
    """``Qwen2_5OmniProcessor`` without image/video processors (no torchvision)."""


def audio_only_processor(tokenizer, feature_extractor) -> AudioOnlyOmniProcessor:
    return AudioOnlyOmniProcessor.audio_only(tokenizer, feature_extractor)


class QwenOmni(ModelFamily):
    name = "qwen_omni"
    model_class = Qwen2_5OmniThinkerForConditionalGeneration
    rotary = "M-RoPE (3-D, sections merged into cos/sin)"
    apply_rotary = staticmethod(modeling_qwen2_5_omni.apply_rotary_pos_emb)
    # AudioMarathon's Qwen2.5-Omni runs send Qwen's own system prompt
    default_system_prompt = QWEN_SYSTEM_PROMPT

    def load_processor(self, pretrained: str | Path) -> AudioOnlyOmniProcessor:
        self.check_checkpoint(pretrained)
        return audio_only_processor(AutoTokenizer.from_pretrained(pretrained),
                                    WhisperFeatureExtractor.from_pretrained(pretrained))


FAMILY = QwenOmni()
