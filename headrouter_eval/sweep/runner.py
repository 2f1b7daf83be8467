"""Run a sweep's configurations through lmms-eval, one folder each, resumably.

A configuration is skipped when its folder holds a finished run of the same command, else
rerun: single-process configurations in the grid worker (:mod:`.worker`), data-parallel ones
through ``accelerate launch`` / ``torchrun``. The outcome is judged by the files, never by the
exit code alone; failures do not stop the sweep. The rules:
headrouter_eval/leaderboard/README.md, "sweep".
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from headrouter_eval.jsonl import read_json_object
from headrouter_eval.leaderboard.metric_choice import MetricChoice
from headrouter_eval.leaderboard.runs import (
    ANSI,
    COMPLETE,
    FAILED,
    LOG_NAME,
    MANIFEST_NAME,
    SUPERSEDED,
    log_failure,
    read_sweep_run,
)
from headrouter_eval.model_args import split_model_args
from headrouter_eval.stats_writer import EXPECTED_WORLD_SIZE_ENV
from headrouter_eval.sweep.config import Configuration, SweepConfig, expand
from headrouter_eval.sweep.lock import sweep_lock
from headrouter_eval.sweep.progress import follow_with_progress, run_with_progress, start_grid_bar
from headrouter_eval.sweep.run_key import EXCLUSION_DIR, evaluation_key, profiles_digest
from headrouter_eval.sweep.worker_handle import GridWorker, split_command

RUNNING = "running"
INTERRUPTED = "interrupted"


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, after the running configuration was marked interrupted.

    Still a KeyboardInterrupt (so nothing swallows it by accident); the message says what
    was kept and how to resume, and the command line prints it instead of a traceback.
    """


def resolve_num_processes(value: int | str) -> int:
    """``auto`` means one process per visible CUDA device, and 1 on machines without one."""
    if value != "auto":
        return int(value)
    import torch  # only here: the rest of the sweep runner must not need torch

    return max(1, torch.cuda.device_count())


def resolve_launcher(launcher: str) -> str:
    """``auto``: accelerate where CUDA GPUs are visible, torchrun elsewhere.

    Without GPUs, ``accelerate launch`` quietly runs one process unless given
    ``--multi_gpu``, and its CLI does not even start on installs without torchvision
    (it imports timm); torchrun runs N CPU processes with the gloo backend.
    """
    if launcher != "auto":
        return launcher
    import torch  # only here: the rest of the sweep runner must not need torch

    return "accelerate" if torch.cuda.is_available() else "torchrun"


