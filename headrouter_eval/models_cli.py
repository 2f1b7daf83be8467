"""``headrouter-eval models``: print the lmms-eval model ids this package registers.

``lmms-eval models`` lists only lmms-eval's built-in models, not those added through the
``lmms_eval.models`` entry point, so this prints ours (from headrouter_eval/registry.py).
"""

from __future__ import annotations

import argparse

from headrouter_eval.cli_text import FORMATTER, examples


def print_models(args: argparse.Namespace) -> int:
    # lmms-eval first: importing it loads our registry through its entry point; importing our
    # registry first would make that load see a half-imported module and log a warning
    import lmms_eval.models  # noqa: F401

    from headrouter_eval.registry import MANIFESTS

    for manifest in MANIFESTS:
        print(f"{manifest.model_id}\t{manifest.simple_class_path}" if args.verbose else manifest.model_id)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="print the lmms-eval model ids of this package (lmms-eval models does not list them)",
        description="Print the lmms-eval model ids this package registers, one per line. lmms-eval's own "
                    "'lmms-eval models' lists only its built-in models.",
        formatter_class=FORMATTER,
        epilog=examples("headrouter-eval models",
                        "headrouter-eval models --verbose        # with the adapter class of each id"))
    parser.add_argument("--verbose", action="store_true", help="also print each id's adapter class")
    parser.set_defaults(func=print_models)
