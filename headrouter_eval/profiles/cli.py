"""``headrouter-eval calibrate``: build a HeadRouter profile from lmms-eval tasks.

Writes the profile and the per-sample head vectors beside it (``<out>.vectors.jsonl``,
or ``--vectors``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXAMPLES = (
    "# the bundled tiny model on the bundled calibration items (a few minutes on a CPU):",
    'MODEL=$(python -c "import headrouter_eval.demo as d; print(d.BUNDLED_MODEL)")',
    'headrouter-eval calibrate --model-args pretrained=$MODEL,layer=0 \\',
    '  --tasks hr_synth_calib_word,hr_synth_calib_pitch --include-path "$(headrouter-eval tasks-path)" \\',
    '  --per-class 8 --out profiles/hr-synth-k0.json',
)


def register(subparsers: argparse._SubParsersAction) -> None:
    from headrouter_eval.cli_text import examples, plain

    parser = subparsers.add_parser(
        "calibrate", help="calibrate a HeadRouter profile (per-class head centroids and weights) from lmms-eval tasks",
        description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples(*EXAMPLES),
    )
    parser.add_argument("--model-args", required=True,
                        help="pretrained=...,layer=K[,device,dtype,attn_implementation,system_prompt,"
                             "probe,queries,softmax] (as lmms-eval --model_args)")
    parser.add_argument("--tasks", required=True, help="comma-separated lmms-eval task or group names")
    parser.add_argument("--include-path", action="append", default=None,
                        help="extra lmms-eval task folder (repeatable), as lmms-eval --include_path")
    parser.add_argument("--per-class", type=int, required=True, help="samples per task class")
    parser.add_argument("--mapping", default=None,
                        help="task->class: a JSON/YAML file or 'task=class,pattern*=class' (default: semantic, "
                             "acoustic or mixed for every AudioMarathon task, MMAU-Pro category and hr_synth task; "
                             "see docs/headrouter.md)")
    parser.add_argument("--out", required=True, type=Path, help="profile file to write (JSON)")
    parser.add_argument("--vectors", type=Path, default=None,
                        help="per-sample head vectors (JSONL); default: <out without .json>.vectors.jsonl")
    parser.add_argument("--sigma", type=float, default=None,
                        help="routing width stored in the profile (default: RMS sample-to-centroid distance)")
    parser.add_argument("--head-weights", default="selectivity_mass",
                        choices=["selectivity_mass", "selectivity", "mass", "uniform"],
                        help="rule turning a class's mean selectivity and audio mass into head weights")
    parser.add_argument("--holdout", type=int, default=None,
                        help="items held out per task for calibration (default: --per-class); the profile records "
                             "their ids and evaluation with it excludes them")
    parser.add_argument("--seed", type=int, default=0, help="seed of the held-out split and the per-task shuffle")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lmms_eval.utils import simple_parse_args_string

    from headrouter_eval.profiles.calibrate import calibrate, config_from_model_args, write_vectors
    from headrouter_eval.profiles.format import save_profile
    from headrouter_eval.profiles.mapping import parse_mapping

    if args.sigma is not None and not args.sigma > 0:
        raise SystemExit(f"calibrate: --sigma must be > 0, got {args.sigma}")
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    try:
        config = config_from_model_args(
            simple_parse_args_string(args.model_args), tasks=tasks, per_class=args.per_class,
            include_path=args.include_path, mapping=parse_mapping(args.mapping),
            mapping_spec=args.mapping or "default", seed=args.seed, holdout=args.holdout,
            head_weight_rule=args.head_weights, sigma=args.sigma,
        )
        profile, rows = calibrate(config, progress=not args.no_progress)
    except ValueError as exc:  # bad arguments or data: the message names what and where; no traceback
        raise SystemExit(f"calibrate: {exc}") from None
    out = save_profile(profile, args.out)
    vectors = write_vectors(rows, args.vectors or out.with_name(out.stem + ".vectors.jsonl"))
    counts = ", ".join(f"{name}: {len(c.samples)}" for name, c in profile.classes.items())
    print(f"profile {out} ({counts} samples; sigma={profile.sigma:.4g}, layer={profile.layer})")
    held = ", ".join(f"{task}: {len(ids)}" for task, ids in profile.held_out_items.items())
    print(f"held out for calibration (excluded from evaluation with this profile): {held}")
    print(f"head vectors {vectors}")
    return 0