def free_port() -> int:
    """A TCP port that is free on this host now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_command(config: Configuration, sweep: SweepConfig, num_processes: int, python: str) -> list[str]:
    """The argv that evaluates one configuration."""
    launcher = resolve_launcher(sweep.launcher) if num_processes > 1 else "none"
    if num_processes == 1:
        launch = [python, "-m", "lmms_eval"]
    elif launcher == "torchrun":
        # --standalone picks a free rendezvous port, so two sweeps on one host do not collide
        launch = [python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(num_processes),
                  "-m", "lmms_eval"]
    else:
        # --multi_gpu: without it accelerate runs a single process on machines without GPUs. A free
        # port: accelerate's default (29500) is taken while another sweep runs on the same host.
        launch = [python, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                  str(num_processes), "--main_process_port", str(free_port()), "-m", "lmms_eval"]
    command = [
        *launch,
        "--model", config.method.model_id,
        "--model_args", config.model_args(sweep.model_args),
        "--tasks", calibration_exclusion(config, sweep) or config.tasks,
        "--output_path", str(config.folder.resolve()),
    ]
    for path in sweep.include_path:
        command += ["--include_path", path]
    # per-sample logs are what the leaderboard's confidence intervals are computed from
    logs = [] if "--log_samples" in sweep.lmms_eval_args else ["--log_samples"]
    return command + list(sweep.lmms_eval_args) + logs


def calibration_exclusion(config: Configuration, sweep: SweepConfig) -> str | None:
    """The ``--tasks`` folder that runs this config's tasks without the items any HeadRouter profile
    used on its model holds out for calibration; None when the model has no profile in the grid.

    Every method evaluated on that model, HeadRouter and baselines alike, then skips those
    items, so all rows of a model score the same items. The folder holds one YAML per task
    name (:func:`headrouter_eval.profiles.exclusion.wrapper_yaml`): ``task: <name>``, the
    generic ``ExcludingTask`` class and the profiles. lmms-eval merges each over the task,
    group or tag of that name, stock or from ``--include_path``, so the results keep their
    names. It lives under ``<output_dir>/.calibration_exclusion/<model>/<digest of the
    profiles' contents>/<tasks>``: other profiles give another folder, hence another resume key.
    """
    from headrouter_eval.profiles.exclusion import wrapper_yaml

    profiles = []
    for other in expand(sweep):
        if other.model.name != config.model.name:
            continue
        args = split_model_args(other.model_args(sweep.model_args))
        if args.get("profile"):
            path = str(Path(args["profile"]).resolve())
            if path not in profiles:
                profiles.append(path)
    if not profiles:
        return None
    folder = (Path(sweep.output_dir) / EXCLUSION_DIR / config.model.name / profiles_digest(profiles)
              / config.folder.name).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    names = [t.strip() for t in config.tasks.split(",") if t.strip()]
    for stale in folder.glob("*.yaml"):
        if stale.stem not in names:
            stale.unlink()  # lmms-eval runs every YAML of the folder
    for name in names:
        (folder / f"{name}.yaml").write_text(wrapper_yaml(name, profiles), encoding="utf-8")
    return str(folder)


def _manifest(config: Configuration, num_processes: int, command: list[str], status: str, **extra) -> dict:
    return {
        "model": config.model.name,
        "pretrained": config.model.pretrained,
        "model_id": config.method.model_id,
        "label": config.method.label,
        "retention": config.retention,
        "layer": config.layer,
        "tasks": [t.strip() for t in config.tasks.split(",") if t.strip()],
        "num_processes": num_processes,
        "command": command,
        # what the results depend on, files named by content: what a re-run resumes by (run_key.py)
        "evaluation": evaluation_key(command),
        "status": status,
        **extra,
    }


def _write_manifest(folder: Path, manifest: dict) -> None:
    # write-then-rename: a sweep killed mid-write must not leave a torn manifest behind
    tmp = folder / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST_NAME)


def verdict(folder: Path) -> tuple[str, str | None]:
    """Status of a run folder judged from its files alone (the manifest's own status ignored)."""
    run = read_sweep_run(folder, MetricChoice(), trust_manifest=False)
    return run.status, run.problem


def manifest_status(folder: Path) -> str | None:
    try:
        return read_json_object(folder / MANIFEST_NAME).get("status")
    except ValueError:
        return None


def is_finished(folder: Path) -> bool:
    """Complete by its files *and* confirmed by the sweep that ran it.

    A manifest still ``running`` (the sweep was killed, e.g. ``kill -9``, after lmms-eval
    finished) is not finished: the configuration runs again rather than being skipped forever.
    """
    if manifest_status(folder) != COMPLETE:
        return False
    try:
        status, _ = verdict(folder)
    except ValueError:
        return False  # unreadable leftovers: run it again
    return status == COMPLETE


def move_aside(folder: Path, output_dir: Path) -> Path:
    """Move a finished run out of the way of a new one; returns where it went."""
    try:
        relative = folder.resolve().relative_to(output_dir.resolve())
    except ValueError:
        relative = Path(folder.name)
    attic = output_dir / SUPERSEDED / relative.parent
    attic.mkdir(parents=True, exist_ok=True)
    number = 1
    while (attic / f"{relative.name}.{number}").exists():
        number += 1
    target = attic / f"{relative.name}.{number}"
    folder.rename(target)
    return target


def _clear_attempt(folder: Path) -> None:
    """Remove an unfinished attempt's outputs; keep its log as lmms_eval.attempt<N>.log."""
    if not (folder / MANIFEST_NAME).is_file():
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(f"{folder} exists, is not empty and was not made by a sweep; "
                                  f"refusing to delete it (move it away or pick another output_dir)")
        return
    attempt = 1
    while (folder / f"lmms_eval.attempt{attempt}.log").exists():
        attempt += 1
    for path in folder.iterdir():
        if path.name == LOG_NAME:
            path.rename(folder / f"lmms_eval.attempt{attempt}.log")
        elif path.name.startswith("lmms_eval.attempt"):
            continue
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _demote_results(folder: Path) -> None:
    for path in folder.rglob("*_results.json"):
        path.rename(path.with_name(path.name + ".failed"))


def _tail_error(log: Path) -> str:
    """The most telling line of a failed attempt's log, for the progress line."""
    if not log.is_file():
        return ""
    reported = log_failure(log)
    if reported:
        return reported
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line or "Traceback" in line:
            return line[-200:]
    return lines[-1][-200:] if lines else ""


def _same_command(folder: Path, command: list[str]) -> bool:
    """Whether the finished run in ``folder`` evaluated what ``command`` would: equal resume keys
    (:func:`run_key.evaluation_key`: files by content; interpreter, launcher, process count and
    output folder left out, so a copied runs folder or another GPU count resumes). A manifest
    written before keys were stored is keyed from its recorded command."""
    try:
        manifest = read_json_object(folder / MANIFEST_NAME)
        stored = manifest.get("evaluation") or evaluation_key(manifest.get("command") or [])
    except ValueError:
        return False
    return stored == evaluation_key(command)


@dataclass
class SweepOutcome:
    finished: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    #: set when the sweep stopped early because its first configurations all failed alike
    stopped: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class Workers:
    """The grid worker: started at the grid's first single-process configuration, reused by every
    later one, whichever model it evaluates, and ended when the grid ends.

    The worker holds one checkpoint at a time (``adapters/checkpoints.py`` lets go of the
    previous model before it loads the next), so a grid over several models pays for starting
    Python and importing lmms-eval once, and still never holds two models in memory.
    """

    def __init__(self, python: str) -> None:
        self.python = python
        self.current: GridWorker | None = None

    def running(self, first_log: Path) -> GridWorker:
        """The worker, started (its start-up output going to ``first_log``) if none is running."""
        if self.current is not None and not self.current.alive:
            self.close()  # it crashed or was killed with the previous configuration
        if self.current is None:
            self.current = GridWorker(self.python, first_log)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


# the workers kept between sweeps by keep_workers(), one per interpreter; None outside that block
_kept: dict[str, Workers] | None = None


@contextmanager
def keep_workers() -> Iterator[None]:
    """Keep grid workers between the sweeps this process runs inside the block.

    A script (or a test session) that calls :func:`run_sweep` several times then pays for
    starting Python, importing lmms-eval and indexing its tasks once, not once per sweep. A
    sweep that ends by an exception (Ctrl-C included) still ends its worker; the block's end
    ends the rest. Each configuration gets the environment of its sweep, but variables read
    once at import (``CUDA_VISIBLE_DEVICES``, ``HF_HUB_OFFLINE``) keep the values the worker's
    first configuration had.
    """
    global _kept
    outer, _kept = _kept, {}  # a nested block keeps its own workers and gives the outer ones back
    try:
        yield
    finally:
        kept, _kept = _kept, outer
        for workers in kept.values():
            workers.close()


def kept_worker(python: str, first_log: Path) -> GridWorker:
    """The grid worker the enclosing :func:`keep_workers` block keeps for ``python``, started if
    none is running: a script's own lmms-eval runs then share that process, its imports and
    its task index with the script's sweeps."""
    if _kept is None:
        raise RuntimeError("kept_worker() is for use inside a keep_workers() block")
    return _kept.setdefault(python, Workers(python)).running(first_log)


def run_configuration(config: Configuration, sweep: SweepConfig, num_processes: int, python: str,
                      progress: bool = False, workers: Workers | None = None) -> tuple[str, str | None, float]:
    """Evaluate one configuration into its folder; returns (status, problem, seconds).

    Single-process configurations run in the grid worker of ``workers`` (a worker of its own
    when None). Data-parallel ones (``num_processes > 1``) run as their own process group:
    the launcher starts one process per rank and lmms-eval sets up the process group for
    that run, which a long-lived worker could not redo per configuration.
    """
    command = build_command(config, sweep, num_processes, python)
    # how it ran, for the record: the command above is what lmms-eval was given either way
    runner: dict = {"runner": "subprocess"}
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    log_path = config.folder / LOG_NAME
    start = time.perf_counter()
    own_worker = None
    # everything from clearing the old attempt to lmms-eval's exit is inside the try: a
    # Ctrl-C at any moment of the configuration's start-up still marks it interrupted
    try:
        _clear_attempt(config.folder)
        config.folder.mkdir(parents=True, exist_ok=True)
        worker = None
        if num_processes == 1:
            if workers is None:
                worker = own_worker = GridWorker(python, log_path)
            else:
                worker = workers.running(log_path)
            runner = {"runner": "grid worker", "worker_pid": worker.process.pid}
        _write_manifest(config.folder, _manifest(config, num_processes, command, RUNNING, started=started, **runner))
        if worker is None:
            # the adapter refuses to start when the launcher delivers another process count
            env = {**os.environ, EXPECTED_WORLD_SIZE_ENV: str(num_processes)}
            returncode = run_with_progress(command, log_path, config.folder, config.describe(), num_processes,
                                           progress, env=env)
        else:
            variables, argv = split_command(command)
            # the sweep's whole environment: a kept worker (keep_workers) may outlive changes to it
            job = worker.start(argv, {**os.environ, **variables, EXPECTED_WORLD_SIZE_ENV: "1"}, log_path)
            returncode = follow_with_progress(job, log_path, config.folder, config.describe(), 1, progress)
    except KeyboardInterrupt:
        config.folder.mkdir(parents=True, exist_ok=True)
        _write_manifest(config.folder, _manifest(config, num_processes, command, INTERRUPTED, started=started,
                                                 **runner))
        _demote_results(config.folder)
        raise
    finally:
        if own_worker is not None:
            own_worker.close()
    seconds = time.perf_counter() - start
    try:
        status, problem = verdict(config.folder)
    except ValueError as exc:  # malformed output files: the run is not usable
        status, problem = FAILED, str(exc)
    if returncode != 0:
        status, problem = FAILED, f"exit code {returncode}: {_tail_error(log_path)}"
    elif status != COMPLETE:
        status = FAILED
        problem = problem or "not complete"
    if status != COMPLETE:
        _demote_results(config.folder)
    _write_manifest(config.folder, _manifest(
        config, num_processes, command, status, problem=problem, started=started,
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), wall_s=round(seconds, 1),
        returncode=returncode, **runner))
    return status, problem, seconds


