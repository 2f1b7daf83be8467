"""Every transformers internal this project relies on, named once.

The pruning engine attaches to stock transformers classes at run time. The few
attributes and call conventions it needs are gathered here, so a transformers
upgrade that moves them breaks this one file, loudly (``check_thinker`` raises with
the missing name instead of failing deep inside a forward pass).

Relied on (checked with transformers 5.23):
* thinker.model.language_model.layers[k]: decoder layers, called as
  ``layer(hidden_states, attention_mask=..., position_embeddings=(cos, sin),
  position_ids=..., past_key_values=..., ...)``: one call per layer, keyword
  arguments, the same ``position_embeddings`` tensors handed to every layer;
* layer.input_layernorm and layer.self_attn.{q_proj,k_proj} (biased),
  .head_dim, .num_key_value_groups, .scaling;
* ``apply_rotary_pos_emb`` of the Qwen2.5-Omni modeling module (M-RoPE sections are
  already merged into cos/sin, so rows of cos/sin can be sliced freely);
* thinker.model.audio_tower: the audio encoder (timed separately);
* config ids ``audio_token_id``, ``audio_start_token_id``, ``audio_end_token_id``;
* ``generate`` keeps 3-D position ids in its own kwargs and advances them by one per
  step, so decode positions continue from the *original* prompt length whatever the
  KV cache holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import Qwen2_5OmniThinkerForConditionalGeneration
from transformers.models.qwen2_5_omni import modeling_qwen2_5_omni as _modeling

THINKER_CLASS = Qwen2_5OmniThinkerForConditionalGeneration
apply_rotary_pos_emb = _modeling.apply_rotary_pos_emb

#: keyword arguments of a decoder layer call that are per-token and get sliced
LAYER_KWARG_EMBEDDINGS = "position_embeddings"
LAYER_KWARG_MASK = "attention_mask"
LAYER_KWARG_POSITION_IDS = "position_ids"


@dataclass(frozen=True)
class AudioTokenIds:
    audio: int
    bos: int
    eos: int


def audio_token_ids(config) -> AudioTokenIds:
    """Audio placeholder/bos/eos ids from a thinker config (never hard-coded)."""
    return AudioTokenIds(
        audio=config.audio_token_id, bos=config.audio_start_token_id, eos=config.audio_end_token_id
    )


def decoder_layers(thinker: torch.nn.Module) -> torch.nn.ModuleList:
    return thinker.model.language_model.layers


def audio_tower(thinker: torch.nn.Module) -> torch.nn.Module:
    return thinker.model.audio_tower


def text_config(thinker: torch.nn.Module):
    return thinker.config.text_config


def check_thinker(thinker: torch.nn.Module) -> None:
    """Fail early, naming the missing piece, if transformers moved something we use."""
    if not isinstance(thinker, THINKER_CLASS):
        raise TypeError(
            f"expected a {THINKER_CLASS.__name__}, got {type(thinker).__name__}; "
            "load the thinker with headrouter_eval.omni.loading.load_thinker"
        )
    layer = decoder_layers(thinker)[0]
    for path in ("input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.head_dim",
                 "self_attn.num_key_value_groups", "self_attn.scaling"):
        obj = layer
        for part in path.split("."):
            if not hasattr(obj, part):
                raise RuntimeError(
                    f"transformers changed Qwen2.5-Omni: decoder layer has no '{path}'. "
                    "Update headrouter_eval/omni/internals.py for this transformers version."
                )
            obj = getattr(obj, part)
