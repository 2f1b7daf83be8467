"""Which task class (semantic, acoustic, ...) each lmms-eval task belongs to, for calibration and analysis.

Default: AudioMarathon's split (semantic = ASR, SCR, SER; acoustic = ASC, MC, SED, SD,
ER, SAR, SGR), matched against the *tokens* of a task name (split at ``_``, ``-``,
``.``), so ``audiomarathon_ser`` is semantic and ``audiomarathon_er`` acoustic whatever
the prefix. The synthetic benchmark's tasks (``hr_synth_<name>``) take the class their
definition declares (``headrouter_eval.synth.tasks``), and a task whose name holds the
token ``semantic`` or ``acoustic`` maps to that class.

A user mapping (``--mapping``) is either a JSON/YAML file or ``task=class`` pairs
separated by commas. Keys are task names or shell-style patterns (``hr_synth_*``);
a file may also map each class to a list of tasks/patterns. Exact names win over
patterns; patterns are tried in the order given.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

AUDIOMARATHON_CLASSES: dict[str, str] = {
    **{task: "semantic" for task in ("asr", "scr", "ser")},
    **{task: "acoustic" for task in ("asc", "mc", "sed", "sd", "er", "sar", "sgr")},
    "semantic": "semantic",
    "acoustic": "acoustic",
}


class MappingError(ValueError):
    """A task-to-class mapping that cannot be read, or a task it does not cover."""


def parse_mapping(spec: str | None) -> dict[str, str] | None:
    """``None`` for the default mapping, else ``{task or pattern: class}`` from a file or pairs."""
    if spec is None or not str(spec).strip():
        return None
    spec = str(spec).strip()
    path = Path(spec)
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        if not path.is_file():
            raise MappingError(f"mapping file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
        return _from_dict(data, str(path))
    pairs = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        task, sep, cls = item.partition("=")
        if not sep or not task.strip() or not cls.strip():
            raise MappingError(f"mapping item {item!r} is not task=class (in --mapping {spec!r})")
        pairs[task.strip()] = cls.strip()
    return pairs


def _from_dict(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict) or not data:
        raise MappingError(f"{where}: expected a mapping of task -> class (or class -> [tasks])")
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):  # class -> [tasks]
            out.update({str(task): str(key) for task in value})
        elif isinstance(value, str):
            out[str(key)] = value
        else:
            raise MappingError(f"{where}: entry {key!r} maps to {value!r}; expected a class name or a list of tasks")
    return out


def _synth_class(task: str) -> str | None:
    """Class declared by the hr_synth task definition, for ``hr_synth_[calib_]<name>`` tasks."""
    prefix = "hr_synth_"
    if not task.startswith(prefix):
        return None
    from headrouter_eval.synth.tasks import TASKS

    name = task[len(prefix):]
    definition = TASKS.get(name.removeprefix("calib_"))
    return definition.task_class if definition is not None else None


def class_of(task: str, mapping: dict[str, str] | None) -> str:
    """The class of ``task``; :class:`MappingError` naming the task when nothing matches."""
    if mapping is None:
        synth = _synth_class(task)
        if synth is not None:
            return synth
        tokens = [t for t in re.split(r"[_\-.]", task.lower()) if t]
        for token in reversed(tokens):  # the most specific token is usually last
            if token in AUDIOMARATHON_CLASSES:
                return AUDIOMARATHON_CLASSES[token]
        raise MappingError(
            f"task {task!r} is not an AudioMarathon task (no token of {sorted(AUDIOMARATHON_CLASSES)} in its "
            "name); give its class with --mapping, e.g. --mapping '" + task + "=acoustic'"
        )
    if task in mapping:
        return mapping[task]
    for pattern, cls in mapping.items():
        if fnmatch.fnmatchcase(task, pattern):
            return cls
    raise MappingError(f"task {task!r} matches no entry of the mapping ({sorted(mapping)})")
