"""``headrouter-eval sweep`` end to end: real lmms-eval runs of our adapter on the tiny checkpoint.

Checks the folder layout, resumability (a finished configuration is never re-run), a failing
configuration (reported, exit 1, nothing left that looks complete), the pruning stats the
leaderboard reads, and a 2-process torchrun run (CPU) against the single-process one.
"""

from __future__ import annotations

import json
import shutil

import pytest

from headrouter_eval.leaderboard.runs import COMPLETE, FAILED, INCOMPLETE, MANIFEST_NAME, discover_runs
from headrouter_eval.sweep.runner import is_finished, verdict

from .leaderboard_helpers import FIXTURE_TASKS, cli, run_plain_lmms_eval, write_config
from .lmms_cli import stats_file

pytestmark = pytest.mark.slow


def _config(path, checkpoint, out, layers, tasks=("hrlb_group",)):
    return write_config(
        path, output_dir=str(out), include_path=str(FIXTURE_TASKS), tasks=list(tasks),
        models=[{"pretrained": str(checkpoint), "name": "tiny"}],
        methods=["vanilla_qwen_omni", "fastv_qwen_omni"], retentions=[0.5], layers=layers,
        lmms_eval_args=["--log_samples"])


@pytest.fixture(scope="module")
def sweep_dir(tiny_checkpoint, tmp_path_factory):
    base = tmp_path_factory.mktemp("sweep")
    code, out, err = cli("sweep", "--config", _config(base / "grid.yaml", tiny_checkpoint, base / "runs", [0]))
    assert code == 0, out + err
    return base


def _stats_lines(folder):
    return [json.loads(line) for line in stats_file(folder).read_text().splitlines()]


def test_layout_manifest_and_stats(sweep_dir, tiny_checkpoint):
    runs = sweep_dir / "runs"
    vanilla, fastv = runs / "tiny" / "vanilla" / "hrlb_group", runs / "tiny" / "fastv_r0.5_L0" / "hrlb_group"
    for folder in (vanilla, fastv):
        assert len(list(folder.rglob("*_results.json"))) == 1
        assert {p.name.split("_samples_")[-1] for p in folder.rglob("*_samples_*.jsonl")} == {
            "hrlb_a.jsonl", "hrlb_b.jsonl"}
        summary = json.loads(stats_file(folder, kind="summary").read_text())
        assert stats_file(folder, kind="summary").parent == next(folder.rglob("*_results.json")).parent
        assert summary["complete"] is True and summary["samples"] == 10
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
        assert manifest["status"] == COMPLETE
        assert "stats_dir=" not in " ".join(manifest["command"])
    # vanilla gets neither retention nor layer (the adapter refuses a retention for it)
    vanilla_args = json.loads((vanilla / MANIFEST_NAME).read_text())["command"]
    assert "retention=" not in " ".join(vanilla_args)
    assert json.loads(stats_file(fastv, kind="summary").read_text())["method"] == "fastv"

    code, out, err = cli("leaderboard", runs, "--no-plot")
    assert code == 0, out + err
    records = json.loads((runs / "leaderboard.json").read_text())["records"]
    average = {r["method"]: r for r in records if r["task"] == "average"}
    lines = _stats_lines(fastv)
    assert average["fastv"]["achieved_retention"] == pytest.approx(
        sum(x["kept_tokens"] for x in lines) / sum(x["audio_tokens"] for x in lines))
    assert 0.5 <= average["fastv"]["achieved_retention"] < 0.6
    assert average["vanilla"]["achieved_retention"] == pytest.approx(1.0)
    assert average["fastv"]["mean_prefill_s"] == pytest.approx(sum(x["prefill_s"] for x in lines) / len(lines))
    per_task = {r["task"]: r for r in records if r["method"] == "fastv" and r["task"] in ("hrlb_a", "hrlb_b")}
    a_lines = [x for x in lines if x["task"] == "hrlb_a"]
    assert per_task["hrlb_a"]["achieved_retention"] == pytest.approx(
        sum(x["kept_tokens"] for x in a_lines) / sum(x["audio_tokens"] for x in a_lines))


