"""DART against AudioMarathon's ``get_retained_audio_token``, and uniform ``rounding=frame`` against its frame rule.

The references below re-implement AudioMarathon's two rules from its published code
(``modeling_qwen2_5_omni_dart.py`` and the ``frame`` branch of
``modeling_qwen2_5_omni_fastv.py``), step by step in its own terms (key states shaped
(batch, heads, seq, head_dim), one span given by its start and length, the pruned
fraction ``ratio``), and run on the same key and hidden states as the pruner. The one
adaptation: AudioMarathon's span runs from audio bos to audio eos inclusive, ours is
the audio placeholders only (bos/eos are always kept), so the reference is called with
our span and its text tokens start after the eos.
"""

from __future__ import annotations

import pytest
import torch

from headrouter_eval.catalog import FAMILIES
from headrouter_eval.engine import PruningEngine, find_audio_layout
from headrouter_eval.engine.probe import AttentionProbe
from headrouter_eval.models import get_family
from headrouter_eval.pruners import keep_count, make_pruner
from headrouter_eval.pruners.base import ScoringInputs
from headrouter_eval.pruners.dart import DartPruner
from headrouter_eval.pruners.layout import AudioLayout
from headrouter_eval.pruners.uniform import frame_indices

from .conftest import REPO_ROOT
from .lmms_cli import read_results, run_lmms_eval, stats_file

LAYER = 2  # AudioMarathon's pruned_layer default


# ---------------------------------------------------------------------------- references
def reference_dart(key_states, last_layer_state, start, length, query_start, ratio, pivot_audio, pivot_text):
    """AudioMarathon's get_retained_audio_token (text_length unset), on our span bounds; returns a set."""
    per_pivot = int(length * (1 - ratio) / (pivot_audio + pivot_text))
    flat = key_states.permute(0, 2, 1, 3).reshape(key_states.shape[0], key_states.shape[2], -1)
    audio_l1 = torch.norm(flat[0][start:start + length, :], p=1, dim=-1)
    query_l1 = torch.norm(flat[0][query_start:, :], p=1, dim=-1)
    audio_pivots = (audio_l1.topk(pivot_audio).indices + start).tolist()
    text_pivots = (query_l1.topk(pivot_text).indices + query_start).tolist()
    kept = set(audio_pivots + text_pivots)
    valid = set(range(start, start + length)) - set(audio_pivots)
    valid_list = list(valid)
    for pivot in list(kept):
        dissim = -torch.nn.functional.cosine_similarity(last_layer_state[0][pivot, :],
                                                        last_layer_state[0][valid_list, :], dim=-1)
        picked = [valid_list[i] for i in dissim.topk(per_pivot).indices]
        kept.update(picked)
        valid.difference_update(picked)
        valid_list = list(valid)
    kept.difference_update(text_pivots)
    return kept


def reference_frame(length: int, ratio: float) -> list[int]:
    """AudioMarathon's frame branch: indices into the span."""
    keep = max(1, int(length * (1 - ratio)))
    if keep >= length:
        return list(range(length))
    step = length / keep
    return [int(i * step) for i in range(keep) if int(i * step) < length]


# ---------------------------------------------------------------------------- tiny checkpoints
@pytest.fixture(scope="module", params=FAMILIES)
def setup(request, family_checkpoint):
    family = get_family(request.param)
    folder = family_checkpoint(family.name)
    return family, family.load_model(folder), family.load_processor(folder)


class RecordingDart(DartPruner):
    """DART that keeps what the engine handed it, so a reference can run on the same states."""

    def select(self, inputs: ScoringInputs) -> torch.Tensor:
        self.seen = inputs
        self.kept = super().select(inputs)
        return self.kept


def run_dart(setup, clips, question, **options):
    family, model, processor = setup
    inputs = family.prompt_inputs(processor, question, clips, system_prompt="You are a test.")
    pruner = RecordingDart(**options)
    with PruningEngine(model, family, pruner, layer=LAYER) as engine, torch.no_grad():
        model(**inputs)
    return inputs, pruner, engine


PROMPTS = [("speech", 0.0, 3.0, "What do you hear?"), ("tone", 0.0, 2.0, "Describe the sound in one word."),
           ("speech", 1.0, 3.5, "Is anyone speaking? Answer yes or no, then explain why briefly.")]


