"""Live progress of a sweep: one bar for the grid, one for the running configuration's items.

The items bar takes whichever says more of two sources: the last tqdm ``N/TOTAL [`` in the
configuration's log (rank 0's share with data parallelism, its total scaled by the process
count) and the lines of the adapter's pruning stats files (one per finished sample on every
rank; README.md, "Pruning stats"). The bar never goes backwards and never passes its total.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from headrouter_eval.leaderboard.runs import ANSI

_TQDM_COUNT = re.compile(r"(\d+)/(\d+) \[")
# lmms-eval logs this right before the model runs; bars before it (data loading) are not items
_RUNNING = re.compile(r"Running \w+ requests")
POLL_S = 0.2


class ItemCounter:
    """Items done / total of one running configuration, read from its log and stats files."""

    def __init__(self, log: Path, stats_dir: Path, num_processes: int = 1) -> None:
        self.log, self.stats_dir, self.num_processes = log, stats_dir, num_processes
        self._offset = 0
        self._tail = ""
        self._started = False
        self.done = 0
        self.total: int | None = None

    def _read_log(self) -> tuple[int, int] | None:
        if not self.log.is_file():
            return None
        with self.log.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        self._offset += len(chunk)
        # keep a short tail: a bar update may be split across two reads
        text = self._tail + ANSI.sub("", chunk.decode("utf-8", errors="replace"))
        self._tail = text[-200:]
        if not self._started:
            marker = _RUNNING.search(text)
            if marker is None:
                return None
            self._started = True
            text = text[marker.end():]
        found = _TQDM_COUNT.findall(text)
        return (int(found[-1][0]), int(found[-1][1])) if found else None

    def _stats_lines(self) -> int:
        count = 0
        for path in self.stats_dir.rglob("*pruning_stats_rank*.jsonl"):
            with path.open("rb") as handle:
                count += sum(1 for line in handle if line.strip())
        return count

    def update(self) -> tuple[int, int | None]:
        """Read what is new; returns (done, total or None while unknown)."""
        seen = self._read_log()
        if seen is not None:
            done, total = seen
            self.total = max(self.total or 0, total * self.num_processes)
            self.done = max(self.done, done)
        self.done = max(self.done, self._stats_lines())
        if self.total is not None:
            self.done = min(self.done, self.total)
        return self.done, self.total


def show_bars(stream=None) -> bool:
    """Bars on a terminal; in a CI log they would be thousands of redrawn lines."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def start_grid_bar(configs: list, dry_run: bool, progress: bool | None, echo: Callable[[str], None],
                   finished: Callable[[object], bool]) -> tuple[tqdm | None, Callable[[str], None]]:
    """The grid bar (or None), and the echo to use while it is drawn.

    Configurations that ``finished`` earlier start the bar (tqdm keeps its ``initial`` out of
    the rate, so the ETA is from configurations actually run). Lines printed with ``print``
    go through tqdm so the bars are redrawn below them.
    """
    if dry_run or not (show_bars() if progress is None else progress):
        return None, echo
    bar = tqdm(total=len(configs), initial=sum(1 for c in configs if finished(c)), desc="grid", unit="config",
               position=0, leave=True, smoothing=0, dynamic_ncols=True)
    return bar, ((lambda line: bar.write(line)) if echo is print else echo)


def run_with_progress(command: list[str], log_path: Path, stats_dir: Path, label: str, num_processes: int,
                      enabled: bool, env: dict[str, str] | None = None) -> int:
    """Run ``command`` with its output in ``log_path``, drawing the items bar; returns the exit code."""
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        return follow_with_progress(process, log_path, stats_dir, label, num_processes, enabled)


def follow_with_progress(process, log_path: Path, stats_dir: Path, label: str, num_processes: int,
                         enabled: bool) -> int:
    """Wait for a running evaluation (a ``Popen``, or a job of the grid worker: anything with
    ``poll``, ``kill`` and ``wait``) writing to ``log_path``, drawing the items bar; returns its exit code."""
    counter = ItemCounter(log_path, stats_dir, num_processes)
    bar = tqdm(total=None, desc=label, unit="item", position=1, leave=False, disable=not enabled,
               dynamic_ncols=True)
    try:
        while process.poll() is None:
            time.sleep(POLL_S)
            _refresh(bar, counter)
        _refresh(bar, counter)
    except BaseException:
        # Ctrl-C or any error here: never leave the evaluation running behind the sweep
        process.kill()
        process.wait()
        raise
    finally:
        bar.close()
    return process.returncode


def _refresh(bar: tqdm, counter: ItemCounter) -> None:
    done, total = counter.update()
    if total is not None and bar.total != total:
        bar.total = total
    if done > bar.n:
        bar.update(done - bar.n)
    else:
        bar.refresh()