def test_resume_skips_finished_and_reports_failures(sweep_dir, tiny_checkpoint):
    runs = sweep_dir / "runs"
    results = sorted(runs.rglob("*_results.json"))
    stamps = [p.stat().st_mtime_ns for p in results]
    # same grid plus a layer the 4-layer model does not have: lmms-eval logs the error and exits 0
    grid = _config(sweep_dir / "grid2.yaml", tiny_checkpoint, runs, [0, 99])
    code, out, err = cli("sweep", "--config", grid)
    assert code == 1, out + err
    lines = [x for x in out.splitlines() if x.startswith("[") and ": running (log: " not in x]
    assert len(lines) == 3
    assert sum("finished earlier, skipped" in x for x in lines) == 2
    failed_line = next(x for x in lines if "L=99" in x)
    assert "FAILED" in failed_line and "layer must be in" in failed_line
    assert [p.stat().st_mtime_ns for p in sorted(runs.rglob("*_results.json"))] == stamps

    broken = runs / "tiny" / "fastv_r0.5_L99" / "hrlb_group"
    manifest = json.loads((broken / MANIFEST_NAME).read_text())
    assert manifest["status"] == FAILED and "layer must be in" in manifest["problem"]
    assert not list(broken.rglob("*_results.json"))
    assert not is_finished(broken)
    fastv_status = {r.layer: r.status for r in discover_runs(runs) if r.method == "fastv"}
    assert fastv_status == {0: COMPLETE, 99: FAILED}

    # a second attempt of the failed configuration runs again and keeps the first log
    code, out, _ = cli("sweep", "--config", grid)
    assert code == 1
    assert (broken / "lmms_eval.attempt1.log").is_file()


def test_missing_rank_summary_is_incomplete(sweep_dir, tmp_path):
    source = sweep_dir / "runs" / "tiny" / "fastv_r0.5_L0" / "hrlb_group"
    copy = tmp_path / "runs" / "tiny" / "fastv_r0.5_L0" / "hrlb_group"
    shutil.copytree(source, copy)
    assert verdict(copy) == (COMPLETE, None)
    # what a rank killed before it finished leaves: per-sample stats but no summary
    stats_file(copy, kind="summary").unlink()
    status, problem = verdict(copy)
    assert status == INCOMPLETE and "pruning_summary" in problem
    assert not is_finished(copy)
    (run,) = discover_runs(tmp_path / "runs")
    assert run.status == INCOMPLETE


def test_torchrun_two_processes_match_single_process(sweep_dir, tiny_checkpoint):
    out = sweep_dir / "dp"
    code, text, err = cli(
        "sweep", "--models", tiny_checkpoint, "--methods", "fastv_qwen_omni", "--retentions", "0.5",
        "--layers", "0", "--tasks", "hrlb_a", "--include-path", FIXTURE_TASKS, "--output-dir", out,
        "--num-processes", "2", "--launcher", "torchrun", "--", "--log_samples")
    assert code == 0, text + err
    folder = out / tiny_checkpoint.name / "fastv_r0.5_L0" / "hrlb_a"
    summaries = [json.loads(stats_file(folder, r, "summary").read_text()) for r in (0, 1)]
    assert sum(s["samples"] for s in summaries) == 6
    (dp_run,) = discover_runs(out)
    assert dp_run.status == COMPLETE and dp_run.stats.ranks == [0, 1]
    single = next(r for r in discover_runs(sweep_dir / "runs") if r.method == "fastv" and r.layer == 0)
    assert dp_run.scores["hrlb_a"].value == pytest.approx(single.scores["hrlb_a"].value)
    assert dp_run.stats.per_task["hrlb_a"].kept_tokens == single.stats.per_task["hrlb_a"].kept_tokens
    assert dp_run.stats.per_task["hrlb_a"].audio_tokens == single.stats.per_task["hrlb_a"].audio_tokens
    # a missing rank is noticed: the manifest expects two summaries
    stats_file(folder, 1, "summary").unlink()
    status, problem = verdict(folder)
    assert status == INCOMPLETE and "rank(s) [1]" in problem


