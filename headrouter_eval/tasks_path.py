"""``headrouter-eval tasks-path``: print the folder to pass to lmms-eval's ``--include_path``."""

from __future__ import annotations

import argparse
from pathlib import Path


def tasks_dir() -> Path:
    """The task YAML folder: ``tasks/`` of a checkout, or the copy shipped in the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "tasks", here / "tasks"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no tasks folder next to {here}; reinstall headrouter-eval")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tasks-path", help="print the folder to pass to lmms-eval --include_path")
    parser.set_defaults(func=lambda args: print(tasks_dir()))
