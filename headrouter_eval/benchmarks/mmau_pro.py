"""MMAU-Pro (arXiv 2508.13992): record loading, prompts and scoring glue.

One lmms-eval task per category (``mmaupro_<key>``, see ``CATEGORIES``), plus
``mmaupro_other_closed`` for closed rows of any other category. Scores are percentages; items
that cannot be scored (no judge, a judge failure, an instruction without a checker) are
counted under ``excluded``, and a task with no scorable item reports NaN, never 0. Data
layouts and options: tasks/README.md.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from loguru import logger

from headrouter_eval.audio import audio_item
from headrouter_eval.benchmarks.records import (
    RecordFormatError,
    audio_paths,
    hub_table,
    is_missing,
    parse_listish,
    pick,
    resolve_audio,
)
from headrouter_eval.benchmarks.task import BenchmarkTask
from headrouter_eval.scoring.instruction_following import check, is_known, normalise_kwargs
from headrouter_eval.scoring.judge import JudgeConfig, JudgeError, judge_open_answer
from headrouter_eval.scoring.mmau_match import (
    OFFICIAL_EMBEDDING_MODEL,
    EmbeddingMatcher,
    OfficialEmbeddingMatcher,
    deterministic_match,
    letters_for,
)

TASK_PREFIX = "mmaupro_"
AUDIO_POLICY = (
    "each clip decoded to 16 kHz mono float32 (soundfile + soxr); clips run to 10 min, and one longer than the "
    "family processor's window is handled by the model arg long_audio (truncate, the default: cut at the window as "
    "the official Qwen processor does, so the model hears only the first part; split: extra spans), which the "
    "model records"
)
# task key -> the data set's `category` value
CATEGORIES: dict[str, str] = {
    "sound": "sound",
    "music": "music",
    "speech": "speech",
    "sound_music": "sound_music",
    "music_speech": "music_speech",
    "sound_speech": "sound_speech",
    "sound_music_speech": "sound_music_speech",
    "spatial": "spatial_audio",
    "voice_chat": "voice_chat",
    "multi": "multi",
    "open": "open",
    "instruction_following": "instruction following",
    # Not a data set category: every closed category but the ten above (see OTHER_CLOSED).
    "other_closed": "*",
}
OTHER_CLOSED = "other_closed"
KIND = {key: ("open" if key == "open" else "if" if key == "instruction_following" else "mc") for key in CATEGORIES}
REQUIRED = ("id", "audio_path", "question", "category")
TABLE_NAMES = ("test.parquet", "test.jsonl", "test.json")

SCORING_DEFAULTS: dict[str, Any] = {
    "matcher": "deterministic",  # or "official" (NV-Embed-v2) or "embedding" with embedding_model
    "embedding_model": None,
    "judge_url": None,  # OpenAI-compatible base URL, e.g. http://localhost:8000/v1
    "judge_model": None,
    "judge_api_key_env": "OPENAI_API_KEY",
    "if_checkers": "official",  # or "robust"
}


def task_key(task_name: str) -> str:
    key = task_name[len(TASK_PREFIX):] if task_name.startswith(TASK_PREFIX) else task_name
    if key not in CATEGORIES:
        raise ValueError(f"{task_name!r} is not an MMAU-Pro task; expected {TASK_PREFIX}<one of {list(CATEGORIES)}>")
    return key


def _norm_category(value: Any) -> str:
    return re.sub(r"[\s_\-]+", " ", str(value).strip().lower())


def _read_table(path: Path) -> list[dict]:
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_dict(orient="records")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise RecordFormatError(f"{path}: expected a JSON list of rows, got {type(data).__name__}")
    return data


def load_rows(dataset_path: str, dataset_kwargs: Mapping[str, Any]) -> tuple[list[dict], Path, str]:
    """(rows, audio root, source description) from a folder, a table file, or the hub."""
    kwargs = dict(dataset_kwargs)
    audio_root = kwargs.pop("audio_root", None)
    local = Path(dataset_path).expanduser()
    table = None
    if local.is_dir():
        table = next((local / n for n in TABLE_NAMES if (local / n).is_file()), None)
        if table is None:
            raise RecordFormatError(f"{local}: none of {list(TABLE_NAMES)} found")
    elif local.is_file():
        table = local
    if table is not None:
        if kwargs:
            raise ValueError(f"dataset_kwargs {sorted(kwargs)} are not used with a local table")
        root = Path(str(audio_root)).expanduser() if audio_root else table.parent
        return _read_table(table), root, str(table)
    if not audio_root:
        raise ValueError(
            f"dataset_path {dataset_path!r} is not a local folder or file; for the hub data set set "
            "dataset_kwargs.audio_root to the folder where data.zip was extracted (see tasks/README.md)"
        )
    table = hub_table(dataset_path, "test.parquet", kwargs)
    return _read_table(table), Path(str(audio_root)).expanduser(), f"{dataset_path}/test.parquet"


def _kwargs_list(value: Any, count: int, where: str) -> list[dict]:
    """Checker kwargs as one dict per instruction (parquet pads struct fields with None)."""
    if is_missing(value):
        return [{} for _ in range(count)]
    parsed = parse_listish(value, field="kwargs", where=where)
    items = parsed if isinstance(parsed, (list, tuple)) else [parsed] * count
    out = []
    for item in items:
        try:
            out.append(normalise_kwargs(item, where=where))
        except ValueError as exc:
            raise RecordFormatError(str(exc)) from exc
    if len(out) != count:
        raise RecordFormatError(f"{where}: {count} task identifiers but {len(out)} kwargs entries")
    return out


def normalise_row(row: Mapping[str, Any], key: str, *, index: int, root: Path, source: str) -> dict:
    where = f"row {index} ({row.get('id', '?')}) of task {TASK_PREFIX}{key} in {source}"
    values = {name: pick(row, (name,), field=name, where=where) for name in REQUIRED}
    paths = audio_paths(values["audio_path"], where=where)
    doc: dict[str, Any] = {
        "id": str(values["id"]),
        "task": key,
        "category": str(values["category"]),
        "audio": [resolve_audio(str(p), [root]) for p in paths],
        "question": str(values["question"]),
        "answer": "" if is_missing(row.get("answer")) else str(row.get("answer")).strip(),
        "choices": [],
        "identifiers": [],
        "checker_kwargs_json": "[]",
    }
    if KIND[key] == "mc":
        choices = parse_listish(row.get("choices"), field="choices", where=where)
        if not isinstance(choices, (list, tuple)):
            raise RecordFormatError(f"{where}: a multiple-choice row needs a list of choices, got {choices!r}")
        doc["choices"] = [str(c).strip() for c in choices]
        letters_for(doc["choices"])  # rejects more than 26 choices early
    elif KIND[key] == "if":
        ident = parse_listish(pick(row, ("task_identifier",), field="task_identifier", where=where),
                              field="task_identifier", where=where)
        identifiers = [ident] if isinstance(ident, str) else [str(i) for i in ident]
        doc["identifiers"] = identifiers
        doc["checker_kwargs_json"] = json.dumps(_kwargs_list(row.get("kwargs"), len(identifiers), where))
    return doc


# The official scorer's rule: every category other than these two is closed (multiple choice).
NOT_CLOSED = ("open", "instruction following")
KNOWN_CLOSED = {_norm_category(v) for k, v in CATEGORIES.items() if KIND[k] == "mc" and k != OTHER_CLOSED}


def _in_task(category: Any, key: str) -> bool:
    """Whether a row of ``category`` belongs to task ``key``: its own category, or for
    ``other_closed`` any closed category that none of the ten known ones names."""
    norm = _norm_category(category)
    if key == OTHER_CLOSED:
        return norm not in NOT_CLOSED and norm not in KNOWN_CLOSED
    return norm == _norm_category(CATEGORIES[key])


def _has_choices(row: Mapping[str, Any], where: str) -> bool:
    """The official filter: ``choices`` not null and longer than one entry."""
    value = row.get("choices")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    parsed = parse_listish(value, field="choices", where=where)
    return hasattr(parsed, "__len__") and len(parsed) > 1


def load_docs_counted(dataset_path: str, key: str, dataset_kwargs: Mapping[str, Any]) -> tuple[list[dict], list[str]]:
    """This category's docs, and the ids of its closed rows dropped as the official scorer
    drops them (``choices`` null or with fewer than two entries).

    A closed category outside the ten known ones is scored in ``other_closed`` (the
    official scorer scores every category but ``open`` and ``instruction following``)."""
    rows, root, source = load_rows(dataset_path, dataset_kwargs)
    if rows:
        missing = [c for c in REQUIRED if c not in rows[0]]
        if missing:
            raise RecordFormatError(f"{source}: no column(s) {missing}; found columns {sorted(map(str, rows[0]))}")
    picked = [r for r in rows if _in_task(r.get("category"), key)]
    docs, dropped = [], []
    for i, r in enumerate(picked):
        if KIND[key] == "mc" and not _has_choices(r, f"row {i} of task {TASK_PREFIX}{key} in {source}"):
            dropped.append(str(r.get("id")))
            continue
        docs.append(normalise_row(r, key, index=i, root=root, source=source))
    return docs, dropped


def load_docs(dataset_path: str, key: str, dataset_kwargs: Mapping[str, Any]) -> list[dict]:
    return load_docs_counted(dataset_path, key, dataset_kwargs)[0]


# ----------------------------------------------------------------------------- task functions


def doc_to_visual(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    where = f"doc {doc['id']} of task {TASK_PREFIX}{doc['task']}"
    return [audio_item(path, where=where) for path in doc["audio"]]


# Which MCQ prompt each matcher gets: a letter for the deterministic matcher, the choice
# text for the two that embed the reply.
PROMPT_STYLE = {"deterministic": "letter", "official": "text", "embedding": "text"}


def mcq_prompt(kwargs: Mapping[str, Any], matcher: str) -> dict[str, str]:
    """The MCQ template and option format used with ``matcher`` (recorded in the results)."""
    if PROMPT_STYLE[matcher] == "letter":
        return {"template": kwargs["template"], "option_format": kwargs.get("option_format", "{letter}. {text}")}
    return {"template": kwargs["text_template"], "option_format": kwargs["text_option_format"]}


def doc_to_text(doc: Mapping[str, Any], kwargs: Mapping[str, Any] | None) -> str:
    if not kwargs or "template" not in kwargs:
        raise ValueError(f"task {TASK_PREFIX}{doc['task']}: lmms_eval_specific_kwargs.default.template is missing")
    # The embedding matchers (official, embedding) compare the reply with the choice
    # *texts*, so their prompt asks for a text; the deterministic matcher reads a letter.
    style = PROMPT_STYLE.get(doc.get("matcher", "deterministic"), "letter")
    template = kwargs["template"] if style == "letter" else kwargs.get("text_template", kwargs["template"])
    option_format = kwargs.get("option_format" if style == "letter" else "text_option_format", "{letter}. {text}")
    options = "\n".join(option_format.format(letter=k, text=v) for k, v in letters_for(doc["choices"]).items())
    return template.format(question=doc["question"], options=options)


def doc_to_target(doc: Mapping[str, Any]) -> str:
    return doc["answer"]


_MATCHERS: dict[str, EmbeddingMatcher] = {}
_MATCHERS_LOCK = threading.Lock()


def _embedding_matcher(model: str) -> EmbeddingMatcher:
    # One model load per process, not per document; lmms-eval post-processes docs in threads.
    with _MATCHERS_LOCK:
        if model not in _MATCHERS:
            _MATCHERS[model] = EmbeddingMatcher(model)
        return _MATCHERS[model]


_OFFICIAL_MATCHERS: dict[str, OfficialEmbeddingMatcher] = {}


def _official_matcher(model: str) -> OfficialEmbeddingMatcher:
    with _MATCHERS_LOCK:
        if model not in _OFFICIAL_MATCHERS:
            _OFFICIAL_MATCHERS[model] = OfficialEmbeddingMatcher(model)
        return _OFFICIAL_MATCHERS[model]


def _judge(options: Mapping[str, Any]) -> JudgeConfig | None:
    if not options.get("judge_url"):
        return None
    return JudgeConfig(url=str(options["judge_url"]), model=str(options["judge_model"]),
                       api_key_env=options.get("judge_api_key_env"))


def process_results(doc: Mapping[str, Any], replies: Sequence[str], *, options: Mapping[str, Any]) -> dict:
    """Per-item record under each metric name. Its number is under "value" (None = not
    scored), not "score": lmms-eval's CLT stderr reads a numeric "score" from every item."""
    reply = replies[0] if replies else ""
    kind = KIND[doc["task"]]
    if kind == "mc":
        if options["matcher"] == "official":
            official = _official_matcher(str(options.get("embedding_model") or OFFICIAL_EMBEDDING_MODEL))
            chosen = official.match(reply, doc["choices"])
            # The official accuracy compares the matched choice text with the answer exactly.
            item = {"value": 1.0 if chosen == doc["answer"] else 0.0, "pred": chosen, "matcher": official.name}
            return {"score": item}
        if options["matcher"] == "embedding":
            matcher = _embedding_matcher(str(options["embedding_model"]))
            chosen, name = matcher.match(reply, doc["choices"]), matcher.name
        else:
            chosen, name = deterministic_match(reply, doc["choices"]), "deterministic"
        correct = chosen is not None and chosen.strip().lower() == doc["answer"].strip().lower()
        item = {"value": 1.0 if correct else 0.0, "pred": chosen, "matcher": name}
        return {"score": item}
    if kind == "open":
        config = _judge(options)
        if config is None:
            item = {"value": None, "reason": "no judge configured (scoring.judge_url)"}
        else:
            try:
                item = {"value": judge_open_answer(config, doc["question"], doc["answer"], reply), "judge": config.name}
            except JudgeError as exc:
                logger.warning(f"doc {doc['id']} of task {TASK_PREFIX}open not scored: {exc}")
                item = {"value": None, "reason": str(exc)}
    else:
        strict = options["if_checkers"] == "official"
        kwargs_list = json.loads(doc["checker_kwargs_json"])
        unknown = [i for i in doc["identifiers"] if not is_known(i)]
        # The official evaluator compares one identifier string per row; more than one
        # (never in the released data) it cannot match, so the row fails there.
        passed = len(doc["identifiers"]) == 1 and all(
            check(i, reply, k, question=doc["question"], strict=strict)
            for i, k in zip(doc["identifiers"], kwargs_list)
        )
        item = {"value": 1.0 if passed else 0.0, "checkers": options["if_checkers"], "unknown": unknown}
        if unknown:
            logger.warning(f"doc {doc['id']}: instruction {unknown} has no official checker; scored as not followed")
        return {"score": item, "excluded": item, "unknown_identifiers": item}
    return {"score": item, "excluded": item}


