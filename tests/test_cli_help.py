"""Every subcommand's --help: a description, an example, plain text, no paths a wheel lacks."""

from __future__ import annotations

import pytest

from .leaderboard_helpers import cli

COMMANDS = [[], ["models"], ["tasks-path"], ["demo"], ["sweep"], ["leaderboard"], ["regress"], ["calibrate"],
            ["analyze"], ["bench"], ["synth"], ["synth", "train"], ["synth", "evaluate"], ["synth", "build-data"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help_is_plain_with_an_example(command):
    code, out, _ = cli(*command, "--help")
    assert code == 0
    assert "``" not in out and "tests/" not in out
    assert "examples:" in out or "headrouter-eval bench --" in out
    description = out.split("\n\n")[1]
    assert description.strip() and not description.startswith(("positional", "options"))


def test_models_lists_our_ids():
    from headrouter_eval.catalog import FAMILIES, METHODS

    code, out, _ = cli("models")
    assert code == 0 and out.split() == [f"{m}_{f}" for f in FAMILIES for m in METHODS]


def test_synth_train_needs_an_out_folder():
    code, _, err = cli("synth", "train")
    assert code == 2 and "--out" in err
