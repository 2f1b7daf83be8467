"""``headrouter-eval demo``: the bundled default, end to end, in one command.

Runs every method at a few retentions on the multi-event tasks of the bundled synthetic
benchmark that the bundled trained tiny model answers (``DEMO_TASK``), through the same sweep and
lmms-eval runs a user makes on real checkpoints, then writes the leaderboard, its plot and
a note on how it was made. All configurations share the model, so the sweep runs them in
one grid worker process (``headrouter_eval/sweep/worker.py``): importing torch and
lmms-eval, indexing the tasks and reading the checkpoint happen once, not per
configuration. The random baseline runs with three seeds (the leaderboard notes their
spread); HeadRouter uses the bundled three-class profile calibrated for each
layer. The run folders are resumable: running the command again finishes what is
missing and re-tabulates.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BUNDLED_MODEL = Path(__file__).resolve().parent / "assets" / "hr_synth_omni"
# one profile per pruning layer: {layer} is filled in per configuration by the sweep
BUNDLED_PROFILE = BUNDLED_MODEL / "headrouter_profile_L{layer}.json"
# One multi-event task per HeadRouter class that the bundled model answers, with distractors of
# the other kind where the class has such a task (busy_sequence, busy_equal, mixed;
# tasks/hr_synth/hr_synth_demo.yaml). Their answer needs two or three events spread over the
# clip, so a pruner must keep each of them, and in the busy ones the clip holds more salient
# events than a low retention keeps; on the single-event tasks (group hr_synth) every
# attention-guided scorer finds the one needle and the methods tie.
DEMO_TASK = "hr_synth_demo"
# Down to 2% of the audio tokens: random and uniform fall from 25% down; the attention-guided
# methods part from each other below 10% (README.md, "The demo's leaderboard").
DEMO_RETENTIONS = (0.25, 0.1, 0.05, 0.02)
# The bundled model is tiny (4 decoder layers): pruning before the first decoder layer is
# where the methods' choices of tokens matter most (see the training report). The paper's
# layer 2 has a bundled profile too (`--layers 0,2`); the default grid stays at layer 0 so
# that the demo, which CI runs, fits its time budget on a 2-core machine.
DEMO_LAYERS = (0,)
RANDOM_SEEDS = (0, 1, 2)
# The leaderboard's row-against-row comparisons: HeadRouter against each ablation (does its routing
# matter?) and against the two attention-guided baselines (does it beat them at the same budget?).
DEMO_COMPARISONS = ("headrouter:headrouter_uniform", "headrouter:headrouter_oracle", "headrouter:fastv",
                    "headrouter:dart")


# HeadRouter's two ablations as labelled rows beside it, same profile: head weights uniform
# (routing=uniform), and each prompt routed to its task's own class (routing=oracle): the
# paper's claim is that routing the heads matters, and the oracle bounds what its router can get.
def demo_methods(profile: str) -> list:
    """The demo's methods in sweep-config form: every pruner, random's seeds, HeadRouter's ablations."""
    headrouter = {"model": "headrouter_qwen_omni", "model_args": {"profile": profile}}
    ablations = [{"model": "headrouter_qwen_omni", "label": f"headrouter_{routing}",
                  "model_args": {"profile": profile, "routing": routing}} for routing in ("uniform", "oracle")]
    return ["vanilla_qwen_omni", "fastv_qwen_omni",
            {"model": "random_qwen_omni", "model_args": {"seed": list(RANDOM_SEEDS)}},
            "uniform_qwen_omni", "dart_qwen_omni", headrouter, *ablations]


def demo_sweep_config(runs: Path, retentions: tuple[float, ...], layers: tuple[int, ...], num_processes: int,
                      launcher: str):
    """The demo grid: the bundled model x every method x ``retentions`` x ``DEMO_TASK``."""
    from headrouter_eval.sweep.config import build_config
    from headrouter_eval.tasks_path import tasks_dir

    if not (BUNDLED_MODEL / "config.json").is_file():
        raise FileNotFoundError(f"the bundled model is missing at {BUNDLED_MODEL}; reinstall headrouter-eval")
    missing = [layer for layer in layers if not Path(str(BUNDLED_PROFILE).format(layer=layer)).is_file()]
    if missing:
        raise FileNotFoundError(f"no bundled HeadRouter profile for layer(s) {missing} ({BUNDLED_PROFILE}); "
                                "calibrate one (see README.md) or pick --layers from those bundled")
    data = {
        "output_dir": str(runs),
        "models": [{"pretrained": str(BUNDLED_MODEL), "name": "hr-synth-omni"}],
        "methods": demo_methods(str(BUNDLED_PROFILE)),
        "retentions": list(retentions),
        "layers": list(layers),
        "tasks": [DEMO_TASK],
        "include_path": [str(tasks_dir())],
        "lmms_eval_args": ["--log_samples"],
        "num_processes": num_processes,
        "launcher": launcher,
    }
    return build_config(data, "headrouter-eval demo")


