"""Profile files, the task->class mapping, profile building, and calibration on the tiny model."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from headrouter_eval.engine import PruningEngine
from headrouter_eval.models.qwen_omni import FAMILY as QWEN_OMNI
from headrouter_eval.profiles.calibrate import CalibrationConfig, build_profile, choose_samples, config_from_model_args
from headrouter_eval.profiles.format import ProfileError, load_profile, save_profile
from headrouter_eval.profiles.mapping import MappingError, class_of, parse_mapping
from headrouter_eval.pruners import make_pruner
from tests.conftest import REPO_ROOT
from tests.headrouter_testkit import CAL_TASKS, calibrate_cli, make_profile


@pytest.fixture(scope="module")
def info(thinker):
    return PruningEngine(thinker, QWEN_OMNI, None, layer=2).model_info()


def uniform_profile(info, **changes):
    heads = info.num_heads
    profile = make_profile(info, {"semantic": ([0.2] * heads, [1 / heads] * heads)})
    return replace(profile, **changes)


def test_profile_round_trips_through_json(info, tmp_path):
    profile = make_profile(info, {"semantic": ([0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]),
                                  "acoustic": ([0.5, 0.6, 0.7, 0.8], [0.1, 0.1, 0.1, 0.7])})
    loaded = load_profile(save_profile(profile, tmp_path / "p.json"))
    assert loaded.to_json() == profile.to_json()
    raw = json.loads((tmp_path / "p.json").read_text())
    assert raw["format"] == "headrouter-profile" and raw["format_version"] == 2
    assert set(raw["model"]) == {"id", "name_or_path", "num_layers", "num_heads", "num_kv_heads", "hidden_size"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("id", "qwen2.5-omni-7b", r"model\.id is 'qwen2\.5-omni-7b' in the profile"),
     ("num_heads", 28, r"model\.num_heads is 28 in the profile but 4"),
     ("num_layers", 36, r"model\.num_layers is 36"),
     ("hidden_size", 2048, r"model\.hidden_size is 2048")],
)
def test_profile_for_another_model_is_refused_naming_the_field(thinker, info, tmp_path, field, value, message):
    profile = uniform_profile(info)
    profile.model[field] = value
    if field == "num_heads":  # keep the file self-consistent so the model check is what fails
        for cls in profile.classes.values():
            cls.centroid, cls.head_weights, cls.audio_mass = [0.1] * value, [1 / value] * value, [0.5] * value
    path = save_profile(profile, tmp_path / "other.json")
    pruner = make_pruner("headrouter", retention=0.5, profile=str(path))
    with pytest.raises(ProfileError, match=message):
        PruningEngine(thinker, QWEN_OMNI, pruner, layer=2)


def test_profile_for_another_layer_is_refused(thinker, info, tmp_path):
    path = save_profile(uniform_profile(info), tmp_path / "k2.json")
    pruner = make_pruner("headrouter", retention=0.5, profile=str(path))
    with pytest.raises(ProfileError, match=r"layer is 2 in the profile but the model prunes at layer=3"):
        PruningEngine(thinker, QWEN_OMNI, pruner, layer=3)
    PruningEngine(thinker, QWEN_OMNI, pruner, layer=2)  # the right layer binds


def test_same_checkpoint_under_another_path_is_accepted(info):
    from headrouter_eval.profiles.format import check_profile, model_id

    assert model_id("Qwen/Qwen2.5-Omni-3B") == model_id("/models/qwen2.5-omni-3b/") == "qwen2.5-omni-3b"
    profile = uniform_profile(info)
    check_profile(profile, replace(info, name_or_path=f"/elsewhere/{profile.model['id']}"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [(lambda d: d.update(format_version=3), r"'format_version' is 3; this version reads \[1, 2\]"),
     (lambda d: d.update(format="other"), "is not a HeadRouter profile"),
     (lambda d: d["classes"]["semantic"].update(centroid=[0.1]), r"classes\.semantic\.centroid has 1 entries"),
     (lambda d: d.pop("sigma"), r"missing required key\(s\) \['sigma'\]"),
     (lambda d: d.update(sigma=0), "'sigma' must be > 0"),
     (lambda d: d.update(sigma="0.2"), "sigma must be a number, found string '0.2'"),
     (lambda d: d.update(layer=1.5), "layer must be an integer, found number 1.5"),
     (lambda d: d.update(sigam=0.2), r"unknown key 'sigam' \(did you mean 'sigma'\?\)"),
     (lambda d: d["classes"]["semantic"].update(head_weight=[1.0]),
      r"classes.semantic: unknown key 'head_weight' \(did you mean 'head_weights'\?\)"),
     (lambda d: d["probe"].pop("softmax"), r"probe: missing required key\(s\) \['softmax'\]")],
)
def test_malformed_profile_files_are_refused(info, tmp_path, edit, message):
    data = uniform_profile(info).to_json()
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ProfileError, match=message):
        load_profile(path)


@pytest.mark.parametrize(
    ("task", "expected"),
    [("audiomarathon_ser", "semantic"), ("audiomarathon_er", "acoustic"), ("am-asr", "semantic"),
     ("audiomarathon_sgr", "acoustic"), ("hr_synth_word", "semantic"), ("hr_synth_pitch", "acoustic"),
     ("hrcal_acoustic", "acoustic"), ("my_semantic_probe", "semantic"), ("hr_synth_calib_mixed", "mixed"),
     ("mmaupro_sound_speech", "mixed"), ("mmaupro_sound_music", "acoustic"), ("mmaupro_speech", "semantic"),
     ("mmaupro_spatial", "acoustic"), ("mmaupro_multi", "mixed"), ("my_mixed_probe", "mixed")],
)
def test_default_mapping_is_audiomarathons_split_on_name_tokens(task, expected):
    assert class_of(task, None) == expected


def test_user_mappings_from_pairs_and_files(tmp_path):
    pairs = parse_mapping("mytask=semantic, other_*=acoustic")
    assert class_of("mytask", pairs) == "semantic" and class_of("other_x", pairs) == "acoustic"
    (tmp_path / "m.yaml").write_text("semantic: [a_*]\nacoustic: [b]\n")
    from_yaml = parse_mapping(str(tmp_path / "m.yaml"))
    assert class_of("a_1", from_yaml) == "semantic" and class_of("b", from_yaml) == "acoustic"
    (tmp_path / "m.json").write_text(json.dumps({"t1": "mixed"}))
    assert class_of("t1", parse_mapping(str(tmp_path / "m.json"))) == "mixed"
    with pytest.raises(MappingError, match=r"task 'zzz' matches no entry"):
        class_of("zzz", pairs)
    with pytest.raises(MappingError, match="is neither an AudioMarathon task"):
        class_of("mmau_pro_sound", None)
    with pytest.raises(MappingError, match="is not task=class"):
        parse_mapping("justaname")
    with pytest.raises(MappingError, match="does not exist"):
        parse_mapping(str(tmp_path / "missing.yaml"))


def test_samples_spread_over_the_tasks_of_a_class_reproducibly():
    from headrouter_eval.profiles.calibrate import Candidate

    def docs(task, n):
        return [Candidate(task, "acoustic", ("ctx", {}, None, i, task, "test"), None, f"{task}{i}") for i in range(n)]

    by_class = {"acoustic": [docs("a", 10), docs("b", 2), docs("c", 10)]}
    picked = choose_samples(by_class, 7, seed=0)
    tasks = [c.task for c in picked]
    assert tasks.count("b") == 2 and tasks.count("a") + tasks.count("c") == 5 and abs(tasks.count("a") - 3) <= 1
    assert [c.sample_id for c in picked] == [c.sample_id for c in choose_samples(by_class, 7, seed=0)]
    assert [c.sample_id for c in picked] != [c.sample_id for c in choose_samples(by_class, 7, seed=1)]


def test_profile_centroids_weights_and_sigma_follow_the_stated_rules(info):
    rows = [
        {"sample_id": "s:0", "task": "s", "class": "semantic", "selectivity": [0.2, 0.4, 0.0, 0.0],
         "audio_mass": [0.5, 0.5, 0.5, 0.5]},
        {"sample_id": "s:1", "task": "s", "class": "semantic", "selectivity": [0.4, 0.0, 0.0, 0.0],
         "audio_mass": [0.3, 0.3, 0.3, 0.3]},
        {"sample_id": "a:0", "task": "a", "class": "acoustic", "selectivity": [0.0, 0.0, 0.0, 0.8],
         "audio_mass": [0.1, 0.1, 0.1, 0.9]},
    ]
    config = CalibrationConfig(pretrained="x", tasks=["s", "a"], per_class=2)
    profile = build_profile(rows, info, {"probe": "norope", "queries": "text", "softmax": "audio"}, config,
                            {"s": ["i0", "i1"], "a": ["i2", "i3"]})
    sem = profile.classes["semantic"]
    assert sem.centroid == pytest.approx([0.3, 0.2, 0.0, 0.0])
    assert sem.head_weights == pytest.approx([0.6, 0.4, 0.0, 0.0])  # ∝ centroid * mean mass (0.4 each)
    assert profile.classes["acoustic"].head_weights == pytest.approx([0.0, 0.0, 0.0, 1.0])
    assert sem.samples == ["s:0", "s:1"] and profile.classes["acoustic"].tasks == ["a"]
    # RMS distance to the own centroid: each semantic sample is sqrt(0.1^2 + 0.2^2) away, the acoustic one 0
    assert profile.sigma == pytest.approx(float(torch.tensor((2 * 0.05 + 0.0) / 3).sqrt()))


def test_model_args_for_calibration_are_checked():
    config = config_from_model_args({"pretrained": "/m", "layer": 3, "probe": "rope"}, tasks=["t"], per_class=2)
    assert config.layer == 3 and config.probe == {"probe": "rope", "queries": "text"}
    with pytest.raises(ValueError, match=r"unknown --model-args keys \['retention'\]"):
        config_from_model_args({"pretrained": "/m", "retention": 0.5}, tasks=["t"], per_class=2)
    with pytest.raises(ValueError, match="needs pretrained="):
        config_from_model_args({"layer": 2}, tasks=["t"], per_class=2)
    # the adapter's long_audio model arg, with the adapter's default
    from headrouter_eval.models.base import DEFAULT_LONG_AUDIO

    assert config.long_audio == DEFAULT_LONG_AUDIO
    assert config_from_model_args({"pretrained": "/m", "long_audio": "split"}, tasks=["t"], per_class=2).long_audio \
        == "split"
    with pytest.raises(ValueError, match=r"--model-args long_audio must be one of \['truncate', 'split'\], got 'cut'"):
        config_from_model_args({"pretrained": "/m", "long_audio": "cut"}, tasks=["t"], per_class=2)


@pytest.mark.slow
def test_calibration_on_the_tiny_model_writes_profile_and_vectors(tiny_checkpoint, tmp_path):
    out = tmp_path / "profiles" / "tiny.json"
    code = calibrate_cli("--model-args", f"pretrained={tiny_checkpoint},layer=2", "--tasks",
                         "hrcal_semantic,hrcal_acoustic", "--include-path", str(CAL_TASKS), "--per-class", "2",
                         "--out", str(out), "--no-progress")
    assert code == 0
    profile = load_profile(out)
    assert sorted(profile.classes) == ["acoustic", "semantic"]
    assert profile.model["num_heads"] == 4 and profile.layer == 2 and profile.scoring_layer == 1
    assert profile.probe == {"probe": "norope", "queries": "text", "softmax": "audio"}
    rows = [json.loads(line) for line in (tmp_path / "profiles" / "tiny.vectors.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and {r["class"] for r in rows} == {"semantic", "acoustic"}
    for name, cls in profile.classes.items():
        members = [r for r in rows if r["class"] == name]
        assert cls.samples == [r["sample_id"] for r in members] and len(members) == 2
        assert cls.centroid == pytest.approx(torch.tensor([r["selectivity"] for r in members]).mean(0).tolist())
        assert sum(cls.head_weights) == pytest.approx(1.0)
    assert all(r["n_audio"] > 0 and len(r["selectivity"]) == 4 for r in rows)
    # every sample comes from its task's held-out split, which the profile records in full
    held = profile.held_out_items
    assert sorted(held) == ["hrcal_acoustic", "hrcal_semantic"] and all(len(ids) == 2 for ids in held.values())
    assert all(r["item"] in held[r["task"]] and r["sample_id"] == f"{r['task']}:{r['item']}" for r in rows)
    assert profile.id_rule == "content-v1" and profile.calibration["id_rule"] == "content-v1"
    # the adapter's long_audio policy and default: the 6.4 s speech clip is cut at the fixture's 4 s
    # window, as the evaluation will cut it; with long_audio=split both hear the whole clip
    assert profile.calibration["long_audio"] == "truncate"
    split = tmp_path / "split.json"
    assert calibrate_cli("--model-args", f"pretrained={tiny_checkpoint},layer=2,long_audio=split", "--tasks",
                         "hrcal_semantic,hrcal_acoustic", "--include-path", str(CAL_TASKS), "--per-class", "2",
                         "--out", str(split), "--no-progress") == 0
    assert load_profile(split).calibration["long_audio"] == "split"
    whole = {json.loads(line)["sample_id"]: json.loads(line)["n_audio"]
             for line in (tmp_path / "split.vectors.jsonl").read_text().splitlines()}
    for row in rows:  # same items (same seed): speech longer under split, the <= 4 s clips unchanged
        assert (whole[row["sample_id"]] > row["n_audio"]) == (row["class"] == "semantic"), row


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tasks", "mapping", "message"),
    [("hrcal_semantic,no_such_task", [], r"unknown lmms-eval task\(s\) \['no_such_task'\]"),
     ("hrcal_semantic,hr_test_tiny_audio", ["--mapping", "hrcal_*=semantic"],
      r"task 'hr_test_tiny_audio' matches no entry of the mapping")],
)
def test_calibrate_refuses_unknown_or_unmapped_tasks_by_name(tiny_checkpoint, tmp_path, tasks, mapping, message):
    tiny_task = REPO_ROOT / "tests" / "fixtures" / "tiny_audio_task"
    with pytest.raises(SystemExit, match=message):
        calibrate_cli("--model-args", f"pretrained={tiny_checkpoint}", "--tasks", tasks, "--include-path",
                      str(CAL_TASKS), "--include-path", str(tiny_task), "--per-class", "1", *mapping,
                      "--out", str(tmp_path / "p.json"), "--no-progress")
    assert not (tmp_path / "p.json").exists()


def test_default_mapping_covers_every_benchmark_task_with_three_classes():
    """Every AudioMarathon task and MMAU-Pro category the tasks folder ships has a default class."""
    names = [p.stem for folder in ("audiomarathon", "mmau_pro") for p in (REPO_ROOT / "tasks" / folder).glob("*.yaml")
             if p.stem not in ("audiomarathon", "mmau_pro")]
    assert len(names) == 23
    classes = {name: class_of(name, None) for name in names}
    assert set(classes.values()) == {"semantic", "acoustic", "mixed"}
    assert [n for n, c in classes.items() if c == "mixed"] and all(c in ("semantic", "acoustic") for n, c in
                                                                   classes.items() if n.startswith("am_"))


def test_version_1_profiles_still_load_without_a_held_out_record(info, tmp_path):
    profile = uniform_profile(info)
    raw = profile.to_json()
    raw["format_version"] = 1
    raw["calibration"] = {"mapping": "AudioMarathon default"}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(raw))
    loaded = load_profile(path)
    assert loaded.format_version == 1 and loaded.held_out_items == {} and list(loaded.classes) == ["semantic"]
    raw["format_version"] = 2  # version 2 must say what it held out
    path.write_text(json.dumps(raw))
    with pytest.raises(ProfileError, match=r"format_version 2 needs 'calibration.held_out.items'"):
        load_profile(path)
    raw["format_version"] = 3
    path.write_text(json.dumps(raw))
    with pytest.raises(ProfileError, match=r"'format_version' is 3; this version reads \[1, 2\]"):
        load_profile(path)


def test_the_bundled_profile_has_three_classes_and_a_held_out_record():
    from headrouter_eval.demo import BUNDLED_MODEL
    from headrouter_eval.synth.tasks import ALL_TASKS

    for name in ("headrouter_profile_L0.json", "headrouter_profile_L2.json"):
        profile = load_profile(BUNDLED_MODEL / name)
        assert sorted(profile.classes) == ["acoustic", "mixed", "semantic"] and profile.format_version == 2
        # calibrated on every task's calibration items, the multi-event ones included (README.md)
        assert set(profile.held_out_items) == {f"hr_synth_calib_{t}" for t in ALL_TASKS}


def test_the_id_rule_is_recorded_and_a_profile_without_one_reads_as_the_task_name_rule(info, tmp_path):
    profile = uniform_profile(info)
    raw = profile.to_json()
    raw["calibration"] = {"held_out": {"seed": 0, "per_task": 1, "items": {"t": ["abc"]}}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(raw))
    assert load_profile(path).id_rule == "task-v0"  # calibrated before content ids (the bundled profiles)
    raw["calibration"]["id_rule"] = "content-v1"
    path.write_text(json.dumps(raw))
    assert load_profile(path).id_rule == "content-v1"
    raw["calibration"]["id_rule"] = "content-v9"
    path.write_text(json.dumps(raw))
    with pytest.raises(ProfileError, match=r"calibration.id_rule is 'content-v9'; this version knows content-v1"):
        load_profile(path)
