"""Keep HeadRouter's calibration items out of evaluation, for every method alike.

A task class wrapped by :func:`excluding` drops, after loading its documents, every
item whose id (:func:`headrouter_eval.profiles.holdout.item_id`) a given profile
holds out for calibration, and records what it did in the task's metadata
(``metadata.held_out``: profiles, items excluded, items left), which lmms-eval writes
into the results file. The filter knows nothing about the model being evaluated, so
HeadRouter and every baseline of one comparison score exactly the same items.

Which profiles to honour comes from, in this order:

* the task config key ``exclude_calibration`` (a profile path or a list of them), set
  in a YAML passed to ``--tasks`` like ``dataset_path`` (see tasks/README.md);
* the environment variable ``HEADROUTER_EXCLUDE_CALIBRATION`` (paths separated by the
  OS path separator), which ``headrouter-eval sweep`` sets for every run of a model
  whose grid has a HeadRouter profile.

The task utils use it in one line: ``AudioMarathonTask = excluding(AudioMarathonTask)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from headrouter_eval.profiles.format import load_profile
from headrouter_eval.profiles.holdout import item_id

CONFIG_KEY = "exclude_calibration"
ENV_VAR = "HEADROUTER_EXCLUDE_CALIBRATION"


def profiles_to_exclude(config_value: Any) -> list[str]:
    """Profile paths from the task config value, else from the environment; [] when none."""
    if config_value:
        values = config_value if isinstance(config_value, (list, tuple)) else [config_value]
        return [str(v) for v in values if str(v).strip()]
    env = os.environ.get(ENV_VAR, "")
    return [part for part in env.split(os.pathsep) if part.strip()]


def held_out_ids(profile_paths: Iterable[str], task: str) -> tuple[set[str], dict[str, int]]:
    """Ids ``task`` must not score, and per profile how many of its held-out ids belong to ``task``."""
    ids: set[str] = set()
    per_profile: dict[str, int] = {}
    for path in profile_paths:
        profile = load_profile(path)
        mine = set(profile.held_out_items.get(task, []))
        ids |= mine
        per_profile[str(Path(path))] = len(mine)
    return ids, per_profile


def excluding(base: type) -> type:
    """A subclass of the lmms-eval task class ``base`` that drops held-out calibration items."""

    class ExcludingCalibration(base):
        def __init__(self, config: dict | None = None, model_name: str | None = None, **kwargs: Any) -> None:
            cfg = dict(config or {})
            self._exclude_profiles = profiles_to_exclude(cfg.pop(CONFIG_KEY, None))
            cfg.pop("class", None)  # lmms-eval's TaskConfig has no such field
            super().__init__(config=cfg, model_name=model_name, **kwargs)

        def download(self, dataset_kwargs: dict | None = None) -> None:
            super().download(dataset_kwargs)
            self._drop_held_out()

        def _drop_held_out(self) -> None:
            task = str(self.config.task)
            ids, per_profile = held_out_ids(self._exclude_profiles, task)
            split = self.config.test_split or "test"
            docs = self.dataset[split]
            keep = [i for i, doc in enumerate(docs) if item_id(task, doc) not in ids]
            excluded = len(docs) - len(keep)
            if excluded:
                self.dataset[split] = docs.select(keep)
                if self.dataset_no_image is not self.dataset:
                    self.dataset_no_image[split] = self.dataset_no_image[split].select(keep)
                if not keep:
                    raise ValueError(f"task {task}: every item is held out for calibration by "
                                     f"{sorted(per_profile)}; nothing is left to evaluate")
            metadata = self.config.metadata if isinstance(self.config.metadata, dict) else {}
            metadata["held_out"] = {"profiles": per_profile, "excluded": excluded, "evaluated": len(keep)}
            self.config.metadata = metadata

        def build_all_requests(self, *, limit: int | None = None, offset: int = 0, **kwargs: Any) -> None:
            super().build_all_requests(limit=limit, offset=offset, **kwargs)
            # lmms-eval's --limit (and offset) cut the documents after the filter: count what really runs
            held = self.config.metadata.get("held_out") if isinstance(self.config.metadata, dict) else None
            if isinstance(held, dict):
                left = len(self.dataset[self.config.test_split or "test"])
                runs = max(0, left - int(offset or 0))
                held["evaluated"] = runs if limit is None else min(runs, int(limit))

    ExcludingCalibration.__name__ = ExcludingCalibration.__qualname__ = f"{base.__name__}ExcludingCalibration"
    return ExcludingCalibration

