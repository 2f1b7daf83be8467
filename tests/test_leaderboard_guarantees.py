"""The results tooling's guarantees, each through the real ``headrouter-eval`` commands.

- a finished run is never lost: a re-run with other settings moves it aside; one sweep per
  folder (a lock naming its holder, taken over when that sweep was killed); a configuration
  left ``running`` by a killed sweep runs again;
- Ctrl-C (or ``kill``) at a configuration's start-up ends the sweep with 130 and marks it
  interrupted, even when the sweep inherited "ignore SIGINT" (a background job);
- a row is beside vanilla only when the run identities match; alike-named checkpoints with
  other contents are two models; relative and absolute runs paths give one leaderboard;
- prediction-only runs and NaN scores are never scored; ``regress`` refuses an empty or NaN
  baseline and fails on other settings.

Every run is lmms-eval's ``dummy`` model on the fixture tasks (seconds each).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from headrouter_eval.leaderboard.runs import MANIFEST_NAME

from .leaderboard_helpers import FIXTURE_TASKS, cli, write_config
from .lmms_cli import run_lmms_eval_argv

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
VANILLA_A = {"model": "dummy", "label": "vanilla", "model_args": {"response": "A"}}
ALWAYS_B = {"model": "dummy", "label": "always_b", "model_args": {"response": "B"}}


def _grid(path: Path, runs: Path, pretrained: str = "fixture/dummy-model", methods=(VANILLA_A,), **extra) -> Path:
    return write_config(path, output_dir=str(runs), include_path=str(FIXTURE_TASKS), tasks=["hrlb_a"],
                        models=[{"pretrained": pretrained, "name": "ckpt"}], methods=list(methods), **extra)


def _start_sweep(config: Path, ignore_sigint: bool = False) -> subprocess.Popen:
    # ignore_sigint: what a background job of a non-interactive shell inherits
    preexec = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
    return subprocess.Popen([sys.executable, "-m", "headrouter_eval.cli", "sweep", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            start_new_session=True, preexec_fn=preexec)


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not path.is_file() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert path.is_file(), "the sweep never started its run: " + "".join(process.communicate())


@pytest.mark.slow
def test_finished_runs_are_never_lost(tmp_path):
    runs = tmp_path / "runs"
    config = _grid(tmp_path / "grid.yaml", runs)
    manifest = runs / "ckpt" / "vanilla" / "hrlb_a" / MANIFEST_NAME
    first = _start_sweep(config)
    _wait_for(manifest, first)
    # one sweep per folder: the second names the holder
    code, out, err = cli("sweep", "--config", config)
    assert code == 2 and f"another sweep is running on {runs}" in err and f"pid {first.pid}" in err, out + err
    os.killpg(first.pid, signal.SIGKILL)  # a crash: lock and manifest stay behind
    first.communicate(timeout=60)
    assert json.loads(manifest.read_text())["status"] == "running" and (runs / ".sweep.lock").is_file()
    code, out, err = cli("sweep", "--config", config)
    assert code == 0, out + err
    assert f"taking over the lock of a sweep that is gone (pid {first.pid}" in out
    assert "left 'running' by an earlier sweep that stopped; running again" in out
    assert json.loads(manifest.read_text())["status"] == "complete" and not (runs / ".sweep.lock").exists()
    # a re-run with other lmms-eval args keeps the finished run, moved aside, said in one line
    finished = next(manifest.parent.rglob("*_results.json")).read_text()
    code, out, err = cli("sweep", "--config", config, "--", "--limit", "2")
    assert code == 0, out + err
    moved = runs / ".superseded" / "ckpt" / "vanilla" / "hrlb_a.1"
    assert f"finished earlier with other settings; that run was moved to {moved}" in out
    assert next(moved.rglob("*_results.json")).read_text() == finished
    # the same again: nothing to do; the moved run stays out of the leaderboard
    code, out, _ = cli("sweep", "--config", config, "--", "--limit", "2")
    assert code == 0 and "1 skipped" in out
    # relative and absolute runs paths: one leaderboard
    code, _, err = cli("leaderboard", runs, "--no-plot", "--out", tmp_path / "absolute")
    assert code == 0, err
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, _, err = cli("leaderboard", "runs", "--no-plot", "--out", "relative")
    finally:
        os.chdir(cwd)
    assert code == 0, err
    absolute = (tmp_path / "absolute" / "leaderboard.md").read_text()
    assert absolute == (tmp_path / "relative" / "leaderboard.md").read_text()
    assert "incomplete" not in absolute and ".superseded" not in absolute


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_stop_at_configuration_start_up_marks_it_interrupted(tmp_path, stop):
    runs = tmp_path / "runs"
    process = _start_sweep(_grid(tmp_path / "grid.yaml", runs), ignore_sigint=True)
    manifest = runs / "ckpt" / "vanilla" / "hrlb_a" / MANIFEST_NAME
    _wait_for(manifest, process)
    os.killpg(process.pid, stop)  # at once: the configuration is starting up
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err and "interrupted during ckpt vanilla | hrlb_a" in err, err
    assert json.loads(manifest.read_text())["status"] == "interrupted"
    assert not list(manifest.parent.rglob("*_results.json")) and not (runs / ".sweep.lock").exists()


def _nan_task(folder: Path) -> Path:
    folder.mkdir()
    text = (FIXTURE_TASKS / "hrlb_a.yaml").read_text().replace("task: hrlb_a", "task: hrlb_nan")
    text = text.replace("test: hrlb_a.jsonl", f"test: {FIXTURE_TASKS / 'hrlb_a.jsonl'}")
    text = text.replace("doc_to_target: answer", "doc_to_target: answer\nprocess_results: !function nan.score")
    (folder / "hrlb_nan.yaml").write_text(text)
    (folder / "utils.py").write_text((FIXTURE_TASKS / "utils.py").read_text())
    (folder / "nan.py").write_text("def score(doc, results):\n    return {'exact_match': float('nan')}\n")
    return folder


@pytest.fixture(scope="module")
def board_runs(tmp_path_factory) -> Path:
    """vanilla on checkpoint A; always_b on a copy of A (another folder) on 3 items; vanilla on a
    different checkpoint in a folder of the same name; a prediction-only and a NaN run."""
    base = tmp_path_factory.mktemp("identity")
    root = base / "runs"
    for name, content in (("a", "weights-1"), ("b", "weights-1"), ("c", "weights-2")):
        (base / name / "ckpt").mkdir(parents=True)
        (base / name / "ckpt" / "model.safetensors").write_text(content)
    sweeps = [("a", root / "a", [VANILLA_A], []), ("b", root / "b", [ALWAYS_B], ["--limit", "3"]),
              ("c", root / "c", [VANILLA_A], [])]
    for name, out, methods, extra in sweeps:
        config = _grid(base / f"{name}.yaml", out, str(base / name / "ckpt"), methods, lmms_eval_args=extra)
        code, stdout, stderr = cli("sweep", "--config", config)
        assert code == 0, stdout + stderr
    done = run_lmms_eval_argv(["--model", "dummy", "--model_args", "response=A", "--tasks", "hrlb_a",
                               "--include_path", str(FIXTURE_TASKS), "--output_path", str(root / "predict_only"),
                               "--predict_only", "--log_samples"])
    assert done.returncode == 0, done.stderr[-2000:]
    nan = run_lmms_eval_argv(["--model", "dummy", "--model_args", "response=A", "--tasks", "hrlb_nan",
                              "--include_path", str(_nan_task(base / "nan_task")), "--output_path", str(root / "nan")])
    assert nan.returncode == 0, nan.stderr[-2000:]
    return root


@pytest.mark.slow
def test_leaderboard_compares_only_like_with_like(board_runs, tmp_path):
    code, _, err = cli("leaderboard", board_runs, "--no-plot", "--out", tmp_path)
    assert code == 0, err
    records = json.loads((tmp_path / "leaderboard.json").read_text())["records"]
    models = {r["model"] for r in records}
    # a and b hold the same bytes: one model; c's other bytes make it another model named alike
    assert len([m for m in models if m.startswith("ckpt (sha256:")]) == 2, models
    b_rows = [r for r in records if r["method"] == "always_b"]
    assert b_rows and all(r["pct_of_vanilla"] is None and r["vanilla_score"] is None for r in b_rows)
    assert all("limit 3.0 vs -" in r["vanilla_mismatch"] for r in b_rows), b_rows
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert "not compared with vanilla, settings differ (hrlb_a: limit 3.0 vs -" in markdown
    # placeholders and NaN never scored: listed with the reason, never as a number
    predict = [r for r in records if r["runs"].endswith("predict_only") and r["task"] != "average"]
    assert predict and all(r["score"] is None and "prediction-only run" in r["problem"] for r in predict)
    nan = [r for r in records if r["runs"].endswith("nan") and r["task"] != "average"]
    assert nan and all(r["score"] is None and "scored NaN" in r["problem"] for r in nan)
    assert "999" not in markdown


@pytest.mark.slow
def test_regress_refuses_unlike_empty_and_nan(board_runs, tmp_path):
    code, _, err = cli("leaderboard", board_runs, "--no-plot", "--out", tmp_path)
    assert code == 0, err
    board = tmp_path / "leaderboard.csv"
    baseline = tmp_path / "baseline.yaml"
    code, out, _ = cli("regress", board, baseline, "--write-baseline")
    assert code == 0 and "prediction-only" in out
    code, out, _ = cli("regress", board, baseline)
    assert code == 0 and out.strip().endswith("within tolerance"), out
    data = yaml.safe_load(baseline.read_text())
    # a baseline made on all items: the fresh 3-item row is not comparable
    for entry in data["entries"]:
        if entry["method"] == "always_b":
            entry["settings"]["limit"] = "-"
    baseline.write_text(yaml.safe_dump(data))
    code, out, _ = cli("regress", board, baseline)
    assert code == 1 and "SETTINGS" in out and "limit 3.0 vs -" in out, out
    # a NaN fresh score: the NaN run's row fails
    nan_entry = {**data["entries"][0], "model": "dummy", "method": "dummy", "retention": 1.0, "layer": None,
                 "task": "hrlb_nan", "score": 1.0}
    baseline.write_text(yaml.safe_dump({"entries": [nan_entry]}))
    code, out, _ = cli("regress", board, baseline)
    assert code == 1 and "FAILED" in out and "scored NaN" in out, out
    baseline.write_text(yaml.safe_dump({"entries": []}))
    code, _, err = cli("regress", board, baseline)
    assert code == 2 and "'entries' is empty" in err
    baseline.write_text(yaml.safe_dump({"entries": [{**data["entries"][0], "score": float("nan")}]}))
    code, _, err = cli("regress", board, baseline)
    assert code == 2 and "entries[0]: 'score' is NaN" in err
    old = {k: v for k, v in data["entries"][0].items() if k != "settings"}
    baseline.write_text(yaml.safe_dump({"entries": [old]}))
    code, _, err = cli("regress", board, baseline)
    assert code == 2 and "entries[0]: no 'settings'" in err and "--write-baseline" in err


def test_build_data_leaves_the_shipped_data_alone(tmp_path):
    from headrouter_eval.synth.splits import TEST_DIR

    before = {p.name: p.read_bytes() for p in TEST_DIR.glob("*.jsonl")}
    done = subprocess.run([sys.executable, "-m", "headrouter_eval.cli", "synth", "build-data", "--skip-speech",
                           "--items", "2"], cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "hr_synth_data/test/word.jsonl" in done.stdout
    assert len((tmp_path / "hr_synth_data" / "test" / "word.jsonl").read_text().splitlines()) == 2
    assert {p.name: p.read_bytes() for p in TEST_DIR.glob("*.jsonl")} == before


@pytest.mark.slow
def test_two_methods_made_on_different_items_are_not_compared(board_runs, tmp_path):
    code, _, err = cli("leaderboard", board_runs, "--no-plot", "--out", tmp_path, "--bootstrap", "50",
                       "--compare", "always_b:vanilla")
    assert code == 0, err
    with (tmp_path / "leaderboard_comparisons.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["diff"] == "" for r in rows), rows
    assert all(r["problem"].startswith("not comparable, settings differ: limit 3.0 vs -") for r in rows), rows
    assert "not comparable, settings differ: limit 3.0 vs -" in (tmp_path / "leaderboard.md").read_text()
