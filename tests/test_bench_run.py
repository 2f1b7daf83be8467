"""The efficiency benchmark end to end on the tiny size (CPU): report structure, token and FLOPs accounting.

No timing assertions: only what must hold whatever the machine's speed (pruned runs
process fewer tokens and fewer FLOPs than vanilla, the files and fields exist).
"""

from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

from headrouter_eval.bench import cli as bench_cli
from headrouter_eval.bench.models import build_random_model
from headrouter_eval.bench.presets import get_preset
from headrouter_eval.pruners import PRUNERS

AUDIO_SECONDS = 31  # > the tiny extractor's 30 s window: two spans, as the adapter would split it


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="headrouter-eval")
    bench_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "tiny"
    methods = ["fastv", "random", "uniform", "headrouter", "fastv_eager"]
    assert _run(["bench", "--size", "tiny", "--audio-seconds", str(AUDIO_SECONDS), "--retentions", "0.5",
                 "--methods", ",".join(methods), "--warmup", "0", "--repeats", "1", "--decode-tokens", "2",
                 "--threads", "1", "--device", "cpu", "--out", str(out)]) == 0
    return out, json.loads((out / "report.json").read_text())


def test_files_and_provenance(report):
    out, data = report
    assert (out / "report.md").is_file() and (out / "efficiency.png").stat().st_size > 0
    env = data["environment"]
    assert env["command"].startswith("headrouter-eval bench --family qwen_omni --size tiny")
    for key in ("machine", "device", "torch", "transformers", "git"):
        assert env[key]
    assert data["input"]["n_spans"] == 2  # split by the adapter's own prompt function
    assert data["input"]["n_audio_tokens"] == 25 * AUDIO_SECONDS
    markdown = (out / "report.md").read_text()
    assert "| method | attn | r |" in markdown and "## FLOPs formula" in markdown
    assert "SwiGLU" in markdown and "## Targets" in markdown and "NOT the target conditions" in markdown


def test_rows_prune_tokens_and_flops(report):
    _, data = report
    rows = data["rows"]
    vanilla = rows[0]
    assert vanilla["method"] == "vanilla" and vanilla["kept_seq_len"] == vanilla["seq_len"]
    assert {r["method"] for r in rows} >= {"vanilla", "fastv", "random", "uniform", "vanilla_eager", "fastv_eager"}
    for row in rows:
        assert row["prefill_ms"] > 0 and row["encoder_ms"] > 0 and row["decode_ms_per_token"] > 0
        assert row["peak_mem_gib"] is None  # CPU: not measured, never a made-up number
        if row["retention"] is None:
            continue
        expected_kept = math.ceil(row["retention"] * vanilla["audio_tokens"])
        assert row["kept_tokens"] == expected_kept
        assert row["kept_seq_len"] == vanilla["seq_len"] - (vanilla["audio_tokens"] - expected_kept)
        assert row["kept_seq_len"] < vanilla["seq_len"]
        assert row["decoder_gflops"] < vanilla["decoder_gflops"]
        assert row["kv_cache_mib"] < vanilla["kv_cache_mib"]
        assert row["encoder_gflops"] == vanilla["encoder_gflops"]  # pruning never touches the encoder
        assert row["ideal_speedup"] > 1 and row["scoring_ms"] is not None


def test_targets_reported_not_asserted(report):
    _, data = report
    targets = data["targets"]
    assert targets["conditions_match"] is False
    statuses = {c["target"]: c["status"] for c in targets["checks"]}
    assert all(s in ("met", "missed", "not measured") for s in statuses.values())
    assert statuses["peak memory of every pruned run <= vanilla"] == "not measured"


# family, size -> (layers, hidden, heads, kv heads, head_dim, mlp, vocab, experts, active), encoder, billions of params
REAL_SIZES = {
    ("qwen_omni", "3b"): ((36, 2048, 16, 2, 128, 11008, 151936, 0, 0), (32, 1280, 5120), (3.5, 4.5)),
    ("qwen_omni", "7b"): ((28, 3584, 28, 4, 128, 18944, 152064, 0, 0), (32, 1280, 5120), (7.0, 9.0)),
    ("qwen2_audio", "7b"): ((32, 4096, 32, 32, 128, 11008, 156032, 0, 0), (32, 1280, 5120), (7.5, 9.0)),
    ("qwen3_omni", "30b-a3b"): ((48, 2048, 32, 4, 128, 768, 152064, 128, 8), (32, 1280, 5120), (29.0, 33.0)),
}


@pytest.mark.parametrize(("family", "size"), list(REAL_SIZES), ids=lambda v: v)
def test_real_size_preset_builds_on_meta(family, size):
    model = build_random_model(get_preset(size, family=family), device=torch.device("meta"), dtype="bf16",
                               attn="sdpa")
    assert model.family.name == family and model.model.dtype == torch.bfloat16
    sizes = model.family.sizes(model.model.config)
    encoder = model.family.encoder_sizes(model.model.config)
    decoder_shape, encoder_shape, billions = REAL_SIZES[family, size]
    assert (sizes.layers, sizes.hidden, sizes.heads, sizes.kv_heads, sizes.head_dim, sizes.mlp, sizes.vocab,
            sizes.experts, sizes.experts_per_token) == decoder_shape
    assert (encoder.layers, encoder.d_model, encoder.ffn) == encoder_shape and encoder.output_dim == sizes.hidden
    # the modules were built with those shapes, not just the config (head_dim 128 is not hidden / heads for Qwen3)
    params = sum(p.numel() for p in model.model.parameters()) / 1e9
    assert billions[0] < params < billions[1], params


