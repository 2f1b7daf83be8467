"""How ``generate`` hands the KV cache to a forward call, read in one place.

The engine must tell a prefill from a decode step. transformers passes the generation
cache as ``cache=`` (5.24) or ``past_key_values=`` (5.23); :func:`generation_cache`
knows both and raises on any other keyword carrying a cache, so a rename fails loudly
instead of making every decode step look like a new prefill.
"""

from __future__ import annotations

import torch
import transformers
from transformers.cache_utils import Cache

TRANSFORMERS_VERSION = transformers.__version__
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
                "Add the new keyword to CACHE_KWARGS in headrouter_eval/engine/cache.py."
            )
    return None


def check_starts_at_zero(position_ids: torch.Tensor | None, cache: Cache | None) -> None:
    """A prefill starts at position 0; anything else is a decode step the engine misread.

    The second line of defence behind :func:`generation_cache`: if a transformers release
    hands the cache over in a way neither recognises, decode steps arrive looking
    cache-less, and treating them as prefills would overwrite the stats.
    """
    if position_ids is None or position_ids.numel() == 0:
        return
    start = int(position_ids.min())
    if start != 0:
        raise RuntimeError(
            f"the pruning engine saw a second prefill in one request: a forward call starting at position {start} "
            f"with {'no cache' if cache is None else 'an empty cache'} "
            f"(transformers {TRANSFORMERS_VERSION}). "
            "The generation cache was not found in the call's arguments; see CACHE_KWARGS in "
            "headrouter_eval/engine/cache.py."
        )
