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
* :func:`check_checkpoint` runs first, before any weight is built: a local path that does
  not exist is named as a missing folder (not left to the hub's repo-id message), and a
  checkpoint of another architecture is refused from its ``config.json``. Without it, a
  text-only Qwen2 folder holding a ``preprocessor_config.json`` builds a default-size 7B
  thinker with random weights.
"""

from __future__ import annotations

import os
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


# config.json model_type values this loader builds a Qwen2.5-Omni thinker from
ACCEPTED_MODEL_TYPES = ("qwen2_5_omni", "qwen2_5_omni_thinker")


def looks_like_path(pretrained: str) -> bool:
    """Whether ``pretrained`` can only be a local path: hub ids are ``name`` or ``org/name``."""
    text = str(pretrained)
    return (os.path.isabs(text) or text.startswith((".", "~")) or text.count("/") > 1
            or os.sep != "/" and os.sep in text)


def check_checkpoint(pretrained: str | Path) -> str:
    """Refuse a missing folder or a checkpoint of another architecture; returns its model_type.

    Reads only ``config.json`` (from the folder, or the hub cache for a repo id), so it costs
    milliseconds and runs before anything is built.
    """
    from transformers import PretrainedConfig

    text = str(pretrained)
    local = Path(text).expanduser()
    if local.exists() and not local.is_dir():
        raise ValueError(f"pretrained={text} is a file; it must be a checkpoint folder or a hub id")
    if not local.exists() and (isinstance(pretrained, Path) or looks_like_path(text)):
        raise ValueError(f"pretrained={text}: no such folder")
    if local.is_dir() and not (local / "config.json").is_file():
        raise ValueError(f"pretrained={text}: folder has no config.json, so it is not a model checkpoint")
    try:
        config, _ = PretrainedConfig.get_config_dict(str(local) if local.is_dir() else text)
    except (OSError, ValueError) as exc:
        also = "" if local.exists() else f"; there is no local folder {local.resolve()} either"
        raise ValueError(f"pretrained={text}: cannot read its config.json ({exc}){also}") from exc
    model_type = config.get("model_type")
    if model_type not in ACCEPTED_MODEL_TYPES:
        raise ValueError(
            f"pretrained={text} is a {model_type!r} checkpoint (config.json model_type); this adapter loads "
            f"only Qwen2.5-Omni: model_type one of {list(ACCEPTED_MODEL_TYPES)}"
        )
    return model_type


def load_processor(pretrained: str | Path) -> AudioOnlyOmniProcessor:
    """Tokenizer, chat template and feature extractor of ``pretrained``, as one processor."""
    check_checkpoint(pretrained)
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
    check_checkpoint(pretrained)
    model = THINKER_CLASS.from_pretrained(
        pretrained,
        dtype=resolve_dtype(dtype, device),
        attn_implementation=attn_implementation,
    )
    return model.to(device).eval()
