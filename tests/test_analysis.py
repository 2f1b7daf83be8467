"""Head-behaviour figures: what the heatmap and t-SNE hold, PNG metadata, the analyze command."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from PIL import Image

from headrouter_eval.analysis import cli as analysis_cli
from headrouter_eval.analysis.figures import HEATMAP_TITLE, TSNE_TITLE, head_vector_tsne, selectivity_heatmap
from headrouter_eval.analysis.vectors import load_vectors

TASKS = {"am_asr": ("semantic", 0.1), "am_ser": ("semantic", 0.2), "am_sed": ("acoustic", 0.7)}
HEADS = 6


@pytest.fixture()
def vectors_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "v.vectors.jsonl"
    with open(path, "w") as handle:
        for task, (cls, level) in TASKS.items():
            for i in range(5):
                s = np.clip(level + rng.normal(0, 0.02, HEADS), 0, 1)
                handle.write(json.dumps({"task": task, "class": cls, "doc_id": i, "scoring_layer": 1,
                                         "selectivity": s.tolist()}) + "\n")
        handle.write(json.dumps({"task": "am_asr", "note": "a stats row of another pruner"}) + "\n")
    return path


def test_heatmap_has_one_row_per_task_one_column_per_head_and_the_task_means(vectors_file):
    vectors = load_vectors([vectors_file])
    fig = selectivity_heatmap(vectors)
    ax = fig.axes[0]
    assert ax.get_title() == HEATMAP_TITLE
    assert ax.get_xlabel() == "attention head (scoring layer 1)" and ax.get_ylabel() == "task"
    # grouped by class (acoustic first), then by name
    assert [t.get_text() for t in ax.get_yticklabels()] == ["am_sed", "am_asr", "am_ser"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(h) for h in range(HEADS)]
    grid = ax.images[0].get_array()
    assert grid.shape == (3, HEADS)
    sed = vectors.selectivity[np.asarray(vectors.tasks) == "am_sed"].mean(axis=0)
    np.testing.assert_allclose(grid[0], sed)
    assert fig.axes[1].get_ylabel().startswith("mean selectivity")  # the colour bar


def test_tsne_has_one_coloured_group_per_task_and_separates_distinct_tasks(vectors_file):
    vectors = load_vectors([vectors_file])
    fig = head_vector_tsne(vectors, seed=0)
    ax = fig.axes[0]
    assert ax.get_title() == f"{TSNE_TITLE} (scoring layer 1)"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("t-SNE 1", "t-SNE 2")
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "task"
    # legend: task and its class; the marker shape tells the classes apart
    labels = ["am_sed (acoustic)", "am_asr (semantic)", "am_ser (semantic)"]
    assert [t.get_text() for t in legend.get_texts()] == labels
    groups = {c.get_label(): c.get_offsets() for c in ax.collections}
    assert {k: len(v) for k, v in groups.items()} == dict.fromkeys(labels, 5)
    paths = {c.get_label(): c.get_paths()[0].vertices.shape for c in ax.collections}
    assert paths["am_asr (semantic)"] == paths["am_ser (semantic)"] != paths["am_sed (acoustic)"]
    colours = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colours) == 3
    # am_sed's vectors are far from the others: its points lie nearer each other than to any other task's
    sed = groups["am_sed (acoustic)"]
    others = np.concatenate([groups["am_asr (semantic)"], groups["am_ser (semantic)"]])
    within = max(np.linalg.norm(a - b) for a in sed for b in sed)
    between = min(np.linalg.norm(a - b) for a in sed for b in others)
    assert within < between


def test_analyze_command_writes_pngs_that_say_what_they_show(vectors_file, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    analysis_cli.register(parser.add_subparsers())
    args = parser.parse_args(["analyze", "--vectors", str(vectors_file), "--out", str(tmp_path / "figs")])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "15 samples, 3 tasks, 6 heads" in printed
    # semantic (two tasks at 0.1 and 0.2) and acoustic (0.7) are far apart: every sample finds its class
    assert "nearest-centroid accuracy 1.00 (chance 0.67)" in printed
    separation = json.loads((tmp_path / "figs" / analysis_cli.SEPARATION_FILE).read_text())
    assert separation["classes"] == {"acoustic": 5, "semantic": 10} and separation["silhouette"] > 0.5
    heatmap = Image.open(tmp_path / "figs" / analysis_cli.HEATMAP_FILE)
    tsne = Image.open(tmp_path / "figs" / analysis_cli.TSNE_FILE)
    assert heatmap.format == tsne.format == "PNG" and min(heatmap.size + tsne.size) > 200
    assert heatmap.text["Title"] == HEATMAP_TITLE
    assert heatmap.text["Description"] == "x: attention head (scoring layer 1); y: task"
    assert tsne.text["Title"] == f"{TSNE_TITLE} (scoring layer 1)"
    assert tsne.text["Description"] == "x: t-SNE 1; y: t-SNE 2"


def test_bad_vector_files_are_refused_with_the_reason(tmp_path):
    empty = tmp_path / "stats.jsonl"
    empty.write_text(json.dumps({"task": "t", "kept_tokens": 3}) + "\n")
    with pytest.raises(ValueError, match="no per-sample head vectors"):
        load_vectors([empty])
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join(json.dumps({"task": "t", "selectivity": [0.1] * n}) for n in (4, 5)))
    with pytest.raises(ValueError, match=r"mixed\.jsonl:2: 5 heads, earlier rows had 4"):
        load_vectors([mixed])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_vectors([tmp_path / "nope.jsonl"])
    two = tmp_path / "two.jsonl"
    two.write_text("\n".join(json.dumps({"task": "t", "selectivity": [0.1, 0.2]}) for _ in range(2)))
    with pytest.raises(ValueError, match="t-SNE needs at least 3 samples"):
        head_vector_tsne(load_vectors([two]))


def test_pruning_stats_of_an_evaluation_are_read_with_their_scoring_layer(tmp_path):
    stats = tmp_path / "pruning_stats_rank0.jsonl"
    stats.write_text("\n".join(json.dumps({"task": "t", "layer": 2, "selectivity": [0.1, 0.3]}) for _ in range(3)))
    vectors = load_vectors([stats])
    assert vectors.scoring_layer == 1 and vectors.selectivity.shape == (3, 2) and vectors.classes == [None] * 3


def test_class_separation_tells_clusters_from_noise():
    from headrouter_eval.analysis.separation import class_separation
    from headrouter_eval.analysis.vectors import HeadVectors

    rng = np.random.default_rng(1)
    classes = ["semantic", "acoustic", "mixed"] * 20
    centres = {"semantic": 0.1, "acoustic": 0.5, "mixed": 0.9}
    clustered = np.array([centres[c] + rng.normal(0, 0.02, 4) for c in classes])
    noise = rng.uniform(0, 1, (60, 4))
    tight = class_separation(HeadVectors(tasks=classes, classes=classes, selectivity=clustered))
    loose = class_separation(HeadVectors(tasks=classes, classes=classes, selectivity=noise))
    assert tight["nearest_centroid_accuracy_loo"] == 1.0 and tight["silhouette"] > 0.8
    assert loose["nearest_centroid_accuracy_loo"] < 0.6 and abs(loose["silhouette"]) < 0.1
    assert tight["chance"] == loose["chance"] == round(1 / 3, 4)
    unlabelled = HeadVectors(tasks=classes, classes=[None] * 60, selectivity=noise)
    assert class_separation(unlabelled) is None
