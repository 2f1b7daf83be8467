"""``headrouter-eval tasks-path``: print the folder to pass to lmms-eval's ``--include_path``.

The task YAMLs live at the top level (``tasks/``, so ``--include_path tasks`` works from a
checkout); ``headrouter_eval/tasks`` is a symlink to them, which setuptools follows when it
builds a wheel, so an installed package carries the same files at the same place.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def tasks_dir() -> Path:
    """The task YAML folder shipped with this package."""
    folder = Path(__file__).resolve().parent / "tasks"
    if not folder.is_dir():
        raise FileNotFoundError(f"no task folder at {folder}; reinstall headrouter-eval")
    return folder.resolve()


def register(subparsers: argparse._SubParsersAction) -> None:
    from headrouter_eval.cli_text import FORMATTER, examples

    parser = subparsers.add_parser(
        "tasks-path", help="print the folder to pass to lmms-eval --include_path",
        description="Print the folder of the task YAMLs shipped with this package (AudioMarathon, MMAU-Pro, "
                    "hr_synth), for lmms-eval's --include_path.",
        formatter_class=FORMATTER,
        epilog=examples('lmms-eval eval --model vanilla_qwen_omni --model_args pretrained=Qwen/Qwen2.5-Omni-3B \\',
                        '  --tasks hr_synth --include_path "$(headrouter-eval tasks-path)" --output_path runs/'))
    parser.set_defaults(func=lambda args: print(tasks_dir()))
