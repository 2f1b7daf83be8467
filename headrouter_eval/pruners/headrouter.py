"""HeadRouter: routed head-weighted audio-token pruning (arXiv 2604.23717).

Probe every head at the scoring layer, turn the probes into per-head selectivity, weight the
heads by the routed class profile (or the per-sample fallback), score the audio tokens;
:mod:`headrouter_eval.pruners.head_probe` has the formulas. The algorithm, its defaults and
the choices where the paper is silent: docs/headrouter.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch

from headrouter_eval.profiles.format import HeadProfile, ProfileError, check_profile, load_profile
from headrouter_eval.pruners.base import ModelInfo, Pruner, ScoringInputs
from headrouter_eval.pruners.head_probe import (
    PROBE_MODES,
    QUERY_MODES,
    SOFTMAX_MODES,
    probe_heads,
    selectivity,
    uniform_weights,
    weighted_scores,
)
from headrouter_eval.pruners.routing import HEAD_WEIGHT_RULES, head_weights, mix_head_weights, soft_route

logger = logging.getLogger(__name__)

DEFAULT_PROBE = {"probe": "norope", "queries": "text", "softmax": "audio"}


def _sig(value: float) -> float:
    """Six significant digits: compact stats lines that keep tiny selectivities (random models) distinct."""
    return float(f"{value:.6g}")


def _choice(option: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"headrouter option {option}={value!r} is not one of {', '.join(allowed)}")
    return str(value)


@dataclass
class HeadRouterPruner(Pruner):
    profile: str | None = None
    sigma: float | None = None
    probe: str | None = None
    queries: str | None = None
    softmax: str | None = None
    routing: str = "soft"
    fallback: str | None = None
    top_heads: int = 5

    name = "headrouter"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._profile: HeadProfile | None = load_profile(self.profile) if self.profile else None
        calibrated = self._profile.probe if self._profile else {**DEFAULT_PROBE, "softmax": None}
        for option, allowed in (("probe", PROBE_MODES), ("queries", QUERY_MODES), ("softmax", SOFTMAX_MODES)):
            value = calibrated[option] if getattr(self, option) is None else getattr(self, option)
            if option == "softmax" and value is None:  # rope means "the model's own attention"
                value = "prefix" if self.probe == "rope" else "audio"
            value = _choice(option, value, allowed)
            if self._profile and value != calibrated[option]:
                raise ProfileError(
                    f"{self.profile} was calibrated with {option}={calibrated[option]}, not {value}; its centroids "
                    f"do not apply. Calibrate with --model-args ...,{option}={value} or drop {option}="
                )
            setattr(self, option, value)
        self._route_class = self._parse_routing()
        self._parse_sigma_and_fallback()
        try:
            self.top_heads = int(self.top_heads)
        except (TypeError, ValueError):
            raise ValueError(f"headrouter option top_heads must be an integer >= 1, got {self.top_heads!r}") from None
        if self.top_heads < 1:
            raise ValueError(f"headrouter option top_heads must be >= 1, got {self.top_heads}")
        self._stats: dict[str, Any] = {}
        self._task_class: str | None = None
        if self.mode.startswith("fallback"):
            logger.warning("HeadRouter runs without a profile: fallback head weights w ∝ %s per sample", self.fallback)

    def _parse_routing(self) -> str | None:
        routing = str(self.routing)
        if routing in ("soft", "uniform"):
            return None
        if routing == "oracle":  # each prompt to its own task's class (the adapter sets task_class)
            if self._profile is None:
                raise ValueError("routing=oracle needs a profile (profile=<file>)")
            return None
        if not routing.startswith("oracle:"):
            raise ValueError(f"headrouter option routing={routing!r}: use soft, uniform, oracle or oracle:<class>")
        name = routing.split(":", 1)[1]
        if self._profile is None:
            raise ValueError(f"routing={routing} needs a profile (profile=<file>) holding class {name!r}")
        if name not in self._profile.classes:
            raise ValueError(f"routing={routing}: {self.profile} has no class {name!r}; "
                             f"it has {sorted(self._profile.classes)}")
        return name

    def _parse_sigma_and_fallback(self) -> None:
        if self.sigma is not None:
            if self._profile is None or self.routing != "soft":
                raise ValueError(f"sigma={self.sigma} only applies to routing=soft with a profile")
            try:
                self.sigma = float(self.sigma)
            except (TypeError, ValueError):
                raise ValueError(f"headrouter option sigma must be a number > 0, got {self.sigma!r}") from None
            if not self.sigma > 0:
                raise ValueError(f"headrouter option sigma must be > 0, got {self.sigma}")
        elif self._profile is not None:
            self.sigma = self._profile.sigma
        if self.fallback is not None and (self._profile is not None or self.routing != "soft"):
            raise ValueError("fallback= only applies to routing=soft without a profile")
        self.fallback = _choice("fallback", self.fallback or "selectivity_mass", HEAD_WEIGHT_RULES)

    @property
    def mode(self) -> str:
        """How head weights are chosen: soft, oracle:<class>, uniform or fallback:<rule>."""
        if self.routing == "soft" and self._profile is None:
            return f"fallback:{self.fallback}"
        return str(self.routing)

    def bind(self, model: ModelInfo) -> None:
        if self._profile is not None:
            check_profile(self._profile, model)

    @classmethod
    def scoring_flops(cls, model: ModelInfo, seq_len: int, query_len: int) -> int:
        """k for all T keys (the audio-mass term needs the prefix softmax), q for the Q text queries,
        Q x T logits: 2 T d (H_kv h) + 2 Q d (H h) + 2 H h Q T (its default settings; the measured
        router time is the authoritative number)."""
        h, d = model.dim_per_head, model.hidden_size
        return (2 * seq_len * d * model.num_kv_heads * h + 2 * query_len * d * model.num_heads * h
                + 2 * model.num_heads * h * query_len * seq_len)

    @torch.no_grad()  # scoring only reads the model; callers outside the engine need no autograd
    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        heads = probe_heads(inputs, rope=self.probe == "rope", queries=self.queries, softmax=self.softmax)
        s = selectivity(heads.distributions)
        alpha: dict[str, float] = {}
        if self.mode == "uniform":
            w = uniform_weights(s.numel(), s.device)
        elif self.mode.startswith("fallback"):
            w = head_weights(s, heads.audio_mass, self.fallback)
        else:
            names = sorted(self._profile.classes)
            class_w = torch.tensor([self._profile.classes[c].head_weights for c in names], device=s.device)
            routed = self._oracle_class() if self.mode == "oracle" else self._route_class
            if routed is not None:
                a = torch.tensor([float(c == routed) for c in names], device=s.device)
            else:
                centroids = torch.tensor([self._profile.classes[c].centroid for c in names], device=s.device)
                a = soft_route(s, centroids, self.sigma)
            w = mix_head_weights(a, class_w)
            alpha = dict(zip(names, a.tolist()))
        self._stats = self._describe(s, heads.audio_mass, w, alpha)
        return weighted_scores(heads.distributions, w)

    @property
    def routes_by_task(self) -> bool:
        return self.mode == "oracle"

    def set_task_class(self, task_class: str | None) -> None:
        self._task_class = task_class

    def _oracle_class(self) -> str:
        if self._task_class is None:
            raise ValueError("routing=oracle routes each prompt to its task's class, but this prompt came "
                             "without one; pass routing=oracle:<class> to route every prompt to one class")
        if self._task_class not in self._profile.classes:
            raise ValueError(f"routing=oracle: the task's class {self._task_class!r} is not in {self.profile} "
                             f"(it has {sorted(self._profile.classes)})")
        return self._task_class

    def _describe(self, s: torch.Tensor, mass: torch.Tensor, w: torch.Tensor, alpha: dict) -> dict[str, Any]:
        top = torch.topk(w, min(self.top_heads, w.numel()))
        return {
            "routing": self.mode,
            "routing_weights": {c: _sig(v) for c, v in alpha.items()},
            "routed_class": max(alpha, key=alpha.get) if alpha else None,
            "top_heads": [[int(h), _sig(float(v))] for h, v in zip(top.indices, top.values)],
            "selectivity": [_sig(v) for v in s.tolist()],
            "audio_mass": [_sig(v) for v in mass.tolist()],
            "probe_settings": {"probe": self.probe, "queries": self.queries, "softmax": self.softmax},
        }

    def sample_stats(self) -> dict[str, Any]:
        return dict(self._stats)

    def calibration_profile(self) -> HeadProfile | None:
        return self._profile