def run_demo(args: argparse.Namespace) -> int:
    from headrouter_eval.leaderboard.comparisons import Pair
    from headrouter_eval.leaderboard.report import write_leaderboard
    from headrouter_eval.sweep.runner import run_sweep

    started = time.perf_counter()
    record = _provenance(args)  # taken before running: the commit and files that made the results
    layers = tuple(int(layer) for layer in args.layers)
    sweep = demo_sweep_config(args.runs, tuple(args.retentions), layers, args.num_processes, args.launcher)
    # Every demo configuration shares one model, data set and install: when the first two
    # fail alike, so would the rest (minutes of runs hiding one missing file).
    try:
        outcome = run_sweep(sweep, stop_after_same_failures=2, progress=False if args.no_progress else None)
    except KeyboardInterrupt as exc:  # the sweep marked the running configuration; no traceback
        print(f"demo: interrupted: {exc or 'stopped by Ctrl-C'}", file=sys.stderr)
        return 130
    write_leaderboard(
        args.runs, args.out,
        title=f"Bundled demo: {DEMO_TASK} with the bundled tiny model "
              f"(layers {', '.join(map(str, layers))})",
        compare=[Pair.parse(text) for text in DEMO_COMPARISONS],
    )
    _write_provenance(args.out, record, time.perf_counter() - started, outcome.exit_code == 0)
    if outcome.stopped:
        print(f"demo: stopped early: {outcome.stopped}", file=sys.stderr)
    elif outcome.exit_code:
        print(f"demo: {len(outcome.failed)} configuration(s) failed; the leaderboard lists them", file=sys.stderr)
    return outcome.exit_code


def _provenance(args: argparse.Namespace) -> dict:
    import torch

    from headrouter_eval import provenance

    record = provenance.describe(torch.device("cpu"), shlex.join(["headrouter-eval", *sys.argv[1:]]))
    record.update({"what": f"every method on {DEMO_TASK} with the bundled model {BUNDLED_MODEL.name}",
                   "retentions": list(args.retentions), "layers": [int(x) for x in args.layers],
                   "random_seeds": list(RANDOM_SEEDS), "runs_folder": str(args.runs)})
    return record


def _write_provenance(out: Path, record: dict, seconds: float, complete: bool) -> None:
    """``how_made.json`` beside the leaderboard: command, commit, machine, versions, wall time."""
    import json

    record = {**record, "wall_s": round(seconds, 1), "all_configurations_complete": complete,
              "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    out.mkdir(parents=True, exist_ok=True)
    (out / "how_made.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    from headrouter_eval.cli_text import FORMATTER, examples

    parser = subparsers.add_parser(
        "demo", help="run every method on the bundled benchmark with the bundled model; write the leaderboard",
        description="Run vanilla and every pruner at a few retentions on the bundled synthetic benchmark's "
                    "multi-event tasks that the bundled tiny model answers (hr_synth_busy_sequence, "
                    "hr_synth_busy_equal, hr_synth_mixed: group hr_synth_demo), through lmms-eval, then write "
                    "the leaderboard with 95% intervals, its figures and how_made.json. Resumable: run folders "
                    "that finished are skipped.",
        formatter_class=FORMATTER,
        epilog=examples("headrouter-eval demo                     # 37 runs, about 13 minutes on a 2-core CPU",
                        "headrouter-eval demo --retentions 0.5 --out demo-quick --runs runs/demo-quick"))
    parser.add_argument("--out", type=Path, default=Path("results/demo"), help="leaderboard folder")
    parser.add_argument("--runs", type=Path, default=Path("runs/demo"), help="run folders (resumable)")
    parser.add_argument("--retentions", type=_floats, default=list(DEMO_RETENTIONS),
                        help="comma-separated retentions for the pruners (vanilla runs once)")
    parser.add_argument("--layers", type=lambda text: [int(float(x)) for x in _floats(text)],
                        default=list(DEMO_LAYERS),
                        help="comma-separated pruning layers K (each needs a bundled profile)")
    parser.add_argument("--num-processes", type=int, default=1, help="data-parallel processes per run")
    parser.add_argument("--launcher", choices=["auto", "accelerate", "torchrun"], default="auto")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (default: bars when stderr is a terminal)")
    parser.set_defaults(func=run_demo)
