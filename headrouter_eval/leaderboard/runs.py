"""Find the runs under a folder, read their scores and stats, and judge each complete or not.

Sweep runs (a folder with :data:`MANIFEST_NAME`) and plain lmms-eval runs (any other
``*_results.json``) are judged by their files, never by lmms-eval's exit code (it exits 0 when
an evaluation raises): headrouter_eval/leaderboard/README.md, "leaderboard".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

from headrouter_eval.catalog import parse_model_id
from headrouter_eval.jsonl import read_json_object
from headrouter_eval.leaderboard.integrity import mark_contaminated
from headrouter_eval.leaderboard.metric_choice import MetricChoice, MetricChoiceError, pick_metric
from headrouter_eval.leaderboard.pruning_stats import read_pruning_stats, run_id_of
from headrouter_eval.leaderboard.run_identity import task_identity
from headrouter_eval.leaderboard.run_record import Run, TaskScore
from headrouter_eval.leaderboard.run_status import COMPLETE, FAILED, INCOMPLETE
from headrouter_eval.model_args import split_model_args

MANIFEST_NAME = "sweep_run.json"
LOG_NAME = "lmms_eval.log"
ERROR_MARKER = "Error during evaluation"
VANILLA = "vanilla"

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # loguru colours its log lines

# model_id of a run whose own files could not be read: no configuration is known for it
UNREADABLE = "?"
# what a malformed file can raise while it is read; any of them marks that run failed
READ_ERRORS = (ValueError, KeyError, TypeError, AttributeError, OSError)


def is_pruning_model(model_id: str) -> bool:
    """Our adapters (``<method>_<family>``) write pruning stats; other lmms-eval models (e.g. ``dummy``) do not."""
    return parse_model_id(model_id) is not None


def method_of(model_id: str) -> str:
    """The pruning method of one of our model ids (``fastv`` of ``fastv_qwen2_audio``); others unchanged."""
    parsed = parse_model_id(model_id)
    return parsed[0] if parsed is not None else model_id


def prunes(model_id: str) -> bool:
    """Retention and layer mean something only for our pruning model ids (not vanilla, not others)."""
    return is_pruning_model(model_id) and method_of(model_id) != VANILLA


def parse_model_args(model_args: str | dict | None) -> dict[str, str]:
    """lmms-eval's ``k=v,k=v`` model args (or the dict form) as a dict of strings."""
    if not model_args:
        return {}
    if isinstance(model_args, dict):
        return {str(k): str(v) for k, v in model_args.items()}
    return split_model_args(str(model_args))


def model_tag(pretrained: str | None, fallback: str) -> str:
    """Short model name for tables and folders: the checkpoint folder's or hub repo's last part."""
    if not pretrained:
        return fallback
    return Path(pretrained.rstrip("/")).name or fallback


def _latest_results(folder: Path) -> Path | None:
    # lmms-eval names results <YYYYMMDD_HHMMSS>_results.json, so name order is time order.
    found = sorted(folder.rglob("*_results.json"), key=lambda p: p.name)
    return found[-1] if found else None


def real_groups(results: dict) -> dict[str, list[str]]:
    """lmms-eval's ``group_subtasks`` minus its entries for plain tasks (it lists those with [])."""
    return {group: list(subs) for group, subs in (results.get("group_subtasks") or {}).items() if subs}


def _group_leaves(group: str, group_subtasks: dict[str, list[str]]) -> list[str]:
    leaves = []
    for sub in group_subtasks.get(group, []):
        leaves.extend(_group_leaves(sub, group_subtasks) if sub in group_subtasks else [sub])
    return leaves


