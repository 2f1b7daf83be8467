"""AudioMarathon tasks on the fixtures: both data layouts, record-key variants, clear
errors, audio normalisation, prompts, scoring and the group mean through lmms-eval."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from headrouter_eval.audio import AudioError  # noqa: E402
from headrouter_eval.benchmarks import audiomarathon as am  # noqa: E402
from headrouter_eval.benchmarks.records import RecordFormatError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = ROOT / "tasks"
FIX = ROOT / "tests" / "fixtures" / "audiomarathon"
JSON_LAYOUT = FIX / "json_layout"
CSV_LAYOUT = FIX / "csv_layout"
GOLD_JSON = {"asr": "WELL KNOWN FACTS ARE NOT DISCONTENT", "scr": "B", "ser": "A", "asc": "D", "mc": "B",
             "sed": "A", "er": "D", "sd": "A", "sar": "B", "sgr": "A"}


@pytest.mark.parametrize("task", am.TASKS)
def test_json_layout_loads_every_task(task):
    docs = am.load_docs(str(JSON_LAYOUT), task, {})
    assert len(docs) == 2
    assert docs[0]["answer"] == GOLD_JSON[task]
    assert all(Path(p).is_file() for d in docs for p in d["audio"])


@pytest.mark.parametrize("task", am.TASKS)
def test_csv_layout_loads_every_task(task):
    docs = am.load_docs(str(CSV_LAYOUT), task, {})
    assert len(docs) == 1
    assert docs[0]["id"] == f"{task}-1"
    if task != "asr":
        assert docs[0]["answer"] in docs[0]["option_letters"]


def test_record_variants_agree():
    base = {"path": "a.wav", "question": "q"}
    variants = [
        {**base, "options": ["x", "y", "z", "w"], "answer": "B"},
        {**base, "options": "['x', 'y', 'z', 'w']", "answer_gt": "(B)"},
        {**base, "choices": {"A": "x", "B": "y", "C": "z", "D": "w"}, "answer_gt": "B"},
        {**base, "choices": '{"A": "x", "B": "y", "C": "z", "D": "w"}', "label": "y"},
        {**base, "choice_a": "x", "choice_b": "y", "choice_c": "z", "choice_d": "w", "answer_gt": "B"},
        {**base, "options": ["A. x", "B. y", "C. z", "D. w"], "answer": "B"},
    ]
    docs = [am.normalise_record(v, "ser", index=0, bases=[Path("/data")], source="test") for v in variants]
    for doc in docs:
        assert doc["option_texts"] == ["x", "y", "z", "w"]
        assert doc["answer"] == "B"
        assert doc["audio"] == ["/data/a.wav"]


def test_audio_column_dicts_and_lists():
    record = {"audio": {"path": "x.wav", "bytes": None}, "question": "q", "choice_a": "m", "choice_b": "f",
              "answer_gt": "A"}
    doc = am.normalise_record(record, "sgr", index=0, bases=[Path("/d")], source="t")
    assert doc["audio"] == ["/d/x.wav"]
    record["audio"] = '["a.wav", "b.wav"]'
    doc = am.normalise_record(record, "sgr", index=0, bases=[Path("/d")], source="t")
    assert doc["audio"] == ["/d/a.wav", "/d/b.wav"]
    record["audio"] = {"bytes": b"RIFF"}
    with pytest.raises(RecordFormatError, match="audio entry has no 'path'"):
        am.normalise_record(record, "sgr", index=0, bases=[Path("/d")], source="t")


def test_unknown_record_names_the_columns():
    with pytest.raises(RecordFormatError) as err:
        am.normalise_record({"wave": "a.wav", "q": "?"}, "ser", index=3, bases=[], source="x.json")
    message = str(err.value)
    assert "record 3 of task ser in x.json" in message
    assert "['q', 'wave']" in message


def test_csv_without_task_column_names_the_columns(tmp_path):
    (tmp_path / "test.csv").write_text("audio_path,question,answer\na.wav,q,A\n")
    expected = r"no task column.*found columns \['answer', 'audio_path', 'question'\]"
    with pytest.raises(RecordFormatError, match=expected):
        am.load_docs(str(tmp_path), "ser", {})


def test_csv_unknown_task_values(tmp_path):
    (tmp_path / "test.csv").write_text("task,audio_path,question,answer\nKWS,a.wav,q,A\n")
    with pytest.raises(RecordFormatError, match=r"unknown values \['KWS'\]"):
        am.load_docs(str(tmp_path), "ser", {})


def test_missing_task_folder_is_named(tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(RecordFormatError, match=r"no folder named one of .*'slue'.*found \['other'\]"):
        am.load_docs(str(tmp_path), "ser", {})


def test_hub_without_audio_root_is_refused():
    with pytest.raises(ValueError, match="audio_root"):
        am.load_docs("Hezep/AudioMarathon", "ser", {})


def test_missing_audio_names_file_and_doc(tmp_path):
    shutil.copytree(JSON_LAYOUT / "SGR", tmp_path / "SGR")
    doc = am.load_docs(str(tmp_path), "sgr", {})[0]
    with pytest.raises(AudioError) as err:
        am.doc_to_visual(doc)
    assert "doc sgr-0 of task am_sgr" in str(err.value)
    # Found nowhere, the path is reported relative to the record file's folder, the first place tried.
    assert str(tmp_path / "SGR" / "audio" / "speech_fox.wav") in str(err.value)


def test_audio_root_resolves_relative_paths(tmp_path):
    shutil.copytree(JSON_LAYOUT / "SGR", tmp_path / "SGR")
    doc = am.load_docs(str(tmp_path), "sgr", {"audio_root": str(JSON_LAYOUT)})[0]
    assert Path(doc["audio"][0]).is_file()


@pytest.mark.parametrize("task", ["asc", "mc", "asr", "sd"])  # stereo WAV, 22.05 kHz WAV, FLAC
def test_doc_to_visual_is_16k_mono_float32(task):
    doc = am.load_docs(str(JSON_LAYOUT), task, {})[0]
    visuals = am.doc_to_visual(doc)
    assert len(visuals) == 1
    arr = visuals[0]["array"]
    assert visuals[0]["sampling_rate"] == 16000
    assert arr.dtype == np.float32 and arr.ndim == 1 and 0 < len(arr)
    assert np.isfinite(arr).all()


def _kwargs(task):
    from lmms_eval import utils

    cfg = utils.load_yaml_config(str(TASKS_DIR / "audiomarathon" / f"am_{task}.yaml"), mode="full")
    return cfg, cfg["lmms_eval_specific_kwargs"]["default"]


@pytest.mark.parametrize("task", am.TASKS)
def test_prompts_and_generation_settings(task):
    """Structure only; the exact strings are checked against the official scripts in
    tests/test_prompt_parity.py."""
    cfg, kwargs = _kwargs(task)
    doc = am.load_docs(str(JSON_LAYOUT), task, {})[0]
    text = am.doc_to_text(doc, kwargs)
    assert "{" not in text.replace("{x}", "")  # every placeholder filled
    gen = cfg["generation_kwargs"]
    assert gen["max_new_tokens"] == {"asr": 1100, "er": 10}.get(task, 5)
    assert gen["until"] == []
    assert gen["system_prompt"].startswith("You are")  # every task sends the official system text
    if task == "asr":
        assert "Spoken Content: <transcribed text here>" in text
    elif task in ("sd", "sgr"):  # the official HAD / Vox prompts name no options
        assert "answer 'a'" in text and "answer 'b'" in text and not re.search(r"^[ab]\) ", text, re.M)
    else:
        assert "(A, B, C" in text
        for letter, option in zip(doc["option_letters"], doc["option_texts"]):
            assert option in text and re.search(rf"^{letter}[\.:\)] ", text, re.M)
    assert ("{question}" in kwargs["template"]) == (task in ("scr", "ser", "mc", "sed", "er", "sar"))


def test_mc_system_prompt_appends_to_qwen_default():
    cfg, _ = _kwargs("mc")
    assert cfg["generation_kwargs"]["system_prompt"].startswith("You are Qwen, a virtual human")
    assert cfg["generation_kwargs"]["system_prompt"].endswith(" You are a helpful audio analysis assistant.")


def test_process_results_per_parser():
    doc = am.load_docs(str(JSON_LAYOUT), "scr", {})[0]  # gold B
    official = am.process_results(doc, ["The answer is B"], options={"parser": "official"})
    robust = am.process_results(doc, ["The answer is B"], options={"parser": "robust"})
    assert official["score"]["pred"] == "A" and robust["score"]["pred"] == "B"
    assert official["score"]["parser"] == "official"
    asr = am.load_docs(str(JSON_LAYOUT), "asr", {})[0]
    reply = "Spoken Content: well-known facts are not discontent"
    out = am.process_results(asr, [reply], options={"parser": "official"})
    # Reference has 6 words; the official cleaner makes "wellknown": 1 substitution + 1 deletion.
    assert out["score"]["wer"] == pytest.approx(2 / 6)
    assert am.aggregate_asr_score([out["score"]]) == pytest.approx(100 - 100 * 2 / 6)
    assert am.aggregate_wer([out["score"]]) == pytest.approx(100 * 2 / 6)


def _task_manager():
    from lmms_eval.tasks import TaskManager

    return TaskManager("ERROR", include_path=str(TASKS_DIR), include_defaults=False)


def _load_override(tmp_path, body):
    from lmms_eval import utils
    from lmms_eval.tasks import get_task_dict

    path = tmp_path / "user.yaml"
    path.write_text(body)
    return get_task_dict([utils.load_yaml_config(str(path))], _task_manager())


def test_user_yaml_points_group_at_data_and_parser(tmp_path):
    task_dict = _load_override(
        tmp_path, f"task: audiomarathon\ndataset_path: {JSON_LAYOUT}\nscoring:\n  parser: robust\n"
    )
    (group, subtasks), = task_dict.items()
    assert group.group_name == "audiomarathon"
    assert sorted(subtasks) == sorted(f"am_{t}" for t in am.TASKS)
    scr = subtasks["am_scr"]
    assert scr.config.metadata["scoring"] == {"parser": "robust"}  # recorded with the results
    assert scr.config.metadata["scoring_mode"] == "parser=robust"  # what the leaderboard compares
    doc = scr.test_docs()[0]
    assert scr.process_results(doc, ["The answer is B"])["score"]["pred"] == "B"


def test_unknown_scoring_option_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown scoring option 'parsr'"):
        _load_override(tmp_path, f"task: am_scr\ndataset_path: {JSON_LAYOUT}\nscoring:\n  parsr: robust\n")


def test_group_score_is_plain_mean(tmp_path):
    from lmms_eval.evaluator_utils import consolidate_group_results

    # One row per task: the official HAD / Vox class balancing would keep none of a lone row.
    task_dict = _load_override(tmp_path, f"task: audiomarathon\ndataset_path: {CSV_LAYOUT}\nselection:\n  items: all\n")
    scores = {f"am_{t}": 10.0 * (i + 1) for i, t in enumerate(am.TASKS)}
    sizes = {f"am_{t}": 1 + 100 * i for i, t in enumerate(am.TASKS)}  # unequal sizes must not matter
    results = defaultdict(dict)  # lmms-eval's evaluator hands over a defaultdict
    for name, s in scores.items():
        results[name] = {"alias": name, "score,none": s, "score_stderr,none": "N/A", "samples": sizes[name]}
    results, *_ = consolidate_group_results(results, defaultdict(dict), task_dict)
    assert results["audiomarathon"]["score,none"] == pytest.approx(np.mean(list(scores.values())))


def test_task_names_do_not_collide_with_builtins():
    import lmms_eval

    builtin = set()
    for path in Path(lmms_eval.__file__).parent.joinpath("tasks").rglob("*.yaml"):
        builtin.update(re.findall(r"^(?:task|group):\s*([\w\-]+)\s*$", path.read_text(errors="ignore"), re.M))
    ours = set()
    for path in TASKS_DIR.rglob("*.yaml"):
        ours.update(re.findall(r"^(?:task|group):\s*([\w\-]+)\s*$", path.read_text(), re.M))
    assert {"audiomarathon", "am_asr"} <= ours
    assert not ours & builtin


def test_fixture_json_is_valid():
    for path in JSON_LAYOUT.rglob("*.json"):
        json.loads(path.read_text())


def test_hub_kwargs_are_checked_before_any_download():
    with pytest.raises(ValueError, match=r"dataset_kwargs \['split'\] are not understood"):
        am.load_docs("Hezep/AudioMarathon", "ser", {"audio_root": "/data", "split": "test"})


# ----------------------------------------------------------------------------- official item selection


def _synthetic_selection_sets(root: Path) -> dict[str, Path]:
    """VESUS: 10 persons x 4 emotions (40); HAD: 7 real + 4 fake clips; Vox: 9 male + 5 female."""
    emotions = ["happy", "sad", "angry", "neutral"]
    vesus = [{"path": f"p{p}/{e}.wav", "question": "What emotion is expressed in this audio segment?",
              "choice_a": "angry", "choice_b": "happy", "choice_c": "neutral", "choice_d": "sad",
              "answer_gt": "ABCD"[["angry", "happy", "neutral", "sad"].index(e)],
              "person_id": p if p % 2 else str(p), "emotion_label": e.upper() if p == 10 else e}
             for p in range(1, 11) for e in emotions]
    (root / "er").mkdir(parents=True)
    (root / "er" / "vesus.json").write_text(json.dumps(vesus))
    for label, n in (("real", 7), ("fake", 4)):
        (root / "sd" / label).mkdir(parents=True)
        for i in range(n):
            (root / "sd" / label / f"{label}_{i}.wav").write_bytes(b"")
    vox = [{"path": f"id{i:03d}.wav", "speaker_id_original": f"id{i:03d}", "question": "Gender?",
            "choice_a": "male", "choice_b": "female", "answer_gt": "male" if i < 9 else "female"} for i in range(14)]
    (root / "sgr" / "wav").mkdir(parents=True)
    (root / "sgr" / "gender_id_task_meta.json").write_text(json.dumps(vox))
    for record in vox:
        (root / "sgr" / "wav" / record["path"]).write_bytes(b"")
    return {"er": root / "er" / "vesus.json", "sd": root / "sd", "sgr": root / "sgr"}


def _selected_names(docs) -> set[str]:
    return {Path(d["audio"][0]).parent.name + "/" + Path(d["audio"][0]).name for d in docs}


def test_official_selection_counts_and_draws(tmp_path):
    import random

    from headrouter_eval.benchmarks.am_selection import official_selection

    _synthetic_selection_sets(tmp_path)
    counts = {}
    for task in ("er", "sd", "sgr"):
        docs = am.load_docs(str(tmp_path), task, {})
        kept, record = official_selection(docs, task)
        counts[task] = (record["before"], record["after"], len(record["dropped_ids"]))
        if task == "sd":  # the script's call order: one generator seeded 42, the larger class samples
            real = [d for d in docs if d["answer"] == "A"]
            random.seed(42)
            assert _selected_names(kept) == _selected_names(random.sample(real, 4)) | _selected_names(
                [d for d in docs if d["answer"] == "B"])
    assert counts == {"er": (40, 38, 2), "sd": (11, 8, 3), "sgr": (14, 10, 4)}
    kept, _ = official_selection(am.load_docs(str(tmp_path), "sgr", {}), "sgr")
    assert sorted(d["answer"] for d in kept) == ["A"] * 5 + ["B"] * 5


def test_official_selection_equals_the_official_loaders(tmp_path, request):
    clone = request.config.getoption("--audiomarathon-clone")
    if not clone:
        pytest.skip("needs --audiomarathon-clone (the official loaders are run from it)")
    from headrouter_eval.benchmarks.am_selection import official_selection
    from tests.official_am_prompts import official_loaded

    sources = _synthetic_selection_sets(tmp_path)
    for task, key in (("er", "path"), ("sd", "audio_path"), ("sgr", "wav_path")):
        official = official_loaded(Path(clone), task, sources[task])
        kept, _ = official_selection(am.load_docs(str(tmp_path), task, {}), task)
        theirs = {"/".join(Path(s[key]).parts[-2:]) for s in official}
        if task == "sgr":  # our doc resolves the bare file name; the script's path adds wav/
            theirs = {n.replace("wav/", "sgr/") for n in theirs}
        assert _selected_names(kept) == theirs, task
        assert len(kept) == len(official)


def test_missing_audio_skip_is_recorded_and_error_is_default(tmp_path):
    from headrouter_eval.benchmarks.am_selection import resolve_selection, skip_missing_audio

    assert resolve_selection(None, task="am_er") == {"items": "official", "missing_audio": "error"}
    with pytest.raises(ValueError, match="selection.missing_audio must be one of"):
        resolve_selection({"missing_audio": "drop"}, task="am_er")
    with pytest.raises(ValueError, match="unknown selection option"):
        resolve_selection({"limit": 3}, task="am_er")
    _synthetic_selection_sets(tmp_path)
    docs = am.load_docs(str(tmp_path), "er", {})  # VESUS clips are not on disk here
    kept, skipped = skip_missing_audio(docs)
    assert kept == [] and len(skipped) == 40 and skipped[0] == docs[0]["id"]


def test_vox_gender_audio_is_peak_normalised(tmp_path):
    import soundfile as sf

    wav = (0.25 * np.sin(np.linspace(0, 200, 16000))).astype(np.float32)
    sf.write(tmp_path / "v.wav", wav, 16000)
    base = {"id": "x", "audio": [str(tmp_path / "v.wav")], "question": "", "option_letters": ["A", "B"],
            "option_texts": ["male", "female"], "answer": "A"}
    sgr = am.doc_to_visual({**base, "task": "sgr"})[0]["array"]
    sar = am.doc_to_visual({**base, "task": "sar"})[0]["array"]  # Vox_age sends the file as it is
    assert np.abs(sgr).max() == pytest.approx(1.0) and np.abs(sar).max() == pytest.approx(0.25, rel=1e-3)
    assert sgr.dtype == np.float32


def test_blank_reply_is_read_from_the_redecoded_prompt_in_official_mode(tmp_path):
    """SLUE / Vox / Vox_age read prompt + reply when the reply is blank; the first standalone
    letter of SLUE's decoded prompt is the "A" of "a virtual human"."""
    task_dict = _load_override(tmp_path, f"task: am_ser\ndataset_path: {JSON_LAYOUT}\n")
    task = task_dict["am_ser"]
    doc = task.test_docs()[0]
    assert task.process_results(doc, [" "])["score"]["pred"] == "A"
    assert task.process_results(doc, ["C"])["score"]["pred"] == "C"
    robust = _load_override(tmp_path, f"task: am_ser\ndataset_path: {JSON_LAYOUT}\nscoring:\n  parser: robust\n")
    assert robust["am_ser"].process_results(doc, [" "])["score"]["pred"] is None
    meta = task.config.metadata
    assert meta["prompt_source"] == "official"
    assert meta["selection"]["items"] == "official" and meta["selection"]["official"]["before"] == 2
    assert "long_audio" in meta["audio_policy"]
