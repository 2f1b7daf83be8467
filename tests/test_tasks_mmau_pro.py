"""MMAU-Pro tasks on the fixtures: parquet and JSONL layouts, multi-audio rows,
matchers, instruction following, not-scored open items and the weighted group score."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from headrouter_eval.audio import AudioError  # noqa: E402
from headrouter_eval.benchmarks import mmau_pro as mp  # noqa: E402
from headrouter_eval.benchmarks.records import RecordFormatError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TASKS_DIR = ROOT / "tasks"
FIX = ROOT / "tests" / "fixtures" / "mmau_pro"
DETERMINISTIC = dict(mp.SCORING_DEFAULTS)
COUNTS = {"sound": 2, "open": 2, "instruction_following": 3, "other_closed": 0}  # other_closed: no unknown category


@pytest.mark.parametrize("key", list(mp.CATEGORIES))
def test_both_layouts_load_every_category(key):
    parquet = mp.load_docs(str(FIX), key, {})
    jsonl = mp.load_docs(str(FIX / "jsonl_variant"), key, {"audio_root": str(FIX)})
    assert len(parquet) == COUNTS.get(key, 1)
    assert parquet == jsonl
    assert all(Path(p).is_file() for d in parquet for p in d["audio"])


def test_multi_audio_row_passes_all_clips():
    doc = mp.load_docs(str(FIX), "multi", {})[0]
    visuals = mp.doc_to_visual(doc)
    assert len(visuals) == 2
    for v in visuals:
        assert v["sampling_rate"] == 16000 and v["array"].dtype == np.float32 and v["array"].ndim == 1


def test_stereo_44k_become_16k_mono():
    for key in ("spatial", "music"):  # stereo 16 kHz, mono 44.1 kHz
        (v,) = mp.doc_to_visual(mp.load_docs(str(FIX), key, {})[0])
        assert v["array"].ndim == 1 and abs(len(v["array"]) - 8000) <= 1


def test_missing_audio_names_file_and_doc(tmp_path):
    doc = mp.load_docs(str(FIX / "jsonl_variant"), "sound", {})[0]  # audio root defaults to the table's folder
    with pytest.raises(AudioError, match=r"doc mc-sound-1 of task mmaupro_sound: audio file not found: .*7b1d4e22"):
        mp.doc_to_visual(doc)


def test_missing_columns_are_named(tmp_path):
    (tmp_path / "test.json").write_text('[{"id": "x", "wav": "a.wav", "question": "q"}]')
    with pytest.raises(RecordFormatError, match=r"no column\(s\) \['audio_path', 'category'\]; found columns"):
        mp.load_docs(str(tmp_path), "sound", {})


def test_hub_without_audio_root_is_refused():
    with pytest.raises(ValueError, match="audio_root"):
        mp.load_docs("gamma-lab-umd/MMAU-Pro", "sound", {})


def test_mc_prompt_letters_choices():
    from lmms_eval import utils

    cfg = utils.load_yaml_config(str(TASKS_DIR / "mmau_pro" / "mmaupro_sound.yaml"), mode="full")
    doc = mp.load_docs(str(FIX), "sound", {})[0]
    text = mp.doc_to_text(doc, cfg["lmms_eval_specific_kwargs"]["default"])
    assert text == (
        "What kind of sound is this?\n\nChoices:\nA. rain\nB. noise\nC. dog bark\nD. siren\n\n"
        "Answer with the letter of the correct choice."
    )


@pytest.mark.parametrize("reply,score", [("B", 1.0), ("It is noise.", 1.0), ("A", 0.0), ("E", 0.0), ("", 0.0)])
def test_mc_scoring(reply, score):
    doc = mp.load_docs(str(FIX), "sound", {})[0]  # answer "noise" = B
    item = mp.process_results(doc, [reply], options=DETERMINISTIC)["score"]
    assert item["value"] == score and item["matcher"] == "deterministic"


def test_open_without_judge_is_not_scored():
    docs = mp.load_docs(str(FIX), "open", {})
    items = [mp.process_results(d, ["A voice."], options=DETERMINISTIC)["score"] for d in docs]
    assert all(i["value"] is None for i in items)
    assert math.isnan(mp.aggregate_score(items))
    assert mp.aggregate_excluded(items) == 2


def test_instruction_following_scoring():
    # MMAU-Pro's own identifiers; parquet kwargs are a None-filled struct, JSONL ones a JSON string.
    for folder in (FIX, FIX / "jsonl_variant"):
        docs = {d["id"]: d for d in mp.load_docs(str(folder), "instruction_following", {})}
        ok = {"if-1": "a soft voice says hello.", "if-2": "A low rumble.", "if-3": "A plucked note. That is all!"}
        bad = {"if-1": "A soft voice.", "if-2": "Brown noise.", "if-3": "That is all. A plucked note."}
        for replies, expected in ((ok, 1.0), (bad, 0.0)):
            items = [mp.process_results(docs[i], [r], options=DETERMINISTIC)["score"] for i, r in replies.items()]
            assert [i["value"] for i in items] == [expected] * 3
    robust = dict(DETERMINISTIC, if_checkers="robust")
    item = mp.process_results(docs["if-2"], ["Noises everywhere."], options=robust)["score"]
    assert item["value"] == 1.0  # robust: "noise" as a whole word only; official fails "Noises"
    assert mp.process_results(docs["if-2"], ["Noises everywhere."], options=DETERMINISTIC)["score"]["value"] == 0.0


def test_unknown_instruction_fails_and_is_counted():
    doc = dict(mp.load_docs(str(FIX), "instruction_following", {})[0], identifiers=["Response Language"])
    out = mp.process_results(doc, ["hola"], options=DETERMINISTIC)
    assert out["score"]["value"] == 0.0 and out["score"]["unknown"] == ["Response Language"]
    assert mp.aggregate_unknown([out["unknown_identifiers"]]) == 1


def test_group_score_weights_rows_and_skips_unscored():
    assert mp.group_score([50.0, 100.0, float("nan")], [3, 1, 5]) == pytest.approx(62.5)
    assert mp.group_score([50.0, 100.0], [3, 1], False) == pytest.approx(75.0)
    assert math.isnan(mp.group_score([float("nan")], [2]))


def _load_override(tmp_path, body):
    from lmms_eval import utils
    from lmms_eval.tasks import TaskManager, get_task_dict

    path = tmp_path / "user.yaml"
    path.write_text(body)
    manager = TaskManager("ERROR", include_path=str(TASKS_DIR), include_defaults=False)
    return get_task_dict([utils.load_yaml_config(str(path))], manager)


def test_group_through_lmms_eval(tmp_path):
    from lmms_eval.evaluator_utils import consolidate_group_results

    task_dict = _load_override(tmp_path, f"task: mmau_pro\ndataset_path: {FIX}\n")
    (group, subtasks), = task_dict.items()
    assert group.group_name == "mmau_pro" and len(subtasks) == 13
    assert len(subtasks["mmaupro_other_closed"].test_docs()) == 0  # built, although empty
    assert subtasks["mmaupro_sound"].config.metadata["scoring"]["matcher"] == "deterministic"
    modes = {name: task.config.metadata["scoring_mode"] for name, task in subtasks.items()}
    assert modes["mmaupro_sound"] == "matcher=deterministic" and modes["mmaupro_open"] == "judge=none"
    assert modes["mmaupro_instruction_following"] == "if_checkers=official"
    results = defaultdict(dict)
    for name, task in subtasks.items():
        if name == "mmaupro_other_closed":  # what lmms-eval reports for a task without docs: no metric
            results[name] = {"alias": name, "samples": 0}
            continue
        score = float("nan") if name == "mmaupro_open" else (80.0 if name == "mmaupro_sound" else 20.0)
        results[name] = {"alias": name, "score,none": score, "score_stderr,none": "N/A",
                         "samples": len(task.test_docs())}
    results, *_ = consolidate_group_results(results, defaultdict(dict), task_dict)
    # sound: 2 rows at 80; nine MC categories of 1 row and IF (3 rows) at 20; open left out.
    assert results["mmau_pro"]["score,none"] == pytest.approx((2 * 80 + 12 * 20) / 14)


def test_scoring_options_are_validated(tmp_path):
    with pytest.raises(ValueError, match="needs scoring.embedding_model"):
        _load_override(tmp_path, f"task: mmaupro_sound\ndataset_path: {FIX}\nscoring:\n  matcher: embedding\n")
    with pytest.raises(ValueError, match="needs scoring.judge_model"):
        _load_override(tmp_path, f"task: mmaupro_open\ndataset_path: {FIX}\nscoring:\n  judge_url: http://x/v1\n")


def test_open_with_judge(monkeypatch):
    from headrouter_eval.scoring.judge import JudgeError

    docs = mp.load_docs(str(FIX), "open", {})
    options = dict(DETERMINISTIC, judge_url="http://judge/v1", judge_model="qwen")
    ratings = iter([0.6, JudgeError("judge at http://judge/v1 failed: down")])

    def fake_judge(config, question, reference, prediction):
        assert config.model == "qwen" and reference in {d["answer"] for d in docs}
        outcome = next(ratings)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(mp, "judge_open_answer", fake_judge)
    items = [mp.process_results(d, ["A voice."], options=options)["score"] for d in docs]
    assert items[0]["value"] == 0.6 and items[0]["judge"] == "llm_judge:qwen@http://judge/v1"
    assert items[1]["value"] is None and "down" in items[1]["reason"]
    assert mp.aggregate_score(items) == pytest.approx(60.0)  # the failed item is excluded, not 0
    assert mp.aggregate_excluded(items) == 1


# ----------------------------------------------------------------------------- prompts and the official row rules


def _rows_with(tmp_path, extra):
    """The fixture's rows plus ``extra`` as a JSONL table whose audio resolves to the fixture."""
    import json

    import pandas as pd

    rows = pd.read_parquet(FIX / "test.parquet").to_dict(orient="records")
    for row in rows:
        for key, value in row.items():
            if hasattr(value, "tolist"):
                row[key] = value.tolist()
    sound = next(r for r in rows if r["category"] == "sound")
    rows += [{**sound, **e} for e in extra]
    (tmp_path / "test.jsonl").write_text("\n".join(json.dumps(r, default=str) for r in rows))
    return tmp_path


