"""Keep HeadRouter's calibration items out of evaluation, for every method alike.

A task class wrapped by :func:`excluding` drops, after loading its documents, every
item a given profile holds out for calibration, recognised by its content
(:class:`CalibrationItems`, :mod:`headrouter_eval.profiles.holdout`) whatever the task
is called, and records what it did in the task's metadata
(``metadata.held_out``: profiles, items excluded, items left), which lmms-eval writes
into the results file. The filter knows nothing about the model being evaluated, so
HeadRouter and every baseline of one comparison score exactly the same items.

Which profiles to honour comes from, in this order:

* the task config key ``exclude_calibration`` (a profile path or a list of them), set
  in a YAML passed to ``--tasks`` like ``dataset_path`` (see tasks/README.md);
* the environment variable ``HEADROUTER_EXCLUDE_CALIBRATION`` (paths separated by the
  OS path separator), which ``headrouter-eval sweep`` sets for every run of a model
  whose grid has a HeadRouter profile.

The task utils of the bundled tasks use it in one line:
``AudioMarathonTask = excluding(AudioMarathonTask)``. Any other lmms-eval task (a stock
lmms-eval task, a user's YAML) is filtered the same way by :func:`install_for_every_task`,
which every headrouter-eval model calls when lmms-eval creates it (before lmms-eval loads
the tasks); there only the environment variable names the profiles, as such tasks'
configs have no ``exclude_calibration`` key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from headrouter_eval.profiles.format import HeadProfile, load_profile
from headrouter_eval.profiles.holdout import CONTENT_RULE, content_id, legacy_item_id

CONFIG_KEY = "exclude_calibration"
ENV_VAR = "HEADROUTER_EXCLUDE_CALIBRATION"


def profiles_to_exclude(config_value: Any) -> list[str]:
    """Profile paths from the task config value, else from the environment; [] when none."""
    if config_value:
        values = config_value if isinstance(config_value, (list, tuple)) else [config_value]
        return [str(v) for v in values if str(v).strip()]
    env = os.environ.get(ENV_VAR, "")
    return [part for part in env.split(os.pathsep) if part.strip()]


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
    """A subclass of the lmms-eval task class ``base`` that drops held-out calibration items,
    honouring the task config key as well as the environment variable."""

    class ExcludingCalibration(base):
        _headrouter_excluding = True  # the process-wide filter (install_for_every_task) leaves it alone

        def __init__(self, config: dict | None = None, model_name: str | None = None, **kwargs: Any) -> None:
            cfg = dict(config or {})
            self._exclude_profiles = profiles_to_exclude(cfg.pop(CONFIG_KEY, None))
            cfg.pop("class", None)  # lmms-eval's TaskConfig has no such field
            super().__init__(config=cfg, model_name=model_name, **kwargs)

        def download(self, dataset_kwargs: dict | None = None) -> None:
            super().download(dataset_kwargs)
            drop_held_out(self, self._exclude_profiles)

        def build_all_requests(self, *, limit: int | None = None, offset: int = 0, **kwargs: Any) -> None:
            super().build_all_requests(limit=limit, offset=offset, **kwargs)
            count_evaluated(self, limit, offset)

    ExcludingCalibration.__name__ = ExcludingCalibration.__qualname__ = f"{base.__name__}ExcludingCalibration"
    return ExcludingCalibration


def install_for_every_task() -> None:
    """Apply the filter to every lmms-eval task loaded from now on in this process, whatever its
    class or YAML, with the profiles of ``HEADROUTER_EXCLUDE_CALIBRATION``.

    Every headrouter-eval model calls this when lmms-eval creates it, which lmms-eval does
    before it loads the tasks, so one environment variable keeps the calibration items out of
    any task for every method alike. Idempotent; a task class made by :func:`excluding` keeps its
    own handling (it also reads the task config key).
    """
    from lmms_eval.api.task import ConfigurableTask

    if getattr(ConfigurableTask, "_headrouter_filter_installed", False):
        return
    download, build = ConfigurableTask.download, ConfigurableTask.build_all_requests

    def filtered_download(self: Any, *args: Any, **kwargs: Any) -> None:
        download(self, *args, **kwargs)
        profiles = profiles_to_exclude(None)
        # nothing asked: a task's results stay exactly lmms-eval's (no held_out record)
        if profiles and not getattr(self, "_headrouter_excluding", False):
            drop_held_out(self, profiles)

    def counted_build(self: Any, *args: Any, limit: int | None = None, offset: int = 0, **kwargs: Any) -> None:
        build(self, *args, limit=limit, offset=offset, **kwargs)
        if not getattr(self, "_headrouter_excluding", False):
            count_evaluated(self, limit, offset)

    ConfigurableTask.download = filtered_download
    ConfigurableTask.build_all_requests = counted_build
    ConfigurableTask._headrouter_filter_installed = True