def run_sweep(sweep: SweepConfig, dry_run: bool = False, python: str = sys.executable,
              echo: Callable[[str], None] = print, stop_after_same_failures: int = 0,
              progress: bool | None = None) -> SweepOutcome:
    """Run every unfinished configuration: a line when one starts, one with its outcome.

    ``progress`` (default: when stderr is a terminal) draws a bar for the grid and one for
    the running configuration's items (:mod:`.progress`); the lines then print above them.

    With ``stop_after_same_failures=N`` (N >= 2), the sweep stops when its first N
    configurations run all fail with the same problem before any succeeds: the cause is
    then the setup (a missing file, a broken install), not a configuration, and the rest
    would fail the same way.
    """
    # expanding checks the grid (e.g. a model id of another family): a grid refused here
    # leaves nothing behind, not even the output folder the lock would create
    configs = expand(sweep)
    if dry_run:
        return _run_sweep(sweep, configs, True, python, echo, stop_after_same_failures, progress, None)
    kept = _kept is not None
    workers = _kept.setdefault(python, Workers(python)) if kept else Workers(python)
    finished = False
    try:
        with sweep_lock(Path(sweep.output_dir), echo):
            outcome = _run_sweep(sweep, configs, False, python, echo, stop_after_same_failures, progress, workers)
        finished = True
        return outcome
    finally:
        if not (kept and finished):
            workers.close()


