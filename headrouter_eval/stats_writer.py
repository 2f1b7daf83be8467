"""Per-sample pruning stats, written beside lmms-eval's own results of the same run.

The files, their names and how a run id pairs them with the results: README.md, "Pruning
stats" (under "Running on real checkpoints"). lmms-eval does not tell model classes where it
writes its results; it hands its resolved arguments to every task as ``task.args``, where
:func:`install_task_hook` reads them.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: the results tooling that reads stats files must not load the engine
    from headrouter_eval.engine import PrefillRecord


logger = logging.getLogger(__name__)

STATS_NAME = "{run_id}_pruning_stats_rank{rank}.jsonl"
SUMMARY_NAME = "{run_id}_pruning_summary_rank{rank}.json"
# Set by `headrouter-eval sweep` (and settable by hand): the process count the run was
# launched for; the adapter refuses to start when the launcher delivered another.
EXPECTED_WORLD_SIZE_ENV = "HEADROUTER_EXPECTED_WORLD_SIZE"
# the usage source under which the run id reaches the results file: "headrouter_eval:<run id>"
USAGE_SOURCE_PREFIX = "headrouter_eval:"


def new_run_id() -> str:
    """A fresh run id: the start time (sorts like lmms-eval's stamps) and 8 random hex digits,
    so two runs started in the same second into one folder still differ."""
    return f"{datetime.datetime.now():%Y%m%d_%H%M%S}_{secrets.token_hex(4)}"


def usage_source(run_id: str) -> str:
    """The ``log_usage(source=...)`` that carries ``run_id`` into lmms-eval's results."""
    return USAGE_SOURCE_PREFIX + run_id


def results_folder(output_path: str | Path, model_args: str | dict | None) -> Path:
    """The folder lmms-eval writes a run's ``*_results.json`` into, for its ``--output_path``
    and ``--model_args``.

    lmms-eval appends the model name it reads from the model args (``pretrained=...``),
    sanitised; its own functions are used so the two can never disagree.
    """
    from lmms_eval.loggers.evaluation_tracker import GeneralConfigTracker
    from lmms_eval.utils import sanitize_model_name

    if isinstance(model_args, dict):  # a --config YAML may give the model args as a mapping
        model_args = ",".join(f"{key}={value}" for key, value in model_args.items())
    return Path(output_path) / sanitize_model_name(GeneralConfigTracker._get_model_name(model_args or ""))


class RunRecord:
    """One adapter's run: its id and where its stats go.

    ``stats_dir`` is the model arg when given; else it is filled in from lmms-eval's resolved
    arguments when the first task builds its requests (:func:`install_task_hook`). A model
    built by hand, outside lmms-eval's CLI, has no output folder: its stats are counted, not
    written, unless it was given ``stats_dir``.
    """

    def __init__(self, run_id: str, stats_dir: str | None) -> None:
        self.run_id = run_id
        self.stats_dir = stats_dir
        self._explicit = stats_dir is not None

    def bind(self, cli_args: Any) -> None:
        """Take the results folder from the arguments lmms-eval resolved for this run."""
        if self._explicit or cli_args is None:
            return
        output_path = getattr(cli_args, "output_path", None)
        if output_path:
            self.stats_dir = str(results_folder(output_path, getattr(cli_args, "model_args", None)))


# The run of the adapter lmms-eval built last in this process, and the adapter's check of a
# task before it builds requests. lmms-eval builds the model before it loads the tasks, and a
# --config YAML listing several runs builds one model per run, each before that run's tasks,
# so the tasks being built belong to this run.
_ACTIVE: RunRecord | None = None
_CHECK_TASK: Callable[[Any], None] | None = None


def activate(record: RunRecord, check_task: Callable[[Any], None] | None = None) -> None:
    """Make ``record`` the run whose stats folder the next tasks' arguments fill in, and
    ``check_task`` what each of those tasks must pass (it raises) before it builds requests."""
    global _ACTIVE, _CHECK_TASK
    _ACTIVE, _CHECK_TASK = record, check_task
    install_task_hook()


def install_task_hook() -> None:
    """Hand lmms-eval's resolved arguments to the active run, and the task to its check, when
    a task builds its requests.

    lmms-eval sets ``task.args`` (its parsed ``--output_path``, ``--model_args``, ... after any
    ``--config`` YAML is applied) and the task's final settings (``num_fewshot`` included) on
    every task before ``build_all_requests``, which runs before any request reaches the model.
    Idempotent.
    """
    from lmms_eval.api.task import ConfigurableTask

    if getattr(ConfigurableTask, "_headrouter_run_hook_installed", False):
        return
    build = ConfigurableTask.build_all_requests

    def build_and_bind(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _ACTIVE is not None:
            _ACTIVE.bind(getattr(self, "args", None))
        if _CHECK_TASK is not None:
            _CHECK_TASK(self)
        return build(self, *args, **kwargs)

    ConfigurableTask.build_all_requests = build_and_bind
    ConfigurableTask._headrouter_run_hook_installed = True


class StatsWriter:
    """Stream per-sample records to JSONL; write the summary on :meth:`finish`."""

    def __init__(self, stats_dir: str | Path | None, rank: int, meta: dict[str, Any], run_id: str) -> None:
        self.meta = meta
        self.rank = rank
        self.run_id = run_id
        self.totals = {"samples": 0, "audio_tokens": 0, "kept_tokens": 0, "prefill_s": 0.0, "unpruned_no_audio": 0}
        self.dir = Path(stats_dir) if stats_dir else None
        self._file = None
        if self.dir is not None:
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise ValueError(f"stats folder {self.dir} is a file, not a folder (model arg stats_dir or "
                                 "lmms-eval's --output_path)") from None
            path = self.dir / STATS_NAME.format(run_id=run_id, rank=rank)
            try:
                # "x": a run's stats are never overwritten, whatever reuses its id
                self._file = open(path, "x", encoding="utf-8")
            except FileExistsError:
                raise ValueError(f"{path} already exists: pruning stats of run {run_id} are there already; "
                                 "give each run its own --output_path or stats_dir") from None

    @property
    def stats_path(self) -> Path:
        return self.dir / STATS_NAME.format(run_id=self.run_id, rank=self.rank)

    @property
    def summary_path(self) -> Path:
        return self.dir / SUMMARY_NAME.format(run_id=self.run_id, rank=self.rank)

    def write(self, task: str, doc_id: Any, record: PrefillRecord, item: str | None = None) -> None:
        # ``item``: the doc's stable id (headrouter_eval.profiles.holdout), so a leaderboard can
        # tell whether a run scored an item some profile was calibrated on
        row = {"task": task, "doc_id": doc_id, **({"item": item} if item else {}), **self.meta}
        fields = asdict(record)
        row.update({k: v for k, v in fields.items() if k != "extra"})
        row.update(record.extra)
        self.totals["samples"] += 1
        self.totals["audio_tokens"] += record.audio_tokens
        self.totals["kept_tokens"] += record.kept_tokens
        self.totals["prefill_s"] += record.prefill_s
        self.totals["unpruned_no_audio"] += int(record.audio_tokens == 0)
        if self._file is not None:
            self._file.write(json.dumps(row) + "\n")
            self._file.flush()

    def summary(self) -> dict[str, Any]:
        t = self.totals
        return {
            **self.meta,
            "samples": t["samples"],
            "audio_tokens": t["audio_tokens"],
            "kept_tokens": t["kept_tokens"],
            "achieved_retention": t["kept_tokens"] / t["audio_tokens"] if t["audio_tokens"] else None,
            "mean_prefill_s": t["prefill_s"] / t["samples"] if t["samples"] else None,
            "samples_without_audio": t["unpruned_no_audio"],
        }

    def finish(self) -> dict[str, Any]:
        summary = {**self.summary(), "complete": True}
        if self._file is not None:
            self._file.close()
            self._file = None
            # write-then-rename: a rank killed mid-write must not leave a torn summary
            tmp = self.summary_path.with_name(self.summary_path.name + ".tmp")
            tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            tmp.replace(self.summary_path)
        return summary
