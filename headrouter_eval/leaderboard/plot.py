"""Plot score against retention: one panel per model and benchmark group, one line per method.

Made for a paper: each method has its own colour *and* marker (readable in greyscale and
where lines coincide; coinciding lines are nudged sideways by a hair so every marker shows),
each line carries its 95% bootstrap band when the leaderboard has intervals, the y axis
names the metric, and vanilla (which has no retention) is a black dashed reference line
with its own grey band. Written as PNG and PDF. Configurations without a complete score
(failed/incomplete runs) are left out of the lines, never drawn as 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; this runs on headless CI machines
import matplotlib.pyplot as plt  # noqa: E402

from headrouter_eval.leaderboard.table import AVERAGE, Config, Leaderboard  # noqa: E402

# fixed per method, so a method looks the same in every figure
STYLES = {
    "fastv": ("tab:blue", "o"),
    "headrouter": ("tab:red", "s"),
    "random": ("tab:green", "^"),
    "uniform": ("tab:purple", "D"),
}
FALLBACK = [("tab:orange", "v"), ("tab:brown", "P"), ("tab:pink", "X"), ("tab:olive", "*"), ("tab:cyan", "h")]
FORMATS = (".png", ".pdf")
# a method run with several seeds is labelled <method>_s<seed> (see headrouter_eval/sweep/config.py)
SEED_SUFFIX = re.compile(r"_s\d+$")


def _value(config: Config, task: str) -> float | None:
    if task == AVERAGE:
        return config.average
    score = config.scores.get(task)
    return score.value if score else None


def _bounds(estimates, config: Config, task: str) -> tuple[float, float] | None:
    estimate = estimates.get(config, task) if estimates is not None else None
    if estimate is None or estimate.low is None:
        return None
    return estimate.low, estimate.high


def metric_label(board: Leaderboard, model: str, task: str) -> str:
    """The y-axis label: what the plotted number is, in words where we know it."""
    from headrouter_eval.leaderboard.metric_names import describe

    configs = [c for c in board.configs if c.model == model]
    if task == AVERAGE:
        units = board.units.get(model, [])
        names = {describe(c.scores[u]) for c in configs for u in units if u in c.scores}
        inner = names.pop() if len(names) == 1 else "task scores"
        return f"mean of {len(units)} unit(s): {inner}"
    names = {describe(c.scores[task]) for c in configs if task in c.scores}
    return names.pop() if len(names) == 1 else "score (metric differs between runs)"


def default_panels(board: Leaderboard, model: str) -> list[str]:
    """The model's units (benchmark groups or tasks), plus the average when there are several."""
    units = board.units.get(model, [])
    return units + [AVERAGE] if len(units) > 1 else (units or [AVERAGE])


def plot_leaderboard(board: Leaderboard, stem: Path, tasks: list[str] | None = None, estimates=None) -> list[Path]:
    """Write ``stem``.png and ``stem``.pdf: rows = models, columns = groups (+ ``tasks``); returns the paths."""
    models = list(board.columns)
    if not models:
        raise ValueError("nothing to plot: no run has a complete score")
    panels_of = {m: default_panels(board, m) + [t for t in (tasks or []) if t not in default_panels(board, m)]
                 for m in models}
    width = max(len(p) for p in panels_of.values())
    fig, axes = plt.subplots(len(models), width, figsize=(6.4 * width, 3.8 * len(models)), squeeze=False)
    for row, model in enumerate(models):
        configs = [c for c in board.configs if c.model == model]
        for col in range(width):
            ax = axes[row][col]
            if col >= len(panels_of[model]):
                ax.set_visible(False)
                continue
            _panel(ax, board, model, configs, panels_of[model][col], estimates)
    fig.tight_layout()
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix in FORMATS:
        path = stem.with_suffix(suffix)
        fig.savefig(path, dpi=150)
        paths.append(path)
    plt.close(fig)
    return paths


