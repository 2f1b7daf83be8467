"""Shared fixtures: a tiny Qwen2.5-Omni checkpoint in hub layout, its processor, real audio.

Everything runs offline: the checkpoint is built from a config with seeded random
weights and loaded back through the same code the adapter uses for hub checkpoints.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

AUDIO_DIR = Path(__file__).parent / "data" / "audio"
REPO_ROOT = Path(__file__).resolve().parents[1]

# 4 s feature-extractor window, so the 6.4 s speech file becomes two audio spans
TINY_CHUNK_S = 4


@pytest.fixture(scope="session", autouse=True)
def sweeps_keep_their_workers():
    """The sweeps the tests run in this process, and their plain lmms-eval runs
    (``tests/lmms_cli.py``), share one grid worker, as ``keep_workers`` lets a script's sweeps
    do: each then skips starting Python and importing lmms-eval."""
    from headrouter_eval.sweep.runner import keep_workers

    with keep_workers():
        yield


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec, save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny-omni"), TinyOmniSpec(chunk_length_s=TINY_CHUNK_S))


@pytest.fixture(scope="session")
def family_checkpoint(tiny_checkpoint, tmp_path_factory):
    """``family_checkpoint(name)``: that family's tiny hub-layout checkpoint, built once per session.

    Qwen2.5-Omni's is :func:`tiny_checkpoint` (4 s window: long clips become several spans);
    the others come from their builders in ``headrouter_eval/models/tiny/``, Qwen2-Audio's
    with a 4 s window too (its encoder runs over the whole padded window: the published 30 s
    made every Qwen2-Audio proof cost over a second).
    """
    import importlib

    from headrouter_eval.models.tiny.qwen2_audio import TinyQwen2AudioSpec

    built = {"qwen_omni": tiny_checkpoint}
    specs = {"qwen2_audio": TinyQwen2AudioSpec(window_s=TINY_CHUNK_S)}

    def folder(name: str) -> Path:
        if name not in built:
            builder = importlib.import_module(f"headrouter_eval.models.tiny.{name}")
            built[name] = builder.save_tiny_checkpoint(tmp_path_factory.mktemp(name), specs.get(name))
        return built[name]

    return folder


@pytest.fixture(scope="session")
def processor(tiny_checkpoint):
    from headrouter_eval.models.qwen_omni import FAMILY

    return FAMILY.load_processor(tiny_checkpoint)


@pytest.fixture(scope="session")
def thinker(tiny_checkpoint):
    from headrouter_eval.models.qwen_omni import FAMILY

    return FAMILY.load_model(tiny_checkpoint, attn_implementation="sdpa")


@pytest.fixture(scope="session")
def eager_thinker(tiny_checkpoint):
    from headrouter_eval.models.qwen_omni import FAMILY

    return FAMILY.load_model(tiny_checkpoint, attn_implementation="eager")


@pytest.fixture(scope="session")
def speech():
    from headrouter_eval.audio import load_audio

    return load_audio(AUDIO_DIR / "speech_16k.wav")


@pytest.fixture(scope="session")
def tone():
    from headrouter_eval.audio import load_audio

    return load_audio(AUDIO_DIR / "tone_stereo_22k.wav")


@pytest.fixture(scope="session")
def make_inputs(processor):
    """Model inputs for a prompt with the given clips and question, in the family's own prompt format."""

    from headrouter_eval.models.qwen_omni import FAMILY

    def build(clips, question="What do you hear?"):
        return FAMILY.prompt_inputs(processor, question, list(clips), system_prompt="You are a test.")

    return build


def pytest_addoption(parser):
    # tests/test_prompt_parity.py recomputes the official prompts from this clone when given.
    parser.addoption("--audiomarathon-clone", default=None, metavar="PATH",
                     help="local clone of DabDans/AudioMarathon (prompt-parity test re-extracts from it)")


def pytest_configure(config):
    # Under pytest-xdist (`-n auto`) the workers already share the cores: a worker's torch and
    # the lmms-eval processes it starts each default to one thread per core, and with that
    # oversubscription two workers ran the fast tier in 89 s against 100 s for one (69 s with
    # one thread each; the tiny models gain nothing from intra-op threads).
    if "PYTEST_XDIST_WORKER" in os.environ:
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)
