"""The demo grid: low retentions where the methods part, and HeadRouter's ablations as labelled rows."""

from __future__ import annotations

from headrouter_eval.demo import DEMO_COMPARISONS, DEMO_LAYERS, DEMO_RETENTIONS, demo_sweep_config
from headrouter_eval.leaderboard.comparisons import Pair
from headrouter_eval.sweep.config import expand


def test_demo_grid_reaches_low_retention_and_labels_the_ablations(tmp_path):
    configurations = expand(demo_sweep_config(tmp_path, DEMO_RETENTIONS, DEMO_LAYERS, 1, "auto"))
    assert min(DEMO_RETENTIONS) <= 0.05
    by_label = {}
    for c in configurations:
        by_label.setdefault(c.method.label, []).append(c)
    for routing in ("uniform", "oracle"):
        rows = by_label[f"headrouter_{routing}"]
        assert {(c.retention, c.layer) for c in rows} == {(r, k) for r in DEMO_RETENTIONS for k in DEMO_LAYERS}
        assert all(c.method.model_args["routing"] == routing and c.method.model_id == "headrouter_qwen_omni"
                   and "profile" in c.method.model_args for c in rows)
    assert "routing" not in by_label["headrouter"][0].method.model_args  # the method itself routes softly
    pruned_labels = {"fastv", "uniform", "dart", "headrouter", "headrouter_uniform", "headrouter_oracle",
                     "random_s0", "random_s1", "random_s2"}
    assert set(by_label) == pruned_labels | {"vanilla"}
    assert len(configurations) == 1 + len(pruned_labels) * len(DEMO_RETENTIONS) * len(DEMO_LAYERS)
    # HeadRouter is compared row against row with both ablations and both attention-guided baselines,
    # each a label of this grid
    pairs = [Pair.parse(text) for text in DEMO_COMPARISONS]
    assert {p.first for p in pairs} == {"headrouter"}
    assert {p.second for p in pairs} == {"headrouter_uniform", "headrouter_oracle", "fastv", "dart"}
    assert {p.second for p in pairs} <= set(by_label)
