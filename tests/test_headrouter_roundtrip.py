"""Calibration -> profile -> the real ``lmms-eval eval --model headrouter_qwen_omni`` with ``profile=``."""

from __future__ import annotations

import json

import pytest

from headrouter_eval.profiles.exclusion import wrapper_yaml
from headrouter_eval.profiles.format import load_profile
from tests.conftest import REPO_ROOT
from tests.headrouter_testkit import CAL_TASKS, calibrate_cli
from tests.lmms_cli import read_results, run_lmms_eval

TINY_TASK = REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task"


@pytest.mark.slow
def test_calibrated_profile_drives_an_lmms_eval_run(tiny_checkpoint, tmp_path):
    profile_path = tmp_path / "tiny.json"
    assert calibrate_cli("--model-args", f"pretrained={tiny_checkpoint},layer=1", "--tasks",
                         "hrcal_semantic,hrcal_acoustic", "--include-path", str(CAL_TASKS), "--per-class", "2",
                         "--out", str(profile_path), "--no-progress") == 0
    profile = load_profile(profile_path)

    out = tmp_path / "run"
    # two of the task's records are the calibration records (same clip and question): the adapter
    # refuses to score them, so the run excludes them, with the generic wrapper the sweep writes
    excluding = tmp_path / "excluding"
    excluding.mkdir()
    (excluding / "hr_test_tiny_audio.yaml").write_text(wrapper_yaml("hr_test_tiny_audio", [str(profile_path)]))
    done = run_lmms_eval("headrouter_qwen_omni",
                         f"pretrained={tiny_checkpoint},retention=0.5,layer=1,profile={profile_path}",
                         str(excluding), TINY_TASK, out)
    assert "Error during evaluation" not in done.stderr, done.stderr[-3000:]
    results = read_results(out)
    assert "exact_match,none" in results["results"]["hr_test_tiny_audio"]
    assert f"profile={profile_path}" in results["config"]["model_args"]

    stats = [json.loads(line) for line in next(out.rglob("*_pruning_stats_rank0.jsonl")).read_text().splitlines()]
    assert len(stats) == 4 - 2  # the two held-out records are not evaluated
    for row in stats:
        assert row["method"] == "headrouter" and row["routing"] == "soft"
        assert row["kept_tokens"] == max(-(-row["audio_tokens"] // 2), row["n_spans"])
        assert set(row["routing_weights"]) == set(profile.classes)
        assert sum(row["routing_weights"].values()) == pytest.approx(1.0, abs=1e-5)
        assert row["routed_class"] == max(row["routing_weights"], key=row["routing_weights"].get)
        assert len(row["top_heads"]) == 4 and all(0 <= head < 4 for head, _ in row["top_heads"])
        # the routed head weights are the alpha-mix of the profile's class weights
        mixed = [sum(row["routing_weights"][c] * profile.classes[c].head_weights[h] for c in profile.classes)
                 for h in range(4)]
        assert [w for _, w in row["top_heads"]] == pytest.approx(sorted(mixed, reverse=True), rel=1e-4)
