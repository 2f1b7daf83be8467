"""DART: keep the audio tokens that duplicate the pivot tokens least.

Wen et al., "Stop Looking for Important Tokens in Multimodal Language Models: Duplication
Matters More", as AudioMarathon runs it on Qwen2.5-Omni. The steps, the pivot visiting
order, the two budgets and every point where this implementation differs: docs/dart.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from headrouter_eval.pruners.base import ModelInfo, Pruner, ScoringInputs, top_k_with_span_floor

BUDGETS = ("ours", "official")
NORM_STATES = ("keys_rope", "keys")
SIMILARITY_STATES = ("final_norm", "hidden")


@dataclass
class DartPruner(Pruner):
    pivot_audio: int = 4
    pivot_text: int = 4
    budget: str = "ours"
    norm_states: str = "keys_rope"
    similarity_states: str = "final_norm"

    name = "dart"

    def __post_init__(self) -> None:
        super().__post_init__()
        for field, minimum in (("pivot_audio", 1), ("pivot_text", 0)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"dart pruner: {field} must be an integer >= {minimum}, got {value!r}")
        for field, allowed in (("budget", BUDGETS), ("norm_states", NORM_STATES),
                               ("similarity_states", SIMILARITY_STATES)):
            if getattr(self, field) not in allowed:
                raise ValueError(f"dart pruner: {field} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, field)!r}")

    @classmethod
    def scoring_flops(cls, model: ModelInfo, seq_len: int, query_len: int) -> int:
        """Keys, their L1 norms, the final norm and one cosine row per pivot, over at most ``seq_len`` tokens.

        k projection 2 T d (H_kv h), rotary 3 T H_kv h, L1 over repeated heads 2 T H h,
        RMS norm 4 T d, cosines (8 default pivots) 8 x 4 T d (dot product and the
        candidate's norm).
        """
        h, d, t = model.dim_per_head, model.hidden_size, seq_len
        pivots = cls.pivot_audio + cls.pivot_text
        return (2 * t * d * model.num_kv_heads * h + 3 * t * model.num_kv_heads * h
                + 2 * t * model.num_heads * h + 4 * t * d + pivots * 4 * t * d)

    # ------------------------------------------------------------------ states
    def _key_norms(self, inputs: ScoringInputs, positions: torch.Tensor) -> torch.Tensor:
        """L1 norm of each position's key states over all heads (grouped heads repeated, as the model attends)."""
        probe = inputs.probe
        keys = probe.keys(probe.hidden[positions])  # (H_kv, n, h)
        if self.norm_states == "keys_rope":
            keys = probe.rotate(keys, positions)
        keys = keys.float().repeat_interleave(probe.kv_groups, dim=0)
        return keys.abs().sum(dim=(0, 2))

    def _similarity_rows(self, inputs: ScoringInputs) -> torch.Tensor:
        """(T, hidden) float32: the scoring layer's output, through the final norm unless ``hidden``."""
        probe = inputs.probe
        if probe.output is None or (self.similarity_states == "final_norm" and probe.output_norm is None):
            raise RuntimeError("dart pruner needs the scoring layer's output and the decoder's final norm in the "
                               "probe; the engine sets them (AttentionProbe.output / output_norm)")
        states = probe.output
        if self.similarity_states == "final_norm":
            states = probe.output_norm(states)
        return states.float()

    # ------------------------------------------------------------------ selection
    def _pivots(self, inputs: ScoringInputs) -> tuple[list[int], list[int], torch.Tensor]:
        """Audio pivots (in top-k order), text pivots (absolute positions) and the audio tokens' key norms."""
        layout = inputs.layout
        audio, text = layout.audio_positions, layout.query_positions
        norms = self._key_norms(inputs, torch.cat([audio, text]))
        audio_norms, text_norms = norms[: audio.numel()], norms[audio.numel():]
        audio_pivots = audio[torch.topk(audio_norms, min(self.pivot_audio, audio.numel())).indices]
        text_pivots = text[torch.topk(text_norms, min(self.pivot_text, text.numel())).indices]
        return audio_pivots.tolist(), text_pivots.tolist(), audio_norms

    def _shares(self, n_pivots: int, n_audio: int, keep: int, n_audio_pivots: int) -> list[int]:
        """Tokens each pivot takes, in visiting order."""
        if self.budget == "official":
            reduction_ratio = 1.0 - self.retention  # AudioMarathon is configured with the pruned fraction
            per_pivot = int(n_audio * (1 - reduction_ratio) / (self.pivot_audio + self.pivot_text))
            return [per_pivot] * n_pivots
        rest = max(keep - n_audio_pivots, 0)
        return [rest // n_pivots + (1 if i < rest % n_pivots else 0) for i in range(n_pivots)]

    def _taken_in_order(self, inputs: ScoringInputs) -> tuple[list[int], torch.Tensor]:
        """Absolute positions of the kept audio tokens in the order chosen, and the audio key norms."""
        layout = inputs.layout
        audio_pivots, text_pivots, audio_norms = self._pivots(inputs)
        if self.budget == "ours":
            audio_pivots = audio_pivots[: inputs.keep]  # fewer tokens to keep than pivots: the highest norms
        visiting = list(set(audio_pivots + text_pivots))  # AudioMarathon's order (see module docstring)
        pool = set(layout.audio_positions.tolist()) - set(audio_pivots)
        states = self._similarity_rows(inputs)
        shares = self._shares(len(visiting), layout.n_audio, inputs.keep, len(audio_pivots))
        taken: list[int] = []
        for pivot, share in zip(visiting, shares):
            candidates = list(pool)
            count = min(share, len(candidates))
            if count <= 0:
                continue
            rows = torch.as_tensor(candidates, dtype=torch.long, device=states.device)
            dissimilarity = -F.cosine_similarity(states[pivot], states[rows], dim=-1)
            chosen = [candidates[i] for i in torch.topk(dissimilarity, count).indices.tolist()]
            taken.extend(chosen)
            pool.difference_update(chosen)
        return audio_pivots + taken, audio_norms

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        """(N_audio,): tokens taken rank by the order taken (all above 1), the rest by key norm (below 1)."""
        order, audio_norms = self._taken_in_order(inputs)
        index = {pos: i for i, pos in enumerate(inputs.layout.audio_positions.tolist())}
        scores = audio_norms.detach().cpu() / (float(audio_norms.max()) + 1.0)  # in [0, 1)
        taken = torch.tensor([index[pos] for pos in order], dtype=torch.long)
        scores[taken] = 1.0 + len(order) - torch.arange(len(order), dtype=scores.dtype)
        return scores

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        if self.budget == "official":
            order, _ = self._taken_in_order(inputs)
            index = {pos: i for i, pos in enumerate(inputs.layout.audio_positions.tolist())}
            return torch.tensor(sorted(index[pos] for pos in order), dtype=torch.long)
        return top_k_with_span_floor(self.score(inputs), inputs.keep, inputs.layout.span_ids.cpu())