@pytest.mark.parametrize(("pivot_audio", "pivot_text"), [(4, 4), (2, 1)])
@pytest.mark.parametrize("prompt", range(len(PROMPTS)))
def test_official_budget_equals_audiomarathon(setup, speech, tone, prompt, pivot_audio, pivot_text):
    family, model, _ = setup
    clip_name, t0, t1, question = PROMPTS[prompt]
    clip = {"speech": speech, "tone": tone}[clip_name][int(t0 * 16000): int(t1 * 16000)]
    for retention in (0.9, 0.5, 0.222, 0.1):
        inputs, pruner, engine = run_dart(setup, [clip], question, retention=retention, budget="official",
                                          pivot_audio=pivot_audio, pivot_text=pivot_text)
        seen = pruner.seen
        layout, probe = seen.layout, seen.probe
        assert layout.n_spans == 1 and layout.query_positions.numel() >= pivot_text
        with torch.no_grad():
            # the states AudioMarathon reads at layer K: keys of layer K-1 (rotary, repeated
            # grouped heads) and the output of layer K-1 through the final norm
            positions = torch.arange(layout.seq_len)
            keys = probe.rotate(probe.keys(probe.hidden), positions).repeat_interleave(probe.kv_groups, dim=0)
            hidden = model(**inputs, output_hidden_states=True).hidden_states[LAYER]
            last_layer_state = model.model.language_model.norm(hidden)
        torch.testing.assert_close(probe.output, hidden[0], rtol=0, atol=0)  # the engine hands over layer K's input
        start, end = layout.spans[0]
        expected = reference_dart(keys[None].float(), last_layer_state.float(), start, end - start,
                                  int(layout.query_positions[0]), 1.0 - retention, pivot_audio, pivot_text)
        kept = set(layout.audio_positions[pruner.kept].tolist())
        assert kept == expected, (family.name, retention)
        assert set(engine.last_kept_positions.tolist()) & set(layout.audio_positions.tolist()) == expected
        assert engine.last_record.kept_tokens == len(expected)


@pytest.mark.parametrize("retention", [1.0, 0.6, 0.3, 0.05])
def test_our_budget_keeps_the_engine_count_with_a_span_per_floor(setup, speech, tone, retention):
    clips = [speech[: 4 * 16000], tone[: 16000], speech[16000: 3 * 16000]]
    inputs, pruner, engine = run_dart(setup, clips, "What do you hear?", retention=retention)
    layout = pruner.seen.layout
    assert engine.last_record.kept_tokens == keep_count(layout.n_audio, retention, layout.n_spans)
    kept = layout.audio_positions[pruner.kept]
    for start, end in layout.spans:
        assert ((kept >= start) & (kept < end)).any()
    if retention == 1.0:
        assert engine.last_record.kept_tokens == layout.n_audio


def test_our_budget_equals_official_when_the_counts_agree(setup, speech):
    """Same pivots, same order, same share per pivot: the same kept set (the budget is the only difference)."""
    clip = speech[: 3 * 16000]
    _, official, _ = run_dart(setup, [clip], "What do you hear?", retention=0.5, budget="official")
    n = official.seen.layout.n_audio
    count = len(official.kept)
    assert count == 4 + 8 * int(n * 0.5 / 8)
    ours_retention = count / n
    _, ours, engine = run_dart(setup, [clip], "What do you hear?", retention=ours_retention)
    assert engine.last_record.kept_tokens == count
    assert ours.kept.tolist() == official.kept.tolist()


# ---------------------------------------------------------------------------- options and cost, on hand-made states
def toy_inputs(n_audio=12, n_text=5, dim=8, seed=0, keep=6, spans=None):
    spans = spans or (n_audio,)
    generator = torch.Generator().manual_seed(seed)
    seq_len = 2 + n_audio + 1 + n_text
    hidden = torch.randn(seq_len, dim, generator=generator)
    output = torch.randn(seq_len, dim, generator=generator)
    weight = torch.rand(dim, generator=generator) + 0.5
    probe = AttentionProbe(
        hidden=hidden, queries=lambda rows: rows.view(rows.shape[0], 2, -1).transpose(0, 1),
        keys=lambda rows: rows.view(rows.shape[0], 2, -1).transpose(0, 1),
        rotate=lambda heads, positions: heads * (1 + positions.float()[None, :, None]), kv_groups=2, scaling=1.0,
        output=output, output_norm=lambda rows: rows * weight,
    )
    audio = torch.arange(2, 2 + n_audio)
    span_ids = torch.cat([torch.full((size,), i) for i, size in enumerate(spans)])
    bounds, cursor = [], 2
    for size in spans:
        bounds.append((cursor, cursor + size))
        cursor += size
    layout = AudioLayout(seq_len, audio, span_ids, tuple(bounds), torch.arange(2 + n_audio + 1, seq_len))
    return ScoringInputs(layout=layout, keep=keep, scoring_layer=1, probe=probe)


def test_norm_and_similarity_options_read_the_states_they_name():
    inputs = toy_inputs()
    probe = inputs.probe
    positions = torch.arange(inputs.layout.seq_len)
    rope_keys = probe.rotate(probe.keys(probe.hidden), positions).repeat_interleave(2, dim=0)
    plain_keys = probe.keys(probe.hidden).repeat_interleave(2, dim=0)
    for norm_states, keys in (("keys_rope", rope_keys), ("keys", plain_keys)):
        for similarity_states, states in (("final_norm", probe.output_norm(probe.output)), ("hidden", probe.output)):
            pruner = DartPruner(retention=0.5, budget="official", pivot_audio=2, pivot_text=2,
                                norm_states=norm_states, similarity_states=similarity_states)
            expected = reference_dart(keys[None], states[None], 2, 12, 15, 0.5, 2, 2)
            kept = set(inputs.layout.audio_positions[pruner.select(inputs)].tolist())
            assert kept == expected, (norm_states, similarity_states)


