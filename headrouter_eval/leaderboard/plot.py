"""Plot score against retention, one line per method, one panel per model (and task).

Vanilla has no retention; it is drawn as a dashed horizontal line. Configurations without
a complete average (failed/incomplete runs) are left out of the lines, never drawn as 0.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; this runs on headless CI machines
import matplotlib.pyplot as plt  # noqa: E402

from headrouter_eval.leaderboard.table import AVERAGE, Config, Leaderboard  # noqa: E402


def _value(config: Config, task: str) -> float | None:
    if task == AVERAGE:
        return config.average
    score = config.scores.get(task)
    return score.value if score else None


def plot_leaderboard(board: Leaderboard, path: Path, tasks: list[str] | None = None) -> None:
    """Write a PNG: rows = models, columns = the average then each task in ``tasks``."""
    models = list(board.columns)
    if not models:
        raise ValueError("nothing to plot: no run has a complete score")
    panels = [AVERAGE, *(tasks or [])]
    fig, axes = plt.subplots(
        len(models), len(panels), figsize=(5.6 * len(panels), 3.6 * len(models)), squeeze=False
    )
    for row, model in enumerate(models):
        configs = [c for c in board.configs if c.model == model]
        for col, task in enumerate(panels):
            ax = axes[row][col]
            # one line per method and pruning layer: joining points of different layers
            # would draw a curve no configuration has
            lines = sorted({(c.method, c.layer if c.layer is not None else -1) for c in configs if not c.is_vanilla})
            several_layers = len({layer for _, layer in lines}) > 1
            # one colour per method and one line style per layer, so no two lines look alike
            methods = sorted({method for method, _ in lines})
            layers = sorted({layer for _, layer in lines})
            cmap = plt.get_cmap("tab10" if len(methods) <= 10 else "tab20")
            for method, layer in lines:
                points = sorted(
                    (c.retention, _value(c, task)) for c in configs
                    if c.method == method and (c.layer if c.layer is not None else -1) == layer
                    and c.retention is not None and _value(c, task) is not None
                )
                if points:
                    xs, ys = zip(*points)
                    label = f"{method} L{layer}" if several_layers and layer >= 0 else method
                    ax.plot(xs, ys, marker="os^D"[layers.index(layer) % 4], label=label,
                            color=cmap(methods.index(method) % cmap.N),
                            linestyle=("-", "--", ":", "-.")[layers.index(layer) % 4])
            for vanilla in (c for c in configs if c.is_vanilla and _value(c, task) is not None):
                ax.axhline(_value(vanilla, task), color="black", linestyle="--", linewidth=1, label="vanilla")
            ax.set_title(f"{model}: {task}", fontsize=9)
            ax.set_xlabel("audio-token retention")
            ax.set_ylabel("score")
            ax.invert_xaxis()  # pruning harder reads left to right
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside: never over lines
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
