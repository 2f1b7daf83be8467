"""Widening a trained hr_synth thinker's heads keeps what it computes; training goes on from it."""

from __future__ import annotations

import json

import pytest
import torch

from headrouter_eval.synth.model_init import QWEN_OMNI, build_thinker, spec_of
from headrouter_eval.synth.train import DEFAULT_OUT
from headrouter_eval.synth.widen import reseed_copies, widen_heads, widened_spec


@pytest.fixture(scope="module")
def bundled():
    torch.set_num_threads(1)
    return QWEN_OMNI.load_model(DEFAULT_OUT).float().eval(), QWEN_OMNI.load_processor(DEFAULT_OUT)


def _answer_logits(thinker, processor) -> torch.Tensor:
    from headrouter_eval.synth.batches import make_batch

    batch = make_batch(processor, ["word", "count"], [1_000_001, 1_000_002], 3.0, 6.0)
    with torch.no_grad():
        return thinker(**batch.inputs, use_cache=False).logits[:, -3:]


@pytest.mark.parametrize("factor", [2, 3])
def test_widened_heads_give_the_same_logits(bundled, factor):
    thinker, processor = bundled
    spec = spec_of(thinker)
    wide = build_thinker(widened_spec(spec, factor), seed=1).eval()
    wide.load_state_dict(widen_heads(thinker.state_dict(), spec, factor, noise=0.0))
    attn = wide.model.language_model.layers[0].self_attn
    assert (attn.config.num_attention_heads, attn.config.num_key_value_heads, attn.head_dim) == (
        spec.num_heads * factor, spec.num_kv_heads * factor, spec.head_dim)
    torch.testing.assert_close(_answer_logits(wide, processor), _answer_logits(thinker, processor),
                               atol=1e-4, rtol=1e-4)


def test_the_copies_of_a_head_start_apart(bundled):
    """Identical copies would get identical gradients and never specialise."""
    thinker, _ = bundled
    spec = spec_of(thinker)
    state = widen_heads(thinker.state_dict(), spec, 2)
    q = state["model.language_model.layers.0.self_attn.q_proj.weight"].reshape(-1, spec.head_dim, spec.hidden_size)
    old_q = thinker.state_dict()["model.language_model.layers.0.self_attn.q_proj.weight"]
    torch.testing.assert_close(q[0::2].reshape(old_q.shape), old_q)  # first copies exact
    assert not torch.equal(q[0], q[1])
    assert (q[0] - q[1]).abs().max() < 0.1 * old_q.abs().max()


def test_reseeded_copies_leave_the_answers_and_get_queries_of_their_own(bundled):
    """Exact copies, reseeded: the kept head carries the copies' output, so the logits stay;
    the others get new queries and start with no output, for training to grow."""
    thinker, processor = bundled
    spec = spec_of(thinker)
    wide_spec = widened_spec(spec, 2)
    state = reseed_copies(widen_heads(thinker.state_dict(), spec, 2, noise=0.0), wide_spec, 2)
    wide = build_thinker(wide_spec, seed=1).eval()
    wide.load_state_dict(state)
    torch.testing.assert_close(_answer_logits(wide, processor), _answer_logits(thinker, processor),
                               atol=1e-4, rtol=1e-4)
    prefix = "model.language_model.layers.2.self_attn."
    q = state[prefix + "q_proj.weight"].reshape(-1, spec.head_dim, spec.hidden_size)
    out = state[prefix + "o_proj.weight"].reshape(spec.hidden_size, -1, spec.head_dim)
    assert not out[:, 1::2].any() and out[:, 0::2].abs().sum() > 0
    old_q = thinker.state_dict()[prefix + "q_proj.weight"].reshape(-1, spec.head_dim, spec.hidden_size)
    torch.testing.assert_close(q[0::2], old_q)
    assert all((q[2 * h + 1] - old_q[h]).norm() > 0.5 * old_q[h].norm() for h in range(spec.num_heads))
    with pytest.raises(ValueError, match="runs of 3 among 16 query heads"):
        reseed_copies(state, wide_spec, 3)


def test_reseeding_without_a_checkpoint_is_refused(tmp_path, capsys):
    from headrouter_eval.synth.cli import main

    assert main(["train", "--reseed-copies", "2", "--out", str(tmp_path / "model")]) == 2
    assert "error: widening heads and reseeding copies change a trained checkpoint's heads" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_training_goes_on_from_the_bundled_model_with_widened_heads(tmp_path):
    from headrouter_eval.synth.train import Stage, TrainConfig, train

    cfg = TrainConfig(out_dir=tmp_path / "model", tasks=("count", "word"), curriculum=(Stage(1, 2, 1.0, 3.0),),
                      init_from=DEFAULT_OUT, widen=2, reseed_copies=2, eval_limit=1, log_every=1)
    report = train(cfg, log=lambda line: None, command="test")
    bundled_text = json.loads((DEFAULT_OUT / "config.json").read_text())["thinker_config"]["text_config"]
    text = json.loads((tmp_path / "model" / "config.json").read_text())["thinker_config"]["text_config"]
    assert text["num_attention_heads"] == 2 * bundled_text["num_attention_heads"]
    heads = bundled_text["num_attention_heads"]
    bundled_head_dim = bundled_text.get("head_dim") or bundled_text["hidden_size"] // heads
    assert text["head_dim"] == bundled_head_dim  # more heads, each as wide as before
    assert report["config"]["init_from"] == str(DEFAULT_OUT) and report["config"]["widen"] == 2
    assert report["config"]["reseed_copies"] == 2


def test_training_on_from_a_model_of_other_sizes_is_refused(tmp_path):
    from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec, save_tiny_checkpoint
    from headrouter_eval.synth.train import TrainConfig, train

    save_tiny_checkpoint(tmp_path / "other", TinyOmniSpec(chunk_length_s=60, audio_n_window=8))
    cfg = TrainConfig(out_dir=tmp_path / "model", init_from=tmp_path / "other")
    with pytest.raises(ValueError, match="not an hr_synth model of the bundled sizes"):
        train(cfg, log=lambda line: None)
    assert not (tmp_path / "model").exists()