def _run_sweep(sweep: SweepConfig, configs: list[Configuration], dry_run: bool, python: str,
               echo: Callable[[str], None], stop_after_same_failures: int, progress: bool | None,
               workers: Workers | None) -> SweepOutcome:
    num_processes = resolve_num_processes(sweep.num_processes)
    outcome = SweepOutcome()
    width = len(str(len(configs)))
    problems: list[str] = []  # problems of the configurations run so far, while none succeeded
    bar, echo = start_grid_bar(configs, dry_run, progress, echo,
                               lambda c: is_finished(c.folder) and _same_command(
                                   c.folder, build_command(c, sweep, num_processes, python)))
    for index, config in enumerate(configs, start=1):
        prefix = f"[{index:>{width}}/{len(configs)}] {config.describe()}"
        if dry_run:
            echo(f"{prefix}\n    {shlex.join(build_command(config, sweep, num_processes, python))}")
            continue
        if is_finished(config.folder):
            if _same_command(config.folder, build_command(config, sweep, num_processes, python)):
                outcome.skipped += 1
                echo(f"{prefix}: finished earlier, skipped")
                continue
            # same folder, different settings (extra model args, lmms-eval args): the finished
            # results answer another question; they are kept, moved out of the new run's way
            moved = move_aside(config.folder, Path(sweep.output_dir))
            echo(f"{prefix}: finished earlier with other settings; that run was moved to {moved}")
        elif manifest_status(config.folder) in (RUNNING, INTERRUPTED):
            echo(f"{prefix}: left {manifest_status(config.folder)!r} by an earlier sweep that stopped; running again")
        echo(f"{prefix}: running (log: {config.folder / LOG_NAME})")
        try:
            status, problem, seconds = run_configuration(config, sweep, num_processes, python, bar is not None,
                                                         workers)
        except KeyboardInterrupt:
            raise SweepInterrupted(
                f"interrupted during {config.describe()}; its folder {config.folder} is marked "
                f"{INTERRUPTED!r} and any partial results were renamed *.failed, so nothing of it counts. "
                f"{outcome.finished} configuration(s) finished in this sweep and are kept; run the same "
                "command again to resume") from None
        if bar is not None:
            bar.update(1)
        if status == COMPLETE:
            outcome.finished += 1
            echo(f"{prefix}: done in {seconds:.1f}s")
        else:
            outcome.failed.append(f"{config.describe()}: {problem} (log: {config.folder / LOG_NAME})")
            echo(f"{prefix}: FAILED after {seconds:.1f}s: {problem}")
            if outcome.finished == 0:
                problems.append(str(problem))
            if stop_after_same_failures >= 2 and len(problems) >= stop_after_same_failures \
                    and len(set(problems)) == 1:
                outcome.stopped = (f"the first {len(problems)} configurations all failed with the same problem "
                                   f"({problem}); stopped before running the remaining "
                                   f"{len(configs) - index}. Fix the cause and run again: finished "
                                   "configurations are kept")
                echo(f"sweep: {outcome.stopped}")
                break
    if bar is not None:
        bar.close()
    if not dry_run:
        echo(f"sweep: {outcome.finished} run, {outcome.skipped} skipped (finished earlier), "
             f"{len(outcome.failed)} failed, of {len(configs)} configurations in {sweep.output_dir}")
        for line in outcome.failed:
            echo(f"  FAILED {line}")
    return outcome
