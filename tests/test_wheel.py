"""The built wheel works as an installed package, from a working directory unrelated to the checkout.

A checkout hides packaging mistakes: task YAMLs that reach data through the repository
layout, files that the wheel does not ship. This test builds the wheel, installs it
(without its dependencies) into a scratch virtual environment that borrows the tested
environment's site-packages, and runs a bundled task through the real lmms-eval CLI
from a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A scratch venv whose only headrouter_eval is the freshly built wheel; returns its bin folder."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(REPO_ROOT)], check=True, capture_output=True, text=True, env=_clean_env())
    wheel = next(dist.glob("headrouter_eval-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True, env=_clean_env()).stdout.strip()
    # The dependencies come from the tested environment. A path line in a .pth file adds that
    # folder to sys.path without running its own .pth files, so the checkout's editable install
    # stays invisible: only the wheel provides headrouter_eval here.
    Path(purelib, "tested_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --force-reinstall: pip sees the checkout's editable headrouter-eval (same version) through
    # that path and would otherwise call the wheel "already satisfied"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    "--force-reinstall", str(wheel)], check=True, capture_output=True, text=True, env=_clean_env())
    return venv / "bin"


def _clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH (which could put a checkout's package before the wheel)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _run(command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout)


def test_installed_package_is_the_wheel(installed, tmp_path):
    done = _run([str(installed / "python"), "-c", "import headrouter_eval; print(headrouter_eval.__file__)"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed.parent), done.stdout
    version = _run([str(installed / "headrouter-eval"), "--version"], tmp_path)
    assert version.stdout.startswith("headrouter-eval "), version.stdout + version.stderr


def test_bundled_task_runs_from_the_wheel_elsewhere(installed, tmp_path):
    """hr_synth through lmms-eval with the wheel's tasks, model and profile, from an unrelated folder."""
    tasks = _run([str(installed / "headrouter-eval"), "tasks-path"], tmp_path)
    assert tasks.returncode == 0, tasks.stderr
    tasks_dir = Path(tasks.stdout.strip())
    assert tasks_dir.is_relative_to(installed.parent)
    model = tasks_dir.parent / "assets" / "hr_synth_omni"
    out = tmp_path / "out"
    model_args = f"pretrained={model},retention=0.5,layer=0,profile={model / 'headrouter_profile_L0.json'}"
    done = _run([str(installed / "python"), "-m", "lmms_eval", "eval", "--model", "headrouter_qwen_omni",
                 "--model_args", model_args,
                 "--tasks", "hr_synth_word,hr_synth_pitch", "--include_path", str(tasks_dir),
                 "--limit", "2", "--output_path", str(out)], tmp_path)
    results = sorted(out.rglob("*_results.json"))
    assert results, f"no results JSON: lmms-eval said\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    scores = json.loads(results[0].read_text())["results"]
    assert set(scores) == {"hr_synth_word", "hr_synth_pitch"}
    assert all(isinstance(scores[task]["score,none"], float) for task in scores)
