"""The sweep's side of the grid worker (:mod:`.worker`): start it, hand it a configuration, follow it.

A :class:`WorkerJob` looks like a ``subprocess.Popen`` to the code that follows a run
(``poll``, ``kill``, ``wait``, ``returncode``), so the progress bars, the Ctrl-C path and
the verdict from the files are the same for a configuration run by the worker as for one
run in a process of its own.
"""

from __future__ import annotations

import json
import select
import subprocess
from pathlib import Path

# exit status reported when the worker process ended without answering (it crashed or was killed)
WORKER_GONE = -1


class GridWorker:
    """One worker process, running the grid's single-process configurations one at a time."""

    def __init__(self, python: str, first_log: Path) -> None:
        # until the worker sends its output to a job's log itself, stderr goes to the first job's
        # log: a failure to start (or a Ctrl-C during start-up) shows there, not on the sweep's terminal
        with first_log.open("w", encoding="utf-8") as log:
            self.process = subprocess.Popen([python, "-m", "headrouter_eval.sweep.worker"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=log, text=True, encoding="utf-8")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> WorkerJob:
        """Hand over one configuration: lmms-eval's ``argv``, its environment variables, its log."""
        self.process.stdin.write(json.dumps({"argv": argv, "env": env, "log": str(log)}) + "\n")
        self.process.stdin.flush()
        return WorkerJob(self)

    def close(self) -> None:
        """End the worker: at once if a job is running (Ctrl-C), else when it has read that no job follows."""
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class WorkerJob:
    """One configuration running in a :class:`GridWorker`, with the ``Popen`` methods the sweep uses."""

    def __init__(self, worker: GridWorker) -> None:
        self.worker = worker
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        out = self.worker.process.stdout
        ready, _, _ = select.select([out], [], [], 0)
        if ready:
            line = out.readline()
            if line:
                self.returncode = int(json.loads(line)["rc"])
                return self.returncode
        if self.worker.process.poll() is not None:  # gone without an answer (a crash, a kill)
            code = self.worker.process.returncode
            self.returncode = code if code else WORKER_GONE
        return self.returncode

    def kill(self) -> None:
        # the evaluation runs inside the worker: stopping it means ending the worker
        self.worker.kill()

    def wait(self) -> int:
        while self.poll() is None:
            select.select([self.worker.process.stdout], [], [], 0.5)
        return self.returncode


def split_command(command: list[str]) -> tuple[dict[str, str], list[str]]:
    """``(environment variables, lmms-eval argv)`` of a single-process command from ``build_command``.

    The command is ``[env K=V ...] python -m lmms_eval --model ...``; the worker sets the
    variables and runs lmms-eval with the argv after ``-m lmms_eval``.
    """
    env: dict[str, str] = {}
    index = command.index("lmms_eval")
    if command[0] == "env":
        for arg in command[1:index]:
            if "=" not in arg:
                break
            key, value = arg.split("=", 1)
            env[key] = value
    return env, command[index + 1:]

