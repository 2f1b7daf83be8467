"""The lmms-eval adapter: real CLI runs for every model id, and bad input refused clearly."""

from __future__ import annotations

import json

import pytest

from headrouter_eval.adapters.lmms_model import FastvQwenOmni, VanillaQwenOmni
from headrouter_eval.pruners import keep_count

from .conftest import REPO_ROOT
from .lmms_cli import read_results, results_files, run_lmms_eval, stats_file

TASK_DIR = REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retention": 0}, r"retention must be in \(0, 1\]"),
        ({"retention": 1.5}, r"retention must be in \(0, 1\]"),
        ({"retention": 0.5, "batch_size": 2}, "batch_size=2 is not supported"),
        ({"retention": 0.5, "profile": "x.json"}, r"unknown model arg\(s\) \['profile'\] for fastv_qwen_omni"),
        ({"retention": 0.5, "layer": 9}, r"layer must be in \[0, 3\]"),
    ],
)
def test_bad_model_args_are_refused_clearly(tiny_checkpoint, kwargs, message):
    with pytest.raises(ValueError, match=message):
        FastvQwenOmni(pretrained=str(tiny_checkpoint), **kwargs)


def test_vanilla_refuses_a_retention(tiny_checkpoint):
    with pytest.raises(ValueError, match="vanilla_qwen_omni does not prune"):
        VanillaQwenOmni(pretrained=str(tiny_checkpoint), retention=0.5)


def test_only_the_thinker_is_loaded(tiny_checkpoint):
    model = VanillaQwenOmni(pretrained=str(tiny_checkpoint))
    names = {name.split(".")[0] for name, _ in model.model.named_parameters()}
    assert names == {"model", "lm_head"}
    assert type(model.model).__name__ == "Qwen2_5OmniThinkerForConditionalGeneration"


@pytest.mark.slow
@pytest.mark.parametrize(("method", "args"), [
    ("vanilla", ""), ("fastv", ",retention=0.5,long_audio=split"), ("random", ",retention=0.3,seed=3"),
    ("uniform", ",retention=0.5,layer=0"),
])
def test_lmms_eval_cli_runs_each_model_and_writes_stats(tiny_checkpoint, tmp_path, method, args):
    # vanilla runs as a user starts it, `python -m lmms_eval` in a process of its own: the entry-point seam
    result = run_lmms_eval(f"{method}_qwen_omni", f"pretrained={tiny_checkpoint}{args}",
                           "hr_test_tiny_audio", TASK_DIR, tmp_path, fresh_process=method == "vanilla")
    assert result.returncode == 0, result.stderr[-3000:]
    results = read_results(tmp_path)
    assert "exact_match,none" in results["results"]["hr_test_tiny_audio"]

    stats_path, summary_path = stats_file(tmp_path), stats_file(tmp_path, kind="summary")
    # beside this run's results, under the run id the adapter wrote into them
    (results_path,) = results_files(tmp_path)
    (source,) = [s for s in results["usage"]["by_source"] if s.startswith("headrouter_eval:")]
    run_id = source.split(":", 1)[1]
    assert run_id != results_path.name[: -len("_results.json")]  # its own id, not lmms-eval's stamp
    assert stats_path.parent == summary_path.parent == results_path.parent
    assert stats_path.name == f"{run_id}_pruning_stats_rank0.jsonl"
    rows = [json.loads(line) for line in stats_path.read_text().splitlines()]
    summary = json.loads(summary_path.read_text())
    assert sorted(row["doc_id"] for row in rows) == [0, 1, 2, 3]
    assert summary["complete"] and summary["samples"] == 4 and summary["method"] == method
    retention = float(args.split("retention=")[1].split(",")[0]) if "retention" in args else 1.0
    for row in rows:
        assert row["audio_tokens"] > 0 and row["prefill_s"] > 0
        assert row["kept_tokens"] == keep_count(row["audio_tokens"], retention, row["n_spans"])
    speech = next(row for row in rows if row["doc_id"] == 0)
    # 6.4 s of speech against the 4 s feature-extractor window: cut there (the default, as the
    # official processors do) or split into two consecutive spans
    split = "long_audio=split" in args
    assert (speech["long_audio"], speech["n_spans"]) == (("split", 2) if split else ("truncate", 1))
    assert speech["audio_heard_s"] == (speech["audio_s"] if split else 4.0)
    assert summary["kept_tokens"] == sum(row["kept_tokens"] for row in rows)


@pytest.mark.slow
def test_missing_audio_file_fails_the_run_naming_file_and_doc(tiny_checkpoint, tmp_path):
    result = run_lmms_eval("fastv_qwen_omni", f"pretrained={tiny_checkpoint},retention=0.5",
                           "hr_test_missing_audio", TASK_DIR, tmp_path)
    log = result.stdout + result.stderr
    assert "audio file not found" in log and "no_such_clip.wav" in log and "doc 1" in log
    assert results_files(tmp_path) == []  # lmms-eval exits 0 on failure: nothing may look complete
    assert not list(tmp_path.rglob("*pruning_summary_rank0.json"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retention": 0.5, "layer": 1.5}, r"model arg layer must be an integer, got 1.5 \(float\)"),
        ({"retention": 0.5, "layer": "two"}, "model arg layer must be an integer, got 'two'"),
        ({"retention": 0.5, "max_new_tokens": 0}, "model arg max_new_tokens must be >= 1"),
        ({"retention": "half"}, "model arg retention must be a number, got 'half'"),
        ({"retention": 0.5, "device_map": "auto"},
         r"unknown model arg\(s\) \['device_map'\] for fastv_qwen_omni .*device_map: this adapter places the "
         "whole model on one device: use device="),
    ],
)
def test_model_args_are_typed_and_named(tiny_checkpoint, kwargs, message):
    with pytest.raises(ValueError, match=message):
        FastvQwenOmni(pretrained=str(tiny_checkpoint), **kwargs)


def test_random_seed_must_be_an_integer(tiny_checkpoint):
    from headrouter_eval.adapters.lmms_model import RandomQwenOmni

    with pytest.raises(ValueError, match=r"model arg seed must be an integer, got 0.5"):
        RandomQwenOmni(pretrained=str(tiny_checkpoint), retention=0.5, seed=0.5)


def test_stats_dir_pointing_at_a_file_is_named(tiny_checkpoint, tmp_path):
    blocker = tmp_path / "stats"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match=f"model arg stats_dir={blocker} is a file, not a folder"):
        VanillaQwenOmni(pretrained=str(tiny_checkpoint), stats_dir=str(blocker))


def test_missing_pretrained_folder_says_no_such_folder(tmp_path):
    with pytest.raises(ValueError, match=f"pretrained={tmp_path / 'nope'}: no such folder"):
        VanillaQwenOmni(pretrained=str(tmp_path / "nope"))


def test_wrong_architecture_is_refused_before_building(tiny_checkpoint, tmp_path):
    import shutil

    text_only = tmp_path / "qwen2-text"
    shutil.copytree(tiny_checkpoint, text_only)
    config = json.loads((text_only / "config.json").read_text())
    (text_only / "config.json").write_text(json.dumps({**config, "model_type": "qwen2"}))
    with pytest.raises(ValueError, match=r"is a 'qwen2' checkpoint \(config.json model_type, architectures .*\); "
                                         r"the Qwen2.5-Omni integration loads model_type one of \['qwen2_5_omni', "
                                         r"'qwen2_5_omni_thinker'\]; no family of headrouter-eval loads it"):
        VanillaQwenOmni(pretrained=str(text_only))
