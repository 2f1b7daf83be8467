"""Every transformers internal this project relies on, named once.

The pruning engine attaches to stock transformers classes at run time. The few
attributes and call conventions it needs are gathered here, so a transformers
upgrade that moves them breaks this one file, loudly (``check_thinker`` raises with
the missing name instead of failing deep inside a forward pass).

Relied on (checked with transformers 5.23 and 5.24):
* thinker.model.language_model.layers[k]: decoder layers, called as
  ``layer(hidden_states, attention_mask=..., position_embeddings=(cos, sin),
  position_ids=..., cache=..., ...)``: one call per layer, keyword arguments, the
  same ``position_embeddings`` tensors handed to every layer;
* the generation cache arrives at the thinker's and the layers' forward as ``cache=``
  (5.24) or ``past_key_values=`` (5.23); :func:`generation_cache` knows both and
  raises on any other keyword carrying a cache, so a rename fails loudly instead of
  making every decode step look like a new prefill;
* layer.self_attn.layer_idx: the layer's slot in the cache;
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
import transformers
from transformers import Qwen2_5OmniThinkerForConditionalGeneration
from transformers.cache_utils import Cache
from transformers.models.qwen2_5_omni import modeling_qwen2_5_omni as _modeling

TRANSFORMERS_VERSION = transformers.__version__
THINKER_CLASS = Qwen2_5OmniThinkerForConditionalGeneration
apply_rotary_pos_emb = _modeling.apply_rotary_pos_emb

#: keyword arguments of a decoder layer call that are per-token and get sliced
LAYER_KWARG_EMBEDDINGS = "position_embeddings"
LAYER_KWARG_MASK = "attention_mask"
LAYER_KWARG_POSITION_IDS = "position_ids"
#: keyword of the thinker's forward holding the audio features (log-mel frames) at prefill
THINKER_KWARG_FEATURES = "input_features"
#: keywords under which transformers hands the generation cache to forward: 5.24+, then 5.23
CACHE_KWARGS = ("cache", "past_key_values")


class UnrecognisedCacheError(RuntimeError):
    """A forward call carries a cache under a keyword the engine does not know."""


def generation_cache(kwargs: dict) -> Cache | None:
    """The KV cache a forward call carries, or None for a plain (uncached) forward.

    Raises :class:`UnrecognisedCacheError` when a ``Cache`` arrives under any other
    keyword: reading that call as cache-less would take every decode step for a new
    prefill and silently corrupt the per-sample stats.
    """
    for name in CACHE_KWARGS:
        if kwargs.get(name) is not None:
            return kwargs[name]
    for name, value in kwargs.items():
        if isinstance(value, Cache):
            raise UnrecognisedCacheError(
                f"transformers {TRANSFORMERS_VERSION} passed the generation cache as '{name}=' "
                f"({type(value).__name__}); the pruning engine knows {', '.join(CACHE_KWARGS)}. "
                "Add the new keyword to CACHE_KWARGS in headrouter_eval/omni/internals.py."
            )
    return None


def cache_layer_index(layer: torch.nn.Module) -> int:
    """The slot of a decoder layer in the KV cache."""
    return layer.self_attn.layer_idx


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
    for path in ("input_layernorm", "self_attn.q_proj", "self_attn.layer_idx", "self_attn.k_proj", "self_attn.head_dim",
                 "self_attn.num_key_value_groups", "self_attn.scaling"):
        obj = layer
        for part in path.split("."):
            if not hasattr(obj, part):
                raise RuntimeError(
                    f"transformers changed Qwen2.5-Omni: decoder layer has no '{path}'. "
                    "Update headrouter_eval/omni/internals.py for this transformers version."
                )
            obj = getattr(obj, part)
