"""The ``headrouter-eval`` command: one entry point, one subcommand per job.

Each job lives in its own module exposing ``register(subparsers)``; this file only
collects them, so adding a job never touches another job's code. Heavy imports
(torch, transformers) happen inside the subcommand handlers, not at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# module path -> registers one or more subcommands
SUBCOMMAND_MODULES = [
    "headrouter_eval.tasks_path",
    "headrouter_eval.models_cli",
    "headrouter_eval.profiles.cli",
    "headrouter_eval.analysis.cli",
    "headrouter_eval.bench.cli",
    "headrouter_eval.leaderboard.cli",
    "headrouter_eval.synth.cli",
    "headrouter_eval.demo",
]


def build_parser() -> argparse.ArgumentParser:
    from headrouter_eval import __version__
    from headrouter_eval.cli_text import FORMATTER, examples, plain

    parser = argparse.ArgumentParser(
        prog="headrouter-eval", description=plain(__doc__.splitlines()[0]), formatter_class=FORMATTER,
        epilog=examples("headrouter-eval demo --out results/demo     # every method on the bundled benchmark",
                        "headrouter-eval models                      # our lmms-eval model ids",
                        "headrouter-eval <command> --help            # what a command does, with examples"))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
