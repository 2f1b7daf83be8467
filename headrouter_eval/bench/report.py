"""Write the benchmark's results: ``report.json`` (everything) and ``report.md`` (tables).

Both carry the exact command, the git commit, the machine and device and the library
versions. Numbers are written as measured; empty cells mean "not measured here"
(e.g. peak memory on CPU), never zero.
"""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = [
    ("method", "method", "{}"),
    ("attention", "attn", "{}"),
    ("retention", "r", "{:g}"),
    ("kept_tokens", "audio kept", "{}"),
    ("kept_seq_len", "seq from K", "{}"),
    ("prefill_ms", "prefill ms", "{:.1f}"),
    ("prefill_range", "prefill min-max", "{}"),
    ("encoder_ms", "encoder ms", "{:.1f}"),
    ("decoder_ms", "decoder ms", "{:.1f}"),
    ("decode_ms_per_token", "decode ms/tok", "{:.2f}"),
    ("peak_mem_gib", "peak GiB", "{:.2f}"),
    ("kv_cache_mib", "KV MiB", "{:.1f}"),
    ("decoder_gflops", "decoder GFLOPs", "{:.2f}"),
    ("ideal_speedup", "ideal x", "{:.2f}"),
    ("ideal_speedup_audio_only", "ideal x (all audio)", "{:.2f}"),
    ("decoder_speedup", "decoder x", "{:.2f}"),
    ("speedup_vs_ideal", "of ideal", "{:.0%}"),
    ("e2e_speedup", "e2e x", "{:.2f}"),
    ("flops_decoder_speedup", "FLOPs x", "{:.2f}"),
    ("scoring_ms", "scoring ms", "{:.2f}"),
    ("scoring_pct_of_vanilla_prefill", "scoring % prefill", "{:.2f}"),
]


def _cell(value, fmt: str) -> str:
    if value is None:
        return ""
    return fmt.format(value)


def _with_range(row: dict) -> dict:
    runs = row["prefill_ms_all"]
    return {**row, "prefill_range": f"{min(runs):.0f}-{max(runs):.0f}" if runs else None}


def markdown_table(rows: list[dict]) -> str:
    """The main table, one line per configuration."""
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in map(_with_range, rows):
        lines.append("| " + " | ".join(_cell(row[key], fmt) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def eager_comparison(rows: list[dict]) -> list[str]:
    """Lines comparing row-only FastV with FastV on eager attention, per retention."""
    ours = {r["retention"]: r for r in rows if r["method"] == "fastv"}
    eager = {r["retention"]: r for r in rows if r["method"] == "fastv_eager"}
    lines = []
    for retention in sorted(set(ours) & set(eager), reverse=True):
        a, b = ours[retention], eager[retention]
        line = (f"- r={retention:g}: prefill {a['prefill_ms']:.1f} ms (row-only, {a['attention']}) vs "
                f"{b['prefill_ms']:.1f} ms (eager + attention map), {b['prefill_ms'] / a['prefill_ms']:.2f}x")
        if a["peak_mem_gib"] is not None and b["peak_mem_gib"] is not None:
            line += f"; peak memory {a['peak_mem_gib']:.2f} vs {b['peak_mem_gib']:.2f} GiB"
        lines.append(line)
    return lines


def render_markdown(payload: dict) -> str:
    """The Markdown report of one benchmark run."""
    env, model, inp, settings = payload["environment"], payload["model"], payload["input"], payload["settings"]
    out = [
        f"# Efficiency benchmark: {model['label']}, {inp['audio_seconds']:g} s audio, {env['device']}",
        "",
        f"- command: `{env['command']}`",
        f"- git commit: {env['git']['commit']}" + (" (tracked files modified)"
                                                   if env["git"]["tracked_files_modified"] else ""),
        f"- machine: {env['machine']['platform']}, {env['machine']['cpu_count']} CPUs "
        f"(torch threads: {env['machine']['torch_threads']}), {env['machine']['memory_gib']} GiB RAM",
        f"- device: {env['device']}; torch {env['torch']}, transformers {env['transformers']}, "
        f"python {env['python']}",
        f"- model: {model['description']}; {'random weights' if model['random_weights'] else 'checkpoint weights'}, "
        f"{model['dtype']}, attention `{model['attention']}`, pruning layer K={model['layer']} "
        f"of L={model['num_layers']}",
        f"- input: {inp['audio_seconds']:g} s synthetic audio = {inp['n_audio_tokens']} audio tokens in "
        f"{inp['n_spans']} span(s), prompt {inp['seq_len']} tokens ({inp['query_len']} text tokens after the audio)",
        f"- settings: {settings['warmup']} warm-up + {settings['repeats']} timed repeats per configuration "
        f"(medians), {settings['decode_tokens']} generated tokens per repeat",
        "",
        markdown_table(payload["rows"]),
        "",
        "Columns: `seq from K` = tokens each layer from K on processes; `decoder` = prefill minus encoder; "
        "`prefill min-max` = spread of the timed repeats; `ideal x` = L T / (K T + (L-K) T'), T and T' the "
        "prompt tokens before and after pruning; `ideal x (all audio)` = L / (K + (L-K) r); "
        "`decoder x` = measured vanilla/pruned decoder time; `of ideal` = their "
        "ratio; `e2e x` = vanilla/pruned prefill (encoder included); `FLOPs x` = decoder FLOPs ratio from the "
        "formula; `scoring` = the pruner's scoring/router time (synchronised), also as % of vanilla prefill; "
        "`KV MiB` = K/V cache after prefill from the shapes.",
        "",
    ]
    comparison = eager_comparison(payload["rows"])
    if comparison:
        out += ["## Row-only scoring vs FastV on eager attention with the attention map", "", *comparison, ""]
    targets = payload["targets"]
    out += ["## Targets (reported, not asserted)", "", f"{targets['conditions']}.", ""]
    out += [f"- {c['target']}: **{c['status']}**" + (f" ({c['detail']})" if c["detail"] else "")
            for c in targets["checks"]]
    out += ["", "## Notes", "", *[f"- {note}" for note in payload["notes"]], ""]
    out += ["## FLOPs formula", "", "```", payload["formula"], "```", ""]
    return "\n".join(out)


def render_router_cost(payload: dict, lines: list[str]) -> str:
    """The router-cost mode's short Markdown: provenance, then the printed lines."""
    env = payload["environment"]
    return "\n".join([
        "# Router cost: scoring time as a share of prefill",
        "",
        f"- command: `{env['command']}`",
        f"- git commit: {env['git']['commit']}; device: {env['device']}; torch {env['torch']}, "
        f"transformers {env['transformers']}",
        f"- model: {payload['model']['description']}, {payload['model']['dtype']}, "
        f"attention `{payload['model']['attention']}`, K={payload['model']['layer']}",
        "",
        *[f"- {line}" for line in lines],
        "",
        *[f"- note: {note}" for note in payload["notes"]],
        "",
    ])


def write_router_cost(payload: dict, lines: list[str], out_dir: Path) -> dict[str, Path]:
    """Write ``router_cost.json`` (everything, plus the printed lines) and ``router_cost.md``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "router_cost.json", "markdown": out_dir / "router_cost.md"}
    paths["json"].write_text(json.dumps({**payload, "summary": lines}, indent=2) + "\n")
    paths["markdown"].write_text(render_router_cost(payload, lines))
    return paths


def write_report(payload: dict, out_dir: Path) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    paths["json"].write_text(json.dumps(payload, indent=2) + "\n")
    paths["markdown"].write_text(render_markdown(payload))
    return paths