def read_scores(results: dict, where: str, choice: MetricChoice) -> tuple[dict[str, TaskScore], list[str]]:
    """Scores of every task and group in an lmms-eval results dict, and the requested units."""
    if "results" not in results or not isinstance(results["results"], dict):
        raise ValueError(f"{where}: no 'results' object; is this an lmms-eval results file?")
    group_subtasks = real_groups(results)
    configs = results.get("configs") or {}
    higher = results.get("higher_is_better") or {}
    n_samples = results.get("n-samples") or {}

    def leaf_samples(task: str) -> int | None:
        info = n_samples.get(task)
        return int(info.get("effective", info.get("original"))) if isinstance(info, dict) else None

    scores: dict[str, TaskScore] = {}
    for task, entry in results["results"].items():
        config = configs.get(task)
        if config is None and task in group_subtasks:
            # a group has no metric_list of its own: it aggregates its tasks' metrics, so it is
            # scored by its first leaf task's primary metric (lmms-eval's key order varies by run)
            config = configs.get(_group_leaves(task, group_subtasks)[0])
        metric = pick_metric(task, entry, config, choice, where)
        if metric is None:
            continue
        is_group = task in group_subtasks
        if is_group:
            counts = [leaf_samples(leaf) for leaf in _group_leaves(task, group_subtasks)]
            samples = sum(counts) if counts and None not in counts else None
        else:
            samples = leaf_samples(task)
        metric_name = metric.split(",", 1)[0]
        leaves = _group_leaves(task, group_subtasks) if is_group else [task]
        modes = sorted({m for leaf in leaves if (m := _scoring_mode(configs.get(leaf)))})
        scores[task] = TaskScore(
            task=task,
            metric=metric,
            value=float(entry[metric]),
            higher_is_better=bool((higher.get(task) or {}).get(metric_name, True)),
            samples=samples,
            is_group=is_group,
            scoring="; ".join(modes) or None,
        )

    requested = _requested_tasks(results) or [t for t in results["results"] if not _is_subtask(t, group_subtasks)]
    units: list[str] = []
    for task in requested:
        if task in scores:
            units.append(task)
        elif task in group_subtasks:
            units.extend(leaf for leaf in _group_leaves(task, group_subtasks) if leaf in scores)
        # a requested task absent from the results is caught by the completeness check
    return scores, units


def _scoring_mode(config: dict | None) -> str | None:
    """The ``metadata.scoring_mode`` our benchmark tasks write into the results (None for others)."""
    mode = ((config or {}).get("metadata") or {}).get("scoring_mode")
    return str(mode) if mode else None


def _is_subtask(task: str, group_subtasks: dict[str, list[str]]) -> bool:
    return any(task in subs for subs in group_subtasks.values())


def _requested_tasks(results: dict) -> list[str]:
    cli = (results.get("config") or {}).get("resolved_cli_args") or {}
    tasks = cli.get("tasks")
    if isinstance(tasks, str):
        entries = [t.strip() for t in tasks.split(",") if t.strip()]
    elif isinstance(tasks, list):
        entries = [str(t) for t in tasks]
    else:
        return []
    return [name for entry in entries for name in _task_names(entry)]


