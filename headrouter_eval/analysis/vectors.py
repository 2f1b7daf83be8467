"""Read per-sample head vectors: calibration's ``*.vectors.jsonl`` or an evaluation's pruning stats.

Both hold one JSON object per sample with ``task`` and ``selectivity`` (per-head
selectivity at the scoring layer); calibration rows also carry ``class``. Stats rows of
other pruners (no ``selectivity``) are skipped; a file with no usable row is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from headrouter_eval.jsonl import read_jsonl


@dataclass
class HeadVectors:
    tasks: list[str]  # per sample
    classes: list[str | None]  # per sample, when known
    selectivity: np.ndarray  # (samples, heads)
    scoring_layer: int | None = None

    @property
    def task_names(self) -> list[str]:
        """Tasks ordered by class, then name (so the heatmap groups semantic and acoustic rows)."""
        first_class = {}
        for task, cls in zip(self.tasks, self.classes):
            first_class.setdefault(task, cls or "")
        return sorted(first_class, key=lambda t: (first_class[t], t))


def load_vectors(paths: list[str | Path]) -> HeadVectors:
    tasks, classes, rows, layers = [], [], [], set()
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"head-vector file {path} does not exist")
        for number, row in read_jsonl(path):
            if "selectivity" not in row:
                continue
            if "task" not in row:
                raise ValueError(f"{path}:{number}: row has 'selectivity' but no 'task'")
            if rows and len(row["selectivity"]) != len(rows[0]):
                raise ValueError(f"{path}:{number}: {len(row['selectivity'])} heads, earlier rows had {len(rows[0])}")
            tasks.append(str(row["task"]))
            classes.append(row.get("class"))
            rows.append([float(v) for v in row["selectivity"]])
            if "scoring_layer" in row:
                layers.add(int(row["scoring_layer"]))
            elif "layer" in row:  # pruning stats carry the pruning layer K; scoring is at K-1 (0 for K=0)
                layers.add(max(int(row["layer"]) - 1, 0))
    if not rows:
        names = [str(p) for p in paths]
        raise ValueError(f"no per-sample head vectors (rows with 'task' and 'selectivity') in {names}; only "
                         "headrouter_qwen_omni stats and calibration *.vectors.jsonl files hold them")
    if len(layers) > 1:
        raise ValueError(f"head vectors come from different scoring layers {sorted(layers)}; analyse one at a time")
    return HeadVectors(tasks, classes, np.asarray(rows, dtype=np.float64), layers.pop() if layers else None)
