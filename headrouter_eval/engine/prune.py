"""Attach a pruner to a stock transformers audio LLM: real audio-token pruning at layer K.

Model-independent: what it needs to know about a model it asks the model's family
(:class:`headrouter_eval.models.base.ModelFamily`). Hooks are per model instance and removed
on :meth:`PruningEngine.detach`. One prompt at a time (batch size 1: a batch would need
per-row kept sets of different lengths). The prefill and decode flow: ARCHITECTURE.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from headrouter_eval.engine.cache import check_starts_at_zero, generation_cache
from headrouter_eval.engine.spans import find_audio_layout
from headrouter_eval.pruners.base import ModelInfo, Pruner, ScoringInputs, keep_count
from headrouter_eval.pruners.layout import AudioLayout
from headrouter_eval.pruners.prompt_id import prompt_id

if TYPE_CHECKING:
    from headrouter_eval.models.base import ModelFamily

logger = logging.getLogger(__name__)


@dataclass
class PrefillRecord:
    """What happened at one prefill: the facts the stats file and the benchmark report."""

    audio_tokens: int
    kept_tokens: int
    n_spans: int
    seq_len: int
    kept_seq_len: int
    prefill_s: float = 0.0
    encoder_s: float = 0.0
    scoring_s: float = 0.0
    pruned: bool = False
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _PrefillState:
    layout: AudioLayout | None
    kept_positions: torch.Tensor | None = None  # sequence positions kept from layer K on
    sliced_kwargs: dict[str, Any] = field(default_factory=dict)
    scoring_hidden: torch.Tensor | None = None
    started: float = 0.0
    encoder_started: float = 0.0
    record: PrefillRecord | None = None
    in_prefill: bool = True
    prompt_id: str = ""


class PruningEngine:
    """Prune audio tokens of a model's prompts at decoder layer ``layer``.

    ``model`` is the family's generating model (e.g. the Qwen2.5-Omni thinker), loaded
    by ``family.load_model``.

    ``pruner=None`` runs the model unpruned but still records prefill stats (this is
    how "vanilla" is measured, with the same timing code as every pruner).
    Use as a context manager, or call :meth:`attach` / :meth:`detach`.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        family: ModelFamily,
        pruner: Pruner | None,
        layer: int = 2,
        on_prefill: Callable[[PrefillRecord], None] | None = None,
    ) -> None:
        family.check_model(model)
        n_layers = len(family.decoder_layers(model))
        if not 0 <= int(layer) < n_layers:
            raise ValueError(f"layer must be in [0, {n_layers - 1}] for this {n_layers}-layer model, got {layer}")
        self.model = model
        self.family = family
        self.pruner = pruner
        self.layer = int(layer)
        self.scoring_layer = max(self.layer - 1, 0)
        self.token_ids = family.audio_token_ids(model.config)
        self.on_prefill = on_prefill
        self.last_record: PrefillRecord | None = None
        #: sequence positions kept from layer K on at the last prefill (None when nothing was pruned)
        self.last_kept_positions: torch.Tensor | None = None
        self._handles: list[Any] = []
        self._state: _PrefillState | None = None
        if pruner is not None:
            pruner.bind(self.model_info())

    def model_info(self) -> ModelInfo:
        sizes = self.family.sizes(self.model.config)
        return ModelInfo(
            name_or_path=str(getattr(self.model.config, "_name_or_path", "") or ""),
            num_layers=sizes.layers,
            num_heads=sizes.heads,
            num_kv_heads=sizes.kv_heads,
            hidden_size=sizes.hidden,
            head_dim=sizes.head_dim,
            layer=self.layer,
            scoring_layer=self.scoring_layer,
        )

    # ----------------------------------------------------------------- lifecycle
    def attach(self) -> PruningEngine:
        if self._handles:
            raise RuntimeError("this PruningEngine is already attached")
        layers = self.family.decoder_layers(self.model)
        hook = self._handles.append
        hook(self.model.register_forward_pre_hook(self._before_forward, with_kwargs=True))
        hook(self.model.register_forward_hook(self._after_forward))
        tower = self.family.audio_encoder(self.model)
        hook(tower.register_forward_pre_hook(self._before_encoder))
        hook(tower.register_forward_hook(self._after_encoder))
        if self.pruner is not None:
            if self.pruner.needs_attention and self.layer > 0:
                hook(layers[self.scoring_layer].register_forward_pre_hook(self._stash_scoring_input))
            hook(layers[self.layer].register_forward_pre_hook(self._prune_here, with_kwargs=True))
            for later in layers[self.layer + 1:]:
                hook(later.register_forward_pre_hook(self._follow_pruning, with_kwargs=True))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._state = None

    def __enter__(self) -> PruningEngine:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.detach()

    # ----------------------------------------------------------------- model-level hooks
    def _before_forward(self, module, args, kwargs):
        input_ids = kwargs.get("input_ids", args[0] if args else None)
        cache = generation_cache(kwargs)
        is_prefill = cache is None or cache.get_seq_length() == 0
        if not is_prefill:
            if self._state is not None:
                self._state.in_prefill = False
            return None
        check_starts_at_zero(kwargs.get("position_ids"), cache)
        if input_ids is None:
            raise ValueError("the pruning engine needs input_ids to find the audio tokens (got only inputs_embeds)")
        if input_ids.shape[0] != 1:
            raise ValueError(
                f"the pruning engine handles one prompt at a time, got a batch of {input_ids.shape[0]}; "
                "use batch_size=1"
            )
        layout = find_audio_layout(input_ids[0], self.token_ids)
        self._state = _PrefillState(layout=layout)
        if self.pruner is not None and self.pruner.needs_prompt_id and layout is not None:
            self._state.prompt_id = prompt_id(input_ids, kwargs.get(self.family.features_kwarg))
        n_audio = layout.n_audio if layout else 0
        self._state.record = PrefillRecord(
            audio_tokens=n_audio, kept_tokens=n_audio, n_spans=layout.n_spans if layout else 0,
            seq_len=input_ids.shape[1], kept_seq_len=input_ids.shape[1],
        )
        if layout is None and self.pruner is not None:
            self._state.record.note = "prompt has no audio tokens: ran unpruned"
            logger.warning("prompt has no audio tokens: ran unpruned")
        self._sync()
        self._state.started = time.perf_counter()
        return None

    def _after_forward(self, module, args, output):
        state = self._state
        if state is None or not state.in_prefill or state.record is None:
            return None
        self._sync()
        state.record.prefill_s = time.perf_counter() - state.started
        state.in_prefill = False
        state.scoring_hidden = None  # free the stashed activations
        state.sliced_kwargs = {}
        self.last_record = state.record
        self.last_kept_positions = state.kept_positions
        if self.on_prefill is not None:
            self.on_prefill(state.record)
        return None

    def _before_encoder(self, module, args):
        if self._state is not None and self._state.in_prefill:
            self._sync()
            self._state.encoder_started = time.perf_counter()

    def _after_encoder(self, module, args, output):
        if self._state is not None and self._state.in_prefill and self._state.record is not None:
            self._sync()
            self._state.record.encoder_s += time.perf_counter() - self._state.encoder_started

    # ----------------------------------------------------------------- decoder-layer hooks
    def _active_prefill(self) -> _PrefillState | None:
        state = self._state
        if state is None or not state.in_prefill or state.layout is None:
            return None
        return state

    def _stash_scoring_input(self, module, args):
        state = self._active_prefill()
        if state is not None:
            state.scoring_hidden = args[0]

    def _prune_here(self, module, args, kwargs):
        state = self._active_prefill()
        if state is None:
            return self._fix_decode_mask(module, args, kwargs)
        hidden = args[0]
        layout = state.layout
        self._sync()  # so the scoring time does not absorb the tail of earlier layers' GPU work
        started = time.perf_counter()
        kept_audio = self._select(state, hidden, kwargs)
        keep_mask = torch.ones(layout.seq_len, dtype=torch.bool, device=hidden.device)
        keep_mask[layout.audio_positions] = False
        keep_mask[layout.audio_positions[kept_audio]] = True
        kept_positions = torch.nonzero(keep_mask).flatten()
        state.kept_positions = kept_positions

        family = self.family
        cos, sin = kwargs[family.layer_embeddings_kwarg]
        sliced = {
            family.layer_embeddings_kwarg: (cos[:, kept_positions], sin[:, kept_positions]),
            family.layer_mask_kwarg: _slice_prefill_mask(kwargs.get(family.layer_mask_kwarg), kept_positions),
            # text position ids only serve FlashAttention-2's packed-sequence detection, which
            # would read the gaps left by pruned tokens as sequence boundaries
            family.layer_position_ids_kwarg: None,
        }
        state.sliced_kwargs = sliced
        record = state.record
        record.kept_tokens = int(kept_audio.numel())
        record.kept_seq_len = int(kept_positions.numel())
        record.pruned = True
        self._sync()
        record.scoring_s = time.perf_counter() - started
        record.extra = self.pruner.sample_stats()
        return (hidden[:, kept_positions], *args[1:]), {**kwargs, **sliced}

    def _select(self, state: _PrefillState, hidden: torch.Tensor, kwargs: dict) -> torch.Tensor:
        layout = state.layout
        keep = keep_count(layout.n_audio, self.pruner.retention, layout.n_spans)
        inputs = ScoringInputs(layout=layout, keep=keep, scoring_layer=self.scoring_layer,
                               prompt_id=state.prompt_id)
        with torch.no_grad():
            if self.pruner.needs_attention:
                scoring = self.family.decoder_layers(self.model)[self.scoring_layer]
                raw = hidden if self.layer == 0 else state.scoring_hidden
                inputs.probe = self.family.attention_probe(
                    scoring, raw, kwargs[self.family.layer_embeddings_kwarg]
                )
                inputs.probe.output = hidden[0]  # the scoring layer's output: what layer K receives
                inputs.probe.output_norm = self.family.final_norm(self.model)
            return self.pruner.select(inputs)

    def _follow_pruning(self, module, args, kwargs):
        state = self._active_prefill()
        if state is None:
            return self._fix_decode_mask(module, args, kwargs)
        return args, {**kwargs, **state.sliced_kwargs}

    def _fix_decode_mask(self, module, args, kwargs):
        """While decoding, drop the pruned key columns from an explicit 4-D mask.

        The only decode fix-up needed: ``generate`` advances the original position ids itself,
        so new tokens continue at the original positions whatever the pruned cache holds, and
        with SDPA and no padding the mask is ``None`` (kept tokens stay in causal order).
        """
        state = self._state
        mask = kwargs.get(self.family.layer_mask_kwarg)
        if state is None or state.kept_positions is None or not isinstance(mask, torch.Tensor) or mask.dim() != 4:
            return None
        full_prompt = state.layout.seq_len
        dropped = full_prompt - int(state.kept_positions.numel())
        kv_full = mask.shape[-1]
        cache = generation_cache(kwargs)
        if cache is None:
            raise RuntimeError(
                f"decoding with an explicit attention mask but no cache in the layer call (keywords: {sorted(kwargs)})"
            )
        cached = cache.get_seq_length(self.family.cache_layer_index(module))
        q_len = args[0].shape[1]
        if kv_full == cached + q_len:  # already in pruned coordinates (layer=0 builds it from a pruned cache)
            return None
        if kv_full != cached + q_len + dropped:
            raise RuntimeError(f"cannot align a {kv_full}-column attention mask with a pruned cache of {cached}")
        columns = torch.cat([state.kept_positions, torch.arange(full_prompt, kv_full, device=mask.device)])
        return args, {**kwargs, self.family.layer_mask_kwarg: mask[..., columns]}

    def _sync(self) -> None:
        device = next(self.model.parameters()).device
        if device.type == "cuda":
            torch.cuda.synchronize(device)


def _slice_prefill_mask(mask: torch.Tensor | None, kept: torch.Tensor) -> torch.Tensor | None:
    if mask is None or not isinstance(mask, torch.Tensor):
        return mask
    if mask.dim() != 4:
        raise RuntimeError(f"expected a 4-D attention mask at the pruning layer, got shape {tuple(mask.shape)}")
    return mask[:, :, kept][..., kept]
