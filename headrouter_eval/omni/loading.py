"""Load a Qwen2.5-Omni thinker and an audio-only processor from a checkpoint.

One loading path for everything (adapter, calibration, training, benchmark), so a
tiny test checkpoint is loaded exactly as ``Qwen/Qwen2.5-Omni-3B`` would be.

* ``pretrained`` may be a hub id or a local folder, holding either the full model
  (thinker + talker + token2wav) or a thinker-only checkpoint. Only the thinker is
  built and moved to the device: the talker/token2wav weights are skipped at load
  time (``Qwen2_5OmniThinkerModel`` ignores their keys), never materialised on the GPU.
* The stock ``Qwen2_5OmniProcessor`` insists on an image and a video processor, and
  the video processor needs torchvision, which has no working CPU build here. Audio
  work needs neither, so :class:`AudioOnlyOmniProcessor` accepts ``None`` for both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import AutoTokenizer, WhisperFeatureExtractor
from transformers.models.qwen2_5_omni.processing_qwen2_5_omni import Qwen2_5OmniProcessor

from headrouter_eval.omni.internals import THINKER_CLASS


class AudioOnlyOmniProcessor(Qwen2_5OmniProcessor):
    """``Qwen2_5OmniProcessor`` that works without image/video processors (no torchvision)."""

    def check_argument_for_proper_class(self, argument_name: str, argument: Any):
        if argument is None and argument_name in ("image_processor", "video_processor"):
            return None
        return super().check_argument_for_proper_class(argument_name, argument)

    @property
    def model_input_names(self) -> list[str]:
        names = list(self.tokenizer.model_input_names) + list(self.feature_extractor.model_input_names)
        return list(dict.fromkeys(names)) + ["feature_attention_mask"]


def load_processor(pretrained: str | Path) -> AudioOnlyOmniProcessor:
    """Tokenizer, chat template and feature extractor of ``pretrained``, as one processor."""
    tokenizer = AutoTokenizer.from_pretrained(pretrained)
    feature_extractor = WhisperFeatureExtractor.from_pretrained(pretrained)
    return AudioOnlyOmniProcessor(
        image_processor=None,
        video_processor=None,
        feature_extractor=feature_extractor,
        tokenizer=tokenizer,
        chat_template=tokenizer.chat_template,
    )


def resolve_dtype(dtype: str | torch.dtype | None, device: str | torch.device) -> torch.dtype:
    """``None``/"auto" -> bf16 on GPU, fp32 on CPU; otherwise the named dtype."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in (None, "", "auto"):
        return torch.bfloat16 if torch.device(device).type == "cuda" else torch.float32
    names = {"bf16": torch.bfloat16, "bfloat16": torch.bfloat16, "fp16": torch.float16,
             "float16": torch.float16, "fp32": torch.float32, "float32": torch.float32}
    if dtype not in names:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(names)} or auto")
    return names[dtype]


def load_thinker(
    pretrained: str | Path,
    *,
    device: str | torch.device = "cpu",
    dtype: str | torch.dtype | None = None,
    attn_implementation: str = "sdpa",
) -> torch.nn.Module:
    """The thinker of ``pretrained`` in eval mode on ``device``."""
    model = THINKER_CLASS.from_pretrained(
        pretrained,
        dtype=resolve_dtype(dtype, device),
        attn_implementation=attn_implementation,
    )
    return model.to(device).eval()
