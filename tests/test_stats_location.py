"""Pruning stats are filed beside lmms-eval's results and paired with them by run id, in
every way lmms-eval's CLI can be run: plain flags, a ``--config`` YAML, ``--output_path``
given twice (the last counts, as argparse does), ``--use_cache`` answering from lmms-eval's
response cache. Each case runs the real ``lmms-eval`` command on the tiny checkpoint and
reads the outcome back with the leaderboard's reader. Data-parallel ranks are proved on the
one accelerate run of ``tests/test_multiprocess.py``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from headrouter_eval.leaderboard.run_status import COMPLETE
from headrouter_eval.leaderboard.runs import discover_runs

from .leaderboard_helpers import FIXTURE_TASKS
from .lmms_cli import run_lmms_eval, run_lmms_eval_argv

pytestmark = pytest.mark.slow

TASK = "hrlb_a"  # 6 items


def _lmms(*args: str) -> subprocess.CompletedProcess:
    return run_lmms_eval_argv(["eval", *map(str, args)])


def _run_id(results_path: Path) -> str:
    sources = json.loads(results_path.read_text())["usage"]["by_source"]
    (source,) = [s for s in sources if s.startswith("headrouter_eval:")]
    return source.split(":", 1)[1]


def _one_complete_run(out: Path, method: str = "fastv", samples: int = 6):
    (run,) = discover_runs(out)
    assert run.status == COMPLETE, run.problem
    assert run.method == method and run.stats.method == method and run.stats.overall.samples == samples
    # the stats sit beside the results, under the id the results name
    run_id = _run_id(run.results_file)
    assert (run.results_file.parent / f"{run_id}_pruning_summary_rank0.json").is_file()
    return run


def test_config_yaml_mode_files_the_stats_beside_the_results(tiny_checkpoint, tmp_path):
    out = tmp_path / "out"
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "model": "fastv_qwen_omni", "model_args": f"pretrained={tiny_checkpoint},retention=0.5,layer=0",
        "tasks": TASK, "include_path": str(FIXTURE_TASKS), "output_path": str(out)}))
    result = _lmms("--config", config)
    assert result.returncode == 0, result.stderr[-3000:]
    _one_complete_run(out)


def test_a_doubled_output_path_files_the_stats_where_the_results_went(tiny_checkpoint, tmp_path):
    first, last = tmp_path / "first", tmp_path / "last"
    result = _lmms("--model", "fastv_qwen_omni", "--model_args", f"pretrained={tiny_checkpoint},retention=0.5,layer=0",
                   "--tasks", TASK, "--include_path", FIXTURE_TASKS, "--output_path", first, "--output_path", last)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not first.exists() or not list(first.rglob("*"))  # argparse keeps the last; lmms-eval wrote there
    run = _one_complete_run(last)
    # a run made before the adapter named its run id (no usage record, stats filed under the
    # results' own stamp) is still paired with its stats
    run_id, stamp = _run_id(run.results_file), run.results_file.name[: -len("_results.json")]
    results = json.loads(run.results_file.read_text())
    del results["usage"]
    run.results_file.write_text(json.dumps(results))
    for path in run.results_file.parent.glob(f"{run_id}_pruning_*"):
        path.rename(path.with_name(path.name.replace(run_id, stamp)))
    (legacy,) = discover_runs(last)
    assert legacy.status == COMPLETE and legacy.stats.overall.samples == 6, legacy.problem


def test_use_cache_runs_are_paired_with_their_stats(tiny_checkpoint, tmp_path):
    cache = tmp_path / "cache"
    args = f"pretrained={tiny_checkpoint},retention=0.5,layer=0"
    for name in ("fresh", "cached"):
        result = run_lmms_eval("fastv_qwen_omni", args, TASK, FIXTURE_TASKS, tmp_path / name, "--use_cache", str(cache))
        assert result.returncode == 0, result.stderr[-3000:]
    fresh = _one_complete_run(tmp_path / "fresh")
    # every answer of the second run came from the cache: the adapter answered none, says so in
    # its finished stats, and the run is scored as the first was
    cached = _one_complete_run(tmp_path / "cached", samples=0)
    assert "cache hits" in result.stdout + result.stderr
    assert {t: s.value for t, s in cached.scores.items()} == {t: s.value for t, s in fresh.scores.items()}
    assert _run_id(cached.results_file) != _run_id(fresh.results_file)
