"""Where the adapter gets its processor and model, and how it attaches its pruning engine.

Normally (``lmms-eval`` from its command line, one run per process) every adapter loads its
own checkpoint. The sweep's grid worker (``headrouter_eval/sweep/worker.py``) runs a grid's
configurations in one process, one after the other, and turns :func:`sharing` on: adapters
built while it is on get the checkpoint the previous one loaded with the same settings (and
the same files on disk), so each checkpoint is read from disk once per grid, and one is let
go of before the next is loaded.

Only the pruner and its hooks differ between such configurations. The model's weights are
never changed by a run (eval mode, inference only) and the engine's hooks are the only
thing an adapter attaches to the model: :func:`attach` removes the hooks of the adapter
that used the model before, so a model never carries two engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# None: sharing is off. Else the one checkpoint kept: (key, processor, model). One only, so a
# grid over several checkpoints holds one in memory at a time.
_shared: list | None = None
# id(model) -> the engine attached to it through attach(), while sharing is on
_engines: dict[int, Any] = {}


@contextmanager
def sharing() -> Iterator[None]:
    """Share loaded checkpoints between the adapters built inside this block (one process)."""
    global _shared
    _shared = []
    try:
        yield
    finally:
        for engine in _engines.values():
            engine.detach()
        _engines.clear()
        _shared = None


def load(family, pretrained: str, *, device, dtype, attn_implementation: str) -> tuple[Any, Any]:
    """``(processor, model)`` of ``pretrained`` for ``family``: loaded, or the shared one with these settings."""
    key = (family.name, str(pretrained), _on_disk(pretrained), str(device), str(dtype), str(attn_implementation))
    if _shared is not None and _shared and _shared[0] == key:
        return _shared[1], _shared[2]
    if _shared:
        _release()
    processor = family.load_processor(pretrained)
    model = family.load_model(pretrained, device=device, dtype=dtype, attn_implementation=attn_implementation)
    if _shared is not None:
        _shared[:] = [key, processor, model]
    return processor, model


def _release() -> None:
    """Let go of the kept checkpoint before another is loaded, so two never share the memory
    (the grid worker runs a grid's models one after the other in one process)."""
    import gc

    import torch

    for engine in _engines.values():  # nothing may keep hooks on the model that goes
        engine.detach()
    _engines.clear()
    _shared.clear()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _on_disk(pretrained: str) -> tuple:
    """Name, size and modification time of each file of a local checkpoint folder (() for a hub id):
    a checkpoint rewritten in place is loaded again, not served from memory."""
    folder = Path(pretrained)
    if not folder.is_dir():
        return ()
    return tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file()))


def attach(engine):
    """Attach ``engine`` to its model, first removing the engine a previous adapter attached there."""
    if _shared is not None:
        previous = _engines.pop(id(engine.model), None)
        if previous is not None:
            previous.detach()
        _engines[id(engine.model)] = engine
    return engine.attach()
