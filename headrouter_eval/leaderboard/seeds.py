"""Spread over seeds: methods run under labels ``<method>_s<seed>`` summarised per retention and layer.

The random baseline's score depends on its seed; a sweep can run it with several seeds
(``model_args: {seed: [0, 1, 2]}`` expands to labels ``random_s0``, ``random_s1``, ...).
The leaderboard keeps one row per seed and adds one note per configuration: the mean,
sample standard deviation, minimum and maximum of the average over the seeds.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict

from headrouter_eval.leaderboard.table import Leaderboard

SEED_LABEL = re.compile(r"^(?P<method>.+)_s(?P<seed>\d+)$")


def seed_spread(board: Leaderboard) -> list[dict]:
    """One record per (model, method, retention, layer) with two or more seeds that have an average."""
    groups: dict[tuple, dict[int, float]] = defaultdict(dict)
    for config in board.configs:
        match = SEED_LABEL.match(config.method)
        if match and config.average is not None:
            key = (config.model, match["method"], config.retention, config.layer)
            groups[key][int(match["seed"])] = config.average
    records = []
    for (model, method, retention, layer), by_seed in sorted(groups.items(), key=lambda kv: str(kv[0])):
        if len(by_seed) < 2:
            continue
        values = list(by_seed.values())
        records.append({"model": model, "method": method, "retention": retention, "layer": layer,
                        "seeds": sorted(by_seed), "mean": statistics.fmean(values), "sd": statistics.stdev(values),
                        "min": min(values), "max": max(values)})
    return records


def seed_notes(board: Leaderboard) -> list[str]:
    return [
        f"{r['model']}: {r['method']} at retention {r['retention']:g}, layer {r['layer']}, seeds "
        f"{', '.join(map(str, r['seeds']))}: average {r['mean']:.2f} ± {r['sd']:.2f} (sd), "
        f"range {r['min']:.2f}-{r['max']:.2f}"
        for r in seed_spread(board)
    ]
