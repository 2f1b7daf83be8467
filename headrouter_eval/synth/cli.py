"""``headrouter-eval synth ...``: rebuild the shipped hr_synth data, train and check the bundled model."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    from headrouter_eval.cli_text import FORMATTER, examples

    parser = subparsers.add_parser(
        "synth", help="hr_synth benchmark data and the bundled tiny model",
        description="Rebuild the hr_synth data, train a tiny model like the bundled one, or score a checkpoint.",
        formatter_class=FORMATTER,
        epilog=examples("headrouter-eval synth train --out my_hr_synth_model     # about 15 min on 2 CPU cores",
                        "headrouter-eval synth evaluate my_hr_synth_model --limit 10"))
    _add_commands(parser)


def main(argv: list[str] | None = None) -> int:
    """``python -m headrouter_eval.synth.cli ...``: the same subcommands without the top-level CLI."""
    parser = argparse.ArgumentParser(prog="python -m headrouter_eval.synth.cli", description=__doc__)
    _add_commands(parser)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def _add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="synth_command", required=True)

    from headrouter_eval.cli_text import FORMATTER, examples

    build = sub.add_parser("build-data", help="synthesise the speech snippets (needs espeak-ng) "
                                              "and write the test recipes",
                           description="Build the hr_synth speech snippets and test recipes into --out (speech/ "
                                       "and test/); --replace-shipped rewrites the package's own task data "
                                       "instead (for development checkouts).",
                           formatter_class=FORMATTER,
                           epilog=examples("headrouter-eval synth build-data --skip-speech --out my_hr_synth_data"))
    where = build.add_mutually_exclusive_group()
    where.add_argument("--out", type=Path, default=Path("hr_synth_data"),
                       help="folder to write into (default hr_synth_data/ here; the shipped data stays as is)")
    where.add_argument("--replace-shipped", action="store_true",
                       help="overwrite the shipped snippets and recipes inside the package")
    build.add_argument("--items", type=int, default=None, help="test items per task (default 40)")
    build.add_argument("--skip-speech", action="store_true", help="keep the shipped snippets, rewrite recipes only")
    build.set_defaults(func=_build_data)

    train = sub.add_parser("train", help="train the bundled model (about 15 min on 2 CPU cores)",
                           description="Train a tiny Qwen2.5-Omni model on hr_synth, as the bundled one was.",
                           formatter_class=FORMATTER,
                           epilog=examples("headrouter-eval synth train --out my_hr_synth_model --threads 1"))
    # required: the bundled model's folder sits inside the installed package, which must not be overwritten
    train.add_argument("--out", type=Path, required=True, help="checkpoint folder to write (required)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--lr", type=float, default=None, help="peak learning rate (default 1e-3)")
    train.add_argument("--threads", type=int, default=1,
                       help="torch CPU threads (1: on a shared machine, 2 threads ran 7x slower per step)")
    train.add_argument("--eval-limit", type=int, default=None, help="test items per task in the final report")
    train.add_argument("--tasks", type=_task_list, default="single",
                       help="single: the five single-event tasks; all: every task (with hr_synth_dispersed, "
                            "hr_synth_unsolved and hr_synth_busy); or comma-separated task names, e.g. "
                            "all,busy_equal,busy_equal: a task named n times is drawn n times as often")
    train.add_argument("--curriculum", choices=("default", "short_first", "continue", "busy"), default="default",
                       help="clip lengths and steps per stage (headrouter_eval/synth/train.py)")
    train.add_argument("--heads", type=int, default=None, help="attention heads per decoder layer (default 4)")
    train.add_argument("--kv-heads", type=int, default=None, help="key/value heads per decoder layer (default 2)")
    train.add_argument("--init-from", type=Path, default=None,
                       help="go on training from this trained hr_synth checkpoint instead of random weights")
    train.add_argument("--widen", type=int, default=1,
                       help="with --init-from: duplicate each decoder head this many times first "
                            "(same function, more heads to specialise)")
    train.add_argument("--reseed-copies", type=int, default=0, metavar="GROUP",
                       help="with --init-from: in each run of GROUP query heads that an earlier --widen GROUP made "
                            "copies of one head, keep the first at the run's output and give the others new "
                            "random queries and no output, so they can learn something of their own")
    train.set_defaults(func=_train)

    check = sub.add_parser("evaluate", help="score a checkpoint on the test items, vanilla and events erased",
                           description="Score a checkpoint on the hr_synth test items, as is and with the "
                                       "informative events erased (chance level expected).",
                           formatter_class=FORMATTER,
                           epilog=examples("headrouter-eval synth evaluate my_hr_synth_model --limit 10"))
    check.add_argument("pretrained", help="checkpoint folder")
    check.add_argument("--limit", type=int, default=None, help="test items per task")
    check.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    check.add_argument("--tasks", type=_task_list, default="all",
                       help="single: the five single-event tasks; all: every task; or comma-separated task names")
    check.set_defaults(func=_evaluate)


def _build_data(args: argparse.Namespace) -> int:
    from headrouter_eval.synth import snippets, splits, tasks

    speech_dir = snippets.SPEECH_DIR if args.replace_shipped else args.out / "speech"
    test_dir = splits.TEST_DIR if args.replace_shipped else args.out / "test"
    if not args.skip_speech:
        written = snippets.build_snippets(list(tasks.WORDS + tasks.NUMBERS), out_dir=speech_dir)
        print(f"wrote {len(written)} speech snippets to {speech_dir}")
    test_dir.mkdir(parents=True, exist_ok=True)
    paths = splits.write_test_items(args.items or splits.DEFAULT_TEST_ITEMS, out_dir=test_dir)
    print("wrote test recipes: " + ", ".join(str(p) for p in paths))
    return 0


def _task_list(text: str) -> tuple[str, ...]:
    """``single``, ``all`` or task names, comma-separated and freely combined; repeats are kept."""
    from headrouter_eval.synth.tasks import ALL_TASKS, TASKS, get_task

    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if part in ("single", "all"):
            names += TASKS if part == "single" else ALL_TASKS
            continue
        try:
            names.append(get_task(part).name)
        except KeyError as err:
            raise argparse.ArgumentTypeError(str(err.args[0])) from None
    return tuple(names)


def _train(args: argparse.Namespace) -> int:
    from headrouter_eval.synth.train import CURRICULA, DEFAULT_OUT, TrainConfig, train

    if args.out.resolve() == DEFAULT_OUT.resolve():
        print(f"note: writing into the bundled model's folder {DEFAULT_OUT}", flush=True)
    cfg = TrainConfig(out_dir=args.out, seed=args.seed, threads=args.threads, eval_limit=args.eval_limit,
                      tasks=args.tasks, curriculum=CURRICULA[args.curriculum], num_heads=args.heads,
                      num_kv_heads=args.kv_heads, init_from=args.init_from, widen=args.widen,
                      reseed_copies=args.reseed_copies)
    if args.lr is not None:
        cfg = dataclasses.replace(cfg, lr=args.lr)
    command = "python -m headrouter_eval.synth.cli " + shlex.join(sys.argv[1:]) if sys.argv[0].endswith(
        "cli.py") else shlex.join(["headrouter-eval"] + sys.argv[1:])
    try:
        report = train(cfg, log=lambda line: print(line, flush=True), command=command)
    except ValueError as exc:  # bad options or an --init-from checkpoint that does not fit: one line, no traceback
        print(f"headrouter-eval synth train: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: report[k] for k in ("wall_time_s", "vanilla", "erased_events")}, indent=2))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import torch

    from headrouter_eval.synth.evaluate import evaluate
    from headrouter_eval.synth.model_init import QWEN_OMNI

    torch.set_num_threads(args.threads)
    thinker, processor = QWEN_OMNI.load_model(args.pretrained), QWEN_OMNI.load_processor(args.pretrained)
    tasks = list(dict.fromkeys(args.tasks))  # repeats weight training only
    result = {
        "vanilla": evaluate(thinker, processor, tasks, limit=args.limit),
        "erased_events": evaluate(thinker, processor, tasks, erase=True, limit=args.limit),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
