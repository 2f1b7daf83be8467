"""Keep HeadRouter's calibration items out of evaluation, for every method alike.

Tasks made by :func:`excluding` (the bundled ones) or wrapped by :class:`ExcludingTask` (any
other) drop every item the given profiles hold out, recognised by content, and record it
in ``metadata.held_out``; :func:`wrapper_yaml` writes the wrappers the sweep uses. How to
use it: docs/headrouter.md, "Calibration never touches an evaluated item".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from headrouter_eval.profiles.format import HeadProfile, load_profile
from headrouter_eval.profiles.holdout import CONTENT_RULE, content_id, legacy_item_id

CONFIG_KEY = "exclude_calibration"
#: the class a wrapped task's own YAML names (kept out of lmms-eval's TaskConfig, which has no such field)
TASK_CLASS_KEY = "task_class"
#: how a task YAML names :class:`ExcludingTask` (lmms-eval imports it by this dotted path)
WRAPPER_CLASS = "headrouter_eval.profiles.exclusion.ExcludingTask"


def profiles_to_exclude(config_value: Any) -> list[str]:
    """Profile paths from the task config value; [] when none."""
    if not config_value:
        return []
    values = config_value if isinstance(config_value, (list, tuple)) else [config_value]
    return [str(v) for v in values if str(v).strip()]


class CalibrationItems:
    """Recognises the items some profiles hold out for calibration, by content, under any task name.

    Content-id profiles (``id_rule: content-v1``) match a document by its content id alone.
    Task-name-id profiles (no ``id_rule``: ``task-v0``) match a document whose old-rule id,
    computed under *any* task name the profile holds items for, is held out: the same
    records read through a renamed task are still recognised.
    """

    def __init__(self, profiles: Iterable[HeadProfile]) -> None:
        self.content: dict[str, str] = {}  # item id -> source of the profile holding it out
        self.legacy: dict[str, str] = {}
        self.legacy_tasks: set[str] = set()
        self.sources: list[str] = []
        for profile in profiles:
            source = str(profile.source)
            self.sources.append(source)
            target = self.content if profile.id_rule == CONTENT_RULE else self.legacy
            for task, ids in profile.held_out_items.items():
                target.update({item: source for item in ids})
                if target is self.legacy and ids:
                    self.legacy_tasks.add(task)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path]) -> CalibrationItems:
        return cls(load_profile(path) for path in paths)

    def __bool__(self) -> bool:
        return bool(self.content or self.legacy)

    def holder(self, doc: Mapping[str, Any]) -> str | None:
        """The profile that holds ``doc`` out for calibration, or None."""
        if self.content:
            held = self.content.get(content_id(doc))
            if held is not None:
                return held
        for task in sorted(self.legacy_tasks):
            held = self.legacy.get(legacy_item_id(task, doc))
            if held is not None:
                return held
        return None


def drop_held_out(task_obj: Any, profile_paths: list[str]) -> None:
    """Drop from a loaded lmms-eval task object (any class) the items the profiles hold out, and
    record what was done in ``config.metadata.held_out`` (which lmms-eval writes into the results)."""
    task_obj._headrouter_held_out_done = True
    task = str(task_obj.config.task)
    held = CalibrationItems.from_paths(profile_paths)
    split = task_obj.config.test_split or "test"
    docs = task_obj.dataset[split]
    per_profile = {str(Path(path)): 0 for path in profile_paths}
    by_source = {source: str(Path(path)) for source, path in zip(held.sources, profile_paths)}
    keep = []
    for index, doc in enumerate(docs):
        holder = held.holder(doc) if held else None
        if holder is None:
            keep.append(index)
        else:
            per_profile[by_source[holder]] += 1
    excluded = len(docs) - len(keep)
    if excluded:
        task_obj.dataset[split] = docs.select(keep)
        no_media = getattr(task_obj, "dataset_no_image", None)
        if no_media is not None and no_media is not task_obj.dataset:
            no_media[split] = no_media[split].select(keep)
        if not keep:
            raise ValueError(f"task {task}: every item is held out for calibration by "
                             f"{sorted(per_profile)}; nothing is left to evaluate")
    metadata = task_obj.config.metadata if isinstance(task_obj.config.metadata, dict) else {}
    # per profile: how many of this task's items it held out (matched by content, so a task of
    # any name holding a profile's calibration records counts them)
    metadata["held_out"] = {"profiles": per_profile, "excluded": excluded, "evaluated": len(keep)}
    task_obj.config.metadata = metadata


def count_evaluated(task_obj: Any, limit: int | None, offset: int | None) -> None:
    """After ``build_all_requests``: ``held_out.evaluated`` is what really runs (lmms-eval's
    ``--limit`` and ``--offset`` cut the documents after the filter)."""
    held = task_obj.config.metadata.get("held_out") if isinstance(task_obj.config.metadata, dict) else None
    if isinstance(held, dict):
        left = len(task_obj.dataset[task_obj.config.test_split or "test"])
        runs = max(0, left - int(offset or 0))
        held["evaluated"] = runs if limit is None else min(runs, int(limit))


def excluding(base: type) -> type:
    """A subclass of the lmms-eval task class ``base`` that drops the held-out calibration items
    of the profiles under the task config key ``exclude_calibration``."""

    class ExcludingCalibration(base):
        _headrouter_excluding = True  # ExcludingTask uses such a class as it is, never wraps it twice

        def __init__(self, config: dict | None = None, model_name: str | None = None, **kwargs: Any) -> None:
            cfg = dict(config or {})
            self._exclude_profiles = profiles_to_exclude(cfg.pop(CONFIG_KEY, None))
            # lmms-eval's TaskConfig has neither field
            cfg.pop("class", None)
            cfg.pop(TASK_CLASS_KEY, None)
            super().__init__(config=cfg, model_name=model_name, **kwargs)

        def download(self, dataset_kwargs: dict | None = None) -> None:
            super().download(dataset_kwargs)
            drop_held_out(self, self._exclude_profiles)

        def build_all_requests(self, *, limit: int | None = None, offset: int = 0, **kwargs: Any) -> None:
            super().build_all_requests(limit=limit, offset=offset, **kwargs)
            count_evaluated(self, limit, offset)

    ExcludingCalibration.__name__ = ExcludingCalibration.__qualname__ = f"{base.__name__}ExcludingCalibration"
    return ExcludingCalibration


@cache
def _excluding_cached(base: type) -> type:
    # one subclass per wrapped class, however many tasks use it
    return excluding(base)


class ExcludingTask:
    """Any lmms-eval task, minus the items the profiles under ``exclude_calibration`` hold out.

    Named as ``class`` in a task YAML (:data:`WRAPPER_CLASS`). lmms-eval constructs it with the
    task's merged config; it builds the task with lmms-eval's ``ConfigurableTask``, or with the
    class under ``task_class``, made to drop the items (:func:`excluding`) unless that class
    already does. The object returned is that task, so lmms-eval sees an ordinary task.
    """

    def __new__(cls, config: dict | None = None, model_name: str | None = None, **kwargs: Any) -> Any:
        from lmms_eval.api.task import ConfigurableTask

        cfg = dict(config or {})
        task = cfg.get("task", "?")
        if not profiles_to_exclude(cfg.get(CONFIG_KEY)):
            raise ValueError(f"task {task}: class ExcludingTask needs '{CONFIG_KEY}: <profile path or list>' "
                             "in the same YAML; it names no profile")
        base = cfg.pop(TASK_CLASS_KEY, None) or ConfigurableTask
        if not (isinstance(base, type) and issubclass(base, ConfigurableTask)):
            raise ValueError(f"task {task}: '{TASK_CLASS_KEY}' must name an lmms-eval ConfigurableTask class "
                             f"(as '!function module.Class'), got {base!r}")
        made = base if getattr(base, "_headrouter_excluding", False) else _excluding_cached(base)
        return made(config=cfg, model_name=model_name, **kwargs)

    def __init__(self, config: dict | None = None, model_name: str | None = None, **kwargs: Any) -> None:
        # never runs (__new__ returns the task itself); lmms-eval reads this signature to pass config=
        raise AssertionError("ExcludingTask.__new__ returns the wrapped task")


def wrapper_yaml(task: str, profiles: Iterable[str]) -> str:
    """A task YAML that lmms-eval merges over the task, group or tag ``task``, making every task it
    holds drop the items ``profiles`` hold out (what ``headrouter-eval sweep`` gives ``--tasks``)."""
    # JSON strings are YAML strings: any path or name is quoted safely
    return (f"task: {json.dumps(task)}\n"
            f"class: !function {WRAPPER_CLASS}\n"
            f"{CONFIG_KEY}: {json.dumps([str(p) for p in profiles])}\n")
