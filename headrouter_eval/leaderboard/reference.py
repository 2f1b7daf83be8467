"""The paper's vanilla reference numbers, to show beside runs (never mixed into them).

The numbers live in ``paper_reference.yaml`` next to this module (copied from the
benchmarks' published tables: AudioMarathon arXiv 2510.07293, MMAU-Pro arXiv 2508.13992).
Each benchmark maps the paper's column labels to our lmms-eval task names, so a reference
value lands in the column of the task that measures it. A reference model matches a run's model when the run's model tag
contains the reference model's name (``Qwen2.5-Omni-3B`` matches a checkpoint folder
``.../Qwen2.5-Omni-3B``), case-insensitively. The file's shape is the pydantic models
:class:`ReferenceFile` and :class:`Benchmark`; their errors read like every hand-edited
file's (``headrouter_eval/config_models.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import model_validator

from headrouter_eval.config_models import FileModel, Text, validate

DEFAULT_REFERENCE = Path(__file__).with_name("paper_reference.yaml")
NEEDS = "needs 'tasks' (paper label -> task name) and 'models' mappings"
NO_BENCHMARKS = "expected a mapping with a 'benchmarks' mapping"


@dataclass
class ReferenceRow:
    """Published vanilla scores of one model, keyed by our task names."""

    model: str
    source: str
    scores: dict[str, float] = field(default_factory=dict)

    def matches(self, model_tag: str) -> bool:
        return self.model.lower() in model_tag.lower()


class Benchmark(FileModel):
    """One benchmark's table: its column labels as our task names, and each model's row."""

    tasks: dict[str, Text]  # paper column label -> lmms-eval task (or group) name
    models: dict[str, dict[str, float]]  # model name -> paper column label -> published score

    wording = {(key, error): NEEDS for key in ("tasks", "models") for error in ("missing", "dict_type")}


class ReferenceFile(FileModel):
    """The whole file: where the numbers come from, and the benchmarks by name."""

    source: Text | None = None  # default: the file's path
    benchmarks: dict[str, Benchmark]

    wording = {("benchmarks", error): NO_BENCHMARKS for error in ("missing", "dict_type")}

    @model_validator(mode="after")
    def _labels_known(self) -> ReferenceFile:
        for bench, spec in self.benchmarks.items():
            for model, values in spec.models.items():
                for label in values:  # a label without a task would have no column to land in
                    if label not in spec.tasks:
                        raise ValueError(f"benchmarks.{bench}.models.{model}: label {label!r} is not in "
                                         f"benchmarks.{bench}.tasks")
        return self


def load_reference(path: Path = DEFAULT_REFERENCE) -> list[ReferenceRow]:
    """Read a reference YAML; errors name the file, the entry and the key at fault."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read reference numbers ({exc})") from exc
    reference = validate(ReferenceFile, data, str(path))
    rows: dict[str, ReferenceRow] = {}
    for spec in reference.benchmarks.values():
        for model, values in spec.models.items():
            row = rows.setdefault(model, ReferenceRow(model=model, source=reference.source or str(path)))
            row.scores.update({spec.tasks[label]: value for label, value in values.items()})
    return list(rows.values())
