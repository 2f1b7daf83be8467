"""Correctness of the pruning engine on every model family, each a real (tiny) hub-layout checkpoint.

Each test runs once per family (Qwen2.5-Omni model, Qwen2-Audio, Qwen3-Omni MoE
model) and compares the hooked stock model with something computed another way: the
unpatched model, a slow layer-by-layer reference, uncached recomputation, or eager
attention's own probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from headrouter_eval.catalog import FAMILIES
from headrouter_eval.engine import PruningEngine, cache, find_audio_layout, prune
from headrouter_eval.models import get_family
from headrouter_eval.pruners import PRUNERS, keep_count, make_pruner
from headrouter_eval.pruners.base import Pruner, ScoringInputs


@pytest.fixture(scope="module", params=FAMILIES)
def setup(request, family_checkpoint):
    """(family, sdpa model, eager model, processor) of a tiny checkpoint loaded as from the hub."""
    family = get_family(request.param)
    folder = family_checkpoint(family.name)
    models = {attn: family.load_model(folder, attn_implementation=attn) for attn in ("sdpa", "eager")}
    return family, models["sdpa"], models["eager"], family.load_processor(folder)


@pytest.fixture(scope="module")
def family(setup):
    return setup[0]


@pytest.fixture(scope="module")
def model(setup):
    return setup[1]


@pytest.fixture(scope="module")
def eager_model(setup):
    return setup[2]


@pytest.fixture(scope="module")
def family_inputs(setup):
    """Model inputs for a prompt with the given clips and question, in the family's prompt format."""
    family, processor = setup[0], setup[3]

    def build(clips, question="What do you hear?"):
        return family.prompt_inputs(processor, question, list(clips), system_prompt="You are a test.")

    return build


GEN = dict(max_new_tokens=6, do_sample=False)
# The engine proofs run over every registered pruner, so a pruner is covered by registering it
# (HeadRouter without a profile runs its documented per-sample fallback).
EVERY_PRUNER = sorted(PRUNERS)


@dataclass
class FixedSetPruner(Pruner):
    """Keeps a given set of audio indices (every ``stride``-th one plus the tail), whatever the scores."""

    stride: int = 3
    name = "fixed-test"
    needs_attention = False

    def score(self, inputs: ScoringInputs) -> torch.Tensor:
        n = inputs.layout.n_audio
        scores = torch.zeros(n)
        scores[:: self.stride] = 1.0
        scores[-2:] = 1.0
        return scores

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        return torch.nonzero(self.score(inputs)).flatten()


@dataclass
class FirstSelectionPruner(Pruner):
    """Runs ``method`` at the first prefill and keeps the same audio tokens at every later one.

    Recomputing a generated sequence uncached appends the new tokens to the text after
    the audio, which query-dependent pruners (FastV's last token, DART's text pivots)
    read; replaying the first selection compares the two computations on one kept set.
    """

    method: str = "dart"
    name = "first-selection-test"
    needs_attention = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self.inner, self.kept = make_pruner(self.method, retention=self.retention), None
        self.needs_prompt_id = self.inner.needs_prompt_id  # random seeds its draw by the prompt

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        if self.kept is None:
            self.kept = self.inner.select(inputs)
        return self.kept


def hook_count(model: torch.nn.Module) -> int:
    return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules())


@pytest.fixture(scope="module")
def two_span_inputs(family_inputs, speech, tone):
    # 4 s window: the speech clip is cut to the window, the tone is a second span
    return family_inputs([speech[: 4 * 16000], tone[: 2 * 16000]])


def captured_layer0_inputs(family, model, inputs):
    """inputs_embeds (audio merged in) and rotary cos/sin as the unpatched model computes them."""
    seen = {}

    def grab(module, args, kwargs):
        seen["hidden"] = args[0].detach().clone()
        seen["pe"] = tuple(t.detach().clone() for t in kwargs["position_embeddings"])

    handle = family.decoder_layers(model)[0].register_forward_pre_hook(grab, with_kwargs=True)
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        handle.remove()
    return seen["hidden"], seen["pe"]


