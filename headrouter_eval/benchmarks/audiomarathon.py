"""AudioMarathon (arXiv 2510.07293): record loading, prompts and scoring glue.

Reads the hub table, a downloaded copy of it, or the benchmark's own per-task folder layout
(see ``FOLDERS``); relative audio paths resolve against the record file's folder, the task
folder, the data root, then ``dataset_kwargs.audio_root``. Prompts live in each task's YAML.
Data layouts and options: tasks/README.md, "Get the data".
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from headrouter_eval.audio import audio_item
from headrouter_eval.benchmarks.am_selection import (
    REDECODE_ON_EMPTY,
    official_selection,
    redecoded_prompt,
    resolve_selection,
    skip_missing_audio,
)
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
from headrouter_eval.scoring.lmms import gold_letter, mcq_process_results
from headrouter_eval.scoring.wer import asr_score, extract_transcript, sample_wer

TASKS = ("asr", "scr", "ser", "asc", "mc", "sed", "er", "sd", "sar", "sgr")
TASK_PREFIX = "am_"

# Folder names (local layout) and CSV task-column values accepted for each task.
FOLDERS: dict[str, tuple[str, ...]] = {
    "asr": ("asr", "librispeech", "librispeech-long", "librispeech_long"),
    "scr": ("scr", "race", "spoken_comprehension"),
    "ser": ("ser", "slue", "speech_entity_recognition"),
    "asc": ("asc", "tau", "tau_scenes", "acoustic_scene_classification"),
    "mc": ("mc", "gtzan", "music_classification"),
    "sed": ("sed", "desed", "sound_event_detection"),
    "er": ("er", "vesus", "emotion_recognition"),
    "sd": ("sd", "had", "spoof_detection", "speech_detection"),
    "sar": ("sar", "voxceleb_age", "age", "speaker_age_recognition"),
    "sgr": ("sgr", "voxceleb_gender", "gender", "speaker_gender_recognition"),
}
AUDIO_KEYS = ("audio_path", "path", "wav_path", "audio", "file_path", "audio_file", "filepath", "filename", "file")
QUESTION_KEYS = ("question", "prompt", "query", "instruction")
ANSWER_KEYS = ("answer_gt", "answer", "label", "gt", "ground_truth", "correct_answer")
TRANSCRIPT_KEYS = ("transcript", "transcription", "text", "reference", "answer_gt", "answer")
ID_KEYS = ("id", "uniq_id", "sample_id", "utt_id", "uid", "index")
TASK_COLUMN_KEYS = ("task", "task_name", "subtask", "sub_task", "task_type", "category", "dataset")
CHOICE_LETTERS = "ABCDE"
SD_OPTIONS = {"A": "real", "B": "fake"}
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
# How each task's answers are read and its F1 averaged (SGR: weighted, as the benchmark does).
EXTRACTOR = {t: t for t in TASKS}
AVERAGE = {t: ("weighted" if t == "sgr" else "macro") for t in TASKS}


def task_key(task_name: str) -> str:
    key = task_name[len(TASK_PREFIX):] if task_name.startswith(TASK_PREFIX) else task_name
    if key not in TASKS:
        raise ValueError(f"{task_name!r} is not an AudioMarathon task; expected {TASK_PREFIX}<one of {TASKS}>")
    return key


# ----------------------------------------------------------------------------- records


def _options(record: Mapping[str, Any], where: str) -> dict[str, str]:
    lowered = {str(k).lower(): k for k in record}
    for prefix in ("choice_", "option_"):
        found = {
            letter: str(record[lowered[f"{prefix}{letter.lower()}"]]).strip()
            for letter in CHOICE_LETTERS
            if f"{prefix}{letter.lower()}" in lowered and not is_missing(record[lowered[f"{prefix}{letter.lower()}"]])
        }
        if found:
            return found
    raw = pick(record, ("options", "choices"), field="options (options / choices / choice_a..)", where=where)
    value = parse_listish(raw, field="options", where=where)
    if isinstance(value, dict):
        return {str(k).strip().upper(): str(v).strip() for k, v in value.items() if not is_missing(v)}
    if isinstance(value, (list, tuple)):
        texts = [str(v).strip() for v in value]
        # "A. text", "B. text", ... entries keep their text only, the letter being the
        # position; only when every entry carries its own letter, so that a choice that
        # merely starts like one ("A. is wrong" as choice C) is sent as it is.
        labelled = [re.match(rf"^\(?{CHOICE_LETTERS[i]}[\.\):]\s+", t, re.I) for i, t in enumerate(texts)]
        if all(labelled):
            texts = [t[m.end():] for t, m in zip(texts, labelled)]
        return dict(zip(CHOICE_LETTERS, texts))
    raise RecordFormatError(f"{where}: options {raw!r} are neither a list nor a dict")


def _field_text(record: Mapping[str, Any], key: str) -> str:
    """``str(record[key]).strip()`` as the official loaders read it; "" when absent."""
    value = record.get(key)
    return "" if value is None or is_missing(value) else str(value).strip()


def normalise_record(record: Mapping[str, Any], task: str, *, index: int, bases: Sequence[Path], source: str) -> dict:
    """One raw record in any documented layout -> the canonical doc the task functions read."""
    where = f"record {index} of task {task} in {source}"
    paths = audio_paths(pick(record, AUDIO_KEYS, field="audio path", where=where), where=where)
    doc_id = pick(record, ID_KEYS, field="id", where=where, required=False)
    doc: dict[str, Any] = {
        "id": str(doc_id) if doc_id is not None else f"{task}-{index}",
        "task": task,
        "audio": [resolve_audio(str(p), bases) for p in paths],
        "question": "",
        "option_letters": [],
        "option_texts": [],
        "answer": "",
        # Kept for the official item selection (VESUS drops two speakers' "happy" clips).
        "person_id": _field_text(record, "person_id"),
        "emotion_label": _field_text(record, "emotion_label"),
    }
    if task == "asr":
        doc["answer"] = str(pick(record, TRANSCRIPT_KEYS, field="transcript", where=where)).strip()
        return doc
    question = pick(record, QUESTION_KEYS, field="question", where=where, required=task not in ("sd",))
    doc["question"] = "" if question is None else str(question).strip()
    options = SD_OPTIONS if task == "sd" else _options(record, where)
    answer = str(pick(record, ANSWER_KEYS, field="answer", where=where))
    try:
        letter = gold_letter(answer, options)
    except ValueError as exc:
        raise RecordFormatError(f"{where}: {exc}") from exc
    doc["option_letters"] = list(options)
    doc["option_texts"] = list(options.values())
    doc["answer"] = letter
    return doc


# ----------------------------------------------------------------------------- sources


def _records_from_json(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, dict):
        for key in ("tasks", "data", "samples", "records"):
            if isinstance(data.get(key), list):
                return data[key]
        if data and all(isinstance(v, dict) for v in data.values()):
            return [{"id": k, **v} for k, v in data.items()]
        raise RecordFormatError(f"{path}: a JSON object without a list under 'tasks'/'data' (keys {sorted(data)})")
    if isinstance(data, list):
        return data
    raise RecordFormatError(f"{path}: JSON root is {type(data).__name__}, expected a list or an object")


def _task_folder(root: Path, task: str) -> Path | None:
    names = {name.lower() for name in FOLDERS[task]}
    for child in sorted(root.iterdir()):
        if child.is_dir() and child.name.lower() in names:
            return child
    return None


def _librispeech(folder: Path, audio_bases: Sequence[Path]) -> list[dict]:
    texts: dict[str, str] = {}
    for trans in sorted(folder.rglob("*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            if line.strip():
                utt, _, text = line.strip().partition(" ")
                texts[utt] = text
    records = []
    for audio in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        if audio.stem not in texts:
            raise RecordFormatError(f"ASR audio {audio} has no line in any *.trans.txt under {folder}")
        records.append({"id": audio.stem, "path": str(audio), "transcript": texts[audio.stem]})
    return records


def _real_fake(folder: Path) -> list[dict]:
    """``real/`` then ``fake/`` clips. The ``*.wav`` files directly inside come first, in
    ``glob.glob`` order as the official HAD script lists them (its seeded class balancing
    samples from that list, so the order decides which clips it keeps); other audio
    (nested, other suffixes) follows, sorted."""
    records = []
    for label in ("real", "fake"):
        sub = folder / label
        if sub.is_dir():
            listed = [Path(p) for p in glob.glob(os.path.join(str(sub), "*.wav"))]
            seen = set(listed)
            rest = sorted(p for p in sub.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p not in seen)
            for audio in listed + rest:
                records.append({"id": f"{label}/{audio.stem}", "path": str(audio), "label": label})
    return records


def load_local_layout(root: Path, task: str, extra_bases: Sequence[Path]) -> list[dict]:
    """Records of one task from the benchmark's per-task folder layout."""
    folder = _task_folder(root, task)
    if folder is None:
        raise RecordFormatError(
            f"task {task}: no folder named one of {list(FOLDERS[task])} under {root} "
            f"(found {sorted(p.name for p in root.iterdir() if p.is_dir())})"
        )
    docs: list[dict] = []
    json_files = sorted(folder.rglob("*.json"))
    for path in json_files:
        bases = [path.parent, folder, root, *extra_bases]
        for i, record in enumerate(_records_from_json(path)):
            if not isinstance(record, Mapping):
                raise RecordFormatError(f"record {i} of {path} is {type(record).__name__}, not an object")
            docs.append(normalise_record(record, task, index=len(docs), bases=bases, source=str(path)))
    if not json_files:
        special = {"asr": lambda: _librispeech(folder, extra_bases), "sd": lambda: _real_fake(folder)}.get(task)
        raw = special() if special else []
        for record in raw:
            docs.append(normalise_record(record, task, index=len(docs), bases=[folder], source=str(folder)))
    if not docs:
        raise RecordFormatError(f"task {task}: no JSON records (or audio for asr/sd) under {folder}")
    return docs


