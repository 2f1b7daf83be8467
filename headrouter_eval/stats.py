"""Per-sample pruning stats, written next to lmms-eval's own output.

Each rank writes ``pruning_stats_rank<R>.jsonl`` (one JSON object per sample: task,
doc id, audio tokens, kept tokens, prefill time, pruner extras) while it runs, and
``pruning_summary_rank<R>.json`` only once every request was answered. A run without
the summary did not finish, whatever else it left behind: the leaderboard and the
sweep treat it as incomplete.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from headrouter_eval.omni.prune import PrefillRecord

logger = logging.getLogger(__name__)

STATS_NAME = "pruning_stats_rank{rank}.jsonl"
SUMMARY_NAME = "pruning_summary_rank{rank}.json"


def cli_output_path(argv: list[str] | None = None) -> str | None:
    """lmms-eval's ``--output_path`` from the command line, if it was started from its CLI.

    lmms-eval does not hand the output folder to model classes, so this is the only
    way to put our stats beside its results without a second argument.
    """
    argv = sys.argv if argv is None else argv
    for i, arg in enumerate(argv):
        if arg == "--output_path" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output_path="):
            return arg.split("=", 1)[1]
    return None


class StatsWriter:
    """Stream per-sample records to JSONL; write the summary on :meth:`finish`."""

    def __init__(self, stats_dir: str | Path | None, rank: int, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.rank = rank
        self.totals = {"samples": 0, "audio_tokens": 0, "kept_tokens": 0, "prefill_s": 0.0, "unpruned_no_audio": 0}
        self.dir = Path(stats_dir) if stats_dir else None
        self._file = None
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            # a summary left by an earlier run in this folder must not vouch for this one
            self.summary_path.unlink(missing_ok=True)
            self._file = open(self.dir / STATS_NAME.format(rank=rank), "w", encoding="utf-8")

    @property
    def summary_path(self) -> Path:
        return self.dir / SUMMARY_NAME.format(rank=self.rank)

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
            self.summary_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        return summary