def test_rows_without_two_choices_are_dropped_and_counted(tmp_path):
    data = _rows_with(tmp_path, [{"id": "no-choices", "choices": None}, {"id": "one-choice", "choices": ["x"]}])
    docs, dropped = mp.load_docs_counted(str(data), "sound", {"audio_root": str(FIX)})
    assert len(docs) == COUNTS["sound"] and dropped == ["no-choices", "one-choice"]


UNKNOWN = [{"id": "new-1", "category": "sound_effects"}, {"id": "new-2", "category": "Sound Effects"},
           {"id": "new-3", "category": "birdsong"}, {"id": "new-4", "category": "birdsong", "choices": None}]


def test_unknown_closed_categories_go_to_other_closed(tmp_path):
    data = _rows_with(tmp_path, UNKNOWN)
    docs, dropped = mp.load_docs_counted(str(data), "other_closed", {"audio_root": str(FIX)})
    assert [d["id"] for d in docs] == ["new-1", "new-2", "new-3"] and dropped == ["new-4"]
    assert {d["task"] for d in docs} == {"other_closed"}
    # Scored as the other MC categories: same prompt, same matcher (answer "noise" = B).
    assert mp.process_results(docs[0], ["B"], options=DETERMINISTIC)["score"]["value"] == 1.0
    assert mp.process_results(docs[0], ["A"], options=DETERMINISTIC)["score"]["value"] == 0.0
    # Every row is in exactly one task: none of the known ones takes them.
    for key in mp.CATEGORIES:
        if key != "other_closed":
            assert len(mp.load_docs(str(data), key, {"audio_root": str(FIX)})) == COUNTS.get(key, 1)
    task = _load_override(tmp_path, f"task: mmaupro_other_closed\ndataset_path: {data}\n"
                                    f"dataset_kwargs:\n  audio_root: {FIX}\n")["mmaupro_other_closed"]
    meta = task.config.metadata
    assert meta["categories_held"] == {"Sound Effects": 1, "birdsong": 1, "sound_effects": 1}
    assert meta["dropped_rows"]["ids"] == ["new-4"] and meta["scoring_mode"] == "matcher=deterministic"