def slow_reference_logits(family, model, inputs, layer: int, kept: torch.Tensor) -> torch.Tensor:
    """Run the decoder layer by layer by hand; layers >= ``layer`` see only ``kept`` positions."""
    hidden, (cos, sin) = captured_layer0_inputs(family, model, inputs)
    text_model = model.model.language_model
    with torch.no_grad():
        for index, decoder_layer in enumerate(text_model.layers):
            if index == layer:
                hidden, cos, sin = hidden[:, kept], cos[:, kept], sin[:, kept]
            n = hidden.shape[1]
            causal = torch.full((n, n), float("-inf")).triu(1)[None, None]
            hidden = decoder_layer(hidden, attention_mask=causal, position_embeddings=(cos, sin))
        return model.lm_head(text_model.norm(hidden))


@pytest.mark.parametrize("layer", [0, 2])
@pytest.mark.parametrize("method", EVERY_PRUNER)
def test_retention_one_equals_unpatched_model(family, model, two_span_inputs, method, layer):
    with torch.no_grad():
        reference_logits = model(**two_span_inputs).logits
        reference_tokens = model.generate(**two_span_inputs, **GEN)
        with PruningEngine(model, family, make_pruner(method, retention=1.0), layer=layer) as engine:
            logits = model(**two_span_inputs).logits
            tokens = model.generate(**two_span_inputs, **GEN)
    assert engine.last_record.pruned and engine.last_record.kept_tokens == engine.last_record.audio_tokens
    torch.testing.assert_close(logits, reference_logits, rtol=1e-5, atol=1e-5)
    assert torch.equal(tokens, reference_tokens)


