"""Shared helpers for the results-tooling tests: run the real CLI and real lmms-eval runs.

The score tests need runs whose answers are known, so they use lmms-eval's built-in
``dummy`` model (it answers a fixed string, configurable by model arg) on the fixture tasks
in ``tests/fixtures/leaderboard_tasks``; every results file is written by lmms-eval itself.
The runs are made once per test session and shared by the test modules.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

import yaml

from .lmms_cli import run_lmms_eval_argv

FIXTURE_TASKS = Path(__file__).parent / "fixtures" / "leaderboard_tasks"


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``headrouter-eval ARGS`` in this process; returns (exit code, stdout, stderr)."""
    from headrouter_eval.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def fixture_answers(task: str) -> list[str]:
    lines = (FIXTURE_TASKS / f"{task}.jsonl").read_text().splitlines()
    return [json.loads(line)["answer"] for line in lines if line.strip()]


def exact_match_of(response: str, task: str) -> float:
    """What a model always answering ``response`` scores on a fixture task."""
    answers = fixture_answers(task)
    return sum(a == response for a in answers) / len(answers)


def write_config(path: Path, **data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_plain_lmms_eval(output: Path, model_args: str, tasks: str, model: str = "dummy") -> subprocess.CompletedProcess:
    """lmms-eval on its own (no sweep): the layout a user's ad-hoc run leaves."""
    return run_lmms_eval_argv(["--model", model, "--model_args", model_args, "--tasks", tasks,
                               "--include_path", str(FIXTURE_TASKS), "--output_path", str(output)])


def dummy_runs(base: Path) -> Path:
    """Sweep runs of the dummy model, made once under ``base``; returns the runs folder.

    - ``vanilla`` (always "A") and ``always_b`` (always "B") on ``hrlb_group`` (complete);
    - ``always_b`` on ``hrlb_broken``, which fails while scoring: lmms-eval logs the error,
      writes no results and exits 0. ``always_b`` therefore has one failed run.
    """
    runs = base / "dummy_runs"
    done = base / "dummy_runs.done"
    if done.exists():
        return runs
    methods = [{"model": "dummy", "label": "vanilla", "model_args": {"response": "A"}},
               {"model": "dummy", "label": "always_b", "model_args": {"response": "B"}}]
    common = {"output_dir": str(runs), "models": [{"pretrained": "fixture/dummy-model", "name": "dummy-model"}],
              "include_path": str(FIXTURE_TASKS)}
    first = write_config(base / "dummy_sweep.yaml", methods=methods, tasks=["hrlb_group"], **common)
    code, out, err = cli("sweep", "--config", first, "--", "--log_samples")
    assert code == 0, out + err
    second = write_config(base / "dummy_broken.yaml", methods=methods[1:], tasks=["hrlb_broken"], **common)
    code, out, err = cli("sweep", "--config", second)
    assert code == 1, out + err  # the poisoned task must fail the sweep
    done.write_text("ok")
    return runs
