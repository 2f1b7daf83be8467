"""How clearly the routing classes separate in head-vector space: numbers beside the t-SNE picture.

A t-SNE plot can make weak structure look like clusters (or hide it), so ``analyze``
also reports, over the samples whose class is known:

* leave-one-out nearest-centroid accuracy: each sample assigned to the class whose
  centroid (of the other samples) is nearest in standardised selectivity space, next
  to chance (the largest class's share). HeadRouter's Gaussian routing is a soft
  version of exactly this rule, so this is the accuracy routing could reach;
* the silhouette score (scikit-learn, Euclidean, same space): 1 for tight far-apart
  clusters, about 0 for overlapping ones.
"""

from __future__ import annotations

import numpy as np

from headrouter_eval.analysis.vectors import HeadVectors


def class_separation(vectors: HeadVectors) -> dict | None:
    """Separation of the known classes, or ``None`` with fewer than two classes of two samples."""
    known = np.array([cls is not None for cls in vectors.classes])
    labels = np.array([str(cls) for cls in vectors.classes])[known]
    names, counts = np.unique(labels, return_counts=True)
    if len(names) < 2 or counts.min() < 2:
        return None
    points = vectors.selectivity[known]
    spread = points.std(axis=0)
    points = (points - points.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    correct = 0
    for i in range(len(labels)):
        others = np.arange(len(labels)) != i
        centroids = {name: points[others & (labels == name)].mean(axis=0) for name in names}
        nearest = min(names, key=lambda name: float(np.linalg.norm(points[i] - centroids[name])))
        correct += nearest == labels[i]
    from sklearn.metrics import silhouette_score

    return {
        "samples": int(len(labels)),
        "classes": {str(name): int(count) for name, count in zip(names, counts)},
        "nearest_centroid_accuracy_loo": round(correct / len(labels), 4),
        "chance": round(float(counts.max()) / len(labels), 4),
        "silhouette": round(float(silhouette_score(points, labels)), 4),
    }


def describe(separation: dict | None) -> str:
    if separation is None:
        return "class separation: needs at least two classes with two samples each (calibration vectors carry them)"
    return (f"class separation over {separation['samples']} samples {separation['classes']}: leave-one-out "
            f"nearest-centroid accuracy {separation['nearest_centroid_accuracy_loo']:.2f} "
            f"(chance {separation['chance']:.2f}), silhouette {separation['silhouette']:.2f}")
