"""One sweep per output folder: a lock file naming its holder, taken over when the holder died.

``<output_dir>/.sweep.lock`` holds the pid, host, start time and command of the sweep that
owns the folder. A second sweep on the same folder refuses to start, naming that holder (two
sweeps would clear each other's running attempts). The lock survives a crash as a file, but a
holder whose pid no longer runs on this host is dead: the next sweep says so and takes over.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from headrouter_eval.jsonl import read_json_object

LOCK_NAME = ".sweep.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _holder(path: Path) -> dict | None:
    try:
        return read_json_object(path)
    except ValueError:
        return None  # torn by a crash mid-write: nobody holds it


def _describe(holder: dict) -> str:
    return (f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}: "
            f"{holder.get('command')}")


@contextmanager
def sweep_lock(output_dir: Path, echo: Callable[[str], None] = print) -> Iterator[None]:
    """Hold ``output_dir``'s lock for the duration; FileExistsError when a live sweep holds it."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": " ".join(sys.argv)}
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and holder.get("host") != me["host"]:
                raise FileExistsError(
                    f"{output_dir} is locked by a sweep on another host ({_describe(holder)}); if that sweep is "
                    f"gone, delete {path}") from None
            if holder is not None and isinstance(holder.get("pid"), int) and _alive(holder["pid"]):
                raise FileExistsError(
                    f"another sweep is running on {output_dir} ({_describe(holder)}); wait for it or stop it: "
                    "two sweeps on one folder would clear each other's runs") from None
            echo(f"sweep: taking over the lock of a sweep that is gone ({_describe(holder or {})})")
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(me) + "\n")
        break
    try:
        yield
    finally:
        if (_holder(path) or {}).get("pid") == me["pid"]:
            path.unlink(missing_ok=True)