@pytest.mark.parametrize("layer", [0, 1, 3])
def test_pruned_forward_equals_slow_reference(family, model, two_span_inputs, layer):
    with PruningEngine(model, family, FixedSetPruner(retention=0.4), layer=layer) as engine, torch.no_grad():
        logits = model(**two_span_inputs).logits
    kept = engine.last_kept_positions
    assert logits.shape[1] == len(kept) < two_span_inputs["input_ids"].shape[1]
    reference = slow_reference_logits(family, model, two_span_inputs, layer, kept)
    torch.testing.assert_close(logits, reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("pruner", ["fixed", *EVERY_PRUNER])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("layer", [0, 2])
def test_cached_decoding_equals_uncached_recomputation(family, request, two_span_inputs, attn, layer, pruner):
    model = request.getfixturevalue("model" if attn == "sdpa" else "eager_model")
    prompt_len = two_span_inputs["input_ids"].shape[1]
    chosen = FixedSetPruner(retention=0.4) if pruner == "fixed" else FirstSelectionPruner(0.4, method=pruner)
    with PruningEngine(model, family, chosen, layer=layer), torch.no_grad():
        out = model.generate(**two_span_inputs, **GEN, output_logits=True, return_dict_in_generate=True)
        step_logits = torch.stack(out.logits, dim=1)  # (1, new, vocab), from the pruned KV cache
        full = out.sequences[:, :-1]  # the prompt and every generated token but the last
        recomputed = model(
            input_ids=full, attention_mask=torch.ones_like(full),
            input_features=two_span_inputs["input_features"],
            feature_attention_mask=two_span_inputs["feature_attention_mask"], use_cache=False,
        ).logits
    new = step_logits.shape[1]
    assert out.sequences.shape[1] == prompt_len + new
    torch.testing.assert_close(step_logits, recomputed[:, -new:], rtol=1e-4, atol=1e-4)
    assert torch.equal(out.sequences[0, prompt_len:], step_logits[0].argmax(-1))


def test_sdpa_and_eager_prune_and_decode_alike(family, model, eager_model, two_span_inputs):
    results = []
    for attn_model in (model, eager_model):
        with PruningEngine(attn_model, family, make_pruner("fastv", retention=0.3), layer=2), torch.no_grad():
            results.append(attn_model.generate(**two_span_inputs, **GEN))
    assert torch.equal(*results)


def test_scoring_rows_equal_eager_output_attentions(family, eager_model, two_span_inputs):
    scoring_layer = 1
    layer = family.decoder_layers(eager_model)[scoring_layer]
    seen = {}

    def grab(module, args, kwargs):
        seen["hidden"], seen["pe"] = args[0], kwargs["position_embeddings"]

    handle = layer.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        with torch.no_grad():
            attentions = eager_model(**two_span_inputs, output_attentions=True).attentions[scoring_layer][0]
    finally:
        handle.remove()
    layout = find_audio_layout(two_span_inputs["input_ids"][0], family.audio_token_ids(eager_model.config))
    queries = torch.cat([layout.query_positions, torch.tensor([0, int(layout.audio_positions[5])])])
    with torch.no_grad():
        rows = family.attention_probe(layer, seen["hidden"], seen["pe"]).causal_rows(queries)
    torch.testing.assert_close(rows, attentions[:, queries].float(), rtol=1e-5, atol=1e-6)


def test_fastv_keeps_the_top_tokens_of_last_token_attention(family, model, eager_model, two_span_inputs):
    retention, layer = 0.25, 2
    with torch.no_grad():
        attentions = eager_model(**two_span_inputs, output_attentions=True).attentions
    layout = find_audio_layout(two_span_inputs["input_ids"][0], family.audio_token_ids(model.config))
    last_row = attentions[layer - 1][0, :, -1, layout.audio_positions].mean(0)  # eager's own probabilities
    keep = keep_count(layout.n_audio, retention, layout.n_spans)
    fastv = make_pruner("fastv", retention=retention)
    with PruningEngine(model, family, fastv, layer=layer) as engine, torch.no_grad():
        model(**two_span_inputs)
    kept_audio = set(engine.last_kept_positions.tolist()) & set(layout.audio_positions.tolist())
    expected = set(layout.audio_positions[torch.topk(last_row, keep).indices].tolist())
    assert kept_audio == expected


def test_detach_restores_the_original_model_exactly(family, model, two_span_inputs):
    hooks_before = hook_count(model)
    with torch.no_grad():
        before = model(**two_span_inputs).logits
    with pytest.raises(RuntimeError, match="boom"):
        with PruningEngine(model, family, make_pruner("fastv", retention=0.3), layer=2), torch.no_grad():
            assert hook_count(model) > hooks_before
            pruned = model(**two_span_inputs).logits
            raise RuntimeError("boom")  # hooks must go even when the block fails
    assert pruned.shape[1] < before.shape[1]
    assert hook_count(model) == hooks_before
    with torch.no_grad():
        after = model(**two_span_inputs).logits
    assert torch.equal(before, after)


@pytest.mark.parametrize("method", EVERY_PRUNER)
def test_every_audio_span_keeps_tokens_and_text_is_never_dropped(family, model, family_inputs, speech, tone, method):
    inputs = family_inputs([speech[: 4 * 16000], tone[:16000], speech[16000: 3 * 16000]])
    ids = family.audio_token_ids(model.config)
    layout = find_audio_layout(inputs["input_ids"][0], ids)
    assert layout.n_spans == 3
    with PruningEngine(model, family, make_pruner(method, retention=0.01), layer=2) as engine, torch.no_grad():
        model(**inputs)
    record, kept = engine.last_record, engine.last_kept_positions
    assert record.n_spans == 3 and record.kept_tokens == keep_count(layout.n_audio, 0.01, 3) == 3
    kept_ids = inputs["input_ids"][0, kept]
    for start, end in layout.spans:
        assert ((kept >= start) & (kept < end)).sum() >= 1
    non_audio = inputs["input_ids"][0] != ids.audio
    assert torch.equal(kept_ids[kept_ids != ids.audio], inputs["input_ids"][0][non_audio])
    assert record.kept_seq_len == record.seq_len - (record.audio_tokens - record.kept_tokens)


def test_prompt_without_audio_runs_unpruned_and_says_so(family, model, family_inputs, caplog):
    inputs = family_inputs([], question="No audio here.")
    with torch.no_grad():
        reference = model(**inputs).logits
        with PruningEngine(model, family, make_pruner("fastv", retention=0.5), layer=2) as engine:
            logits = model(**inputs).logits
    assert torch.equal(logits, reference)
    assert not engine.last_record.pruned and engine.last_record.audio_tokens == 0
    assert "no audio" in engine.last_record.note and "no audio" in caplog.text


def test_batches_and_bad_layers_are_refused(family, model, two_span_inputs):
    with pytest.raises(ValueError, match=r"layer must be in \[0, 3\]"):
        PruningEngine(model, family, make_pruner("fastv", retention=0.5), layer=4)
    batch = {k: torch.cat([v, v]) for k, v in two_span_inputs.items()}
    with PruningEngine(model, family, make_pruner("fastv", retention=0.5), layer=2), torch.no_grad():
        with pytest.raises(ValueError, match="one prompt at a time.*batch_size=1"):
            model(**batch)


def test_pruning_really_shrinks_the_kv_cache(family, model, two_span_inputs):
    from transformers import DynamicCache

    kv = DynamicCache(config=family.text_config(model.config))
    with PruningEngine(model, family, make_pruner("uniform", retention=0.5), layer=2) as engine, torch.no_grad():
        model(**two_span_inputs, past_key_values=kv, use_cache=True)
    full, kept = engine.last_record.seq_len, engine.last_record.kept_seq_len
    assert [kv.get_seq_length(i) for i in range(4)] == [full, full, kept, kept]


@pytest.mark.parametrize("method", EVERY_PRUNER)
def test_one_prefill_record_per_generate_describes_the_prompt(family, model, two_span_inputs, method):
    """Decode steps never overwrite the prefill's stats, whatever keyword carries the cache."""
    records = []
    engine = PruningEngine(model, family, make_pruner(method, retention=0.5), layer=2, on_prefill=records.append)
    with engine, torch.no_grad():
        model.generate(**two_span_inputs, **GEN)
    n_audio = find_audio_layout(two_span_inputs["input_ids"][0], family.audio_token_ids(model.config)).n_audio
    assert len(records) == 1
    assert records[0].audio_tokens == n_audio and records[0].pruned
    assert records[0].kept_tokens == keep_count(n_audio, 0.5, records[0].n_spans)
    assert records[0].seq_len == two_span_inputs["input_ids"].shape[1]


def test_a_cache_under_an_unknown_keyword_raises(family, model, two_span_inputs, monkeypatch):
    """A transformers release that renames the cache keyword fails loudly, naming the version."""
    monkeypatch.setattr(cache, "CACHE_KWARGS", ("a_keyword_no_release_uses",))
    with PruningEngine(model, family, make_pruner("fastv", retention=0.5), layer=2), torch.no_grad():
        with pytest.raises(cache.UnrecognisedCacheError, match=rf"transformers {cache.TRANSFORMERS_VERSION}"):
            model.generate(**two_span_inputs, **GEN)


def test_a_decode_step_taken_for_a_prefill_raises(family, model, two_span_inputs, monkeypatch):
    """Second line of defence: a cache the engine cannot see at all makes the second step a 'prefill'."""
    monkeypatch.setattr(prune, "generation_cache", lambda kwargs: None)
    records = []
    engine = PruningEngine(model, family, make_pruner("fastv", retention=0.5), layer=2, on_prefill=records.append)
    with engine, torch.no_grad():
        with pytest.raises(RuntimeError, match="second prefill in one request: a forward call starting at position"):
            model.generate(**two_span_inputs, **GEN)
    assert len(records) == 1 and records[0].audio_tokens > 0  # the real prefill's record, untouched


def test_random_keeps_a_different_subset_for_each_prompt_of_equal_length(family, model, family_inputs, speech, tone):
    """Through generate: two prompts with the same audio length differ in their kept sets; a repeat does not."""
    clip_a, clip_b = speech[: 3 * 16000], tone[: 3 * 16000]

    def kept(clip, question, seed=0):
        inputs = family_inputs([clip], question)
        with PruningEngine(model, family, make_pruner("random", retention=0.3, seed=seed), layer=1) as engine, \
                torch.no_grad():
            model.generate(**inputs, max_new_tokens=2, do_sample=False)
        layout = find_audio_layout(inputs["input_ids"][0], family.audio_token_ids(model.config))
        positions = engine.last_kept_positions
        audio_kept = torch.nonzero(torch.isin(layout.audio_positions, positions)).flatten()  # indices into the audio
        return audio_kept.tolist(), engine.last_record.audio_tokens

    a, n_a = kept(clip_a, "What do you hear?")
    b, n_b = kept(clip_b, "What do you hear?")  # other audio, same length
    c, n_c = kept(clip_a, "What do you see?")  # same audio, other text of the same length
    assert n_a == n_b == n_c and len(a) == len(b) == len(c)
    assert a != b and a != c
    assert kept(clip_a, "What do you hear?") == (a, n_a)  # same prompt, same seed: same subset
    assert kept(clip_a, "What do you hear?", seed=1)[0] != a