def aggregate_score(items: Sequence[Mapping[str, Any]]) -> float:
    """Mean item score on 0-100 over scored items; NaN when none could be scored."""
    scored = [i["value"] for i in items if i["value"] is not None]
    return 100.0 * sum(scored) / len(scored) if scored else float("nan")


def aggregate_unknown(items: Sequence[Mapping[str, Any]]) -> int:
    """How many instruction rows name an identifier the official evaluator has no checker for
    (scored as not followed, as the evaluator scores them)."""
    return sum(1 for i in items if i.get("unknown"))


def aggregate_excluded(items: Sequence[Mapping[str, Any]]) -> int:
    """How many items could not be scored (and are left out of the score)."""
    return sum(1 for i in items if i["value"] is None)


def group_score(metrics: Sequence[float], sizes: Sequence[int], weight_by_size: bool = True) -> float:
    """Row-count weighted mean of category scores, leaving out categories that were not scored."""
    pairs = [(m, s if weight_by_size else 1) for m, s in zip(metrics, sizes)
             if isinstance(m, (int, float)) and not math.isnan(m)]
    total = sum(s for _, s in pairs)
    return sum(m * s for m, s in pairs) / total if total else float("nan")


class MMAUProTask(BenchmarkTask):
    """One MMAU-Pro category; which one comes from the task name (``mmaupro_<key>``)."""

    SCORING_DEFAULTS = SCORING_DEFAULTS

    @classmethod
    def scoring_mode(cls, scoring: Mapping[str, Any], *, task: str) -> str:
        """Only the option that scores this category: matcher, judge or instruction checkers."""
        kind = KIND[task_key(task)]
        if kind == "mc":
            matcher = scoring.get("matcher")
            if matcher == "official":
                return f"matcher=official:{scoring.get('embedding_model') or OFFICIAL_EMBEDDING_MODEL}"
            return f"matcher={matcher}" + (f":{scoring.get('embedding_model')}" if matcher == "embedding" else "")
        if kind == "open":
            return f"judge={scoring.get('judge_model') or 'none'}"
        return f"if_checkers={scoring.get('if_checkers')}"

    def __init__(self, config: Mapping[str, Any] | None = None, model_name: str | None = None) -> None:
        try:
            super().__init__(config=config, model_name=model_name)
        except IndexError:
            # lmms-eval 0.7.3's ConfigurableTask.__init__ ends by rendering its first doc as a
            # sanity check (``self.task_docs[0]``) and sets nothing after it; an empty
            # ``other_closed`` has no first doc. Any other IndexError is a real error.
            if not self._is_empty_catch_all():
                raise

    def _is_empty_catch_all(self) -> bool:
        split = getattr(getattr(self, "config", None), "test_split", None) or "test"
        dataset = getattr(self, "dataset", None)
        return (task_key(str(self.config.task)) == OTHER_CLOSED and dataset is not None
                and len(dataset[split]) == 0)

    def build_all_requests(self, *args: Any, **kwargs: Any) -> None:
        # lmms-eval refuses a task without docs ("did not find any docs"); an empty
        # other_closed sends no request and reports no score, which the group skips.
        if self._is_empty_catch_all():
            self._instances = []
            return
        super().build_all_requests(*args, **kwargs)

    def download(self, dataset_kwargs: dict[str, Any] | None = None) -> None:
        """As the base class, except that ``other_closed`` may be empty (the released data has
        no closed category outside the ten): an empty split instead of the base class's
        "no records" error. Such a task sends no request and reports no score, and the
        group, which averages only the subtasks that report one, leaves it out."""
        if task_key(str(self.config.task)) != OTHER_CLOSED or not self.config.dataset_path:
            super().download(dataset_kwargs)
            return
        from datasets import Dataset, DatasetDict

        docs = self.load_docs(str(self.config.dataset_path), dict(dataset_kwargs or {}))
        self.dataset = DatasetDict({self.config.test_split or "test": Dataset.from_list(docs)})
        self.dataset_no_image = self.dataset

    def load_docs(self, dataset_path: str, dataset_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        task = str(self.config.task)
        opts = self.scoring
        if opts["matcher"] not in ("deterministic", "official", "embedding"):
            raise ValueError(f"task {task}: scoring.matcher must be deterministic, official or embedding")
        if opts["matcher"] == "embedding" and not opts["embedding_model"]:
            raise ValueError(f"task {task}: scoring.matcher=embedding needs scoring.embedding_model")
        if opts["judge_url"] and not opts["judge_model"]:
            raise ValueError(f"task {task}: scoring.judge_url needs scoring.judge_model")
        if opts["if_checkers"] not in ("official", "robust"):
            raise ValueError(f"task {task}: scoring.if_checkers must be official or robust")
        key = task_key(task)
        docs, dropped = load_docs_counted(dataset_path, key, dataset_kwargs)
        for doc in docs:
            doc["matcher"] = opts["matcher"]  # picks the MCQ prompt (doc_to_text sees no options)
        meta = self.config.metadata
        if KIND[key] == "mc":
            meta["mcq_prompt"] = mcq_prompt(self.config.lmms_eval_specific_kwargs["default"], opts["matcher"])
            meta["dropped_rows"] = {"count": len(dropped), "ids": dropped,
                                    "rule": "choices null or fewer than two entries (as the official scorer)"}
        if key == OTHER_CLOSED:
            held: dict[str, int] = {}
            for doc in docs:
                held[doc["category"]] = held.get(doc["category"], 0) + 1
            meta["categories_held"] = dict(sorted(held.items()))
        if KIND[key] == "if":
            meta["if_question_text"] = "{question}" in self.config.lmms_eval_specific_kwargs["default"]["template"]
        meta["prompt_source"] = "own"  # MMAU-Pro publishes no inference script or prompt
        meta["audio_policy"] = AUDIO_POLICY
        return docs
