"""The paper's two head-behaviour figures, as matplotlib figures (Agg backend) and PNG files.

* :func:`selectivity_heatmap`: mean per-head selectivity, one row per task, one column per head;
* :func:`head_vector_tsne`: 2-D t-SNE (scikit-learn) of the per-sample selectivity vectors,
  one colour per task.

PNG files carry the title and axis labels as PNG text metadata (``Title``, ``Description``),
so what a file shows can be checked without looking at it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from headrouter_eval.analysis.vectors import HeadVectors  # noqa: E402

HEATMAP_TITLE = "Per-head selectivity by task"
TSNE_TITLE = "t-SNE of per-sample head vectors"


def _layer_note(vectors: HeadVectors) -> str:
    return f" (scoring layer {vectors.scoring_layer})" if vectors.scoring_layer is not None else ""


def selectivity_heatmap(vectors: HeadVectors) -> Figure:
    tasks = vectors.task_names
    labels = np.asarray(vectors.tasks)
    grid = np.stack([vectors.selectivity[labels == task].mean(axis=0) for task in tasks])
    heads = grid.shape[1]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * heads + 3), max(3.0, 0.4 * len(tasks) + 1.5)))
    image = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_xticks(range(heads), [str(h) for h in range(heads)], fontsize=7)
    ax.set_yticks(range(len(tasks)), tasks)
    ax.set_xlabel(f"attention head{_layer_note(vectors)}")
    ax.set_ylabel("task")
    ax.set_title(HEATMAP_TITLE)
    fig.colorbar(image, ax=ax, label="mean selectivity 1 - H(a_h)/log|A|")
    fig.tight_layout()
    return fig


CLASS_MARKERS = {"semantic": "o", "acoustic": "s", "mixed": "^"}


def head_vector_tsne(vectors: HeadVectors, *, perplexity: float | None = None, seed: int = 0) -> Figure:
    from sklearn.manifold import TSNE

    n = vectors.selectivity.shape[0]
    if n < 3:
        raise ValueError(f"t-SNE needs at least 3 samples, got {n}")
    # scikit-learn requires perplexity < n_samples; 30 (its default) for data sets large enough
    perplexity = perplexity if perplexity is not None else float(min(30.0, max(1.0, (n - 1) / 3)))
    if not 0 < perplexity < n:
        raise ValueError(f"--perplexity must be in (0, {n}) for {n} samples, got {perplexity}")
    embedded = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(
        vectors.selectivity
    )
    fig, ax = plt.subplots(figsize=(7.0, 5.5))
    labels = np.asarray(vectors.tasks)
    cmap = plt.get_cmap("tab10" if len(vectors.task_names) <= 10 else "tab20")
    class_of = dict(zip(vectors.tasks, vectors.classes))
    for i, task in enumerate(vectors.task_names):
        points = embedded[labels == task]
        # colour: task; marker: routing class (semantic o, acoustic s, mixed ^), so classes read as clusters
        cls = class_of.get(task)
        ax.scatter(points[:, 0], points[:, 1], s=22, color=cmap(i % cmap.N), marker=CLASS_MARKERS.get(cls, "o"),
                   label=f"{task} ({cls})" if cls else task)
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title(f"{TSNE_TITLE}{_layer_note(vectors)}")
    ax.legend(title="task", fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG with its title and axis labels in the PNG text metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ax = fig.axes[0]
    description = f"x: {ax.get_xlabel()}; y: {ax.get_ylabel()}"
    fig.savefig(path, dpi=120, metadata={"Title": ax.get_title(), "Description": description})
    plt.close(fig)
    return path
