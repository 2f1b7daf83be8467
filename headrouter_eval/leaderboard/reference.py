"""The paper's vanilla reference numbers, to show beside runs (never mixed into them).

The numbers live in ``paper_reference.yaml`` next to this module (copied from the
benchmarks' published tables: AudioMarathon arXiv 2510.07293, MMAU-Pro arXiv 2508.13992).
Each benchmark maps the paper's column labels to our lmms-eval task names, so a reference
value lands in the column of the task that measures it. A reference model matches a run's model when the run's model tag
contains the reference model's name (``Qwen2.5-Omni-3B`` matches a checkpoint folder
``.../Qwen2.5-Omni-3B``), case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_REFERENCE = Path(__file__).with_name("paper_reference.yaml")


@dataclass
class ReferenceRow:
    """Published vanilla scores of one model, keyed by our task names."""

    model: str
    source: str
    scores: dict[str, float] = field(default_factory=dict)

    def matches(self, model_tag: str) -> bool:
        return self.model.lower() in model_tag.lower()


def load_reference(path: Path = DEFAULT_REFERENCE) -> list[ReferenceRow]:
    """Read a reference YAML; errors name the file and the entry at fault."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read reference numbers ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), dict):
        raise ValueError(f"{path}: expected a mapping with a 'benchmarks' mapping")
    rows: dict[str, ReferenceRow] = {}
    for bench, spec in data["benchmarks"].items():
        where = f"{path}: benchmarks.{bench}"
        if not isinstance(spec, dict) or not isinstance(spec.get("tasks"), dict) or not isinstance(
            spec.get("models"), dict
        ):
            raise ValueError(f"{where}: needs 'tasks' (paper label -> task name) and 'models' mappings")
        for model, values in spec["models"].items():
            if not isinstance(values, dict):
                raise ValueError(f"{where}.models.{model}: expected label -> number")
            row = rows.setdefault(model, ReferenceRow(model=model, source=str(data.get("source", path))))
            for label, value in values.items():
                if label not in spec["tasks"]:
                    raise ValueError(f"{where}.models.{model}: label {label!r} is not in {where}.tasks")
                if not isinstance(value, (int, float)):
                    raise ValueError(f"{where}.models.{model}.{label}: {value!r} is not a number")
                row.scores[str(spec["tasks"][label])] = float(value)
    return list(rows.values())