def _task_of_row(value: Any) -> str | None:
    text = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
    for task, names in FOLDERS.items():
        if text in names:
            return task
    return None


def rows_for_task(rows: Sequence[Mapping[str, Any]], task: str, *, bases: Sequence[Path], source: str) -> list[dict]:
    """The flattened hub CSV: pick this task's rows by its task column, then normalise them."""
    if not rows:
        raise RecordFormatError(f"{source}: no rows")
    columns = sorted(map(str, rows[0]))
    column = next((c for c in rows[0] if str(c).lower() in TASK_COLUMN_KEYS), None)
    if column is None:
        raise RecordFormatError(
            f"{source}: no task column to split the 10 tasks; expected one of {list(TASK_COLUMN_KEYS)}, "
            f"found columns {columns}"
        )
    unknown = sorted({str(r[column]) for r in rows if _task_of_row(r[column]) is None})
    if unknown:
        raise RecordFormatError(f"{source}: task column {column!r} has unknown values {unknown}")
    picked = [r for r in rows if _task_of_row(r[column]) == task]
    return [normalise_record(r, task, index=i, bases=bases, source=source) for i, r in enumerate(picked)]


def load_docs(dataset_path: str, task: str, dataset_kwargs: Mapping[str, Any]) -> list[dict]:
    """All canonical docs of one task from a hub id, a CSV, or the per-task folder layout."""
    kwargs = dict(dataset_kwargs)
    audio_root = kwargs.pop("audio_root", None)
    extra = [Path(str(audio_root)).expanduser()] if audio_root else []
    local = Path(dataset_path).expanduser()
    if local.is_file() and local.suffix.lower() == ".csv":
        return _csv_docs(local, task, extra)
    if local.is_dir():
        if kwargs:
            raise ValueError(f"task {task}: dataset_kwargs {sorted(kwargs)} are not used with a local folder")
        if (local / "test.csv").is_file():
            return _csv_docs(local / "test.csv", task, extra)
        return load_local_layout(local, task, extra)
    if not extra:
        raise ValueError(
            f"task {task}: dataset_path {dataset_path!r} is not a local folder; for the hub data set set "
            "dataset_kwargs.audio_root to the folder holding its audio (see tasks/README.md)"
        )
    csv = hub_table(dataset_path, "test.csv", kwargs)
    rows = _read_csv(csv)
    return rows_for_task(rows, task, bases=extra, source=f"{dataset_path}/test.csv")


