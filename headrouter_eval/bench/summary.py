"""From raw measurements to report rows: FLOPs, speedups, overheads, and the efficiency targets.

Speedups are against vanilla with the benchmark's kernel (``--attn``):
* ideal decoder speedup ``L T / (K T + (L - K) T')``: K layers on all T prompt tokens,
  L - K on the T' kept ones (text is never pruned, so T' > r T); the audio-only form
  ``L / (K + (L - K) r)``, which assumes the prompt is all audio, is reported beside it;
* measured decoder speedup: vanilla (prefill - encoder) / pruned (prefill - encoder),
  medians; its ratio to the ideal is the target quantity;
* end-to-end prefill speedup: vanilla prefill / pruned prefill (encoder included, and
  the encoder is never sped up by pruning);
* FLOPs speedup of the decoder from the formula, for comparison with the measured one.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from headrouter_eval.bench import flops
from headrouter_eval.bench.inputs import BenchInput
from headrouter_eval.bench.timing import Measurement
from headrouter_eval.models.base import DecoderSizes, EncoderSizes

TARGET_RETENTION = 0.5
TARGET_CONDITIONS = {"family": "qwen_omni", "device": "cuda", "size": "3b", "audio_seconds": 300.0, "layer": 2}
SPEEDUP_TARGET = 0.85  # measured decoder speedup / ideal
ROUTER_TARGET_PCT = 1.0  # HeadRouter scoring, % of vanilla prefill


@dataclass(frozen=True)
class RunContext:
    """The facts about the run that the rows and targets need."""

    size: str
    device: str
    audio_seconds: float
    layer: int
    dtype: torch.dtype
    family: str = "qwen_omni"


def ideal_speedup(num_layers: int, layer: int, retention: float) -> float:
    """``L / (K + (L - K) r)``: the decoder's ideal prefill speedup if the prompt were all audio."""
    return num_layers / (layer + (num_layers - layer) * retention)


def ideal_token_speedup(num_layers: int, layer: int, seq_len: int, kept_seq_len: int) -> float:
    """``L T / (K T + (L - K) T')``: the ideal counting the tokens each layer really processes."""
    return num_layers * seq_len / (layer * seq_len + (num_layers - layer) * kept_seq_len)


def _ms(value: float | None) -> float | None:
    return None if value is None else value * 1e3


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator in (None, 0):
        return None
    return numerator / denominator


def build_rows(
    measurements: list[Measurement], text: DecoderSizes, encoder: EncoderSizes, bench_input: BenchInput,
    ctx: RunContext,
) -> list[dict]:
    """One report row per measurement, vanilla first, from the family's decoder and encoder shapes."""
    bytes_per_value = torch.finfo(ctx.dtype).bits // 8
    encoder_flops = flops.encoder_flops(encoder, bench_input.feature_lens)
    vanilla = next(m for m in measurements if m.method == "vanilla")
    median = Measurement.median
    vanilla_prefill = median(vanilla.prefill_s)
    vanilla_decoder = median([p - e for p, e in zip(vanilla.prefill_s, vanilla.encoder_s)])
    vanilla_lengths = flops.layer_lengths(text, bench_input.seq_len, bench_input.seq_len, ctx.layer)
    vanilla_decoder_flops = flops.decoder_flops(text, vanilla_lengths)
    rows = []
    for m in measurements:
        record = m.record
        lengths = flops.layer_lengths(text, record.seq_len, record.kept_seq_len, ctx.layer if record.pruned else 0)
        decoder_flops = flops.decoder_flops(text, lengths)
        scoring_flops = flops.scoring_flops(m.method, text, record.seq_len, bench_input.query_len)
        prefill = median(m.prefill_s)
        decoder = median([p - e for p, e in zip(m.prefill_s, m.encoder_s)])
        scoring = median(m.scoring_s)
        pruned = m.retention is not None and record.pruned
        ideal = ideal_token_speedup(text.layers, ctx.layer, record.seq_len, record.kept_seq_len) if pruned else 1.0
        ideal_audio_only = ideal_speedup(text.layers, ctx.layer, m.retention) if m.retention is not None else 1.0
        measured = _ratio(vanilla_decoder, decoder)
        rows.append({
            "method": m.method,
            "attention": m.attention,
            "retention": m.retention,
            "repeats": len(m.prefill_s),
            "audio_tokens": record.audio_tokens,
            "kept_tokens": record.kept_tokens,
            "n_spans": record.n_spans,
            "seq_len": record.seq_len,
            "kept_seq_len": record.kept_seq_len,
            "prefill_ms": _ms(prefill),
            "encoder_ms": _ms(median(m.encoder_s)),
            "decoder_ms": _ms(decoder),
            "decode_ms_per_token": _ms(median(m.decode_s_per_token)),
            "scoring_ms": _ms(scoring),
            "scoring_pct_of_vanilla_prefill": None if scoring is None else 100 * scoring / vanilla_prefill,
            "engine_scoring_ms": _ms(median(m.engine_scoring_s)) if m.scoring_s else None,
            "peak_mem_gib": max(m.peak_bytes) / 2**30 if m.peak_bytes else None,
            "weights_mem_gib": m.weights_bytes / 2**30 if m.weights_bytes is not None else None,
            "kv_cache_mib": flops.kv_cache_bytes(text, lengths, bytes_per_value) / 2**20,
            "decoder_gflops": decoder_flops / 1e9,
            "encoder_gflops": encoder_flops / 1e9,
            "scoring_gflops": None if scoring_flops is None else scoring_flops / 1e9,
            "ideal_speedup": ideal,
            "ideal_speedup_audio_only": ideal_audio_only,
            "decoder_speedup": measured,
            "speedup_vs_ideal": _ratio(measured, ideal),
            "e2e_speedup": _ratio(vanilla_prefill, prefill),
            "flops_decoder_speedup": vanilla_decoder_flops / decoder_flops,
            "prefill_ms_all": [1e3 * v for v in m.prefill_s],
        })
    return rows


