"""Plot prefill latency and peak memory against retention, one line per method.

Vanilla (and vanilla on eager attention) do not depend on retention and are drawn as
horizontal reference lines. Without CUDA peak-memory numbers (CPU runs) the second
panel shows the K/V cache size after prefill from the formula instead, and its title
says it is computed, not measured. Each method has its own colour and marker, and the
legend sits below the panels so it covers no line.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def plot_efficiency(rows: list[dict], title: str, path: Path) -> Path:
    """Two panels (latency, memory) vs retention; returns ``path``."""
    has_peak = any(r["peak_mem_gib"] is not None for r in rows)
    memory_key = "peak_mem_gib" if has_peak else "kv_cache_mib"
    memory_label = "peak memory at prefill (GiB, CUDA)" if has_peak else "K/V cache after prefill (MiB, formula)"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    markers = iter("osD^vPX*h")
    formula_drawn = False
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        if mine[0]["retention"] is None:
            style = dict(linestyle="--" if method == "vanilla" else ":", color="black" if method == "vanilla"
                         else "grey")
            left.axhline(mine[0]["prefill_ms"], label=method, **style)
            if mine[0][memory_key] is not None:
                right.axhline(mine[0][memory_key], label=method, **style)
            continue
        mine.sort(key=lambda r: r["retention"])
        x = [r["retention"] for r in mine]
        marker = next(markers, ".")
        left.plot(x, [r["prefill_ms"] for r in mine], marker=marker, label=method)
        if has_peak:
            right.plot(x, [r[memory_key] for r in mine], marker=marker, label=method)
        elif not formula_drawn:
            # the formula depends on the kept tokens only, so every pruner has the same line:
            # one line, labelled so, instead of several drawn on top of each other
            right.plot(x, [r[memory_key] for r in mine], color="tab:grey", marker="o",
                       label="every pruner (same formula)")
            formula_drawn = True
    left.set(xlabel="retention r", ylabel="prefill latency (ms, median)", title="prefill latency")
    right.set(xlabel="retention r", ylabel=memory_label, title="peak memory (measured)" if has_peak else
              "K/V cache size: computed from the formula, not measured")
    for axis in (left, right):
        axis.grid(alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 7), fontsize=8, frameon=False)
    if not has_peak:
        right.legend(fontsize=8, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