def test_plain_runs_sharing_an_output_path_keep_their_own_stats(tiny_checkpoint, tmp_path):
    """Ad-hoc lmms-eval runs (no sweep) into one --output_path: each run's stats sit beside its
    own results under its own stamp, so neither overwrites the other and both are scored."""
    out = tmp_path / "plain"
    for method in ("fastv", "uniform"):
        result = run_plain_lmms_eval(out, f"pretrained={tiny_checkpoint},retention=0.5,layer=0", "hrlb_a",
                                     model=f"{method}_qwen_omni")
        assert result.returncode == 0, result.stderr[-2000:]
    assert len(list(out.rglob("*_pruning_summary_rank0.json"))) == 2
    runs = {r.method: r for r in discover_runs(out)}
    for method in ("fastv", "uniform"):
        assert runs[method].status == COMPLETE, runs[method].problem
        assert (runs[method].retention, runs[method].layer) == (0.5, 0)
        assert runs[method].stats.method == method and runs[method].stats.overall.samples == 6


def test_changed_settings_rerun_a_finished_configuration(tmp_path):
    config = write_config(
        tmp_path / "grid.yaml", output_dir=str(tmp_path / "runs"), include_path=str(FIXTURE_TASKS),
        tasks=["hrlb_a"], models=[{"pretrained": "fixture/dummy-model", "name": "dummy-model"}],
        methods=[{"model": "dummy", "label": "vanilla"}])
    assert cli("sweep", "--config", config)[0] == 0
    code, out, _ = cli("sweep", "--config", config)
    assert code == 0 and "finished earlier, skipped" in out
    # other lmms-eval arguments: the finished run answered another question; it is moved aside, kept
    code, out, _ = cli("sweep", "--config", config, "--", "--limit", "2")
    assert code == 0 and "finished earlier with other settings; that run was moved to" in out
    (run,) = discover_runs(tmp_path / "runs")
    assert run.status == COMPLETE and run.scores["hrlb_a"].samples == 2
    found = sorted((tmp_path / "runs").rglob("*_results.json"))
    assert len(found) == 2 and sum(".superseded" in p.parts for p in found) == 1


def test_profiles_option_marks_every_run_that_scored_their_calibration_items(sweep_dir, tmp_path):
    from headrouter_eval.profiles.format import save_profile
    from headrouter_eval.pruners.base import ModelInfo

    from .headrouter_testkit import make_profile

    runs = sweep_dir / "runs"
    row = _stats_lines(runs / "tiny" / "fastv_r0.5_L0" / "hrlb_group")[0]
    info = ModelInfo("tiny", num_layers=2, num_heads=4, num_kv_heads=2, hidden_size=64, layer=1, scoring_layer=0)
    profile = make_profile(info, {"semantic": ([0.1] * 4, [0.25] * 4)})
    profile.calibration["held_out"] = {"seed": 0, "per_task": 1, "items": {row["task"]: [row["item"]]}}
    path = save_profile(profile, tmp_path / "elsewhere" / "held.json")
    code, out, err = cli("leaderboard", runs, "--no-plot", "--bootstrap", "0", "--out", tmp_path / "b",
                         "--profiles", path)
    assert code == 0, out + err
    records = json.loads((tmp_path / "b" / "leaderboard.json").read_text())["records"]
    # no run used that profile, and both methods scored the item: both are marked, neither averaged
    marked = {r["method"] for r in records if r["status"] == "contaminated"}
    assert marked == {"vanilla", "fastv"}, records
    assert all(f"held out to calibrate {path.resolve()}" in r["problem"] for r in records
               if r["status"] == "contaminated")
    code, _, err = cli("leaderboard", runs, "--no-plot", "--out", tmp_path / "c", "--profiles", tmp_path / "no.json")
    assert code == 2 and "--profiles" in err and "no.json" in err


