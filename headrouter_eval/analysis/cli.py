"""``headrouter-eval analyze``: draw the head-behaviour figures from per-sample head vectors.

Input: calibration's ``*.vectors.jsonl`` and/or an evaluation's
``pruning_stats_rank*.jsonl`` of a ``headrouter_*`` model (both hold ``task`` and
``selectivity`` per sample). Output in ``--out``: ``selectivity_heatmap.png``,
``head_vectors_tsne.png`` and ``class_separation.json`` (how clearly the routing classes
separate: leave-one-out nearest-centroid accuracy against chance, and the silhouette
score; also printed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HEATMAP_FILE = "selectivity_heatmap.png"
TSNE_FILE = "head_vectors_tsne.png"
SEPARATION_FILE = "class_separation.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    from headrouter_eval.cli_text import examples, plain

    parser = subparsers.add_parser(
        "analyze", help="selectivity heatmap and t-SNE of per-sample head vectors (PNG)",
        description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples("headrouter-eval analyze --vectors profiles/hr-synth-k0.vectors.jsonl --out figures/",
                        "headrouter-eval analyze --vectors runs/demo/hr-synth-omni/headrouter_r0.5_L0/hr_synth/"
                        "*/*_pruning_stats_rank0.jsonl --out figures/"))
    parser.add_argument("--vectors", nargs="+", required=True, type=Path,
                        help="JSONL files of per-sample head vectors (calibration vectors or pruning stats)")
    parser.add_argument("--out", required=True, type=Path, help="folder for the PNG files")
    parser.add_argument("--perplexity", type=float, default=None,
                        help="t-SNE perplexity (default: min(30, (samples - 1) / 3))")
    parser.add_argument("--seed", type=int, default=0, help="t-SNE random state")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from headrouter_eval.analysis.figures import head_vector_tsne, save_png, selectivity_heatmap
    from headrouter_eval.analysis.separation import class_separation, describe
    from headrouter_eval.analysis.vectors import load_vectors

    try:
        vectors = load_vectors(args.vectors)
        tsne_figure = head_vector_tsne(vectors, perplexity=args.perplexity, seed=args.seed)
    except (ValueError, FileNotFoundError) as exc:  # the message names the file/line or the limit
        # exit status 2 like every other input error of headrouter-eval; no figure is written
        print(f"headrouter-eval analyze: error: {exc}", file=sys.stderr)
        return 2
    heatmap = save_png(selectivity_heatmap(vectors), args.out / HEATMAP_FILE)
    tsne = save_png(tsne_figure, args.out / TSNE_FILE)
    separation = class_separation(vectors)
    (args.out / SEPARATION_FILE).write_text(json.dumps(separation, indent=2) + "\n", encoding="utf-8")
    print(f"{len(vectors.tasks)} samples, {len(vectors.task_names)} tasks, {vectors.selectivity.shape[1]} heads")
    print(describe(separation))
    print(f"wrote {heatmap}\nwrote {tsne}\nwrote {args.out / SEPARATION_FILE}")
    return 0
