"""AudioMarathon item selection and input quirks of the benchmark's own Qwen2.5-Omni scripts.

Which records the official scripts drop or balance away, and the ``selection`` options:
tasks/README.md, "Point the tasks at the data". :func:`official_selection` reproduces the
class balancing with a private ``random.Random(42)``, which is the global generator's state
right after the scripts' ``random.seed(42)`` (no other draw comes before); ``random.sample``
is the same algorithm in every supported Python, so the same class lists in the same order
keep the same items. The ``random.shuffle`` that follows in the scripts only reorders, which
no metric reads, so it is not reproduced.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

OFFICIAL_SEED = 42
VESUS_DROPPED_PERSONS = ("2", "10")
# Class labels as the official loaders spell them, in the order their lists are sampled.
BALANCED_CLASSES = {"sd": ("real", "fake"), "sgr": ("male", "female")}
SELECTION_DEFAULTS: dict[str, str] = {"items": "official", "missing_audio": "error"}
SELECTION_CHOICES = {"items": ("official", "all"), "missing_audio": ("error", "skip")}


def resolve_selection(given: Mapping[str, Any] | None, *, task: str) -> dict[str, str]:
    """Defaults overlaid with the user's ``selection`` options; unknown keys or values are errors."""
    options = dict(SELECTION_DEFAULTS)
    for key, value in dict(given or {}).items():
        if key not in SELECTION_CHOICES:
            raise ValueError(f"task {task}: unknown selection option {key!r}; known: {sorted(SELECTION_CHOICES)}")
        if value not in SELECTION_CHOICES[key]:
            raise ValueError(f"task {task}: selection.{key} must be one of {SELECTION_CHOICES[key]}, not {value!r}")
        options[key] = value
    return options


def _class_of(doc: Mapping[str, Any]) -> str:
    """The gold choice text, lower-cased and stripped, as HAD/Vox store their labels."""
    options = dict(zip(doc["option_letters"], doc["option_texts"]))
    return str(options[doc["answer"]]).lower().strip()


def official_selection(docs: Sequence[dict], task: str) -> tuple[list[dict], dict[str, Any]]:
    """The docs the official script evaluates, and a record of what was dropped and why."""
    if task == "er":
        kept = [
            d for d in docs
            if not (d.get("person_id", "") in VESUS_DROPPED_PERSONS and d.get("emotion_label", "").lower() == "happy")
        ]
        rule = "VESUS: person_id 2 and 10 with emotion_label 'happy' dropped"
    elif task in BALANCED_CLASSES:
        first, second = BALANCED_CLASSES[task]
        groups = {label: [d for d in docs if _class_of(d) == label] for label in (first, second)}
        n = min(len(groups[first]), len(groups[second]))
        rng = random.Random(OFFICIAL_SEED)
        for label in (first, second):
            if len(groups[label]) > n:
                groups[label] = rng.sample(groups[label], n)
        chosen = {id(d) for label in (first, second) for d in groups[label]}
        kept = [d for d in docs if id(d) in chosen]  # the record order is kept; the script's shuffle is not
        rule = (f"classes {first}/{second} balanced to the smaller class by random.Random({OFFICIAL_SEED}).sample, "
                f"{first} first (other labels dropped, as the script's lists hold only these two)")
    else:
        return list(docs), {"rule": "every record (the official script selects none out)", "before": len(docs),
                            "after": len(docs), "dropped_ids": []}
    kept_ids = {id(d) for d in kept}
    dropped = [str(d["id"]) for d in docs if id(d) not in kept_ids]
    return kept, {"rule": rule, "before": len(docs), "after": len(kept), "dropped_ids": dropped}


def skip_missing_audio(docs: Sequence[dict]) -> tuple[list[dict], list[str]]:
    """Docs whose audio files all exist, and the ids of those skipped (the official skip)."""
    kept, skipped = [], []
    for doc in docs:
        (kept if all(Path(p).is_file() for p in doc["audio"]) else skipped).append(doc)
    return kept, [str(d["id"]) for d in skipped]


def redecoded_prompt(system: str, user: str) -> str:
    """What ``batch_decode(prompt + reply ids, skip_special_tokens=True)`` shows of Qwen2.5-Omni's
    chat template before the reply: role names and texts; the ``<|im_start|>`` / ``<|im_end|>`` and
    audio tokens are special and vanish. SLUE, Vox and Vox_age read this (plus the reply)
    when the reply alone is blank."""
    return f"system\n{system}\nuser\n{user}\nassistant\n"


# Tasks whose official main loop re-decodes prompt + reply when the reply is blank.
REDECODE_ON_EMPTY = frozenset({"ser", "sgr", "sar"})
