"""Run the real ``lmms-eval eval`` command in a subprocess, offline, and find what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_lmms_eval(model: str, model_args: str, tasks: str, include_path: Path, output_path: Path,
                  *extra: str, processes: int = 1, timeout: int = 300,
                  env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``lmms-eval eval`` in one process, or data-parallel under ``accelerate launch``.

    On a CPU-only machine ``accelerate launch --multi_gpu`` still starts one process per
    rank and accelerate falls back to the gloo backend: that is how the data-parallel
    path of the adapter is exercised without GPUs.
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           **(env_extra or {})}
    launcher = [sys.executable, "-m", "lmms_eval"]
    if processes > 1:
        launcher = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                    str(processes), "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                    "-m", "lmms_eval"]
    command = [*launcher, "eval", "--model", model, "--model_args", model_args,
               "--tasks", tasks, "--include_path", str(include_path), "--output_path", str(output_path),
               "--log_samples", *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


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