def _panel(ax, board: Leaderboard, model: str, configs: list[Config], task: str, estimates) -> None:
    # one line per method and pruning layer: joining points of different layers would draw a
    # curve no configuration has
    lines = sorted({(c.method, c.layer if c.layer is not None else -1) for c in configs if not c.is_vanilla})
    layers = sorted({layer for _, layer in lines})
    several_layers = len(layers) > 1
    retentions = sorted({c.retention for c in configs if not c.is_vanilla and c.retention is not None})
    span = (max(retentions) - min(retentions)) if len(retentions) > 1 else 0.1
    nudge = 0.006 * span  # lines that coincide stay visible side by side
    fallback = iter(FALLBACK)
    styles: dict[str, tuple[str, str]] = {}
    labelled: set[tuple[str, int]] = set()
    for index, (method, layer) in enumerate(lines):
        # the seeds of one method share its style (their lines show the seed spread) and one label
        base = SEED_SUFFIX.sub("", method)
        if base not in styles:
            styles[base] = STYLES.get(base) or next(fallback, ("grey", "."))
        colour, marker = styles[base]
        mine = sorted((c for c in configs if c.method == method and (c.layer if c.layer is not None else -1) == layer
                       and c.retention is not None and _value(c, task) is not None), key=lambda c: c.retention)
        if not mine:
            continue
        offset = (index - (len(lines) - 1) / 2) * nudge
        xs = [c.retention + offset for c in mine]
        seeds = sorted({m for m, lay in lines if lay == layer and SEED_SUFFIX.sub("", m) == base})
        name = f"{base} ({len(seeds)} seeds)" if len(seeds) > 1 else method
        label = f"{name} L{layer}" if several_layers and layer >= 0 else name
        if (base, layer) in labelled:
            label = "_nolegend_"
        labelled.add((base, layer))
        # colour and marker name the method, the line style the pruning layer
        ax.plot(xs, [_value(c, task) for c in mine], color=colour, marker=marker, markersize=6,
                linestyle=("-", ":", "-.", (0, (5, 1)))[layers.index(layer) % 4], linewidth=1.4, label=label,
                zorder=3)
        bands = [_bounds(estimates, c, task) for c in mine]
        if all(b is not None for b in bands):
            # whiskers as well as the band: a single retention has no band to fill
            ys = [_value(c, task) for c in mine]
            # clamped at 0: an interval can miss its score by a rounding error (a group of three
            # tasks at 100, resampled as 1/3 * 100 three times: [99.99999999999999, 99.99999999999999]
            # around lmms-eval's 100.0), and matplotlib refuses a negative whisker
            below = [max(0.0, y - b[0]) for y, b in zip(ys, bands)]
            above = [max(0.0, b[1] - y) for y, b in zip(ys, bands)]
            ax.errorbar(xs, ys, yerr=[below, above], fmt="none", ecolor=colour, elinewidth=0.9, capsize=3, zorder=2)
            ax.fill_between(xs, [b[0] for b in bands], [b[1] for b in bands], color=colour, alpha=0.12,
                            linewidth=0, zorder=1)
    for vanilla in (c for c in configs if c.is_vanilla and _value(c, task) is not None):
        value = _value(vanilla, task)
        ax.axhline(value, color="black", linestyle="--", linewidth=1.2, label=f"vanilla ({value:.1f})", zorder=2)
        band = _bounds(estimates, vanilla, task)
        if band is not None:
            ax.axhspan(band[0], band[1], color="grey", alpha=0.15, linewidth=0, zorder=0)
        break
    ax.set_title(f"{model}: {task}", fontsize=10)
    ax.set_xlabel("audio-token retention (fraction kept)")
    ax.set_ylabel(metric_label(board, model, task), fontsize=8)
    ax.invert_xaxis()  # pruning harder reads left to right
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        note = "bands: 95% bootstrap interval" if estimates is not None else None
        # beside the panel, never over the lines
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), title=note, title_fontsize=6,
                  framealpha=0.85)
