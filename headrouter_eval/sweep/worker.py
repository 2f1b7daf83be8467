"""The grid worker: one process that runs many lmms-eval evaluations, one after the other.

Started by the sweep (:mod:`.worker_handle`) as ``python -m headrouter_eval.sweep.worker``.
Each job on its stdin (one JSON line: ``argv``, ``env``, ``log``) is one configuration's
lmms-eval command line: the worker points its stdout and stderr at the job's log, makes its
environment the job's ``env`` (setting those variables, removing every other one), runs
lmms-eval's own entry (``lmms_eval.cli.dispatch.main``) in this process, and answers one JSON
line ``{"rc": <exit status>}`` on its private copy of stdout. Nothing a run computes is
carried over: lmms-eval seeds every run, builds its tasks, model object and trackers anew
and resets its metric logs; only imports, the task index and the checkpoint
(:func:`headrouter_eval.adapters.checkpoints.sharing`) are reused. Why: "One worker per
grid" in headrouter_eval/leaderboard/README.md.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import traceback
from collections import defaultdict


class _IndexedTasks:
    """Stands in for lmms-eval's ``TaskManager`` class inside ``lmms_eval.__main__``.

    lmms-eval makes a ``TaskManager(verbosity, include_path=..., model_name=...)`` per run, and
    its constructor indexes every task YAML (seconds). The index depends on the include path
    only; ``model_name`` is read when task objects are built and ``task_group_map`` is filled
    per run, so each call gets a shallow copy of the indexed manager with those two fresh.
    """

    def __init__(self, task_manager_class) -> None:
        self.cls = task_manager_class
        self.indexed: dict[tuple, object] = {}

    def __call__(self, verbosity="INFO", include_path=None, include_defaults=True, model_name=None):
        paths = tuple(include_path) if isinstance(include_path, (list, tuple)) else include_path
        key = (verbosity, paths, include_defaults)
        if key not in self.indexed:
            self.indexed[key] = self.cls(verbosity, include_path=include_path, include_defaults=include_defaults)
        manager = copy.copy(self.indexed[key])
        manager.model_name = model_name
        manager.task_group_map = defaultdict(list)
        return manager


def _redirect(path: str | None) -> None:
    """Send fds 1 and 2 (and so sys.stdout, sys.stderr, tqdm, loguru) to ``path`` (None: nowhere)."""
    sys.stdout.flush()
    sys.stderr.flush()
    # appended: the sweep hands over a fresh log (a first job's already holds this process's start-up)
    fd = os.open(path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _run(argv: list[str]) -> int:
    """lmms-eval's command line with ``argv``, in this process; the exit status it would have had."""
    import lmms_eval.__main__ as lmms_main
    from lmms_eval.cli.dispatch import main

    sys.argv = [lmms_main.__file__, *argv]  # lmms-eval parses it from here
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # noqa: BLE001 - what an uncaught exception does to `python -m lmms_eval`: traceback, 1
        traceback.print_exc()
        return 1
    return 0


def serve() -> None:
    """Answer jobs from stdin until it closes."""
    from headrouter_eval.adapters import checkpoints  # no torch: the heavy imports wait for the first log

    jobs = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # nothing an evaluation runs may read the job channel
    os.close(devnull)
    job_env: set[str] = set(os.environ)  # what the job does not list is removed, inherited or not
    with checkpoints.sharing():
        for line in jobs:
            job = json.loads(line)
            _redirect(job["log"])
            for key in job_env - set(job["env"]):
                os.environ.pop(key, None)
            os.environ.update(job["env"])
            job_env = set(job["env"])
            import lmms_eval.__main__ as lmms_main  # the first job pays the import; its log shows it

            if not isinstance(lmms_main.TaskManager, _IndexedTasks):
                lmms_main.TaskManager = _IndexedTasks(lmms_main.TaskManager)
            rc = _run(job["argv"])
            _redirect(None)
            replies.write(json.dumps({"rc": rc}) + "\n")
            replies.flush()


if __name__ == "__main__":
    serve()
