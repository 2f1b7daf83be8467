"""The committed lmms-eval outputs (``tests/fixtures/lmms_eval_outputs``) are what lmms-eval writes today.

The results-tooling tests read those committed runs instead of running lmms-eval. Here the
same sweeps run again (real lmms-eval runs of the ``dummy`` model) and the leaderboard of
each fresh folder must equal the leaderboard of its committed copy, paths aside: a new
lmms-eval or sweep that writes something the tooling reads differently fails here, with the
command that refreshes the copies (``python -m tests.leaderboard_helpers``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .leaderboard_helpers import COMMITTED, cli, committed_runs

pytestmark = pytest.mark.slow


def _board(runs: Path, out: Path) -> list[dict]:
    code, text, err = cli("leaderboard", runs, "--out", out, "--no-plot")
    assert code == 0, text + err
    records = json.loads((out / "leaderboard.json").read_text())["records"]
    return json.loads(json.dumps(records).replace(str(runs), "<runs>"))


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_committed_runs_read_as_fresh_runs_do(name, tmp_path):
    fresh = COMMITTED[name](tmp_path / "fresh")
    committed = committed_runs(name, tmp_path / "copy")
    assert _board(fresh, tmp_path / "fresh_board") == _board(committed, tmp_path / "committed_board"), (
        f"the committed {name} no longer read as fresh lmms-eval runs do: refresh them with "
        "`python -m tests.leaderboard_helpers` and review the diff")
