"""Run the real ``lmms-eval eval`` command offline, and find what it wrote.

Single-process runs go to one grid worker (``headrouter_eval/sweep/worker.py``) shared by
the whole test session: it runs lmms-eval's own command-line entry on the given argv in
a long-lived process, so each run pays for lmms-eval's argument parsing, task building,
model loading and scoring, but not for importing torch, transformers and lmms-eval again
(about 10 s a run on the 2-core machine). ``fresh_process=True`` and data-parallel runs
start ``python -m lmms_eval`` (or ``accelerate launch``) as a user would: those are the
seams the suite proves in a process of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from headrouter_eval.sweep.runner import free_port, kept_worker

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

_shared: dict = {}  # "logs": the folder of the runs' logs, "last_start": when the last run started


def run_lmms_eval_argv(argv: list[str], env: dict[str, str] | None = None,
                       timeout: int = 300) -> subprocess.CompletedProcess:
    """``lmms-eval ARGV`` in the session's worker, offline. Its output (stdout and stderr
    together, as the worker sends both to one log) is returned as ``stderr``.

    The worker is the one the session's ``keep_workers()`` block keeps for its sweeps
    (``tests/conftest.py``), so the session imports lmms-eval in one more process, not two."""
    env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    logs = _shared.setdefault("logs", Path(tempfile.mkdtemp(prefix="lmms-eval-logs-")))
    log = logs / f"run{len(list(logs.iterdir()))}.log"
    log.touch()
    worker = kept_worker(sys.executable, log)  # started again if the last run took it down
    # lmms-eval names a run's files by the second it started (<date>_results.json), and a run
    # in the warm worker can take under a second: two runs into one --output_path could then
    # share a name. Runs in processes of their own, as users start them, never start within
    # the same second; so neither do these.
    while int(time.time()) == _shared.get("last_start"):
        time.sleep(0.05)
    _shared["last_start"] = int(time.time())
    job = worker.start(argv, env, log)
    deadline = time.monotonic() + timeout
    while job.poll() is None:
        if time.monotonic() > deadline:
            worker.kill()
            raise subprocess.TimeoutExpired(argv, timeout, output=log.read_text(errors="replace"))
        time.sleep(0.1)
    return subprocess.CompletedProcess(["lmms_eval", *argv], job.returncode, stdout="",
                                       stderr=log.read_text(errors="replace"))


def run_lmms_eval(model: str, model_args: str, tasks: str, include_path: Path, output_path: Path,
                  *extra: str, processes: int = 1, timeout: int = 300, fresh_process: bool = False,
                  env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``lmms-eval eval`` in the session's worker, in a process of its own, or data-parallel.

    On a CPU-only machine ``accelerate launch --multi_gpu`` still starts one process per
    rank and accelerate falls back to the gloo backend: that is how the data-parallel
    path of the adapter is exercised without GPUs.
    """
    argv = ["eval", "--model", model, "--model_args", model_args, "--tasks", tasks,
            "--include_path", str(include_path), "--output_path", str(output_path), "--log_samples", *extra]
    if processes == 1 and not fresh_process:
        return run_lmms_eval_argv(argv, env_extra, timeout)
    launcher = [sys.executable, "-m", "lmms_eval"]
    if processes > 1:
        # A port of its own: accelerate's default (29500) is taken while another test process
        # (pytest -n) runs a data-parallel evaluation, and the second launch would fail.
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                    str(processes), "--num_machines", "1", "--main_process_port", str(free_port()),
                    "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "lmms_eval"]
    return subprocess.run([*launcher, *argv], env={**os.environ, **OFFLINE_ENV, **(env_extra or {})},
                          capture_output=True, text=True, timeout=timeout)


def results_files(output_path: Path) -> list[Path]:
    return sorted(output_path.rglob("*_results.json"))


def read_results(output_path: Path) -> dict:
    files = results_files(output_path)
    assert len(files) == 1, f"expected one results file under {output_path}, found {files}"
    return json.loads(files[0].read_text())


def read_samples(output_path: Path, task: str) -> dict[int, list]:
    """doc_id -> filtered model responses, from lmms-eval's samples JSONL."""
    files = sorted(output_path.rglob(f"*_samples_{task}.jsonl"))
    assert len(files) == 1, f"expected one samples file for {task} under {output_path}, found {files}"
    rows = [json.loads(line) for line in files[0].read_text().splitlines() if line.strip()]
    return {row["doc_id"]: row["filtered_resps"] for row in rows}


def stats_file(output_path: Path, rank: int = 0, kind: str = "stats") -> Path:
    """The one ``<run>_pruning_<kind>_rank<R>`` file under ``output_path`` (kind: stats or summary)."""
    suffix = "jsonl" if kind == "stats" else "json"
    files = sorted(output_path.rglob(f"*_pruning_{kind}_rank{rank}.{suffix}"))
    assert len(files) == 1, f"expected one {kind} file of rank {rank} under {output_path}, found {files}"
    return files[0]


def read_stats(output_path: Path) -> dict[tuple[str, int], dict]:
    """(task, doc_id) -> our per-sample pruning stats, all ranks together."""
    rows = {}
    for path in sorted(output_path.rglob("*_pruning_stats_rank*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            rows[(row["task"], row["doc_id"])] = row
    return rows
