"""Shared helpers for the results-tooling tests: run the real CLI and real lmms-eval runs.

The score tests need runs whose answers are known, so they use lmms-eval's built-in
``dummy`` model (it answers a fixed string, configurable by model arg) on the fixture tasks
in ``tests/fixtures/leaderboard_tasks``; every results file is written by lmms-eval itself.
Those runs are committed (``tests/fixtures/lmms_eval_outputs``), so the results-tooling
tests read real lmms-eval output without running lmms-eval; ``test_committed_outputs.py``
makes them again and checks that they still read the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import tempfile
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


DUMMY_METHODS = [{"model": "dummy", "label": "vanilla", "model_args": {"response": "A"}},
                 {"model": "dummy", "label": "always_b", "model_args": {"response": "B"}}]


def _dummy_common(runs: Path) -> dict:
    return {"output_dir": str(runs), "models": [{"pretrained": "fixture/dummy-model", "name": "dummy-model"}],
            "include_path": str(FIXTURE_TASKS)}


def dummy_sweep_config(path: Path, runs: Path) -> Path:
    """The sweep config of :func:`make_dummy_runs`' complete runs, with output folder ``runs``."""
    return write_config(path, methods=DUMMY_METHODS, tasks=["hrlb_group"], **_dummy_common(runs))


def make_dummy_runs(base: Path) -> Path:
    """Sweep runs of the dummy model, made once under ``base`` by real lmms-eval runs; returns the runs folder.

    - ``vanilla`` (always "A") and ``always_b`` (always "B") on ``hrlb_group`` (complete);
    - ``always_b`` on ``hrlb_broken``, which fails while scoring: lmms-eval logs the error,
      writes no results and exits 0. ``always_b`` therefore has one failed run.
    """
    runs = base / "dummy_runs"
    done = base / "dummy_runs.done"
    if done.exists():
        return runs
    base.mkdir(parents=True, exist_ok=True)
    code, out, err = cli("sweep", "--config", dummy_sweep_config(base / "dummy_sweep.yaml", runs), "--",
                         "--log_samples")
    assert code == 0, out + err
    second = write_config(base / "dummy_broken.yaml", methods=DUMMY_METHODS[1:], tasks=["hrlb_broken"],
                          **_dummy_common(runs))
    code, out, err = cli("sweep", "--config", second)
    assert code == 1, out + err  # the poisoned task must fail the sweep
    done.write_text("ok")
    return runs


def make_regressed_runs(base: Path) -> Path:
    """A second sweep of the dummy model in which ``vanilla`` also answers "B": what ``regress``
    must flag against a baseline written from :func:`make_dummy_runs`. Returns its runs folder."""
    runs = base / "regressed_runs"
    base.mkdir(parents=True, exist_ok=True)
    config = write_config(
        base / "regressed_sweep.yaml", output_dir=str(runs), include_path=str(FIXTURE_TASKS), tasks=["hrlb_group"],
        models=[{"pretrained": "fixture/dummy-model", "name": "dummy-model"}],
        methods=[{"model": "dummy", "label": "vanilla", "model_args": {"response": "B"}},
                 {"model": "dummy", "label": "always_b", "model_args": {"response": "B"}}])
    code, out, err = cli("sweep", "--config", config)
    assert code == 0, out + err
    return runs


# What make_dummy_runs and make_regressed_runs wrote, committed so the results-tooling tests
# need no lmms-eval run; test_committed_outputs.py makes them again and compares.
COMMITTED_OUTPUTS = Path(__file__).parent / "fixtures" / "lmms_eval_outputs"
COMMITTED = {"dummy_runs": make_dummy_runs, "regressed_runs": make_regressed_runs}


def committed_runs(name: str, base: Path) -> Path:
    """A copy under ``base`` (made once) of the committed runs folder ``name`` (a key of ``COMMITTED``)."""
    copy = base / "committed" / name
    if not copy.exists():
        shutil.copytree(COMMITTED_OUTPUTS / name, copy)
    return copy


def dummy_runs(base: Path) -> Path:
    """The committed :func:`make_dummy_runs` folder, copied under ``base``."""
    return committed_runs("dummy_runs", base)


def regenerate_committed_outputs() -> None:
    """Make the committed runs again with real lmms-eval runs and replace them (run by hand:
    ``python -m tests.leaderboard_helpers``; then check ``git diff tests/fixtures/lmms_eval_outputs``)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in COMMITTED.items():
            made = make(Path(tmp))
            shutil.rmtree(COMMITTED_OUTPUTS / name, ignore_errors=True)
            shutil.copytree(made, COMMITTED_OUTPUTS / name)


if __name__ == "__main__":
    from headrouter_eval.sweep.runner import keep_workers

    with keep_workers():  # the lmms-eval runs share the sweeps' worker, as in the test session
        regenerate_committed_outputs()