@pytest.mark.parametrize("family", ["qwen_omni", "qwen2_audio", "qwen3_omni"])
def test_tiny_preset_of_every_family_runs(family, tmp_path):
    out = tmp_path / family
    assert _run(["bench", "--family", family, "--size", "tiny", "--audio-seconds", "4", "--methods", "fastv,uniform",
                 "--retentions", "0.5", "--warmup", "0", "--repeats", "1", "--decode-tokens", "2", "--threads", "1",
                 "--device", "cpu", "--no-plot", "--out", str(out)]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["model"]["family"] == family and f"--family {family}" in data["environment"]["command"]
    rows = data["rows"]
    assert [r["method"] for r in rows] == ["vanilla", "fastv", "uniform"]
    vanilla = rows[0]
    assert vanilla["audio_tokens"] == data["input"]["n_audio_tokens"] > 0
    for row in rows[1:]:
        assert row["kept_tokens"] == math.ceil(0.5 * vanilla["audio_tokens"])
        assert row["decoder_gflops"] < vanilla["decoder_gflops"]
        assert row["encoder_gflops"] == vanilla["encoder_gflops"] > 0


def test_size_of_another_family_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="unknown size '3b' for qwen3_omni"):
        _run(["bench", "--family", "qwen3_omni", "--size", "3b", "--device", "cpu", "--out", str(tmp_path)])


def test_unknown_method_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown method"):
        _run(["bench", "--size", "tiny", "--methods", "fastv,segment_topk", "--out", str(tmp_path)])


def test_router_cost_mode_prints_percentages(tmp_path, capsys):
    assert _run(["bench", "--router-cost", "--size", "tiny", "--audio-seconds", "10", "--warmup", "0",
                 "--repeats", "1", "--decode-tokens", "1", "--threads", "1", "--device", "cpu",
                 "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "headrouter r=0.5: router time" in printed and "% of vanilla prefill" in printed
    data = json.loads((tmp_path / "router_cost.json").read_text())
    assert [r["method"] for r in data["rows"]] == ["vanilla", "headrouter"]


def test_eager_fastv_keeps_what_row_only_fastv_keeps():
    """The comparison is fair: both FastV implementations pick the same tokens (fp32, tiny model)."""
    from headrouter_eval.bench.eager_fastv import EagerFastVPruner, capture_attention_map, eager_attention
    from headrouter_eval.bench.inputs import build_input
    from headrouter_eval.engine import PruningEngine

    model = build_random_model(get_preset("tiny"), device=torch.device("cpu"), dtype="fp32", attn="sdpa")
    thinker = model.model
    family = model.family
    bench_input = build_input(family, model.processor, family.audio_token_ids(thinker.config), 8,
                              device=torch.device("cpu"), dtype=torch.float32)
    picked = {}

    def run(name, pruner):
        original = pruner.select
        pruner.select = lambda inputs: picked.setdefault(name, original(inputs))
        with PruningEngine(thinker, family, pruner, layer=2), torch.inference_mode():
            thinker(**bench_input.inputs)

    run("rows", PRUNERS["fastv"](retention=0.5))
    eager = EagerFastVPruner(retention=0.5)
    with eager_attention(thinker, family), capture_attention_map(thinker, family, eager, scoring_layer=1):
        run("eager", eager)
    assert thinker.config._attn_implementation == "sdpa"  # restored
    assert torch.equal(picked["rows"], picked["eager"])


def test_pretrained_checkpoint_path(tiny_checkpoint, tmp_path):
    """``--pretrained`` loads through the adapter's loading path and uses the checkpoint's own extractor."""
    out = tmp_path / "pretrained"
    assert _run(["bench", "--pretrained", str(tiny_checkpoint), "--audio-seconds", "6", "--methods", "uniform",
                 "--retentions", "0.5", "--warmup", "0", "--repeats", "1", "--decode-tokens", "1", "--threads", "1",
                 "--device", "cpu", "--no-plot", "--out", str(out)]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["model"]["random_weights"] is False and data["model"]["label"].startswith("pretrained:")
    assert data["input"]["n_spans"] == 2  # the fixture checkpoint's 4 s window splits 6 s of audio
    assert data["input"]["long_audio"] == "split" and data["input"]["audio_heard_s"] == 6.0
    assert "--long-audio split" in data["environment"]["command"]
    assert not (out / "efficiency.png").exists()
    assert data["rows"][1]["kept_seq_len"] < data["rows"][0]["seq_len"]


def test_long_audio_policy_is_the_adapters_and_a_bad_one_is_refused_by_name():
    """--long-audio truncate gives the prompt the adapter gives with long_audio=truncate: one span,
    the window heard; an unknown policy stops before any model is built."""
    from headrouter_eval.bench.inputs import build_input

    model = build_random_model(get_preset("tiny"), device=torch.device("cpu"), dtype="fp32", attn="sdpa")
    ids = model.family.audio_token_ids(model.model.config)
    kwargs = dict(device=torch.device("cpu"), dtype=torch.float32)
    cut = build_input(model.family, model.processor, ids, AUDIO_SECONDS, long_audio="truncate", **kwargs)
    whole = build_input(model.family, model.processor, ids, AUDIO_SECONDS, long_audio="split", **kwargs)
    assert (cut.n_spans, cut.audio_heard_s) == (1, 30.0) and (whole.n_spans, whole.audio_heard_s) == (2, 31.0)
    with pytest.raises(SystemExit, match=r"--long-audio must be one of \['truncate', 'split'\], got 'cut'"):
        _run(["bench", "--size", "tiny", "--long-audio", "cut", "--device", "cpu"])
