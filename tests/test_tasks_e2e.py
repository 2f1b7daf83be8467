"""End to end: the real ``lmms-eval eval`` CLI runs both groups on the fixtures with the
tiny Qwen2.5-Omni checkpoint, pointed at the data by a user config folder (the
documented way), and writes our metrics, group scores and scoring options."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from .lmms_cli import read_results, run_lmms_eval, run_lmms_eval_argv

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"
AM_TASKS = ["asr", "scr", "ser", "asc", "mc", "sed", "er", "sd", "sar", "sgr"]
MMAU_TASKS = ["sound", "music", "speech", "sound_music", "music_speech", "sound_speech", "sound_music_speech",
              "spatial", "voice_chat", "multi", "open", "instruction_following"]


@pytest.mark.slow
def test_both_groups_through_the_cli(tiny_checkpoint, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "audiomarathon.yaml").write_text(
        f"task: audiomarathon\ndataset_path: {FIX / 'audiomarathon' / 'json_layout'}\n"
    )
    (config / "mmau_pro.yaml").write_text(f"task: mmau_pro\ndataset_path: {FIX / 'mmau_pro'}\n")
    out = tmp_path / "out"
    # A random tiny model never stops by itself: cap generation so the run takes about a minute.
    result = run_lmms_eval("vanilla_qwen_omni", f"pretrained={tiny_checkpoint}", str(config), ROOT / "tasks", out,
                           "--gen_kwargs", "max_new_tokens=4", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = read_results(out)
    res, sizes = report["results"], report["n-samples"]

    am_scores = []
    for key in AM_TASKS:
        row = res[f"am_{key}"]
        expected = {"score,none", "wer,none"} if key == "asr" else {"score,none", "accuracy,none", "unparseable,none"}
        assert expected <= set(row)
        assert 0.0 <= row["score,none"] <= 100.0
        am_scores.append(row["score,none"])
        assert report["configs"][f"am_{key}"]["metadata"]["scoring"] == {"parser": "official"}
        assert report["configs"][f"am_{key}"]["metadata"]["scoring_mode"] == "parser=official"
    assert res["audiomarathon"]["score,none"] == pytest.approx(sum(am_scores) / len(am_scores))
    assert res["am_asr"]["score,none"] == pytest.approx(100.0 - res["am_asr"]["wer,none"])
    # --gen_kwargs merges into the task's settings: MC keeps its own system prompt.
    assert report["configs"]["am_mc"]["generation_kwargs"]["system_prompt"].endswith("audio analysis assistant.")

    weighted, rows = 0.0, 0
    for key in MMAU_TASKS:
        row = res[f"mmaupro_{key}"]
        if key == "open":
            assert math.isnan(row["score,none"]) and row["excluded,none"] == 2  # no judge configured
            continue
        weighted += row["score,none"] * sizes[f"mmaupro_{key}"]["effective"]
        rows += sizes[f"mmaupro_{key}"]["effective"]
    assert rows == 14
    assert res["mmau_pro"]["score,none"] == pytest.approx(weighted / rows)
    assert report["configs"]["mmaupro_sound"]["metadata"]["scoring"]["matcher"] == "deterministic"

    samples = sorted(out.rglob("*_samples_am_sgr.jsonl"))
    assert samples, "per-sample log missing"
    first = json.loads(samples[0].read_text().splitlines()[0])
    assert first["score"]["parser"] == "official" and first["score"]["average"] == "weighted"
    multi = json.loads(sorted(out.rglob("*_samples_mmaupro_multi.jsonl"))[0].read_text().splitlines()[0])
    assert multi["score"]["matcher"] == "deterministic"


@pytest.mark.slow
def test_lmms_eval_tasks_list_shows_ours():
    # lmms-eval's own `tasks list` command, in the session's lmms-eval process: its output is the log
    listing = run_lmms_eval_argv(["tasks", "list", "--include-path", str(ROOT / "tasks")])
    assert listing.returncode == 0, listing.stderr[-2000:]
    names = set(listing.stderr.split())
    assert {"audiomarathon", "mmau_pro"} <= names
    assert {f"am_{k}" for k in AM_TASKS} <= names
    assert {f"mmaupro_{k}" for k in MMAU_TASKS} <= names