# the ``task:`` line of a task YAML (the folder form of --tasks), its value a YAML scalar
TASK_LINE = re.compile(r"^task:[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)


def _task_names(entry: str) -> list[str]:
    """The task names one ``--tasks`` entry asked for. lmms-eval also takes a folder of task YAMLs
    there (headrouter-eval sweep passes one to keep calibration items out): its YAMLs' ``task:``
    names; none when the folder is gone (the caller then falls back on the results' own tasks)."""
    folder = Path(entry)
    if "/" not in entry or not folder.is_dir():
        return [entry]
    import yaml

    names = []
    for path in sorted(folder.glob("*.yaml")):
        found = TASK_LINE.search(path.read_text(encoding="utf-8"))
        if found:
            names.append(str(yaml.safe_load(found.group(1))))
    return names


# tenacity (lmms-eval retries dataset loading) wraps the real exception: "RetryError[<Future
# at 0x... state=finished raised FileNotFoundError>]"; the traceback above it has the message.
RETRY_WRAPPER = re.compile(r"RetryError\[<Future .*? raised (\w+)>\]")


def log_failure(log: Path) -> str | None:
    """Why lmms-eval failed, from a run's log: its "Error during evaluation: ..." line, unwrapped.

    When that line only names a retry wrapper, the wrapped exception's own line from the
    traceback (e.g. ``FileNotFoundError: Unable to find '.../word.jsonl'``) is returned
    instead, so the reason names the cause (a missing path, an import error).
    """
    if not log.is_file():
        return None
    lines = [ANSI.sub("", line).strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    marker = next((line for line in lines if ERROR_MARKER in line), None)
    if marker is None:
        return None
    message = marker[marker.index(ERROR_MARKER):]
    wrapped = RETRY_WRAPPER.search(message)
    if wrapped:
        name = wrapped.group(1)
        cause = next((line for line in reversed(lines) if re.match(rf"([\w.]+\.)?{name}: ", line)), None)
        if cause:
            message = f"{ERROR_MARKER}: {cause}"
    return message[:300]


def predict_only(results: dict) -> bool:
    """A ``--predict_only`` run: lmms-eval wrote its placeholder ``bypass`` metric, scored nothing."""
    cli = (results.get("config") or {}).get("resolved_cli_args") or {}
    if cli.get("predict_only") is True:
        return True
    entries = [e for e in (results.get("results") or {}).values() if isinstance(e, dict)]
    return bool(entries) and all(any(k.split(",", 1)[0] == "bypass" for k in e) for e in entries)


def _judge(run: Run, results_path: Path | None, choice: MetricChoice, stats_dir: Path | None,
           expected_ranks: int | None) -> Run:
    """Fill scores, stats and status of ``run`` from its files."""
    if results_path is None:
        run.status = run.status if run.status == FAILED else INCOMPLETE
        run.problem = run.problem or "no lmms-eval results JSON (lmms-eval exits 0 even when evaluation fails)"
        return run
    results = read_json_object(results_path)
    run.results_file = results_path
    run.date = str(results.get("date", ""))
    if predict_only(results):
        run.status = FAILED if run.status == FAILED else INCOMPLETE
        run.problem = run.problem or (f"{results_path}: a prediction-only run (--predict_only): its 'bypass' "
                                      "numbers are lmms-eval placeholders, nothing was scored")
        return run
    run.scores, run.units = read_scores(results, str(results_path), choice)
    nan = [task for task in run.units if math.isnan(run.scores[task].value)]
    if nan:
        run.status, run.problem = FAILED, f"{results_path}: task(s) {nan} scored NaN"
        run.scores, run.units = {}, []
        return run
    group_subtasks = real_groups(results)
    run.leaves = {group: _group_leaves(group, group_subtasks) for group in group_subtasks}
    model_args = parse_model_args((results.get("config") or {}).get("model_args"))
    run.identity = {task: task_identity(results, run.leaves.get(task, [task]), model_args) for task in run.scores}
    missing = [t for t in run.tasks if t not in run.scores and t not in group_subtasks]
    if missing:
        run.status, run.problem = FAILED, f"results lack requested task(s) {missing}"
        return run
    if not run.units:
        run.status, run.problem = FAILED, f"{results_path}: no task has a numeric score"
        return run
    if is_pruning_model(run.model_id):
        run_id = run_id_of(results, results_path)
        run.stats = read_pruning_stats(stats_dir, run_id, expected_ranks) if stats_dir else None
        if run.stats is None or not run.stats.complete:
            run.status = INCOMPLETE if run.status != FAILED else FAILED
            run.problem = run.problem or (run.stats.problem if run.stats else "no stats_dir known")
            return run
        # model args may leave retention/layer to the adapter's defaults; the stats record them
        if run.retention is None and run.stats.retention is not None:
            run.retention = run.stats.retention
        if run.layer is None and run.stats.layer is not None and prunes(run.model_id):
            run.layer = run.stats.layer
        clash = _stats_clash(run)
        if clash:
            # two runs shared one stats folder (e.g. plain lmms-eval runs into one --output_path):
            # these stats belong to another run, so this run's numbers cannot be vouched for
            run.status, run.problem = FAILED, clash
            return run
    if run.problem is None:  # nothing above (or the caller's log/manifest check) objected
        run.status = COMPLETE
    return run


def _stats_clash(run: Run) -> str | None:
    stats = run.stats
    if stats.method is not None and stats.method != method_of(run.model_id):
        return f"pruning stats in {run.folder} are from method {stats.method!r}, not {method_of(run.model_id)!r}"
    if prunes(run.model_id) and stats.retention is not None and run.retention is not None \
            and abs(float(stats.retention) - float(run.retention)) > 1e-9:
        return f"pruning stats are for retention {stats.retention}, the run asked for {run.retention}"
    if prunes(run.model_id) and stats.layer is not None and run.layer is not None and stats.layer != run.layer:
        return f"pruning stats are for layer {stats.layer}, the run asked for {run.layer}"
    return None


def read_sweep_run(folder: Path, choice: MetricChoice, trust_manifest: bool = True) -> Run:
    """A folder made by ``headrouter-eval sweep``.

    With ``trust_manifest=False`` (the sweep checking its own output) the verdict rests on
    the files alone; otherwise a manifest that says failed, running or interrupted keeps the
    run out of the table even when its files look complete.
    """
    manifest = read_json_object(folder / MANIFEST_NAME)
    for key in ("model_id", "label", "model", "tasks", "status"):
        if key not in manifest:
            raise ValueError(f"{folder / MANIFEST_NAME}: manifest lacks {key!r}")
    model_id = str(manifest["model_id"])
    run = Run(
        folder=folder,
        model=str(manifest["model"]),
        model_id=model_id,
        method=str(manifest["label"]),
        retention=manifest.get("retention") if prunes(model_id) else 1.0,
        layer=manifest.get("layer") if prunes(model_id) else None,
        tasks=list(manifest["tasks"]),
        status=INCOMPLETE,
    )
    if trust_manifest and manifest["status"] == FAILED:
        run.status, run.problem = FAILED, str(manifest.get("problem") or "sweep marked it failed")
    error = log_failure(folder / LOG_NAME)
    if error:
        run.status, run.problem = FAILED, error
    results_path = _latest_results(folder)
    # the adapter writes the stats beside the results of the same run
    stats_dir = results_path.parent if results_path is not None else None
    try:
        run = _judge(run, results_path, choice, stats_dir, manifest.get("num_processes"))
    except MetricChoiceError:
        raise
    except READ_ERRORS as exc:  # a half-written results or stats file: this run failed, others stand
        run.status, run.problem, run.scores, run.units = FAILED, _describe_error(exc), {}, []
    if trust_manifest and run.status == COMPLETE and manifest["status"] != COMPLETE:
        # the files look fine but the sweep never confirmed them (killed between lmms-eval
        # finishing and the check): keep it out until a sweep re-checks it
        run.status = INCOMPLETE
        run.problem = f"sweep status {manifest['status']!r} (interrupted?); re-run the sweep to check it"
    return run


def read_plain_run(results_path: Path, choice: MetricChoice) -> Run:
    """A results JSON lmms-eval wrote outside a sweep."""
    results = read_json_object(results_path)
    config = results.get("config") or {}
    model_id = str(config.get("model") or "")
    if not model_id:
        raise ValueError(f"{results_path}: results 'config' names no model")
    args = parse_model_args(config.get("model_args"))
    method = method_of(model_id)
    pruning = prunes(model_id)
    # lmms-eval writes into <output_path>/<sanitized model name>/ (no subfolder when the
    # name is empty); the adapter writes its stats beside the results unless given stats_dir
    output_path = results_path.parent.parent if results.get("model_name_sanitized") else results_path.parent
    stats_dir = Path(args["stats_dir"]) if args.get("stats_dir") else results_path.parent
    if not stats_dir.is_absolute():
        # relative to where lmms-eval ran, which the results do not record; the output
        # path is the best guess
        stats_dir = output_path / stats_dir
    run = Run(
        folder=results_path.parent,
        model=model_tag(args.get("pretrained"), model_id),
        model_id=model_id,
        method=method,
        retention=float(args["retention"]) if pruning and "retention" in args else (None if pruning else 1.0),
        layer=int(args["layer"]) if pruning and "layer" in args else None,
        tasks=_requested_tasks(results),
        status=INCOMPLETE,
    )
    return _judge(run, results_path, choice, stats_dir, None)


def _describe_error(exc: BaseException) -> str:
    text = str(exc)
    return text if isinstance(exc, ValueError) else f"{type(exc).__name__}: {text}"


def unreadable_run(folder: Path, exc: BaseException) -> Run:
    """A run whose manifest or results file cannot be read: listed as failed, with the reason."""
    return Run(folder=folder, model=UNREADABLE, model_id=UNREADABLE, method=UNREADABLE, retention=None,
               layer=None, tasks=[], status=FAILED, problem=_describe_error(exc))


# where a sweep moves a finished run that a run with other settings replaced (see headrouter_eval/sweep/runner.py)
SUPERSEDED = ".superseded"


def _superseded(path: Path, root: Path) -> bool:
    return SUPERSEDED in path.relative_to(root).parts


def discover_runs(root: Path, choice: MetricChoice | None = None, profiles: Iterable[str | Path] = ()) -> list[Run]:
    """Every run under ``root``, sweep folders first, then stray lmms-eval results files.

    One unreadable file never stops the rest: its run is listed as failed with the reason.
    A run that scored an item held out for calibration by a profile some run used, or by one
    of ``profiles``, is marked contaminated (:mod:`.integrity`).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"runs folder {root} does not exist")
    # absolute from here on: a relative root must give the same runs (and stats paths) as its absolute form
    root = root.resolve()
    choice = choice or MetricChoice()
    sweep_folders = sorted(p.parent for p in root.rglob(MANIFEST_NAME) if not _superseded(p, root))
    runs = []
    for folder in sweep_folders:
        try:
            runs.append(read_sweep_run(folder, choice))
        except MetricChoiceError:
            raise  # the --metric choice is wrong for every run: stop, naming it
        except READ_ERRORS as exc:
            runs.append(unreadable_run(folder, exc))
    for results_path in sorted(root.rglob("*_results.json")):
        if any(folder in results_path.parents for folder in sweep_folders) or _superseded(results_path, root):
            continue
        try:
            runs.append(read_plain_run(results_path, choice))
        except MetricChoiceError:
            raise  # the --metric choice is wrong for every run: stop, naming it
        except READ_ERRORS as exc:
            runs.append(unreadable_run(results_path.parent, exc))
    return mark_contaminated(runs, profiles)