def test_other_closed_enters_the_group_with_its_row_count(tmp_path):
    from lmms_eval.evaluator_utils import consolidate_group_results

    (tmp_path / "data").mkdir()
    data = _rows_with(tmp_path / "data", UNKNOWN)
    task_dict = _load_override(tmp_path, f"task: mmau_pro\ndataset_path: {data}\ndataset_kwargs:\n"
                                         f"  audio_root: {FIX}\n")
    (_, subtasks), = task_dict.items()
    results = defaultdict(dict)
    for name, task in subtasks.items():
        score = float("nan") if name == "mmaupro_open" else (80.0 if name == "mmaupro_other_closed" else 20.0)
        results[name] = {"alias": name, "score,none": score, "score_stderr,none": "N/A",
                         "samples": len(task.test_docs())}
    results, *_ = consolidate_group_results(results, defaultdict(dict), task_dict)
    # Twelve scored rows of the known categories at 20, three unknown-category rows at 80.
    assert results["mmau_pro"]["score,none"] == pytest.approx((14 * 20 + 3 * 80) / 17)


def _run_group(tiny_checkpoint, tmp_path, data):
    from .lmms_cli import read_results, run_lmms_eval

    config = tmp_path / "config"
    config.mkdir()
    (config / "mmau_pro.yaml").write_text(
        f"task: mmau_pro\ndataset_path: {data}\ndataset_kwargs:\n  audio_root: {FIX}\n"
    )
    # A random tiny model never stops by itself: cap generation.
    result = run_lmms_eval("vanilla_qwen_omni", f"pretrained={tiny_checkpoint}", str(config), TASKS_DIR,
                           tmp_path / "out", "--gen_kwargs", "max_new_tokens=4", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = read_results(tmp_path / "out")  # lmms-eval exits 0 on a crash too: no results file then
    return report["results"], report["n-samples"], report


def _weighted(res, sizes, names):
    scored = [n for n in names if not math.isnan(res[n]["score,none"])]
    rows = sum(sizes[n]["effective"] for n in scored)
    return sum(res[n]["score,none"] * sizes[n]["effective"] for n in scored) / rows, rows


KNOWN = [f"mmaupro_{k}" for k in mp.CATEGORIES if k != "other_closed"]


@pytest.mark.slow
def test_real_run_without_unknown_category_leaves_the_overall_unchanged(tiny_checkpoint, tmp_path):
    res, sizes, report = _run_group(tiny_checkpoint, tmp_path, FIX)
    # The empty catch-all neither crashes the group nor counts as a 0: it reports no score.
    assert "score,none" not in res["mmaupro_other_closed"] and sizes["mmaupro_other_closed"]["effective"] == 0
    assert report["configs"]["mmaupro_other_closed"]["metadata"]["categories_held"] == {}
    overall, rows = _weighted(res, sizes, KNOWN)
    assert rows == 14 and res["mmau_pro"]["score,none"] == pytest.approx(overall)


@pytest.mark.slow
def test_real_run_scores_unknown_category_with_its_row_weight(tiny_checkpoint, tmp_path):
    (tmp_path / "data").mkdir()
    data = _rows_with(tmp_path / "data", UNKNOWN)
    res, sizes, report = _run_group(tiny_checkpoint, tmp_path, data)
    other = res["mmaupro_other_closed"]
    assert sizes["mmaupro_other_closed"]["effective"] == 3 and 0.0 <= other["score,none"] <= 100.0
    assert report["configs"]["mmaupro_other_closed"]["metadata"]["categories_held"] == {
        "Sound Effects": 1, "birdsong": 1, "sound_effects": 1}
    overall, rows = _weighted(res, sizes, [*KNOWN, "mmaupro_other_closed"])
    assert rows == 17 and res["mmau_pro"]["score,none"] == pytest.approx(overall)


@pytest.mark.parametrize("matcher,ending", [
    ("deterministic", "A. rain\nB. noise\nC. dog bark\nD. siren\n\nAnswer with the letter of the correct choice."),
    ("official", "- rain\n- noise\n- dog bark\n- siren\n\n"
                 "Answer with the text of the correct choice, exactly as it is written above."),
])
def test_mcq_prompt_follows_the_matcher_and_is_recorded(tmp_path, matcher, ending):
    body = f"task: mmaupro_sound\ndataset_path: {FIX}\nscoring:\n  matcher: {matcher}\n"
    task = _load_override(tmp_path, body)["mmaupro_sound"]
    doc = task.test_docs()[0]
    text = mp.doc_to_text(doc, task.lmms_eval_specific_kwargs)
    assert text == "What kind of sound is this?\n\nChoices:\n" + ending
    meta = task.config.metadata
    assert meta["mcq_prompt"]["template"] in (task.lmms_eval_specific_kwargs["template"],
                                              task.lmms_eval_specific_kwargs["text_template"])
    assert ("letter" in meta["mcq_prompt"]["template"]) == (matcher == "deterministic")
    assert meta["prompt_source"] == "own" and meta["dropped_rows"]["count"] == 0
    assert "long_audio" in meta["audio_policy"]


def test_instruction_text_is_not_sent_and_that_is_recorded(tmp_path):
    task = _load_override(tmp_path, f"task: mmaupro_instruction_following\ndataset_path: {FIX}\n")
    task = task["mmaupro_instruction_following"]
    doc = task.test_docs()[0]
    assert mp.doc_to_text(doc, task.lmms_eval_specific_kwargs) == "Follow the instruction spoken in the audio."
    assert doc["question"] not in mp.doc_to_text(doc, task.lmms_eval_specific_kwargs)
    assert task.config.metadata["if_question_text"] is False
