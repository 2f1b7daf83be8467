"""The leaderboard's note on the spread of a method run with several seeds."""

from __future__ import annotations

import statistics

import pytest

from headrouter_eval.leaderboard.seeds import seed_notes, seed_spread
from headrouter_eval.leaderboard.table import Config, Leaderboard


def _board(rows: list[tuple[str, float, int, float | None]]) -> Leaderboard:
    configs = [Config("m", method, retention, layer, average=avg) for method, retention, layer, avg in rows]
    return Leaderboard(configs=configs, columns={}, units={}, failed=[], references=[], notes=[])


def test_spread_over_seeds_per_retention_and_layer():
    board = _board([("random_s0", 0.5, 0, 90.0), ("random_s1", 0.5, 0, 94.0), ("random_s2", 0.5, 0, 92.0),
                    ("random_s0", 0.1, 0, 50.0), ("random_s1", 0.1, 0, None),  # one seed failed: no spread
                    ("random_s0", 0.5, 2, 97.0), ("random_s1", 0.5, 2, 98.0),
                    ("fastv", 0.5, 0, 99.0)])
    spread = {(r["retention"], r["layer"]): r for r in seed_spread(board)}
    assert set(spread) == {(0.5, 0), (0.5, 2)}
    first = spread[(0.5, 0)]
    assert first["method"] == "random" and first["seeds"] == [0, 1, 2]
    assert first["mean"] == pytest.approx(92.0) and first["sd"] == pytest.approx(statistics.stdev([90, 94, 92]))
    assert (first["min"], first["max"]) == (90.0, 94.0)
    assert seed_notes(board)[0] == "m: random at retention 0.5, layer 0, seeds 0, 1, 2: average 92.00 ± 2.00 (sd), " \
                                   "range 90.00-94.00"
