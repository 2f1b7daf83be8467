"""Every bad input of docs/bad_inputs.md, fed through the real command that meets it.

Audio and model args go through the real ``lmms-eval eval`` CLI with our adapter on the
tiny checkpoint (lmms-eval exits 0 when an evaluation fails, so each test also checks that
nothing is left that looks complete); config files, run folders and Ctrl-C go through the
real ``headrouter-eval`` subcommands.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from headrouter_eval.leaderboard.runs import FAILED, MANIFEST_NAME

from .leaderboard_helpers import DUMMY_METHODS, FIXTURE_TASKS, cli, dummy_runs, dummy_sweep_config, write_config
from .lmms_cli import results_files, run_lmms_eval

SR = 16_000


def _assert_failed_cleanly(result: subprocess.CompletedProcess, out: Path, *needles: str) -> None:
    log = result.stdout + result.stderr
    for needle in needles:
        assert needle in log, f"{needle!r} not in the log:\n{log[-3000:]}"
    assert results_files(out) == []  # lmms-eval exits 0 on failure: nothing may look complete
    assert not list(out.rglob("*_pruning_summary_rank*.json"))


def _wrong_architecture(checkpoint: Path, tmp_path: Path) -> str:
    text_only = tmp_path / "qwen2-text"
    shutil.copytree(checkpoint, text_only)
    config = json.loads((text_only / "config.json").read_text())
    (text_only / "config.json").write_text(json.dumps({**config, "model_type": "qwen2"}))
    return f"pretrained={text_only}"


def _misspelt_profile(checkpoint: Path, tmp_path: Path) -> str:
    from headrouter_eval.demo import BUNDLED_MODEL

    profile = json.loads((BUNDLED_MODEL / "headrouter_profile_L0.json").read_text())
    profile["sigam"] = profile.pop("sigma")
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    return f"pretrained={checkpoint},retention=0.5,profile={path}"


@pytest.mark.parametrize(("model", "args", "message"), [
    ("vanilla_qwen_omni", lambda c, t: f"pretrained={t / 'no_such_model'}", "no such folder"),
    ("vanilla_qwen_omni", _wrong_architecture, "is a 'qwen2' checkpoint (config.json model_type, architectures"),
    ("headrouter_qwen_omni", _misspelt_profile, "unknown key 'sigam' (did you mean 'sigma'?)"),
], ids=["missing-folder", "wrong-architecture", "profile-typo"])
def test_bad_model_args_fail_the_run_naming_the_arg(tiny_checkpoint, tmp_path, model, args, message):
    """The adapter refuses at construction, before lmms-eval asks for anything: in-process here;
    that a refusal at construction leaves no results behind is the run below
    (test_a_world_size_other_than_asked_fails_with_the_fix), and argument typing is test_adapter's."""
    from headrouter_eval.adapters.lmms_model import ADAPTERS

    with pytest.raises(ValueError, match=re.escape(message)):  # as lmms-eval builds it from --model_args
        ADAPTERS[model].create_from_arg_string(args(tiny_checkpoint, tmp_path))


@pytest.mark.slow
def test_a_world_size_other_than_asked_fails_with_the_fix(tiny_checkpoint, tmp_path):
    # what `accelerate launch --num_processes 2` without --multi_gpu does on a CPU machine: one
    # process; the sweep tells the adapter how many it asked for
    out = tmp_path / "out"
    result = run_lmms_eval("vanilla_qwen_omni", f"pretrained={tiny_checkpoint}", "hr_test_tiny_audio",
                           Path(__file__).parent / "fixtures" / "tiny_audio_task", out, "--limit", "1",
                           env_extra={"HEADROUTER_EXPECTED_WORLD_SIZE": "2"})
    _assert_failed_cleanly(result, out, "launched for 2 processes but only 1 started", "add --multi_gpu",
                           "torchrun --nproc_per_node")


def test_sweep_picks_torchrun_without_gpus(tmp_path):
    import torch

    code, out, err = cli("sweep", "--models", "/ckpt/m", "--methods", "fastv_qwen_omni", "--retentions", "0.5",
                         "--tasks", "hrlb_a", "--output-dir", tmp_path, "--num-processes", "2", "--dry-run")
    assert code == 0, err
    expected = "accelerate.commands.launch --multi_gpu" if torch.cuda.is_available() else "torch.distributed.run"
    assert expected in out


