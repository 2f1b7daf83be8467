"""Per-sample pruning stats, written beside lmms-eval's own results of the same run.

lmms-eval writes a run's results to ``<output_path>/<model name>/<date>_results.json``
(the model name is the ``pretrained=`` model arg, sanitised; ``<date>`` is the
``YYYYMMDD_HHMMSS`` stamp it takes when the run starts). Each rank writes, into that same
folder and under that same stamp:

* ``<date>_pruning_stats_rank<R>.jsonl`` (one JSON object per sample: task, doc id, audio
  tokens, kept tokens, prefill time, pruner extras) while it runs, and
* ``<date>_pruning_summary_rank<R>.json`` only once every request was answered.

So two runs sharing one ``--output_path`` never overwrite each other's stats, and the
leaderboard pairs a results file with its stats by name. A run without the summary did
not finish, whatever else it left behind: the leaderboard and the sweep treat it as
incomplete. With the ``stats_dir`` model arg the files go there instead, same names.
"""

from __future__ import annotations

import json
import logging
import sys
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


def _cli_value(flag: str, argv: list[str] | None = None) -> str | None:
    argv = sys.argv if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def cli_output_path(argv: list[str] | None = None) -> str | None:
    """lmms-eval's ``--output_path`` from the command line, if it was started from its CLI.

    lmms-eval does not hand the output folder to model classes, so this is the only
    way to put our stats beside its results without a second argument.
    """
    return _cli_value("--output_path", argv)


def results_folder(output_path: str | Path, argv: list[str] | None = None) -> Path:
    """The folder lmms-eval writes this run's ``*_results.json`` into.

    lmms-eval appends the model name it reads from ``--model_args`` (``pretrained=...``),
    sanitised; its own functions are used so the two can never disagree.
    """
    from lmms_eval.loggers.evaluation_tracker import GeneralConfigTracker
    from lmms_eval.utils import sanitize_model_name

    model_args = _cli_value("--model_args", argv) or ""
    return Path(output_path) / sanitize_model_name(GeneralConfigTracker._get_model_name(model_args))


def lmms_eval_run_stamp() -> str:
    """The ``YYYYMMDD_HHMMSS`` stamp lmms-eval names this run's results with.

    lmms-eval takes it before building the model and passes it down as
    ``simple_evaluate(datetime_str=...)`` without giving it to the model, so it is read
    from that call's frame, which is on the stack while the model is built. Outside
    lmms-eval (a model built by hand) a fresh stamp in the same format is used.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "simple_evaluate" and frame.f_globals.get("__name__") == "lmms_eval.evaluator":
            stamp = frame.f_locals.get("datetime_str")
            if isinstance(stamp, str) and stamp:
                return stamp.replace(":", "-")  # as lmms-eval's file name does
        frame = frame.f_back
    from lmms_eval.utils import get_datetime_str

    return get_datetime_str()


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
                # "x": another run started in the same second into the same folder would
                # otherwise be overwritten silently (lmms-eval would overwrite its results too)
                self._file = open(path, "x", encoding="utf-8")
            except FileExistsError:
                raise ValueError(f"{path} already exists: another run into the same folder started in the same "
                                 "second; give each run its own --output_path or stats_dir") from None

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