def _read_csv(path: Path) -> list[dict]:
    import pandas as pd

    # Only empty cells are missing: pandas would otherwise turn a choice named "None" or "NA" into NaN.
    return pd.read_csv(path, keep_default_na=False, na_values=[""]).to_dict(orient="records")


def _csv_docs(path: Path, task: str, extra: Sequence[Path]) -> list[dict]:
    return rows_for_task(_read_csv(path), task, bases=[path.parent, *extra], source=str(path))


# ----------------------------------------------------------------------------- task functions


def options_of(doc: Mapping[str, Any]) -> dict[str, str]:
    return dict(zip(doc["option_letters"], doc["option_texts"]))


# Tasks whose official script peak-normalises the waveform before the processor (Vox
# gender hands it the normalised array; Vox_age normalises a copy but sends the file).
PEAK_NORMALISED = frozenset({"sgr"})


def audio_policy(task: str) -> str:
    """How this task's audio reaches the model, in words (recorded in every results file)."""
    policy = ("each clip decoded to 16 kHz mono float32 (soundfile + soxr); a clip longer than the family "
              "processor's window is handled by the model arg long_audio (truncate, the default: cut at the "
              "window as the official Qwen processor does; split: extra spans), which the model records")
    if task in PEAK_NORMALISED:
        policy += "; peak-normalised (divided by max |sample| when non-zero) as the official Vox script does"
    return policy


