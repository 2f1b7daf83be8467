"""Data-parallel evaluation through accelerate gives exactly the single-process answers.

Runs the bundled benchmark (a few items of every hr_synth task) with the bundled trained
model, once in one process and once under ``accelerate launch --num_processes 2``. The
same run proves that both ranks file their pruning stats under the one run id and that the
leaderboard reads them back as one complete run.
"""

from __future__ import annotations

import json

import pytest

from headrouter_eval.demo import BUNDLED_MODEL
from headrouter_eval.leaderboard.run_status import COMPLETE
from headrouter_eval.leaderboard.runs import discover_runs
from headrouter_eval.synth.tasks import TASKS

from .conftest import REPO_ROOT
from .lmms_cli import read_results, read_samples, read_stats, run_lmms_eval

TASK_DIR = REPO_ROOT / "tasks"


@pytest.mark.slow
def test_two_processes_match_one_on_the_bundled_benchmark(tmp_path):
    args = f"pretrained={BUNDLED_MODEL},retention=0.25,layer=0"
    runs = {}
    for processes in (1, 2):
        out = tmp_path / f"p{processes}"
        result = run_lmms_eval("fastv_qwen_omni", args, "hr_synth", TASK_DIR, out, "--limit", "4",
                               processes=processes)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[processes] = out
    summaries = sorted(runs[2].rglob("*_pruning_summary_rank*.json"))
    assert [p.name.split("_pruning_")[1] for p in summaries] == ["summary_rank0.json", "summary_rank1.json"]
    # both ranks file their stats under rank 0's run id, which the one results file names
    (results_path,) = runs[2].rglob("*_results.json")
    sources = json.loads(results_path.read_text())["usage"]["by_source"]
    assert {p.name.split("_pruning_")[0] for p in summaries} == {
        s.split(":", 1)[1] for s in sources if s.startswith("headrouter_eval:")}
    for task in (f"hr_synth_{name}" for name in TASKS):
        single = read_samples(runs[1], task)
        assert len(single) == 4 and single == read_samples(runs[2], task)
    assert read_results(runs[1])["results"] == read_results(runs[2])["results"]
    single, multi = read_stats(runs[1]), read_stats(runs[2])
    assert len(single) == 20 and single.keys() == multi.keys()
    for key in single:
        assert (single[key]["audio_tokens"], single[key]["kept_tokens"]) == (
            multi[key]["audio_tokens"], multi[key]["kept_tokens"])
    (run,) = discover_runs(runs[2])
    assert run.status == COMPLETE, run.problem
    assert run.stats.ranks == [0, 1] and run.stats.overall.samples == 20