def _conditions_note(ctx: RunContext) -> tuple[bool, str]:
    here = {"family": ctx.family, "device": ctx.device, "size": ctx.size, "audio_seconds": ctx.audio_seconds,
            "layer": ctx.layer}
    differ = [f"{k} {here[k]} (target {v})" for k, v in TARGET_CONDITIONS.items() if here[k] != v]
    if not differ:
        return True, "run under the target conditions (Qwen2.5-Omni, GPU, 3B, 300 s, K = 2)"
    return False, "NOT the target conditions: " + ", ".join(differ) + "; indicative only"


def evaluate_targets(rows: list[dict], ctx: RunContext) -> dict:
    """The efficiency targets, reported (never asserted): met / missed / not measured, with the numbers."""
    match, note = _conditions_note(ctx)
    at_target = [r for r in rows if r["retention"] == TARGET_RETENTION and r["attention"] != "eager"]
    vanilla = next(r for r in rows if r["method"] == "vanilla")
    checks = []
    if not at_target:
        checks.append({"target": f"measurements at retention {TARGET_RETENTION}", "status": "not measured",
                       "detail": f"retention {TARGET_RETENTION} was not in --retentions"})
    for r in at_target:
        ratio = r["speedup_vs_ideal"]
        checks.append({
            "target": f"{r['method']}: measured decoder speedup >= {SPEEDUP_TARGET:.0%} of ideal",
            "status": "not measured" if ratio is None else ("met" if ratio >= SPEEDUP_TARGET else "missed"),
            "detail": None if ratio is None else
            f"{r['decoder_speedup']:.2f}x measured / {r['ideal_speedup']:.2f}x ideal = {ratio:.0%}",
        })
    router = [r for r in at_target if r["method"] == "headrouter"]
    if router and router[0]["scoring_pct_of_vanilla_prefill"] is not None:
        pct = router[0]["scoring_pct_of_vanilla_prefill"]
        checks.append({"target": f"headrouter scoring <= {ROUTER_TARGET_PCT:g}% of vanilla prefill",
                       "status": "met" if pct <= ROUTER_TARGET_PCT else "missed",
                       "detail": f"{router[0]['scoring_ms']:.2f} ms = {pct:.2f}% of {vanilla['prefill_ms']:.1f} ms"})
    else:
        checks.append({"target": f"headrouter scoring <= {ROUTER_TARGET_PCT:g}% of vanilla prefill",
                       "status": "not measured", "detail": "headrouter was not run at the target retention"})
    pruned = [r for r in rows if r["method"] not in ("vanilla", "vanilla_eager") and r["attention"] != "eager"]
    if vanilla["peak_mem_gib"] is None:
        checks.append({"target": "peak memory of every pruned run <= vanilla", "status": "not measured",
                       "detail": "peak memory is measured on CUDA only"})
    else:
        worst = max(pruned, key=lambda r: r["peak_mem_gib"], default=None)
        higher = [r for r in pruned if r["peak_mem_gib"] > vanilla["peak_mem_gib"]]
        checks.append({
            "target": "peak memory of every pruned run <= vanilla",
            "status": "missed" if higher else "met",
            "detail": f"vanilla {vanilla['peak_mem_gib']:.2f} GiB; highest pruned "
                      + (f"{worst['method']} r={worst['retention']:g} {worst['peak_mem_gib']:.2f} GiB" if worst
                         else "none"),
        })
    return {"conditions_match": match, "conditions": note, "checks": checks}
