"""Sweep configuration: validation messages, grid expansion, commands, and the shipped paper grid."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from headrouter_eval.leaderboard.cli import PAPER_GRID
from headrouter_eval.leaderboard.reference import load_reference
from headrouter_eval.registry import METHODS
from headrouter_eval.sweep.config import build_config, expand, load_yaml
from headrouter_eval.sweep.runner import build_command
from headrouter_eval.tasks_path import tasks_dir

from .leaderboard_helpers import cli

BASE = {"models": ["/ckpt/Qwen2.5-Omni-3B"], "methods": ["vanilla_qwen_omni", "fastv_qwen_omni"],
        "retentions": [0.7, 0.5], "tasks": ["audiomarathon"]}


def _task_names() -> set[str]:
    """Every task and group name defined in the shipped task folder."""
    names = set()
    for path in tasks_dir().rglob("*.yaml"):
        data = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # BaseLoader: ignore !function tags
        if isinstance(data, dict):
            names.update(str(data[k]) for k in ("task", "group") if isinstance(data.get(k), str))
    return names


@pytest.mark.parametrize(("change", "message"), [
    ({"retention": [0.5]}, r"unknown key 'retention' \(did you mean 'retentions'\?\)"),
    ({"retentions": ["0.5"]}, r"retentions entry must be a number, found string '0.5'"),
    ({"layers": [1.5]}, r"layers entry must be an integer, found number 1.5"),
    ({"num_processes": 1.5}, r"num_processes must be a positive integer or 'auto', found 1.5"),
    ({"models": [{"pretrained": "/ckpt/a", "nmae": "x"}]},
     r"models\[0\]: unknown key 'nmae' \(did you mean 'name'\?\)"),
    ({"methods": [{"model": "fastv_qwen_omni", "model_arg": {}}]},
     r"methods\[0\]: unknown key 'model_arg' \(did you mean 'model_args'\?\)"),
    ({"retentions": [1.5]}, r"retention 1.5 is outside"),
    ({"retentions": []}, r"pruning methods need 'retentions'"),
    ({"model_args": {"retention": 0.3}}, r"'retention' is set by the sweep"),
    ({"model_args": {"profile": "a,b"}}, r"contains ',' or '='"),
    ({"models": ["/a,b/ckpt"]}, r"models\[0\].*contains ','"),
    ({"methods": ["fastv_qwen_omni", {"model": "fastv_qwen_omni"}]}, r"labels repeat"),
    ({"launcher": "slurm"}, r"launcher 'slurm'"),
    ({"num_processes": 0}, r"num_processes must be >= 1"),
])
def test_bad_config_names_file_and_key(change, message):
    with pytest.raises(ValueError, match=message) as info:
        build_config({**BASE, **change}, "grid.yaml")
    assert str(info.value).startswith("grid.yaml")


def test_cli_reports_config_errors(tmp_path):
    config = tmp_path / "grid.yaml"
    config.write_text(yaml.safe_dump({**BASE, "retentions": ["high"]}))
    code, _, err = cli("sweep", "--config", config, "--dry-run")
    assert code == 2 and str(config) in err and "retentions entry must be a number, found string 'high'" in err


def test_expansion_runs_vanilla_once_and_names_folders():
    config = build_config({**BASE, "layers": [2], "tasks": ["audiomarathon", "mmau_pro+am_asr"],
                           "output_dir": "out"}, "grid")
    configs = expand(config)
    assert len(configs) == 2 * (1 + 2)  # task sets x (vanilla + fastv at two retentions)
    folders = {str(c.folder) for c in configs}
    assert "out/Qwen2.5-Omni-3B/vanilla/audiomarathon" in folders
    assert "out/Qwen2.5-Omni-3B/fastv_r0.7_L2/mmau_pro+am_asr" in folders
    joint = next(c for c in configs if c.tasks != "audiomarathon")
    assert joint.tasks == "mmau_pro,am_asr"  # one lmms-eval run for both


def test_model_args_layering_and_commands():
    config = build_config({
        **BASE,
        "models": [{"pretrained": "/ckpt/Qwen2.5-Omni-3B",
                    "method_args": {"fastv_qwen_omni": {"attn_implementation": "eager"}}}],
        "methods": ["vanilla_qwen_omni", {"model": "fastv_qwen_omni", "label": "fv", "model_args": {"x": 1}}],
        "lmms_eval_args": ["--limit", "5"], "include_path": ["/tasks"], "num_processes": 4,
    }, "grid")
    vanilla, fastv = expand(config)[0], expand(config)[1]
    # no stats_dir and no absolute run folder in the model args: stats go beside the results
    assert vanilla.model_args({}) == "pretrained=/ckpt/Qwen2.5-Omni-3B"
    args = fastv.model_args({})
    assert args == "pretrained=/ckpt/Qwen2.5-Omni-3B,retention=0.7,x=1,attn_implementation=eager"
    config.launcher = "accelerate"
    accel = build_command(fastv, config, 4, "python")
    # --multi_gpu always: without it accelerate runs a single process on a machine without GPUs;
    # a free port of its own, so two sweeps on one host do not collide on accelerate's default
    assert accel[:6] == ["python", "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "4"]
    assert accel[6] == "--main_process_port" and 0 < int(accel[7]) != 29500 and accel[8:10] == ["-m", "lmms_eval"]
    # per-sample logs always (the leaderboard's intervals need them), after the user's own arguments
    assert accel[-5:] == ["--include_path", "/tasks", "--limit", "5", "--log_samples"]
    config.launcher = "torchrun"
    assert build_command(fastv, config, 4, "python")[:7] == [
        "python", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "4", "-m"]
    assert build_command(fastv, config, 1, "python")[:3] == ["python", "-m", "lmms_eval"]


def test_paper_grid_covers_the_paper():
    data = load_yaml(PAPER_GRID)
    config = build_config(data, str(PAPER_GRID), PAPER_GRID.parent)
    assert [m.name for m in config.models] == ["Qwen2.5-Omni-3B", "Qwen2.5-Omni-7B"]
    assert {m.model_id for m in config.methods} == {f"{m}_qwen_omni" for m in METHODS}
    assert config.retentions == [0.9, 0.7, 0.5, 0.3]
    assert config.num_processes == "auto"
    configs = expand(config)
    assert len(configs) == 2 * (1 + (len(METHODS) - 1) * 4) * 2
    # the task groups it names exist in the shipped tasks
    assert set(config.tasks) <= _task_names()
    code, out, _ = cli("sweep", "--paper-grid", "--dry-run", "--output-dir", "somewhere")
    assert code == 0 and out.count("\n[") + out.startswith("[") == len(configs)


def test_reference_tasks_exist():
    names = _task_names()
    for row in load_reference():
        missing = set(row.scores) - names
        assert not missing, f"{row.model}: reference tasks {missing} are not defined under {tasks_dir()}"


def test_bad_reference_file(tmp_path: Path):
    bad = tmp_path / "ref.yaml"
    bad.write_text(yaml.safe_dump({"benchmarks": {"b": {"tasks": {"X": "t"}, "models": {"m": {"Y": 1}}}}}))
    with pytest.raises(ValueError, match=r"label 'Y' is not in .*benchmarks.b.tasks"):
        load_reference(bad)


GOOD_BENCH = {"tasks": {"X": "t"}, "models": {"m": {"X": 80}}}


@pytest.mark.parametrize(("data", "message"), [
    ({"benchmark": {"b": GOOD_BENCH}},
     "{path}: unknown key 'benchmark' (did you mean 'benchmarks'?); allowed keys: ['benchmarks', 'source']"),
    ({"benchmarks": {"b": {**GOOD_BENCH, "modles": {}}}},
     "{path}: benchmarks.b: unknown key 'modles' (did you mean 'models'?); allowed keys: ['models', 'tasks']"),
    ({"benchmarks": {"b": {"tasks": {"X": "t"}, "models": {"m": {"X": "80"}}}}},
     "{path}: benchmarks.b: models.m.X must be a number, found string '80'"),
    ({"benchmarks": {"b": {"tasks": {"X": "t"}}}},
     "{path}: benchmarks.b: needs 'tasks' (paper label -> task name) and 'models' mappings"),
    ({"source": "paper", "benchmarks": [GOOD_BENCH]}, "{path}: expected a mapping with a 'benchmarks' mapping"),
])
def test_reference_file_errors_name_file_entry_and_key(tmp_path: Path, data, message):
    path = tmp_path / "ref.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError) as info:
        load_reference(path)
    assert str(info.value) == message.format(path=path)


def test_null_keys_take_their_defaults():
    config = build_config({**BASE, "layers": None, "output_dir": None, "launcher": None,
                           "models": [{"pretrained": "/ckpt/m", "name": None}]}, "grid.yaml")
    assert config.layers == [None] and config.output_dir == Path("runs") and config.launcher == "auto"
    assert config.models[0].name == "m"
    with pytest.raises(ValueError, match=r"^grid.yaml: 'models' is required$"):
        build_config({**BASE, "models": None}, "grid.yaml")


def test_seed_lists_expand_and_profiles_exclude_calibration_items_for_every_method(tmp_path):
    from headrouter_eval.leaderboard.runs import _requested_tasks
    from headrouter_eval.profiles.exclusion import wrapper_yaml
    from headrouter_eval.sweep.run_key import evaluation_key

    config = build_config({**BASE, "output_dir": str(tmp_path / "runs"), "layers": [0, 2], "methods": [
        "vanilla_qwen_omni", {"model": "random_qwen_omni", "model_args": {"seed": [0, 1, 2]}},
        {"model": "headrouter_qwen_omni", "model_args": {"profile": "/p/omni_L{layer}.json"}}]}, "test")
    configs = expand(config)
    labels = sorted({c.method.label for c in configs})
    assert labels == ["headrouter", "random_s0", "random_s1", "random_s2", "vanilla"]
    seeds = {c.model_args({}).split("seed=")[1].split(",")[0] for c in configs if c.method.label.startswith("random")}
    assert seeds == {"0", "1", "2"}
    router = [c for c in configs if c.method.label == "headrouter"]
    assert {c.model_args({}).split("profile=")[1].split(",")[0] for c in router} == {"/p/omni_L0.json",
                                                                                   "/p/omni_L2.json"}
    folders = set()
    for c in configs:  # vanilla and random too: every method skips the items both profiles hold out
        command = build_command(c, config, 1, "python")
        assert command[0] == "python" and not any("HEADROUTER" in arg for arg in command)  # no environment
        tasks = Path(command[command.index("--tasks") + 1])
        assert tasks.is_dir() and tasks.is_relative_to((tmp_path / "runs" / ".calibration_exclusion").resolve())
        names = [t.strip() for t in c.tasks.split(",")]
        assert sorted(p.name for p in tasks.glob("*.yaml")) == sorted(f"{n}.yaml" for n in names)
        for name in names:  # the task keeps its name; the generic wrapper names both profiles
            assert (tasks / f"{name}.yaml").read_text() == wrapper_yaml(name, ["/p/omni_L0.json", "/p/omni_L2.json"])
        key = evaluation_key(command)
        assert key[key.index("--tasks") + 1].startswith(
            "/.calibration_exclusion/")  # a moved output folder resumes: the identity is the path inside it
        # the leaderboard reads the task names a run asked for from such a folder, for its completeness check
        assert _requested_tasks({"config": {"resolved_cli_args": {"tasks": str(tasks)}}}) == sorted(names)
        folders.add(tasks)
    assert len(folders) == len(config.tasks)  # one folder per task entry, shared by every method
    plain = build_config({**BASE, "output_dir": str(tmp_path / "plain")}, "test")
    for c in expand(plain):
        command = build_command(c, plain, 1, "python")
        assert command[command.index("--tasks") + 1] == c.tasks
    assert not (tmp_path / "plain").exists()
    with pytest.raises(ValueError, match="model_args.seed must be an integer or a non-empty list"):
        build_config({**BASE, "methods": [{"model": "random_qwen_omni", "model_args": {"seed": []}}]}, "test")
