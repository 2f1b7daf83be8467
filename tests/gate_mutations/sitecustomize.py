"""Deliberate breakages of the pruners, injected into the lmms-eval processes of a mutation check.

``tests/gate_mutations/check.py`` puts this folder first on ``PYTHONPATH`` and names one
mutation in ``HEADROUTER_GATE_MUTATION``; Python imports ``sitecustomize`` at start-up in
every process (the sweep's lmms-eval runs inherit the environment), and this module then
replaces one function of the production code in memory. Production code carries no
mutation flag: without the variable this module does nothing.
"""

from __future__ import annotations

import os

ENV_VAR = "HEADROUTER_GATE_MUTATION"


def _headrouter_uniform_weights() -> None:
    """HeadRouter's head weighting switched off: every head weighs 1/H, whatever the profile says."""
    import torch

    from headrouter_eval.pruners import headrouter

    def uniform_mix(alpha: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
        heads = class_weights.shape[1]
        return torch.full((heads,), 1.0 / heads, dtype=class_weights.dtype, device=class_weights.device)

    headrouter.mix_head_weights = uniform_mix


def _headrouter_wrong_class() -> None:
    """HeadRouter routes each prompt entirely to the class its selectivity is *farthest* from."""
    import torch

    from headrouter_eval.pruners import headrouter

    original = headrouter.soft_route

    def wrong_route(selectivity: torch.Tensor, centroids: torch.Tensor, sigma: float) -> torch.Tensor:
        alpha = original(selectivity, centroids, sigma)
        return torch.nn.functional.one_hot(alpha.argmin(), alpha.numel()).to(alpha.dtype)

    headrouter.soft_route = wrong_route


def _fastv_first_text_token() -> None:
    """FastV scores with the attention of the first text token after the audio, not the last token."""
    from headrouter_eval.pruners import head_probe

    original = head_probe.query_positions

    def first_text(layout, queries: str):
        if queries == "last":
            return layout.query_positions[:1]
        return original(layout, queries)

    head_probe.query_positions = first_text


def _keep_lowest() -> None:
    """Every scoring pruner keeps its lowest-scored tokens (the sign of the ranking flipped)."""
    from headrouter_eval.pruners import base

    def select_lowest(self, inputs):
        return base.top_k_with_span_floor(-self.score(inputs), inputs.keep, inputs.layout.span_ids)

    base.Pruner.select = select_lowest


def _random_one_mask() -> None:
    """Random draws one mask for every prompt (the prompt id no longer enters the seed)."""
    from headrouter_eval.pruners import random as random_pruner

    original = random_pruner.seed_for
    random_pruner.seed_for = lambda seed, prompt: original(seed, "one mask for every prompt")


MUTATIONS = {
    "headrouter_uniform_weights": _headrouter_uniform_weights,
    "headrouter_wrong_class": _headrouter_wrong_class,
    "fastv_first_text_token": _fastv_first_text_token,
    "keep_lowest": _keep_lowest,
    "random_one_mask": _random_one_mask,
}

_chosen = os.environ.get(ENV_VAR)
if _chosen:
    if _chosen not in MUTATIONS:
        raise SystemExit(f"{ENV_VAR}={_chosen!r}: unknown mutation; known: {sorted(MUTATIONS)}")
    MUTATIONS[_chosen]()