@pytest.mark.parametrize(("change", "message"), [
    ({"retentons": [0.5]}, "unknown key 'retentons' (did you mean 'retentions'?)"),
    ({"retentions": ["0.5"]}, "retentions entry must be a number, found string '0.5'"),
    ({"layers": [1.5]}, "layers entry must be an integer, found number 1.5"),
])
def test_bad_sweep_config_exits_2_naming_file_and_key(tmp_path, change, message):
    data = {"models": ["/ckpt/m"], "methods": ["fastv_qwen_omni"], "retentions": [0.5], "tasks": ["hrlb_a"]}
    config = write_config(tmp_path / "grid.yaml", **{**data, **change})
    code, _, err = cli("sweep", "--config", config, "--dry-run")
    assert code == 2 and str(config) in err and message in err, err


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A real leaderboard of the shared dummy-model sweep runs."""
    runs = dummy_runs(tmp_path_factory.getbasetemp())
    out = tmp_path_factory.mktemp("bad_inputs_board")
    code, text, err = cli("leaderboard", runs, "--out", out, "--no-plot")
    assert code == 0, text + err
    return out / "leaderboard.csv"


def _baseline_entry(board_csv: Path) -> dict:
    code, _, _ = cli("regress", board_csv, board_csv.with_name("written.yaml"), "--write-baseline")
    assert code == 0
    return yaml.safe_load(board_csv.with_name("written.yaml").read_text())["entries"][0]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda e: e.update(higher_is_better="false"), "higher_is_better must be true or false (unquoted), found "
                                                   "string 'false'"),
    (lambda e: e.update(higher_is_beter=False), "unknown key 'higher_is_beter' (did you mean 'higher_is_better'?)"),
    (lambda e: e.update(tolerence=50), "unknown key 'tolerence' (did you mean 'tolerance'?)"),
    (lambda e: e.update(score="80"), "score must be a number, found string '80'"),
])
def test_bad_regress_baseline_exits_2_naming_file_entry_and_key(board, tmp_path, edit, message):
    entry = _baseline_entry(board)
    edit(entry)
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump({"default_tolerance": 0.0, "entries": [entry]}))
    code, out, err = cli("regress", board, baseline)
    assert code == 2, out + err
    assert f"{baseline}: entries[0]: {message}" in err


@pytest.mark.parametrize(("bench", "message"), [
    ({"tasks": {"X": "t"}, "modles": {}}, "benchmarks.b: unknown key 'modles' (did you mean 'models'?)"),
    ({"tasks": {"X": "t"}, "models": {"m": {"X": "80"}}},
     "benchmarks.b: models.m.X must be a number, found string '80'"),
    ({"tasks": {"X": "t"}, "models": {"m": {"Y": 80}}},
     "benchmarks.b.models.m: label 'Y' is not in benchmarks.b.tasks"),
])
def test_bad_paper_reference_exits_2_naming_file_entry_and_key(tmp_path_factory, tmp_path, bench, message):
    reference = tmp_path / "reference.yaml"
    reference.write_text(yaml.safe_dump({"benchmarks": {"b": bench}}))
    code, out, err = cli("leaderboard", dummy_runs(tmp_path_factory.getbasetemp()), "--out", tmp_path / "out",
                         "--no-plot", "--paper-reference", reference)
    assert code == 2, out + err
    assert f"{reference}: {message}" in err, err


def test_lower_is_better_baseline_flags_a_rise_as_regression(board, tmp_path):
    entry = _baseline_entry(board)
    entry.update(higher_is_better=False, score=entry["score"] - 0.5, tolerance=0.0)
    baseline = tmp_path / "baseline.yaml"
    baseline.write_text(yaml.safe_dump({"entries": [entry]}))
    code, out, _ = cli("regress", board, baseline)
    assert code == 1 and out.startswith("REGRESSION"), out


def test_leaderboard_survives_half_written_files(tmp_path_factory, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(dummy_runs(tmp_path_factory.getbasetemp()), runs)
    # dummy_runs: vanilla and always_b on hrlb_group (complete), always_b on hrlb_broken (failed)
    torn_results = next((runs / "dummy-model" / "always_b" / "hrlb_group").rglob("*_results.json"))
    torn_results.write_text(torn_results.read_text()[:100])
    torn_manifest = runs / "dummy-model" / "always_b" / "hrlb_broken" / MANIFEST_NAME
    torn_manifest.write_text("{\"model\": ")
    stray = runs / "stray" / "model"
    stray.mkdir(parents=True)
    (stray / "20260101_000000_results.json").write_text("{")
    code, out, err = cli("leaderboard", runs, "--no-plot")
    assert code == 0, out + err
    records = json.loads((runs / "leaderboard.json").read_text())["records"]
    failed = {r["runs"]: r["problem"] for r in records if r["status"] == FAILED}
    assert any("not readable JSON" in p and str(torn_results) in p for p in failed.values()), failed
    assert any(str(torn_manifest) in p for p in failed.values()), failed
    assert str(stray) in failed
    # the rest is still tabulated
    assert {r["task"] for r in records if r["status"] == "complete" and r["method"] == "vanilla"} >= {
        "hrlb_a", "hrlb_b"}
    assert f"FAILED: {stray}" in out


def test_copied_runs_folder_resumes_without_rerunning(tmp_path):
    # the committed runs were made in another checkout, with its interpreter and task folder
    # path: a run is resumed by what it depends on (task files and checkpoint by content)
    copy = dummy_runs(tmp_path)
    config = dummy_sweep_config(tmp_path / "dummy_sweep.yaml", copy)
    code, out, err = cli("sweep", "--config", config, "--", "--log_samples")
    assert code == 0, out + err
    assert "2 skipped (finished earlier)" in out and "0 run," in out, out


@pytest.mark.slow
def test_an_edited_task_folder_reruns_and_keeps_the_finished_run(tmp_path):
    # the same task folder path, other contents: the finished run answered another question
    runs, tasks = dummy_runs(tmp_path), tmp_path / "tasks"
    shutil.copytree(FIXTURE_TASKS, tasks)
    only_vanilla = write_config(tmp_path / "vanilla.yaml", output_dir=str(runs), include_path=str(tasks),
                                tasks=["hrlb_group"], methods=DUMMY_METHODS[:1],
                                models=[{"pretrained": "fixture/dummy-model", "name": "dummy-model"}])
    code, out, err = cli("sweep", "--config", only_vanilla, "--", "--log_samples")
    assert code == 0 and "1 skipped (finished earlier)" in out, out + err  # a copy of the same files
    yaml_file = tasks / "hrlb_a.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("ignore_case: true", "ignore_case: false"))
    code, out, err = cli("sweep", "--config", only_vanilla, "--", "--log_samples")
    assert code == 0 and "finished earlier with other settings; that run was moved to" in out, out + err
    assert "1 run, 0 skipped" in out, out
    moved = out.split("that run was moved to ")[1].split()[0]
    assert list(Path(moved).rglob("*_results.json")), moved  # the finished run is kept


@pytest.mark.slow
def test_ctrl_c_on_a_sweep_marks_the_run_interrupted_without_a_traceback(tmp_path):
    runs = tmp_path / "runs"
    config = write_config(
        tmp_path / "grid.yaml", output_dir=str(runs), include_path=str(FIXTURE_TASKS), tasks=["hrlb_a"],
        models=[{"pretrained": "fixture/dummy-model", "name": "dummy-model"}],
        methods=[{"model": "dummy", "label": "vanilla"}])
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "headrouter_eval.cli", "sweep", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    manifest = runs / "dummy-model" / "vanilla" / "hrlb_a" / MANIFEST_NAME
    deadline = time.monotonic() + 120
    while not manifest.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert manifest.is_file(), "the sweep never started its run"
    time.sleep(1.0)  # lmms-eval is starting up
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err and "interrupted during dummy-model vanilla | hrlb_a" in err, err
    assert json.loads(manifest.read_text())["status"] == "interrupted"
    assert not list(manifest.parent.rglob("*_results.json"))


def test_analyze_without_head_vectors_exits_2(tmp_path):
    stats = tmp_path / "20260101_000000_pruning_stats_rank0.jsonl"  # a fastv run's stats: no head vectors
    stats.write_text(json.dumps({"task": "t", "doc_id": 0, "audio_tokens": 10, "kept_tokens": 5}) + "\n")
    code, _, err = cli("analyze", "--vectors", stats, "--out", tmp_path / "figures")
    assert code == 2 and "no per-sample head vectors" in err and str(stats) in err
    assert not (tmp_path / "figures").exists()


# ---------------------------------------------------------------------------------------------
# Model side: audio scaling and truncation, generation settings, prompts, profiles (in process)
# ---------------------------------------------------------------------------------------------

CONTAINERS = [("WAV", "PCM_16", "wav"), ("MP3", "MPEG_LAYER_III", "mp3"), ("OGG", "VORBIS", "ogg"),
              ("OGG", "OPUS", "opus"), ("AIFF", "PCM_16", "aiff"), ("RF64", "PCM_16", "rf64"),
              ("W64", "PCM_16", "w64"), ("AU", "PCM_16", "au"), ("FLAC", "PCM_16", "flac")]


def _encoded(container: str, subtype: str, seconds: float = 20.0) -> bytes:
    import io

    rate = 48_000 if subtype == "OPUS" else SR
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(0).standard_normal(t.size)
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * noise).astype(np.float32), rate,
             format=container, subtype=subtype)
    return buffer.getvalue()


def _wav_with_big_chunk_before_data(seconds: float = 5.0) -> bytes:
    """A WAV with a 70 KiB LIST chunk between ``fmt `` and ``data`` (as tagging tools write)."""
    whole = _encoded("WAV", "PCM_16", seconds)
    listing = b"LIST" + (70_000).to_bytes(4, "little") + b"INFO" + bytes(70_000 - 4)
    body = whole[12:36] + listing + whole[36:]
    return b"RIFF" + (4 + len(body)).to_bytes(4, "little") + b"WAVE" + body


@pytest.mark.parametrize(("container", "subtype", "ext"), CONTAINERS, ids=[c[2] for c in CONTAINERS])
def test_truncated_audio_of_every_container_is_refused(tmp_path, container, subtype, ext):
    from headrouter_eval.audio import AudioError, load_audio

    whole = _encoded(container, subtype)
    path = tmp_path / f"whole.{ext}"
    path.write_bytes(whole)
    assert len(load_audio(path)) > 19 * SR  # the whole file passes: no false alarm
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(whole[: int(len(whole) * 0.3)])
    with pytest.raises(AudioError, match=rf"doc 4: (audio file .*cut\.{ext}: .*the file is truncated|cannot decode)"):
        load_audio(cut, where="doc 4")
    with pytest.raises(AudioError, match="truncated|cannot decode"):
        load_audio({"bytes": cut.read_bytes()})


def test_truncated_wav_with_a_big_chunk_before_data_is_refused(tmp_path):
    from headrouter_eval.audio import AudioError, load_audio

    whole = _wav_with_big_chunk_before_data()
    assert len(load_audio(whole)) == 5 * SR
    with pytest.raises(AudioError, match=r"the WAV header promises 80000 frames \(5.00 s\) but only \d+ .* truncated"):
        load_audio(whole[: len(whole) - 40_000])


@pytest.mark.parametrize("dtype", ["int16", "int32", "uint8", "int8"])
def test_integer_pcm_arrays_are_scaled_by_their_type_range(dtype):
    from headrouter_eval.audio import load_audio

    info = np.iinfo(dtype)
    t = np.arange(SR) / SR
    reference = 0.5 * np.sin(2 * np.pi * 440 * t)
    middle = (int(info.max) + 1) // 2 if info.min == 0 else 0
    scale = (int(info.max) + 1) // 2 if info.min == 0 else -int(info.min)
    pcm = np.round(reference * scale + middle).astype(dtype)
    wav = load_audio({"array": pcm, "sampling_rate": SR})
    assert abs(float(np.abs(wav).max()) - 0.5) < 0.02
    assert np.allclose(wav, reference, atol=2.0 / scale + 1e-3)


@pytest.mark.parametrize(("peak", "hint"), [(1e6, ""), (32767.0, "integer PCM stored as float")])
def test_float_audio_far_outside_full_scale_is_refused(peak, hint):
    from headrouter_eval.audio import AudioError, load_audio

    wav = np.round(np.sin(np.arange(SR) / 5) * peak).astype(np.float32)
    with pytest.raises(AudioError, match=rf"doc 2: audio array: float audio peaks at .*outside .*{hint}"):
        load_audio({"array": wav, "sampling_rate": SR}, where="doc 2")
    # a small overshoot (what resamplers produce) is fine
    assert load_audio({"array": wav / peak * 1.05, "sampling_rate": SR}).size == SR


@pytest.fixture(scope="module")
def adapter(tiny_checkpoint):
    """The real adapter on the tiny Qwen2.5-Omni checkpoint, its requests built as lmms-eval builds them."""
    from headrouter_eval.adapters.lmms_model import VanillaQwenOmni

    return VanillaQwenOmni(pretrained=str(tiny_checkpoint), long_audio="truncate")


def _ask(model, docs: list[dict], gen_kwargs: dict | None = None, task: str = "hr_model_side") -> list[str]:
    from lmms_eval.api.instance import Instance

    from .conftest import AUDIO_DIR

    def to_visual(doc):
        return [] if doc.get("audio") is None else [
            doc["audio"] if isinstance(doc["audio"], dict) else str(AUDIO_DIR / doc["audio"])]

    model.task_dict = {task: {"test": docs}}
    requests = [Instance("generate_until", (doc.get("question", "What?"), dict(gen_kwargs or {"max_new_tokens": 2}),
                                            to_visual, i, task, "test"), idx=0,
                         metadata={"task": task, "doc_id": i, "repeats": 1}) for i, doc in enumerate(docs)]
    return model.generate_until(requests)


@pytest.mark.parametrize(("gen_kwargs", "message"), [
    ({"temperature": 0.7, "do_sample": False}, r"task t: do_sample=False contradicts temperature=0.7"),
    ({"temperature": 0, "do_sample": True}, r"do_sample=True contradicts temperature=0.0"),
    ({"num_beams": 3}, r"num_beams=3 cannot be honoured"),
    ({"max_new_token": 5}, r"generation setting\(s\) \['max_new_token'\] cannot be honoured"),
    ({"top_k": 1.5, "temperature": 1}, r"top_k must be an integer >= 0, got 1.5"),
    ({"top_p": 0}, r"top_p must be in \(0, 1\]"),
    ({"until": 3}, r"until must be a string or a list of strings"),
])
def test_generation_settings_that_cannot_be_honoured_are_refused_by_name(gen_kwargs, message):
    from headrouter_eval.adapters.generation import GenerationSettingsError, generation_settings

    with pytest.raises(GenerationSettingsError, match=message):
        generation_settings(gen_kwargs, default_max_new_tokens=8, where="task t")


def test_generation_settings_that_ran_are_recorded(adapter, tmp_path):
    from transformers import GenerationConfig

    from headrouter_eval.adapters.generation import generate_kwargs, generation_settings

    sampled = generation_settings({"temperature": 0.7, "top_k": 5, "until": "\n", "do_sample": True},
                                  default_max_new_tokens=8, checkpoint_defaults=GenerationConfig(top_p=0.8))
    assert sampled == {"do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 5, "num_beams": 1,
                       "max_new_tokens": 8, "until": ["\n"]}
    assert generate_kwargs(sampled) == {"max_new_tokens": 8, "do_sample": True, "num_beams": 1,
                                        "temperature": 0.7, "top_p": 0.8, "top_k": 5}
    # through the adapter: what ran goes into every stats row, per task
    adapter.stats_dir = str(tmp_path)
    _ask(adapter, [{"audio": "beeps_16k.wav"}], {"max_new_tokens": 3, "top_p": 0.5, "until": ["\n\n"]})
    row = json.loads(next(tmp_path.glob("*pruning_stats*")).read_text().splitlines()[0])
    assert row["generation"] == {"hr_model_side": {"do_sample": False, "temperature": 0.0, "top_p": None,
                                                   "top_k": None, "num_beams": 1, "max_new_tokens": 3,
                                                   "until": ["\n\n"]}}
    # a contradiction fails the whole call before any request is answered
    with pytest.raises(ValueError, match="do_sample=false contradicts temperature=0.7"):
        _ask(adapter, [{"audio": "beeps_16k.wav"}], {"temperature": 0.7, "do_sample": "false"})


def test_a_document_without_audio_is_an_error(adapter, tmp_path):
    adapter.stats_dir = str(tmp_path)
    with pytest.raises(ValueError, match=r"doc 1 of task hr_model_side: the document has no audio"):
        _ask(adapter, [{"audio": "beeps_16k.wav"}, {"audio": None}])


def test_a_clip_too_short_for_one_audio_token_is_an_error(adapter, tmp_path):
    from headrouter_eval.models.base import AudioTooShortError

    adapter.stats_dir = str(tmp_path)
    blip = {"array": np.full(160, 0.1, dtype=np.float32), "sampling_rate": SR}  # 10 ms
    with pytest.raises(AudioTooShortError, match=r"doc 0 of task hr_model_side: 1 of 1 audio item\(s\) gave no "
                                                 r"audio token .*10.0 ms"):
        _ask(adapter, [{"audio": blip}])


def test_long_audio_is_truncated_and_recorded_or_over_context_refused(adapter, tmp_path):
    adapter.stats_dir = str(tmp_path / "a")
    _ask(adapter, [{"audio": "speech_16k.wav"}])  # 6.4 s against the tiny model's 4 s window
    row = json.loads(next((tmp_path / "a").glob("*pruning_stats*")).read_text().splitlines()[0])
    assert (row["long_audio"], row["audio_s"], row["audio_heard_s"], row["n_spans"]) == ("truncate", 6.421, 4.0, 1)
    # split keeps the whole clip as two spans; over the context, it is refused with the numbers
    adapter.long_audio, limit = "split", adapter.context_limit
    try:
        adapter.stats_dir = str(tmp_path / "b")
        _ask(adapter, [{"audio": "speech_16k.wav"}])
        assert json.loads(next((tmp_path / "b").glob("*pruning_stats*")).read_text())["n_spans"] == 2
        adapter.context_limit = 120  # as if the decoder had 120 positions
        adapter.stats_dir = str(tmp_path / "c")
        with pytest.raises(ValueError, match=r"doc 0 of task hr_model_side: the prompt is \d+ tokens \(6.4 s of "
                                             r"audio, long_audio=split\) and the reply up to 2: \d+ positions, over "
                                             r"the model's max_position_embeddings 120; .*long_audio=truncate"):
            _ask(adapter, [{"audio": "speech_16k.wav"}])
    finally:
        adapter.long_audio, adapter.context_limit = "truncate", limit


def test_long_audio_model_arg_is_validated(tiny_checkpoint):
    from headrouter_eval.adapters.lmms_model import VanillaQwenOmni

    with pytest.raises(ValueError, match=r"model arg long_audio must be one of \['truncate', 'split'\], got 'cut'"):
        VanillaQwenOmni(pretrained=str(tiny_checkpoint), long_audio="cut")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.update(centroid=[float("nan")] * 4), r"classes\.semantic\.centroid has 4 non-finite entries"),
    (lambda c: c.update(head_weights=[0.0] * 4), r"classes\.semantic\.head_weights sum to 0, not 1"),
    (lambda c: c.update(head_weights=[0.75, 0.75, -0.25, -0.25]),
     r"classes\.semantic\.head_weights has negative entries \(first at head 2: -0.25\)"),
    (lambda c: c.update(head_weights=[float("nan"), 0.5, 0.25, 0.25]),
     r"classes\.semantic\.head_weights has 1 non-finite entries"),
    (lambda c: c.update(head_weights=[0.5] * 4), r"classes\.semantic\.head_weights sum to 2, not 1"),
    (lambda c: c.update(audio_mass=[float("inf")] * 4), r"classes\.semantic\.audio_mass has 4 non-finite entries"),
])
def test_profiles_with_values_headrouter_cannot_route_with_are_refused(tmp_path, edit, message):
    from headrouter_eval.profiles.format import ProfileError, load_profile, save_profile
    from headrouter_eval.pruners.base import ModelInfo

    from .headrouter_testkit import make_profile

    info = ModelInfo("tiny", num_layers=2, num_heads=4, num_kv_heads=2, hidden_size=64, layer=1, scoring_layer=0)
    path = save_profile(make_profile(info, {"semantic": ([0.1] * 4, [0.25] * 4)}), tmp_path / "p.json")
    assert load_profile(path).classes["semantic"].head_weights == [0.25] * 4  # the sound profile loads
    data = json.loads(path.read_text())
    edit(data["classes"]["semantic"])
    path.write_text(json.dumps(data))  # json writes NaN / Infinity, which json.loads reads back
    with pytest.raises(ProfileError, match=rf"{path}: {message}"):
        load_profile(path)


def test_negative_model_args_get_the_range_not_a_type_error(tiny_checkpoint):
    """lmms-eval parses ``layer=-1`` to the float -1.0: the message names the range, not the type."""
    from lmms_eval.utils import simple_parse_args_string

    from headrouter_eval.adapters import model_args
    from headrouter_eval.adapters.lmms_model import FastvQwenOmni, RandomQwenOmni

    args = simple_parse_args_string(f"pretrained={tiny_checkpoint},retention=0.5,layer=-1")
    assert args["layer"] == -1.0 and isinstance(args["layer"], float)  # what lmms-eval hands over
    with pytest.raises(ValueError, match=r"^model arg layer must be >= 0, got -1$"):
        FastvQwenOmni(**args)
    # a negative seed is an integer like any other; 2.0 typed as such is still refused
    args = simple_parse_args_string(f"pretrained={tiny_checkpoint},retention=0.5,seed=-1")
    assert RandomQwenOmni(**args).pruner.seed == -1
    with pytest.raises(ValueError, match=r"model arg seed must be an integer, got 2.0 \(float\)"):
        model_args.integer("seed", 2.0)


def test_a_profile_path_that_is_a_folder_or_a_symlink_loop_is_named_as_such(tmp_path):
    from headrouter_eval.profiles.format import ProfileError, load_profile

    with pytest.raises(ProfileError, match=rf"HeadRouter profile {tmp_path} is a folder, not a profile file"):
        load_profile(tmp_path)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(ProfileError, match=r"loop\.json is a symbolic link that cannot be followed \(Too many "
                                           r"levels of symbolic links\)"):
        load_profile(loop)
    with pytest.raises(ProfileError, match=r"missing\.json does not exist"):
        load_profile(tmp_path / "missing.json")


@pytest.mark.parametrize("seconds", ["0", "-3", "301"])
def test_bench_audio_seconds_out_of_range_is_refused_before_loading(seconds, monkeypatch):
    import headrouter_eval.bench.models as bench_models
    from headrouter_eval.cli import main

    def no_loading(*args, **kwargs):  # the check must come first: loading a model takes minutes
        raise AssertionError("a model was loaded for an out-of-range --audio-seconds")

    monkeypatch.setattr(bench_models, "build_random_model", no_loading)
    with pytest.raises(SystemExit, match=rf"--audio-seconds must be in \[1, 300\], got {float(seconds):g}$"):
        main(["bench", "--audio-seconds", seconds])


@pytest.mark.slow
def test_num_fewshot_is_refused_by_name(tiny_checkpoint, tmp_path):
    # the real command: lmms-eval applies --num_fewshot to the task, and the adapter refuses the
    # task before it builds requests (where lmms-eval would die with "no attribute 'sampler'")
    out = tmp_path / "out"
    result = run_lmms_eval("vanilla_qwen_omni", f"pretrained={tiny_checkpoint}", "hr_test_tiny_audio",
                           Path(__file__).parent / "fixtures" / "tiny_audio_task", out,
                           "--limit", "1", "--num_fewshot", "2")
    _assert_failed_cleanly(result, out, "task hr_test_tiny_audio: --num_fewshot 2", "is not supported: the audio "
                           "tasks have no few-shot examples", "drop --num_fewshot")
    assert "sampler" not in result.stderr
