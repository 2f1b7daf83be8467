"""HeadRouter's router time as a share of prefill time (the paper claims < 1%).

Runs vanilla and HeadRouter (and FastV, for scale, when asked) at one retention with
the benchmark's harness and prints the router's synchronised scoring time against
vanilla's prefill and against HeadRouter's own prefill. Not a timed test: a number
to read, with the audio length, model size and device printed beside it.
"""

from __future__ import annotations

ROUTER_METHOD = "headrouter"


def router_lines(rows: list[dict], model_label: str, device: str) -> list[str]:
    """Human-readable lines for every pruned row with a scoring time."""
    vanilla = next(r for r in rows if r["method"] == "vanilla")
    head = (f"{model_label}, {vanilla['audio_tokens']} audio tokens in {vanilla['n_spans']} span(s), "
            f"prompt {vanilla['seq_len']} tokens, {device}: vanilla prefill {vanilla['prefill_ms']:.1f} ms "
            f"(encoder {vanilla['encoder_ms']:.1f} ms), median of {vanilla['repeats']}")
    lines = [head]
    for r in rows:
        if r["method"] == "vanilla" or r["scoring_ms"] is None:
            continue
        own = 100 * r["scoring_ms"] / r["prefill_ms"]
        decoder = 100 * r["scoring_ms"] / vanilla["decoder_ms"]
        label = "router" if r["method"] == ROUTER_METHOD else "scoring"
        lines.append(
            f"{r['method']} r={r['retention']:g}: {label} time {r['scoring_ms']:.3f} ms = "
            f"{r['scoring_pct_of_vanilla_prefill']:.3f}% of vanilla prefill, {own:.3f}% of its own prefill "
            f"({r['prefill_ms']:.1f} ms), {decoder:.3f}% of vanilla's decoder part"
        )
    return lines
