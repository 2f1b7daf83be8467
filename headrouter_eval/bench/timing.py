"""The measurement harness: one timed ``generate`` of one (pruner, retention) configuration.

Each repeat is one ``model.generate`` of ``decode_tokens`` new tokens with a fresh
pruning engine attached (``pruner=None`` is vanilla, with the same timing code):

* prefill latency and audio-encoder time come from the engine's ``PrefillRecord``
  (its hooks synchronise CUDA before reading the clock);
* decode time per token is the mean duration of the decode forward passes, timed by
  our own synchronised hooks on the model (generation bookkeeping between steps is
  excluded; it is the same for every method);
* scoring (router) time is timed around ``pruner.select`` with a CUDA synchronise on
  both sides; the engine's own ``scoring_s`` is kept too: it synchronises before and
  after as well (``_prune_here`` in ``headrouter_eval/engine/prune.py``) and also covers
  building the keep mask and slicing the pruning layer's inputs;
* peak memory is ``torch.cuda.max_memory_allocated`` after a reset, read when the
  prefill forward returns. On CPU it is not measured (``None``): process RSS is not
  comparable to allocator peaks and moves with the other jobs on a shared machine.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field

import torch

from headrouter_eval.engine import PrefillRecord, PruningEngine
from headrouter_eval.models import ModelFamily
from headrouter_eval.pruners.base import Pruner


@dataclass
class Measurement:
    """Raw per-repeat numbers of one configuration, plus the token counts it processed."""

    method: str
    retention: float | None
    attention: str
    prefill_s: list[float] = field(default_factory=list)
    encoder_s: list[float] = field(default_factory=list)
    decode_s_per_token: list[float] = field(default_factory=list)
    scoring_s: list[float] = field(default_factory=list)
    engine_scoring_s: list[float] = field(default_factory=list)
    peak_bytes: list[int] = field(default_factory=list)
    weights_bytes: int | None = None
    record: PrefillRecord | None = None

    @staticmethod
    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work so the wall clock measures it; no-op on CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_select(pruner: Pruner, device: torch.device, sink: list[float]) -> None:
    """Wrap this pruner instance's ``select`` in a synchronised timer appending to ``sink``."""
    original = pruner.select

    def timed(inputs):
        synchronize(device)
        started = time.perf_counter()
        kept = original(inputs)
        synchronize(device)
        sink.append(time.perf_counter() - started)
        return kept

    pruner.select = timed


class _ForwardTimer:
    """Synchronised wall time of every model forward call (prefill first, then decode steps)."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        self.device = device
        self.durations: list[float] = []
        self._started = 0.0
        self._handles = [
            model.register_forward_pre_hook(self._start),
            model.register_forward_hook(self._stop),
        ]

    def _start(self, module, args) -> None:
        synchronize(self.device)
        self._started = time.perf_counter()

    def _stop(self, module, args, output) -> None:
        synchronize(self.device)
        self.durations.append(time.perf_counter() - self._started)

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


class ConfigRun:
    """One configuration (method, retention, kernel) and the numbers collected for it so far.

    :meth:`run_once` does one timed ``generate``; the sweep interleaves configurations
    repeat by repeat, so slow drift on a shared machine spreads over all of them
    instead of biasing whichever ran last.
    """

    def __init__(self, method: str, pruner: Pruner | None, attention: str) -> None:
        self.method = method
        self.pruner = pruner
        self.attention = attention
        self.result = Measurement(method=method, retention=pruner.retention if pruner else None, attention=attention)
        self._scoring: list[float] = []
        self._wrapped = False

    @property
    def label(self) -> str:
        return self.method if self.pruner is None else f"{self.method} r={self.pruner.retention:g}"

    def run_once(
        self, model: torch.nn.Module, family: ModelFamily, inputs: dict, *, layer: int, decode_tokens: int,
        pad_token_id: int | None, keep: bool,
    ) -> None:
        """One ``generate`` with a fresh engine attached; its numbers are kept when ``keep``."""
        device = next(model.parameters()).device
        if self.pruner is not None and not self._wrapped:
            _time_select(self.pruner, device, self._scoring)
            self._wrapped = True
        peak_at_prefill: list[int] = []

        def after_prefill(record: PrefillRecord) -> None:
            if device.type == "cuda":
                peak_at_prefill.append(torch.cuda.max_memory_allocated(device))

        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
            self.result.weights_bytes = torch.cuda.memory_allocated(device)
        self._scoring.clear()
        timer = _ForwardTimer(model, device)
        engine = PruningEngine(model, family, self.pruner, layer=layer, on_prefill=after_prefill)
        try:
            with engine, torch.inference_mode():
                model.generate(**inputs, max_new_tokens=decode_tokens, min_new_tokens=decode_tokens,
                                 do_sample=False, pad_token_id=pad_token_id)
        finally:
            timer.remove()
        if not keep:
            return
        record, result = engine.last_record, self.result
        result.record = record
        result.prefill_s.append(record.prefill_s)
        result.encoder_s.append(record.encoder_s)
        result.engine_scoring_s.append(record.scoring_s)
        result.scoring_s.extend(self._scoring)
        result.peak_bytes.extend(peak_at_prefill)
        decode_steps = timer.durations[1:]
        if decode_steps:
            result.decode_s_per_token.append(sum(decode_steps) / len(decode_steps))
