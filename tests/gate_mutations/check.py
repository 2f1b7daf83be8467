"""Mutation check of the accuracy gate: each deliberate breakage must make ``regress`` fail.

Runs the demo grid's rows that a breakage touches (same model, profiles, task and
retentions as ``headrouter-eval demo``), first with the code as it is (``regress`` must
pass), then once per breakage injected through ``sitecustomize.py`` beside this file
(``regress`` must fail), and prints the table breakage -> rows that fail -> by how much.
Each comparison uses the committed baseline restricted to the rows that were run (the
others would all be "missing").

    python tests/gate_mutations/check.py                        # the demo's retentions and layers
    python tests/gate_mutations/check.py --retentions 0.05 --layers 0 --work /tmp/gate

Exit status 0 when the unbroken code passes and every breakage fails, 1 otherwise. It
runs a real lmms-eval evaluation per row (about 20-30 s each on a 2-core CPU); the
``--retentions``/``--layers``/``--mutations`` options pick a cheaper subset.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# loaded by path under another name: a "sitecustomize" may already be imported from site-packages
_spec = importlib.util.spec_from_file_location("gate_mutations", HERE / "sitecustomize.py")
_mutations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mutations)
ENV_VAR, MUTATIONS = _mutations.ENV_VAR, _mutations.MUTATIONS

# which demo rows (method labels) each breakage can reach
TOUCHED = {
    "headrouter_uniform_weights": ["headrouter", "headrouter_oracle"],
    "headrouter_wrong_class": ["headrouter"],
    "fastv_first_text_token": ["fastv"],
    "keep_lowest": ["fastv", "headrouter"],
    "random_one_mask": ["random_s0", "random_s1", "random_s2"],
}
UNBROKEN = "unbroken"


def _methods(labels: list[str]) -> list:
    from headrouter_eval.demo import BUNDLED_PROFILE, demo_methods

    chosen = []
    for method in demo_methods(str(BUNDLED_PROFILE)):
        if isinstance(method, str):
            label = method.removesuffix("_qwen_omni")
            if label in labels:
                chosen.append(method)
        elif "seed" in method["model_args"]:  # random: one row per seed
            seeds = [s for s in method["model_args"]["seed"] if f"random_s{s}" in labels]
            if seeds:
                chosen.append({**method, "model_args": {**method["model_args"], "seed": seeds}})
        elif method.get("label", method["model"].removesuffix("_qwen_omni")) in labels:
            chosen.append(method)
    return chosen


def _run_rows(name: str, labels: list[str], retentions: list[float], layers: list[int], work: Path,
              include_path: Path | None) -> Path:
    """Run ``labels`` x retentions x layers into ``work/name``; returns the leaderboard CSV."""
    from headrouter_eval.demo import BUNDLED_MODEL, DEMO_TASK
    from headrouter_eval.leaderboard.report import write_leaderboard
    from headrouter_eval.sweep.config import build_config
    from headrouter_eval.sweep.runner import run_sweep
    from headrouter_eval.tasks_path import tasks_dir

    runs = work / name / "runs"
    methods = _methods(labels)
    if not any(isinstance(m, dict) and "profile" in m["model_args"] for m in methods):
        # The demo's grid holds HeadRouter, so the sweep holds out its profile's calibration items
        # from every row (runner.calibration_exclusion). Without a profile in the grid the rows would
        # carry other exclusion settings, and regress would refuse them as not comparable instead of
        # judging their scores; HeadRouter's rows are run too, and not compared.
        methods += _methods(["headrouter"])
    data = {
        "output_dir": str(runs),
        "models": [{"pretrained": str(BUNDLED_MODEL), "name": "hr-synth-omni"}],
        "methods": methods,
        "retentions": retentions,
        "layers": layers,
        "tasks": [DEMO_TASK],
        "include_path": [str(include_path or tasks_dir())],
        "lmms_eval_args": ["--log_samples"],
        "num_processes": 1,
        "launcher": "auto",
    }
    saved = {key: os.environ.get(key) for key in (ENV_VAR, "PYTHONPATH")}
    try:
        if name != UNBROKEN:
            os.environ[ENV_VAR] = name
            os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), saved["PYTHONPATH"]]))
        run_sweep(build_config(data, f"gate mutation check ({name})"), progress=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    out = work / name / "leaderboard"
    write_leaderboard(runs, out, title=f"gate mutation check: {name}", plot=False)
    return out / "leaderboard.csv"


def _restricted_baseline(baseline: Path, labels: list[str], retentions: list[float], layers: list[int],
                         out: Path) -> tuple[int, list[str]]:
    """The baseline's entries for ``labels`` at these retentions and layers, written to ``out``.

    Returns how many, and the labels that have any (only those are worth running).
    """
    data = yaml.safe_load(baseline.read_text())
    keep = [e for e in data["entries"] if e["method"] in labels and e.get("layer") in layers
            and any(abs(float(e["retention"]) - r) < 1e-9 for r in retentions)]
    if not keep:
        raise SystemExit(f"{baseline} has no entries for {labels} at retentions {retentions}, layers {layers}: "
                         "regenerate it from the demo (regress --write-baseline)")
    out.write_text(yaml.safe_dump({"default_tolerance": data["default_tolerance"], "entries": keep}))
    return len(keep), sorted({e["method"] for e in keep})


def _regress(leaderboard: Path, baseline: Path) -> tuple[int, str]:
    command = [str(Path(sys.executable).with_name("headrouter-eval")), "regress", str(leaderboard), str(baseline)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    return done.returncode, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    from headrouter_eval.demo import DEMO_LAYERS, DEMO_RETENTIONS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, default=REPO / "results" / "demo" / "baseline.yaml")
    parser.add_argument("--retentions", type=lambda t: [float(x) for x in t.split(",")], default=list(DEMO_RETENTIONS))
    parser.add_argument("--layers", type=lambda t: [int(x) for x in t.split(",")], default=list(DEMO_LAYERS))
    parser.add_argument("--mutations", type=lambda t: t.split(","), default=list(MUTATIONS))
    parser.add_argument("--work", type=Path, default=Path("runs/gate-mutations"))
    parser.add_argument("--include-path", type=Path, default=None,
                        help="task folder to use instead of the package's (e.g. an older hr_synth group)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.mutations) - set(MUTATIONS))
    if unknown:
        parser.error(f"unknown mutation(s) {unknown}; known: {sorted(MUTATIONS)}")
    args.work.mkdir(parents=True, exist_ok=True)

    labels = sorted({label for m in args.mutations for label in TOUCHED[m]})
    table, ok = [], True
    for name, rows in [(UNBROKEN, labels)] + [(m, TOUCHED[m]) for m in args.mutations]:
        restricted = args.work / f"{name}.baseline.yaml"
        checked, guarded = _restricted_baseline(args.baseline, rows, args.retentions, args.layers, restricted)
        if set(rows) - set(guarded):
            print(f"== {name}: the baseline holds no entries for {sorted(set(rows) - set(guarded))}; not run")
        leaderboard = _run_rows(name, guarded, args.retentions, args.layers, args.work, args.include_path)
        code, text = _regress(leaderboard, restricted)
        print(f"== {name}: regress exit {code}\n{text}", flush=True)
        expected = 0 if name == UNBROKEN else 1
        ok &= code == expected
        failing = [line for line in text.splitlines() if re.match(r"(REGRESSION|MISSING|FAILED|METRIC)\b", line)]
        table.append((name, code, expected, checked, failing))

    print("\n| breakage | regress exit (expected) | entries failing / checked | failing rows (baseline -> fresh) |")
    print("|---|---|---|---|")
    for name, code, expected, checked, failing in table:
        rows = "<br>".join(re.sub(r"\s+", " ", line) for line in failing) or "none"
        print(f"| {name} | {code} ({expected}) | {len(failing)} / {checked} | {rows} |")
    print("PASS: the gate catches every breakage" if ok else "FAIL: see the table")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
