"""HeadRouter's routing math: head weights from selectivity and audio mass, Gaussian soft routing.

Shared by the pruner (at run time) and calibration (to build profiles), so a profile's head
weights and the fallback's per-sample weights come from one rule. The rules and why
``selectivity_mass`` is the default: README.md, "What follows the paper, and what is ours".
Weights are normalised to the simplex; an all-zero vector falls back to uniform.
"""

from __future__ import annotations

import math

import torch

HEAD_WEIGHT_RULES = ("selectivity_mass", "selectivity", "mass", "uniform")


def head_weights(selectivity: torch.Tensor, audio_mass: torch.Tensor, rule: str = "selectivity_mass") -> torch.Tensor:
    """(H,) head weights on the simplex from per-head selectivity and audio mass."""
    if rule == "selectivity_mass":
        raw = selectivity * audio_mass
    elif rule == "selectivity":
        raw = selectivity.clone()
    elif rule == "mass":
        raw = audio_mass.clone()
    elif rule == "uniform":
        raw = torch.ones_like(selectivity)
    else:
        raise ValueError(f"head-weight rule must be one of {HEAD_WEIGHT_RULES}, got {rule!r}")
    raw = raw.clamp_min(0.0)
    total = raw.sum()
    if not bool(total > 0):
        return torch.full_like(raw, 1.0 / raw.numel())
    return raw / total


def soft_route(selectivity: torch.Tensor, centroids: torch.Tensor, sigma: float) -> torch.Tensor:
    """(C,) ``alpha_c = softmax_c(-||s - mu_c||^2 / (2 sigma^2))`` (paper 3.3.4)."""
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    sq_dist = ((selectivity[None, :] - centroids) ** 2).sum(dim=-1)
    return torch.softmax(-sq_dist / (2.0 * sigma**2), dim=0)


def mix_head_weights(alpha: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
    """(H,) ``w = sum_c alpha_c w_c``."""
    return (alpha[:, None] * class_weights).sum(dim=0)


def auto_sigma(vectors: torch.Tensor, labels: list[str], centroids: dict[str, torch.Tensor]) -> float:
    """Default ``sigma``: the root-mean-square distance of calibration samples to their class centroid.

    A sample typical of its class is then about one sigma from its centroid, so routing
    is soft for samples between classes and near one-hot for samples close to one.
    With one sample per class that distance is 0; then half the smallest distance
    between two centroids, and 1.0 for a single class (routing is trivial there).
    """
    within = torch.stack([((v - centroids[c]) ** 2).sum() for v, c in zip(vectors, labels)])
    rms = float(within.mean().sqrt())
    if rms > 0:
        return rms
    names = sorted(centroids)
    gaps = [float((centroids[a] - centroids[b]).norm()) for i, a in enumerate(names) for b in names[i + 1:]]
    gaps = [g for g in gaps if g > 0 and math.isfinite(g)]
    return min(gaps) / 2.0 if gaps else 1.0
