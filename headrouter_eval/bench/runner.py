"""The sweep: vanilla, then every method at every retention, with a progress bar.

Configurations: vanilla with the configured kernel, the pruners with the same kernel,
then (when ``fastv_eager`` is asked for) the whole model switched to eager attention
for ``vanilla_eager`` and ``fastv_eager``. Each configuration has its own pruner, and
every run attaches a fresh engine, so nothing carries over between configurations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm import tqdm

from headrouter_eval.bench.eager_fastv import EagerFastVPruner, capture_attention_map, eager_attention
from headrouter_eval.bench.inputs import BenchInput
from headrouter_eval.bench.timing import ConfigRun, Measurement
from headrouter_eval.models import ModelFamily
from headrouter_eval.pruners import PRUNERS, Pruner, make_pruner

EAGER_METHODS = ("fastv_eager",)


@dataclass
class SweepSettings:
    """What to run: methods, retentions and the measurement settings."""

    methods: list[str]
    retentions: list[float]
    layer: int
    warmup: int
    repeats: int
    decode_tokens: int
    attention: str
    seed: int = 0


def available_methods() -> list[str]:
    """Every method the benchmark can run here (``headrouter`` appears once it is installed)."""
    return [*sorted(PRUNERS), *EAGER_METHODS]


def check_methods(methods: list[str]) -> list[str]:
    """``methods`` without vanilla (always run), or a ValueError naming what is unknown."""
    known = available_methods()
    unknown = [m for m in methods if m not in known and m != "vanilla"]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; available here: vanilla, {', '.join(known)}")
    return [m for m in methods if m != "vanilla"]


def _pruner(method: str, retention: float, seed: int) -> Pruner | None:
    options = {"seed": seed} if method == "random" else {}
    return make_pruner(method, retention=retention, **options)


def run_sweep(model: torch.nn.Module, family: ModelFamily, bench_input: BenchInput, settings: SweepSettings,
              pad_token_id: int | None) -> list[Measurement]:
    """Measure every configuration of ``settings`` on ``bench_input``; vanilla's measurement comes first.

    Rounds: the first ``warmup`` rounds are untimed; in every round each configuration
    runs once (standard kernel first, then the eager group), so the configurations are
    interleaved rather than run back to back.
    """
    methods = check_methods(settings.methods)
    standard = [m for m in methods if m not in EAGER_METHODS]
    eager = [m for m in methods if m in EAGER_METHODS]
    if eager and settings.layer < 1:
        raise ValueError("fastv_eager reads the attention map of layer K-1, so it needs --layer >= 1")
    plain = [ConfigRun("vanilla", None, settings.attention)]
    plain += [ConfigRun(m, _pruner(m, r, settings.seed), settings.attention)
              for m in standard for r in settings.retentions]
    eager_runs = []
    if eager:
        eager_runs = [ConfigRun("vanilla_eager", None, "eager")]
        eager_runs += [ConfigRun("fastv_eager", EagerFastVPruner(retention=r), "eager") for r in settings.retentions]
    rounds = settings.warmup + settings.repeats
    progress = tqdm(total=rounds * (len(plain) + len(eager_runs)), desc="bench", unit="run")

    def run(config: ConfigRun, keep: bool) -> None:
        progress.set_postfix_str(config.label)
        config.run_once(model, family, bench_input.inputs, layer=settings.layer, decode_tokens=settings.decode_tokens,
                        pad_token_id=pad_token_id, keep=keep)
        progress.update(1)

    try:
        for index in range(rounds):
            keep = index >= settings.warmup
            for config in plain:
                run(config, keep)
            if eager_runs:
                with eager_attention(model, family):
                    for config in eager_runs:
                        if isinstance(config.pruner, EagerFastVPruner):
                            with capture_attention_map(model, family, config.pruner, settings.layer - 1):
                                run(config, keep)
                        else:
                            run(config, keep)
    finally:
        progress.close()
    return [config.result for config in plain + eager_runs]
