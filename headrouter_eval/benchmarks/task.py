"""An lmms-eval task class that loads our benchmarks itself and hands scoring options
to ``process_results``.

Why a class and not plain YAML: lmms-eval 0.7.3 has no ``--task_kwargs``, and
``process_results(doc, results)`` never sees the task config, so options such as the answer
parser or the MMAU-Pro matcher could not reach the scorer. The task YAMLs name this class;
the options (``dataset_path``, ``dataset_kwargs``, ``scoring``) come in as ordinary
task-config keys (tasks/README.md). The benchmark modules read the data themselves
(``load_docs``): their layouts are not ``datasets.load_dataset`` formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from datasets import Dataset, DatasetDict
from lmms_eval.api.task import ConfigurableTask


class BenchmarkTask(ConfigurableTask):
    """Base class: subclasses set ``SCORING_DEFAULTS`` and implement :meth:`load_docs`."""

    SCORING_DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: Mapping[str, Any] | None = None, model_name: str | None = None) -> None:
        if config is None:
            raise ValueError(f"{type(self).__name__} needs a task config")
        cfg = dict(config)
        cfg.pop("class", None)  # lmms-eval's TaskConfig has no such field
        self.scoring = self.resolve_scoring(cfg.pop("scoring", None), task=str(cfg.get("task")))
        metadata = dict(cfg.get("metadata") or {})
        metadata["scoring"] = dict(self.scoring)  # dumped with the results: says how scores were made
        # The options that change this task's numbers, in one line the leaderboard compares.
        metadata["scoring_mode"] = self.scoring_mode(self.scoring, task=str(cfg.get("task")))
        cfg["metadata"] = metadata
        super().__init__(config=cfg, model_name=model_name)

    MODE_KEYS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def scoring_mode(cls, scoring: Mapping[str, Any], *, task: str) -> str:
        """``key=value`` of the scoring options that change this task's scores (``MODE_KEYS``)."""
        return ", ".join(f"{key}={scoring.get(key)}" for key in cls.MODE_KEYS)

    @classmethod
    def resolve_scoring(cls, given: Mapping[str, Any] | None, *, task: str) -> dict[str, Any]:
        """Defaults overlaid with the user's options; an unknown option is an error, not ignored."""
        options = dict(cls.SCORING_DEFAULTS)
        for key, value in dict(given or {}).items():
            if key not in options:
                raise ValueError(
                    f"task {task}: unknown scoring option {key!r}; known options: {sorted(options)}"
                )
            options[key] = value
        return options

    def load_docs(self, dataset_path: str, dataset_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError(f"{type(self).__name__} must implement load_docs")

    def download(self, dataset_kwargs: dict[str, Any] | None = None) -> None:
        task = self.config.task
        if not self.config.dataset_path:
            raise ValueError(f"task {task}: dataset_path is not set (a hub id or a local folder)")
        docs = self.load_docs(str(self.config.dataset_path), dict(dataset_kwargs or {}))
        if not docs:
            raise ValueError(f"task {task}: no records found in {self.config.dataset_path}")
        split = self.config.test_split or "test"
        self.dataset = DatasetDict({split: Dataset.from_list(docs)})
        self.dataset_no_image = self.dataset

    def process_results(self, doc: dict, results: list, full_docs: Any = None) -> dict:
        replies = results[0] if results and isinstance(results[0], list) else results
        # Not stripped here (lmms-eval's own base class strips): some official checkers
        # are whitespace-sensitive and each scorer decides.
        replies = ["" if r is None else str(r) for r in replies]
        return self.config.process_results(doc, replies, options=self.scoring)
