"""Which task class (semantic, acoustic, mixed) each lmms-eval task belongs to, for calibration and analysis.

The default mapping and its reasons: docs/headrouter.md, "Three routed profiles and the default
mapping". Matching rules kept here: AudioMarathon names are matched by their *tokens* (split
at ``_``, ``-``, ``.``), so ``audiomarathon_ser`` is semantic and ``am_er`` acoustic whatever
the prefix; a name holding the token ``semantic``, ``acoustic`` or ``mixed`` maps to it. In a
user mapping (``--mapping``:
a JSON/YAML file or ``task=class`` pairs) exact names win over shell-style patterns, and
patterns are tried in the order given.
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
    "mixed": "mixed",
}
CLASSES = ("semantic", "acoustic", "mixed")
MMAU_PRO_PREFIX = "mmaupro_"
MMAU_PRO_CLASSES: dict[str, str] = {
    "sound": "acoustic",  # environmental sounds: what is heard, not said
    "music": "acoustic",  # instruments, genre, tempo, key
    "sound_music": "acoustic",  # two non-speech domains, still no words to understand
    "spatial": "acoustic",  # direction and distance from binaural cues
    "speech": "semantic",  # mostly what is said (content, intent, reasoning over it)
    "voice_chat": "semantic",  # a spoken request to understand and answer
    "instruction_following": "semantic",  # follow spoken/written instructions; judged on content
    "sound_speech": "mixed",  # needs the words and the sound events together
    "music_speech": "mixed",  # lyrics or talk together with musical attributes
    "sound_music_speech": "mixed",  # all three domains at once
    "multi": "mixed",  # several clips of any domain compared or combined
    "open": "mixed",  # open-ended questions over every domain
    "other_closed": "mixed",  # closed questions of a category not named above: domain unknown
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
    from headrouter_eval.synth.tasks import get_task

    try:
        return get_task(task[len(prefix):].removeprefix("calib_")).task_class
    except KeyError:
        return None


def class_of(task: str, mapping: dict[str, str] | None) -> str:
    """The class of ``task``; :class:`MappingError` naming the task when nothing matches."""
    if mapping is None:
        synth = _synth_class(task)
        if synth is not None:
            return synth
        if task.startswith(MMAU_PRO_PREFIX) and task[len(MMAU_PRO_PREFIX):] in MMAU_PRO_CLASSES:
            return MMAU_PRO_CLASSES[task[len(MMAU_PRO_PREFIX):]]
        tokens = [t for t in re.split(r"[_\-.]", task.lower()) if t]
        for token in reversed(tokens):  # the most specific token is usually last
            if token in AUDIOMARATHON_CLASSES:
                return AUDIOMARATHON_CLASSES[token]
        raise MappingError(
            f"task {task!r} is neither an AudioMarathon task (no token of {sorted(AUDIOMARATHON_CLASSES)} in its "
            f"name) nor a MMAU-Pro category ({MMAU_PRO_PREFIX}<{'|'.join(MMAU_PRO_CLASSES)}>); give its class with "
            "--mapping, e.g. --mapping '" + task + "=acoustic'"
        )
    if task in mapping:
        return mapping[task]
    for pattern, cls in mapping.items():
        if fnmatch.fnmatchcase(task, pattern):
            return cls
    raise MappingError(f"task {task!r} matches no entry of the mapping ({sorted(mapping)})")
