"""``headrouter-eval sweep | leaderboard | regress``: argument parsing and wiring only.

Bad input (unknown config keys, missing files, malformed results) ends with a one-line
error naming the file and the entry, and exit status 2; a failed configuration (sweep) or a
regression (regress) exits 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

SHIPPED = "shipped"
PAPER_GRID = Path(__file__).resolve().parent.parent / "configs" / "paper_grid.yaml"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


def _catch_stop_signals() -> dict:
    """Ctrl-C and ``kill`` both end a sweep through its interrupt path (exit 130, run marked).

    SIGINT is set explicitly: a process started as a background job of a non-interactive
    shell inherits "ignore SIGINT", and Python then installs no KeyboardInterrupt handler, so
    a Ctrl-C sent to the sweep's process group was silently dropped and the configuration ran
    to the end with exit 0. SIGTERM (plain ``kill``) takes the same path.
    """
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    return previous


def _sweep(args: argparse.Namespace) -> int:
    from headrouter_eval.sweep.config import build_config, load_yaml
    from headrouter_eval.sweep.runner import run_sweep

    data: dict = {}
    base_dir = None
    where = "command line"
    config_path = PAPER_GRID if args.paper_grid else args.config
    if config_path is not None:
        data = load_yaml(config_path)
        base_dir = config_path.resolve().parent
        where = str(config_path)
    # flags override the file, key by key
    overrides = {
        "models": args.models, "methods": args.methods, "retentions": args.retentions, "layers": args.layers,
        "tasks": args.tasks, "output_dir": args.output_dir,
        # flag paths are relative to the working directory, not to the config file
        "include_path": [str(Path(p).resolve()) for p in args.include_path] if args.include_path else None,
        "num_processes": args.num_processes, "launcher": args.launcher,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    if args.model_args:
        from headrouter_eval.sweep.config import parse_arg_dict

        merged = parse_arg_dict(data.get("model_args"), where)
        merged.update(parse_arg_dict(args.model_args, "--model-args"))
        data["model_args"] = merged
    if args.lmms_eval_args:
        passthrough = args.lmms_eval_args[1:] if args.lmms_eval_args[0] == "--" else args.lmms_eval_args
        data["lmms_eval_args"] = list(data.get("lmms_eval_args") or []) + passthrough
    if args.include_path is None and not data.get("include_path"):
        from headrouter_eval.tasks_path import tasks_dir

        data["include_path"] = [str(tasks_dir())]
    sweep = build_config(data, where, base_dir)
    # signal handlers can only be set from the main thread; restored after (tests run sweeps in-process)
    previous = _catch_stop_signals() if threading.current_thread() is threading.main_thread() else {}
    try:
        return run_sweep(sweep, dry_run=args.dry_run, progress=False if args.no_progress else None).exit_code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _leaderboard(args: argparse.Namespace) -> int:
    from headrouter_eval.leaderboard.comparisons import Pair
    from headrouter_eval.leaderboard.reference import DEFAULT_REFERENCE
    from headrouter_eval.leaderboard.report import write_leaderboard

    reference = None
    if args.paper_reference is not None:
        reference = DEFAULT_REFERENCE if args.paper_reference == SHIPPED else Path(args.paper_reference)
    write_leaderboard(args.runs, args.out or args.runs, name=args.name, title=args.title, metrics=args.metric,
                      reference=reference, plot_tasks=args.plot_task, plot=not args.no_plot,
                      resamples=args.bootstrap, seed=args.seed, profiles=args.profiles,
                      compare=[Pair.parse(text) for text in args.compare or []])
    return 0


def _regress(args: argparse.Namespace) -> int:
    from headrouter_eval.leaderboard.regress import compare, load_baseline, load_leaderboard, report, write_baseline

    fresh = load_leaderboard(args.leaderboard)
    if args.write_baseline:
        count, skipped = write_baseline(fresh, args.baseline, args.tolerance, str(args.leaderboard))
        print(f"wrote {count} baseline entries to {args.baseline} (default tolerance {args.tolerance:g})")
        for line in skipped:
            print(f"  not in baseline (not complete): {line}")
        return 0
    default, entries = load_baseline(args.baseline)
    findings = compare(fresh, entries, default, str(args.leaderboard), str(args.baseline),
                       use_interval=args.interval)
    print(report(findings, len(entries)))
    return 1 if any(f.fails for f in findings) else 0


def _guarded(handler):
    """Turn input errors into one readable line and exit status 2 instead of a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (ValueError, FileNotFoundError, FileExistsError) as exc:
            print(f"headrouter-eval {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:  # Ctrl-C: say what state things are in, no traceback
            detail = str(exc) or "stopped by Ctrl-C"
            print(f"headrouter-eval {args.command}: interrupted: {detail}", file=sys.stderr)
            return 130

    return run


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep``, ``leaderboard`` and ``regress`` subcommands."""
    from headrouter_eval.cli_text import FORMATTER, examples

    sweep = subparsers.add_parser(
        "sweep", help="run a grid of models x methods x retentions x tasks through lmms-eval, resumably",
        description="Run models x methods x retentions x layers x task sets through lmms-eval, one folder per "
                    "configuration, skipping finished ones, with per-sample logs (--log_samples) for the "
                    "leaderboard's intervals. Arguments after '--' go to lmms-eval.",
        formatter_class=FORMATTER,
        epilog=examples(
            'MODEL=$(python -c "import headrouter_eval.demo as d; print(d.BUNDLED_MODEL)")',
            "headrouter-eval sweep --models $MODEL --methods vanilla_qwen_omni,fastv_qwen_omni \\",
            "  --retentions 0.5,0.25 --layers 0 --tasks hr_synth --output-dir runs/quick -- --limit 10",
            "headrouter-eval sweep --paper-grid --dry-run      # print the paper grid's 68 commands",
            "# lmms-eval's own options pass through, e.g. W&B logging:",
            "headrouter-eval sweep --config grid.yaml -- --wandb_args project=headrouter,name=grid"))
    source = sweep.add_mutually_exclusive_group()
    source.add_argument("--config", type=Path, help="sweep YAML (format: headrouter_eval/leaderboard/README.md)")
    source.add_argument("--paper-grid", action="store_true",
                        help=f"use the shipped paper grid ({PAPER_GRID.name}); flags still override it")
    sweep.add_argument("--models", type=_names, help="comma-separated pretrained paths / hub ids")
    sweep.add_argument("--methods", type=_names,
                       help="comma-separated methods (fastv: run on each model's family) or lmms-eval model ids "
                            "(fastv_qwen_omni); --models entries are of family qwen_omni, a YAML sets others")
    sweep.add_argument("--retentions", type=_floats, help="comma-separated, e.g. 0.9,0.7,0.5")
    sweep.add_argument("--layers", type=_ints, help="comma-separated pruning layers (default: the adapter's)")
    sweep.add_argument("--tasks", type=_names,
                       help="comma-separated task sets, each its own run; join tasks with '+' to run them "
                            "in one process")
    sweep.add_argument("--output-dir", type=Path, help="root of the run folders (default runs/)")
    sweep.add_argument("--include-path", action="append", help="lmms-eval --include_path (repeatable; "
                       "default: the tasks shipped with headrouter-eval)")
    sweep.add_argument("--model-args", help="extra model args for every run, key=value,key=value")
    sweep.add_argument("--num-processes", help="data-parallel processes per run, or 'auto' (one per GPU)")
    sweep.add_argument("--launcher", choices=["auto", "accelerate", "torchrun"],
                       help="multi-process launcher; auto (default): accelerate with CUDA GPUs, torchrun without")
    sweep.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    sweep.add_argument("--no-progress", action="store_true",
                       help="no progress bars (default: bars when stderr is a terminal)")
    sweep.add_argument("lmms_eval_args", nargs=argparse.REMAINDER, help="-- then arguments for lmms-eval")
    sweep.set_defaults(func=_guarded(_sweep))

    board = subparsers.add_parser(
        "leaderboard", help="tabulate runs: method x retention x task, average, %% of vanilla, plot",
        description="Read lmms-eval results and pruning stats under RUNS and write <name>.md/.csv/.json, the "
                    "tidy <name>_tidy.csv/.jsonl and the figure <name>.png/.pdf, with 95% bootstrap intervals "
                    "and paired differences from vanilla where runs logged per-sample rows.",
        formatter_class=FORMATTER,
        epilog=examples("headrouter-eval leaderboard runs/quick --out results/quick",
                        "headrouter-eval leaderboard runs/paper_grid --paper-reference --bootstrap 2000",
                        "headrouter-eval leaderboard runs/demo --compare headrouter:headrouter_uniform "
                        "--compare headrouter:fastv"))
    board.add_argument("runs", type=Path, help="folder holding sweep run folders and/or lmms-eval outputs")
    board.add_argument("--out", type=Path, help="output folder (default: RUNS)")
    board.add_argument("--profiles", type=Path, nargs="+", metavar="PROFILE",
                       help="HeadRouter profiles whose calibration items no run may have scored: any run, of any "
                            "method or folder, that scored one is marked contaminated")
    board.add_argument("--name", default="leaderboard", help="output file stem (default leaderboard)")
    board.add_argument("--title", default="Leaderboard", help="Markdown title")
    board.add_argument("--metric", action="append",
                       help="score metric: TASK=METRIC for one task or METRIC for all tasks that have it "
                            "(repeatable; METRIC may name a filter, e.g. acc,none). Default: each task's "
                            "first metric_list entry")
    board.add_argument("--paper-reference", nargs="?", const=SHIPPED, default=None, metavar="YAML",
                       help="add the paper's vanilla rows (optionally from another YAML than the shipped one)")
    board.add_argument("--plot-task", action="append", help="add a plot panel for this task (repeatable)")
    board.add_argument("--no-plot", action="store_true", help="skip the figure")
    board.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                       help="bootstrap resamples for the intervals (default 1000; 0: no intervals)")
    board.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    board.add_argument("--compare", action="append", metavar="FIRST:SECOND",
                       help="paired differences FIRST - SECOND between two methods' rows (labels as in the "
                            "leaderboard) at every retention and layer both ran, per task and on the average, "
                            "to <name>.md and <name>_comparisons.csv (repeatable)")
    board.set_defaults(func=_guarded(_leaderboard))

    regress = subparsers.add_parser(
        "regress", help="compare a leaderboard with a committed baseline; exit 1 on regression",
        description="Compare LEADERBOARD (.csv or .json from 'headrouter-eval leaderboard') with BASELINE "
                    "(YAML); exit 1 on a regression, a missing or a failed row.",
        formatter_class=FORMATTER,
        epilog=examples("headrouter-eval regress results/quick/leaderboard.csv baseline.yaml",
                        "headrouter-eval regress results/quick/leaderboard.csv baseline.yaml --interval",
                        "headrouter-eval regress results/quick/leaderboard.csv baseline.yaml --write-baseline "
                        "--tolerance 3"))
    regress.add_argument("leaderboard", type=Path)
    regress.add_argument("baseline", type=Path)
    regress.add_argument("--write-baseline", action="store_true",
                         help="write BASELINE from LEADERBOARD instead of comparing")
    regress.add_argument("--tolerance", type=float, default=0.02,
                         help="default absolute tolerance written with --write-baseline (default 0.02)")
    regress.add_argument("--interval", action="store_true",
                         help="judge each row by its 95%% bootstrap interval instead of the fixed tolerance "
                              "(rows without one keep the tolerance)")
    regress.set_defaults(func=_guarded(_regress))