def doc_to_visual(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    where = f"doc {doc['id']} of task am_{doc['task']}"
    items = [audio_item(path, where=where) for path in doc["audio"]]
    if doc["task"] in PEAK_NORMALISED:
        for item in items:
            peak = float(np.abs(item["array"]).max()) if item["array"].size else 0.0
            if peak > 0:
                item["array"] = (item["array"] / peak).astype(np.float32)
    return items


def doc_to_text(doc: Mapping[str, Any], kwargs: Mapping[str, Any] | None) -> str:
    """The task's user template (from its YAML) filled with the question and options."""
    if not kwargs or "template" not in kwargs:
        raise ValueError(f"task am_{doc['task']}: lmms_eval_specific_kwargs.default.template is missing")
    # The official builders write one "<letter><sep> <text>" line per choice (the
    # separator is the task's: ". ", ": " or ") "), joined by newlines; templates without
    # {question} / {options} (HAD, Vox, TAU's question) send none, as the scripts do.
    option_format = kwargs.get("option_format", "{letter}. {text}")
    options = "\n".join(option_format.format(letter=letter, text=text) for letter, text in options_of(doc).items())
    return kwargs["template"].format(question=doc["question"], options=options)


def doc_to_target(doc: Mapping[str, Any]) -> str:
    return doc["answer"]


def process_results(doc: Mapping[str, Any], replies: Sequence[str], *, options: Mapping[str, Any]) -> dict:
    reply = replies[0] if replies else ""
    parser = options["parser"]
    if doc["task"] == "asr":
        hyp = extract_transcript(reply, parser=parser)
        item = {"wer": sample_wer(doc["answer"], hyp, parser=parser), "parser": parser}
        return {"score": item, "wer": item}
    return mcq_process_results(
        reply, options_of(doc), doc["answer"], task=EXTRACTOR[doc["task"]], parser=parser, average=AVERAGE[doc["task"]]
    )


def aggregate_asr_score(items: Sequence[Mapping[str, Any]]) -> float:
    return asr_score([i["wer"] for i in items])


def aggregate_wer(items: Sequence[Mapping[str, Any]]) -> float:
    """Mean per-sample WER on 0-100 (for reading next to the score)."""
    return 100.0 - asr_score([i["wer"] for i in items])


class AudioMarathonTask(BenchmarkTask):
    """One AudioMarathon sub-task; which one comes from the task name (``am_<key>``)."""

    SCORING_DEFAULTS = {"parser": "official"}
    MODE_KEYS = ("parser",)

    def __init__(self, config: Mapping[str, Any] | None = None, model_name: str | None = None) -> None:
        cfg = dict(config or {})
        task = str(cfg.get("task"))
        self.selection = resolve_selection(cfg.pop("selection", None), task=task)
        metadata = dict(cfg.get("metadata") or {})
        metadata["selection"] = dict(self.selection)
        metadata["audio_policy"] = audio_policy(task_key(task))
        cfg["metadata"] = metadata
        super().__init__(config=cfg if config is not None else None, model_name=model_name)

    def load_docs(self, dataset_path: str, dataset_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        if self.scoring["parser"] not in ("official", "robust"):
            raise ValueError(f"task {self.config.task}: scoring.parser must be official or robust")
        task = task_key(str(self.config.task))
        docs = load_docs(dataset_path, task, dataset_kwargs)
        record: dict[str, Any] = dict(self.selection)
        if self.selection["missing_audio"] == "skip":
            docs, skipped = skip_missing_audio(docs)
            record["skipped_missing_audio"] = {"count": len(skipped), "ids": skipped}
        if self.selection["items"] == "official":
            docs, record["official"] = official_selection(docs, task)
        # Written into the results' configs.<task>.metadata when lmms-eval dumps the config.
        self.config.metadata["selection"] = record
        return docs

    def process_results(self, doc: dict, results: list, full_docs: Any = None) -> dict:
        replies = results[0] if results and isinstance(results[0], list) else results
        reply = "" if not replies or replies[0] is None else str(replies[0])
        if self.scoring["parser"] == "official" and doc["task"] in REDECODE_ON_EMPTY and not reply.strip():
            # SLUE, Vox and Vox_age decode prompt + reply again when the reply is blank and
            # read their answer from that text (often a letter of the prompt itself).
            kwargs = self.lmms_eval_specific_kwargs or {}
            system = (self.config.generation_kwargs or {}).get("system_prompt") or ""
            reply = redecoded_prompt(system, doc_to_text(doc, kwargs)) + reply
        return self.config.process_results(doc, [reply], options=self.scoring)