def test_a_setup_failure_names_its_cause_and_stops_the_grid_early(tiny_checkpoint, tmp_path):
    """A missing data file: the reason names the file (not tenacity's RetryError), and after two
    identical failures the remaining configurations are not run (what ``demo`` relies on)."""
    from headrouter_eval.sweep.config import build_config
    from headrouter_eval.sweep.runner import run_sweep

    sweep = build_config(dict(
        output_dir=str(tmp_path / "runs"), include_path=str(FIXTURE_TASKS), tasks=["hrlb_nodata"],
        models=[{"pretrained": str(tiny_checkpoint), "name": "tiny"}],
        methods=["vanilla_qwen_omni", "fastv_qwen_omni", "uniform_qwen_omni"], retentions=[0.5], layers=[0]),
        "test")
    lines = []
    outcome = run_sweep(sweep, stop_after_same_failures=2, echo=lines.append)
    assert len(outcome.failed) == 2 and outcome.finished == 0
    assert outcome.stopped and "remaining 1" in outcome.stopped
    for failure in outcome.failed:
        assert "FileNotFoundError" in failure and "hrlb_nodata_missing.jsonl" in failure, failure
        assert "RetryError" not in failure
    assert not (tmp_path / "runs" / "tiny" / "uniform_r0.5_L0").exists()


def _answers(folder) -> dict:
    """(task, doc id) -> (filtered answer, per-sample metrics) from lmms-eval's samples files."""
    out = {}
    for path in folder.rglob("*_samples_*.jsonl"):
        task = path.name.split("_samples_")[-1].removesuffix(".jsonl")
        for line in path.read_text().splitlines():
            row = json.loads(line)
            out[(task, row["doc_id"])] = (row["filtered_resps"], row.get("exact_match"))
    return out


def test_the_grid_worker_runs_what_lmms_eval_runs(sweep_dir, tmp_path):
    """The grid's configurations of one model ran in one worker process; a configuration's files
    hold what its recorded command gives when lmms-eval runs it as a process of its own."""
    import subprocess
    import sys

    runs = sweep_dir / "runs" / "tiny"
    folders = [runs / "vanilla" / "hrlb_group", runs / "fastv_r0.5_L0" / "hrlb_group"]
    manifests = [json.loads((folder / MANIFEST_NAME).read_text()) for folder in folders]
    assert [m["runner"] for m in manifests] == ["grid worker", "grid worker"]
    assert manifests[0]["worker_pid"] == manifests[1]["worker_pid"]
    command = manifests[1]["command"]
    argv = command[command.index("--model"):]
    argv[argv.index("--output_path") + 1] = str(tmp_path / "plain")
    done = subprocess.run([sys.executable, "-m", "lmms_eval", *argv], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    worker, plain = folders[1], tmp_path / "plain"
    results = [json.loads(next(f.rglob("*_results.json")).read_text())["results"] for f in (worker, plain)]
    assert results[0] == results[1]
    assert _answers(worker) == _answers(plain) and len(_answers(plain)) == 10
    kept = [{(r["task"], r["doc_id"]): (r["audio_tokens"], r["kept_tokens"]) for r in _stats_lines(f)}
            for f in (worker, plain)]
    assert kept[0] == kept[1]


def test_sweeps_in_a_keep_workers_block_share_the_worker_and_end_it_after(tiny_checkpoint, tmp_path):
    """Two sweeps of one checkpoint inside ``keep_workers`` run in one worker process, which the
    block's end stops (this block sits inside the test session's own, which it leaves alone)."""
    import os

    from headrouter_eval.sweep.runner import keep_workers

    pids = []
    with keep_workers():
        for name in ("one", "two"):
            out = tmp_path / name
            code, text, err = cli("sweep", "--config", _config(tmp_path / f"{name}.yaml", tiny_checkpoint, out,
                                                               [0], tasks=("hrlb_a",)))
            assert code == 0, text + err
            pids += [json.loads(m.read_text())["worker_pid"] for m in sorted(out.rglob(MANIFEST_NAME))]
    assert len(pids) == 4 and len(set(pids)) == 1
    with pytest.raises(ProcessLookupError):  # gone when the block ended
        os.kill(pids[0], 0)
