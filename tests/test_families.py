"""Every model family end to end: real lmms-eval runs, calibration, and refusing the wrong checkpoint.

The engine's equivalence proofs run per family in ``test_engine.py``; this file checks
the paths a user takes: ``lmms-eval eval --model <method>_<family>`` on a bundled task,
``headrouter-eval calibrate`` on a family's checkpoint, and a clear refusal when a
checkpoint of one family is handed to another family's model id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headrouter_eval.catalog import FAMILIES, METHODS, class_name, model_id
from headrouter_eval.models import get_family
from headrouter_eval.profiles.format import load_profile

from .headrouter_testkit import CAL_TASKS, calibrate_cli
from .lmms_cli import read_results, read_stats, run_lmms_eval

ROOT = Path(__file__).resolve().parents[1]
OTHER_FAMILIES = [name for name in FAMILIES if name != "qwen_omni"]


@pytest.fixture(scope="module")
def checkpoints(family_checkpoint) -> dict[str, Path]:
    return {name: family_checkpoint(name) for name in FAMILIES}


def test_every_family_and_method_has_a_registered_model_id():
    from headrouter_eval.adapters import lmms_model
    from headrouter_eval.registry import MANIFESTS

    ids = {m.model_id: m.simple_class_path for m in MANIFESTS}
    assert len(ids) == len(FAMILIES) * len(METHODS)
    for family in FAMILIES:
        for method in METHODS:
            path = ids[model_id(method, family)]
            cls = getattr(lmms_model, path.rsplit(".", 1)[1])
            assert path.endswith(class_name(method, family)) and (cls.method, cls.family_name) == (method, family)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_checkpoint_of_another_family_is_refused_naming_what_was_found(family, checkpoints):
    target = get_family(family)
    for other, folder in checkpoints.items():
        if other == family:
            continue
        found = json.loads((folder / "config.json").read_text())["model_type"]
        with pytest.raises(ValueError, match=rf"is a '{found}' checkpoint .*the {target.title} integration loads "
                                             rf".*it is a {get_family(other).title} checkpoint: use the \*_{other} "
                                             "model ids"):
            target.load_model(folder)


@pytest.mark.slow
@pytest.mark.parametrize("family", OTHER_FAMILIES)
def test_lmms_eval_runs_every_family_on_a_bundled_task(family, checkpoints, tmp_path):
    """A real ``lmms-eval eval`` of every method's id of the family on two hr_synth items."""
    for method in METHODS:
        out = tmp_path / method
        pruning = "" if method == "vanilla" else ",retention=0.5,layer=1"
        result = run_lmms_eval(model_id(method, family), f"pretrained={checkpoints[family]}{pruning}",
                               "hr_synth_word", ROOT / "tasks", out, "--limit", "2", "--verbosity", "WARNING")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "hr_synth_word" in read_results(out)["results"]
        stats = read_stats(out)
        assert len(stats) == 2
        for row in stats.values():
            if method == "vanilla":
                assert not row["pruned"] and row["kept_tokens"] == row["audio_tokens"] > 0
            else:
                assert row["pruned"] and 0 < row["kept_tokens"] < row["audio_tokens"]


@pytest.mark.slow
@pytest.mark.parametrize("family", OTHER_FAMILIES)
def test_calibrate_accepts_every_family(family, checkpoints, tmp_path):
    out = tmp_path / f"{family}.json"
    code = calibrate_cli("--model-args", f"pretrained={checkpoints[family]},layer=2", "--tasks",
                         "hrcal_semantic,hrcal_acoustic", "--include-path", str(CAL_TASKS), "--per-class", "2",
                         "--out", str(out), "--no-progress")
    assert code == 0
    profile = load_profile(out)
    assert sorted(profile.classes) == ["acoustic", "semantic"] and profile.layer == 2
    assert profile.model["num_heads"] == 4


def test_results_tooling_reads_every_familys_model_ids():
    """Sweeps and leaderboards take any family's ids: method, and whether retention/layer apply."""
    from headrouter_eval.leaderboard.runs import is_pruning_model, method_of, prunes

    for family in FAMILIES:
        assert method_of(model_id("fastv", family)) == "fastv" and prunes(model_id("headrouter", family))
        assert is_pruning_model(model_id("vanilla", family)) and not prunes(model_id("vanilla", family))
    assert not is_pruning_model("dummy") and method_of("dummy") == "dummy"


