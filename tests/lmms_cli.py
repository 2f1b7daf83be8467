"""Run the real ``lmms-eval eval`` command in a subprocess, offline, and find what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_lmms_eval(model: str, model_args: str, tasks: str, include_path: Path, output_path: Path,
                  *extra: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "lmms_eval", "eval", "--model", model, "--model_args", model_args,
               "--tasks", tasks, "--include_path", str(include_path), "--output_path", str(output_path),
               "--log_samples", *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def results_files(output_path: Path) -> list[Path]:
    return sorted(output_path.rglob("*_results.json"))


def read_results(output_path: Path) -> dict:
    files = results_files(output_path)
    assert len(files) == 1, f"expected one results file under {output_path}, found {files}"
    return json.loads(files[0].read_text())