def test_runs_out_of_tokens_where_audiomarathon_would_raise():
    # 16 audio tokens at ratio 0: 8 pivots x int(16 / 8) = 16 wanted from 16 - 4 = 12 left:
    # AudioMarathon's topk raises at the 7th pivot, we take what there is
    kept = DartPruner(retention=1.0, budget="official").select(toy_inputs(n_audio=16))
    assert kept.tolist() == list(range(16))
    # fewer text tokens (1) than pivot_text (4): AudioMarathon's topk raises, we use the one there is
    kept = DartPruner(retention=0.5, budget="official").select(toy_inputs(n_audio=16, n_text=1))
    assert len(kept) == 4 + 5 * int(16 * 0.5 / 8)


def test_span_floor_replaces_the_last_token_taken():
    inputs = toy_inputs(spans=(10, 2), keep=2)
    pruner = DartPruner(retention=0.1, pivot_audio=1, pivot_text=1)
    kept = pruner.select(inputs)
    assert len(kept) == 2 and set(inputs.layout.span_ids[kept].tolist()) == {0, 1}


@pytest.mark.parametrize(("option", "value", "message"), [
    ("pivot_audio", 0, "pivot_audio must be an integer >= 1"), ("pivot_text", -1, "pivot_text must be"),
    ("budget", "paper", "budget must be one of ours, official"),
    ("norm_states", "values", "norm_states must be one of"), ("similarity_states", "keys", "similarity_states"),
])
def test_bad_options_are_refused(option, value, message):
    with pytest.raises(ValueError, match=message):
        make_pruner("dart", retention=0.5, **{option: value})


def test_scoring_flops_grow_with_the_sequence():
    from headrouter_eval.pruners.base import ModelInfo

    info = ModelInfo("", num_layers=28, num_heads=16, num_kv_heads=2, hidden_size=2048, layer=2, scoring_layer=1)
    one, two = DartPruner.scoring_flops(info, 1000, 20), DartPruner.scoring_flops(info, 2000, 20)
    assert two == 2 * one and one == 2 * 1000 * 2048 * 256 + 3 * 1000 * 256 + 2 * 1000 * 2048 + 4 * 1000 * 2048 \
        + 8 * 4 * 1000 * 2048


# ---------------------------------------------------------------------------- uniform rounding=frame
@pytest.mark.parametrize("n", [1, 7, 10, 49, 100, 576, 1499])
@pytest.mark.parametrize("retention", [1.0, 0.9, 0.7, 0.5, 0.3, 0.222, 0.1, 0.01])
def test_uniform_frame_equals_audiomarathon_frame_rule(n, retention):
    assert frame_indices(n, retention).tolist() == reference_frame(n, 1.0 - retention)


def test_uniform_frame_through_the_engine(setup, speech):
    family, model, processor = setup
    inputs = family.prompt_inputs(processor, "What do you hear?", [speech[: 3 * 16000]], system_prompt="x")
    layout = find_audio_layout(inputs["input_ids"][0], family.audio_token_ids(model.config))
    for retention in (0.7, 0.3):
        with PruningEngine(model, family, make_pruner("uniform", retention=retention, rounding="frame"),
                           layer=LAYER) as engine, torch.no_grad():
            model(**inputs)
        kept = engine.last_kept_positions
        kept_audio = torch.nonzero(torch.isin(layout.audio_positions, kept)).flatten().tolist()
        assert kept_audio == reference_frame(layout.n_audio, 1.0 - retention)
    with pytest.raises(ValueError, match="rounding must be one of floor, frame"):
        make_pruner("uniform", retention=0.5, rounding="ceil")


# ---------------------------------------------------------------------------- lmms-eval
@pytest.mark.slow
@pytest.mark.parametrize(("args", "retention"), [(",retention=0.5", 0.5),
                                                 (",retention=0.3,budget=official,pivot_text=2", None)])
def test_lmms_eval_runs_dart_qwen_omni(tiny_checkpoint, tmp_path, args, retention):
    """A real ``lmms-eval eval --model dart_qwen_omni``: options arrive as model args, counts land in the stats."""
    import json

    result = run_lmms_eval("dart_qwen_omni", f"pretrained={tiny_checkpoint}{args}",
                           "hr_test_tiny_audio", REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "exact_match,none" in read_results(tmp_path)["results"]["hr_test_tiny_audio"]
    rows = [json.loads(line) for line in stats_file(tmp_path).read_text().splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert row["pruned"] and 0 < row["kept_tokens"] < row["audio_tokens"]
        if retention is not None:
            assert row["kept_tokens"] == keep_count(row["audio_tokens"], retention, row["n_spans"])
        else:  # official: 4 audio pivots + (4 + 2) pivots x int(N * 0.3 / 6), all spans as one
            n = row["audio_tokens"]
            assert row["kept_tokens"] == 4 + 6 * int(n * (1 - (1.0 - 0.3)) / 6)
