"""What a configuration's results depend on, by content: the key a sweep resumes by.

A finished run is skipped when its stored key equals the key of the command the sweep would
run now. Files are named by content digest, not by path: the checkpoint (``pretrained``),
HeadRouter's ``profile``, and the task folder (``--include_path``), so a runs folder copied
or moved to another checkout resumes, while an edited task YAML or a rewritten checkpoint
runs again (the finished run is moved aside, never deleted: :func:`runner.move_aside`). The
interpreter, launcher, process count and the run's own ``--output_path`` are not part of it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from headrouter_eval.leaderboard.run_identity import checkpoint_digest, file_digest, folder_digest
from headrouter_eval.model_args import split_model_args

#: the folder under output_dir that holds the calibration-exclusion task YAMLs (runner.calibration_exclusion)
EXCLUSION_DIR = ".calibration_exclusion"
# model args that name a file or folder whose content, not path, decides the results
_CHECKPOINT_ARGS = ("pretrained",)
_FILE_ARGS = ("profile",)
# model args that only say where a run writes (older sweeps passed stats_dir)
_OUTPUT_ARGS = ("stats_dir",)


def profiles_digest(profiles: list[str]) -> str:
    """12 hex digits naming a set of HeadRouter profiles by their contents (a path that does
    not exist counts by its text: the run will fail on it anyway)."""
    parts = sorted(file_digest(Path(p)) if Path(p).is_file() else p for p in profiles)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _model_args_key(text: str) -> str:
    args = split_model_args(text)
    for key in _OUTPUT_ARGS:
        args.pop(key, None)
    for key in _CHECKPOINT_ARGS:
        if key in args and Path(args[key]).expanduser().exists():
            args[key] = checkpoint_digest(args[key])
    for key in _FILE_ARGS:
        if key in args and Path(args[key]).expanduser().is_file():
            args[key] = "sha256:" + file_digest(Path(args[key]).expanduser())[:16]
    return ",".join(f"{key}={value}" for key, value in args.items())


def _tasks_key(value: str) -> str:
    marker = f"/{EXCLUSION_DIR}/"
    if marker in value:  # <output_dir>/.calibration_exclusion/<model>/<profiles digest>/<tasks>
        return value[value.index(marker):]
    return value


def _include_key(value: str) -> str:
    folder = Path(value).expanduser()
    return f"tasks {folder_digest(folder)}" if folder.is_dir() else value


def evaluation_key(command: list[str]) -> list[str]:
    """The lmms-eval arguments of ``command`` (from ``--model`` on) with each file named by its
    content and the run's own output folder left out."""
    args = command[command.index("--model"):] if "--model" in command else list(command)
    key: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        value = args[index + 1] if index + 1 < len(args) else None
        if arg == "--output_path" and value is not None:
            index += 2
            continue
        if arg in ("--model_args", "--tasks", "--include_path") and value is not None:
            normalise = {"--model_args": _model_args_key, "--tasks": _tasks_key, "--include_path": _include_key}[arg]
            key += [arg, normalise(value)]
            index += 2
            continue
        key.append(arg)
        index += 1
    return key