@pytest.mark.parametrize("family", OTHER_FAMILIES)
def test_bad_model_args_are_refused_alike_for_every_family(family, checkpoints):
    """The adapter's checks do not depend on the family: each error names the arg or the field."""
    from headrouter_eval.adapters.lmms_model import ADAPTERS
    from headrouter_eval.demo import BUNDLED_PROFILE

    folder = str(checkpoints[family])
    with pytest.raises(ValueError, match=r"retention must be in \(0, 1\]"):
        ADAPTERS[model_id("fastv", family)](pretrained=folder, retention=1.5)
    with pytest.raises(ValueError, match=r"layer must be in \[0, 3\]"):
        ADAPTERS[model_id("uniform", family)](pretrained=folder, retention=0.5, layer=4)
    with pytest.raises(ValueError, match=rf"unknown model arg\(s\) \['sigam'\] for {model_id('fastv', family)}"):
        ADAPTERS[model_id("fastv", family)](pretrained=folder, retention=0.5, sigam=1)
    # the bundled model's profile belongs to the Qwen2.5-Omni model: refused, naming the field
    with pytest.raises(ValueError, match=r"model\.id is 'hr_synth_omni' in the profile"):
        ADAPTERS[model_id("headrouter", family)](pretrained=folder, retention=0.5, layer=0,
                                                 profile=str(BUNDLED_PROFILE).format(layer=0))


@pytest.mark.slow
def test_one_sweep_compares_pruners_across_families(checkpoints, tmp_path):
    """Bare methods in a sweep run on each model's own family; the leaderboard has a row per model."""
    from .leaderboard_helpers import cli, write_config

    grid = write_config(
        tmp_path / "grid.yaml", output_dir=str(tmp_path / "runs"), tasks=["hr_synth_word"],
        models=[{"pretrained": str(checkpoints["qwen_omni"]), "name": "omni"},
                {"pretrained": str(checkpoints["qwen2_audio"]), "name": "q2a", "family": "qwen2_audio"}],
        methods=["vanilla", "fastv"], retentions=[0.5], layers=[1],
        lmms_eval_args=["--limit", "2", "--log_samples"])
    code, out, err = cli("sweep", "--config", grid)
    assert code == 0, out + err
    code, out, err = cli("leaderboard", tmp_path / "runs", "--no-plot", "--bootstrap", "50")
    assert code == 0, out + err
    rows = [json.loads(line) for line in (tmp_path / "runs" / "leaderboard_tidy.jsonl").read_text().splitlines()]
    # hr_synth's own aggregations (`!function` in its YAML), found through lmms-eval, give every score an interval
    scored = [row for row in rows if row["task"] == "hr_synth_word" and row["leaderboard_metric"]]
    assert len(scored) == 4 and all(row["interval_problem"] is None and row["ci_low"] <= row["value"] <= row["ci_high"]
                                    for row in scored), scored
    ran = {(row["model"], row["method"], row["model_id"]) for row in rows}
    assert ran == {("omni", "vanilla", "vanilla_qwen_omni"), ("omni", "fastv", "fastv_qwen_omni"),
                   ("q2a", "vanilla", "vanilla_qwen2_audio"), ("q2a", "fastv", "fastv_qwen2_audio")}
    assert all(row["achieved_retention"] == pytest.approx(0.5, abs=0.02) for row in rows if row["method"] == "fastv")


def test_a_model_id_of_another_family_is_refused_by_the_sweep(checkpoints, tmp_path):
    from .leaderboard_helpers import cli, write_config

    grid = write_config(
        tmp_path / "grid.yaml", output_dir=str(tmp_path / "runs"), tasks=["hr_synth_word"],
        models=[{"pretrained": str(checkpoints["qwen2_audio"]), "name": "q2a", "family": "qwen2_audio"}],
        methods=["fastv_qwen_omni"], retentions=[0.5])
    code, out, err = cli("sweep", "--config", grid)
    assert code != 0
    assert ("method fastv_qwen_omni is a qwen_omni model id but model q2a is family qwen2_audio; "
            "write the bare method 'fastv'") in out + err
    assert not (tmp_path / "runs").exists()
