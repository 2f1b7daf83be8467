"""Qwen2-Audio (7B, 7B-Instruct): Whisper-style encoder + Qwen2 decoder, 1-D RoPE.

Names every Qwen2-Audio internal this project relies on (checked with transformers
5.24); the shared conventions are in ``headrouter_eval/models/base.py``.

* ``Qwen2AudioForConditionalGeneration`` generates (the hub checkpoint is that model).
* Plain 1-D rotary: ``apply_rotary_pos_emb`` of the Qwen2 decoder's modeling module.
* Audio placeholder ``audio_token_id`` (stored as ``audio_token_index``); the config has
  no ids for ``<|audio_bos|>`` / ``<|audio_eos|>``, so :meth:`load_model` records the
  tokenizer's ids on the config (``audio_bos_token_id`` / ``audio_eos_token_id``), and a
  model built from a bare config (the benchmark's random weights) skips the bos/eos
  check of the prompt layout.
* 25 audio tokens per second, like Qwen2.5-Omni. The processor pads every clip to the
  feature extractor's 30 s window and cuts anything longer, so longer audio is handed
  over as consecutive 30 s items (one span each), the same rule as the other families.
* The prompt is the checkpoint's chat template: "Audio i: <|audio_bos|><|AUDIO|>
  <|audio_eos|>" per clip, and its own default system turn ("You are a helpful
  assistant.") unless the task sets a system prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoTokenizer, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor
from transformers.models.qwen2 import modeling_qwen2

from headrouter_eval.engine.spans import AudioTokenIds
from headrouter_eval.models.base import EncoderSizes, ModelFamily

AUDIO_BOS, AUDIO_EOS = "<|audio_bos|>", "<|audio_eos|>"


class Qwen2Audio(ModelFamily):
    name = "qwen2_audio"
    model_class = Qwen2AudioForConditionalGeneration
    rotary = "1-D RoPE"
    apply_rotary = staticmethod(modeling_qwen2.apply_rotary_pos_emb)

    def load_processor(self, pretrained: str | Path) -> Qwen2AudioProcessor:
        self.check_checkpoint(pretrained)
        return Qwen2AudioProcessor.from_pretrained(pretrained)

    def load_model(self, pretrained: str | Path, **kwargs: Any) -> torch.nn.Module:
        model = super().load_model(pretrained, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(pretrained)
        model.config.audio_bos_token_id = tokenizer.convert_tokens_to_ids(AUDIO_BOS)
        model.config.audio_eos_token_id = tokenizer.convert_tokens_to_ids(AUDIO_EOS)
        return model

    def audio_token_ids(self, config: Any) -> AudioTokenIds:
        return AudioTokenIds(audio=config.audio_token_id, bos=getattr(config, "audio_bos_token_id", None),
                             eos=getattr(config, "audio_eos_token_id", None))

    def encoder_sizes(self, config: Any) -> EncoderSizes:
        # Whisper encoder over the whole padded item (2 * max_source_positions = 3000 mel frames,
        # full attention); the multimodal projector maps d_model to the decoder's width
        audio = config.audio_config
        return EncoderSizes(
            d_model=audio.d_model, layers=audio.encoder_layers, ffn=audio.encoder_ffn_dim,
            mel_bins=audio.num_mel_bins, window=2 * audio.max_source_positions,
            output_dim=self.sizes(config).hidden, pads_to_window=True,
        )


FAMILY = Qwen2Audio()
