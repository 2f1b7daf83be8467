"""Data-parallel evaluation through accelerate gives exactly the single-process answers."""

from __future__ import annotations

import pytest

from .conftest import REPO_ROOT
from .lmms_cli import read_results, read_samples, read_stats, run_lmms_eval

TASK_DIR = REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task"
TASK = "hr_test_tiny_audio"


@pytest.mark.slow
def test_two_processes_match_one(tiny_checkpoint, tmp_path):
    args = f"pretrained={tiny_checkpoint},retention=0.5"
    runs = {}
    for processes in (1, 2):
        out = tmp_path / f"p{processes}"
        result = run_lmms_eval("fastv_qwen_omni", args, TASK, TASK_DIR, out, processes=processes)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[processes] = out
    assert sorted(p.name for p in runs[2].glob("pruning_summary_rank*.json")) == [
        "pruning_summary_rank0.json", "pruning_summary_rank1.json"]
    assert read_samples(runs[1], TASK) == read_samples(runs[2], TASK)
    assert read_results(runs[1])["results"][TASK] == read_results(runs[2])["results"][TASK]
    single, multi = read_stats(runs[1]), read_stats(runs[2])
    assert single.keys() == multi.keys()
    for key in single:
        assert (single[key]["audio_tokens"], single[key]["kept_tokens"]) == (
            multi[key]["audio_tokens"], multi[key]["kept_tokens"])
