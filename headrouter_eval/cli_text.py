"""Help text for the ``headrouter-eval`` subcommands: plain text, with worked examples.

argparse prints descriptions verbatim with :class:`argparse.RawDescriptionHelpFormatter`,
so module docstrings written for Sphinx would show their markup (double backticks,
``::``). :func:`plain` strips it, :func:`examples` formats the epilog every subcommand
ends its ``--help`` with; examples only use paths an installed package has.
"""

from __future__ import annotations

import argparse
import re

FORMATTER = argparse.RawDescriptionHelpFormatter


def plain(text: str) -> str:
    """Docstring markup to plain text: ``x`` -> x, a trailing ``::`` -> ``:``, :mod:`x` -> x."""
    text = re.sub(r":\w+:`([^`]+)`", r"\1", text)
    text = text.replace("``", "")
    return re.sub(r"::\n", ":\n", text).strip()


def examples(*lines: str) -> str:
    """The ``examples:`` epilog: one command per line, comments start with #."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
