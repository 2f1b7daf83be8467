"""The breakages of the gate's mutation check (tests/gate_mutations) really break what they name.

The full check (``python tests/gate_mutations/check.py``) runs lmms-eval on the demo rows
and takes many minutes; these tests only prove each injected breakage changes the
function it targets, and that the injection reaches a fresh Python process.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from headrouter_eval.pruners import base, head_probe, headrouter
from headrouter_eval.pruners import random as random_pruner
from headrouter_eval.pruners.layout import AudioLayout

HERE = Path(__file__).resolve().parent / "gate_mutations"
_spec = importlib.util.spec_from_file_location("gate_mutations_under_test", HERE / "sitecustomize.py")
mutations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutations)


@pytest.fixture
def restore(monkeypatch):
    """Whatever a breakage replaces is put back after the test."""
    for module, name in ((headrouter, "mix_head_weights"), (headrouter, "soft_route"),
                         (head_probe, "query_positions"), (base.Pruner, "select"), (random_pruner, "seed_for")):
        monkeypatch.setattr(module, name, getattr(module, name))


def _layout() -> AudioLayout:
    return AudioLayout(seq_len=12, audio_positions=torch.arange(2, 8), span_ids=torch.zeros(6, dtype=torch.long),
                       spans=((2, 8),), query_positions=torch.arange(8, 12))


def test_headrouter_uniform_weights(restore):
    class_w = torch.tensor([[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    assert not torch.allclose(headrouter.mix_head_weights(torch.tensor([1.0, 0.0]), class_w), torch.full((4,), 0.25))
    mutations.MUTATIONS["headrouter_uniform_weights"]()
    assert torch.allclose(headrouter.mix_head_weights(torch.tensor([1.0, 0.0]), class_w), torch.full((4,), 0.25))


def test_headrouter_wrong_class(restore):
    centroids, s = torch.tensor([[0.1, 0.1], [0.9, 0.9], [0.5, 0.5]]), torch.tensor([0.12, 0.1])
    assert int(headrouter.soft_route(s, centroids, 0.2).argmax()) == 0
    mutations.MUTATIONS["headrouter_wrong_class"]()
    assert headrouter.soft_route(s, centroids, 0.2).tolist() == [0.0, 1.0, 0.0]


def test_fastv_first_text_token(restore):
    assert head_probe.query_positions(_layout(), "last").tolist() == [11]
    mutations.MUTATIONS["fastv_first_text_token"]()
    assert head_probe.query_positions(_layout(), "last").tolist() == [8]
    assert head_probe.query_positions(_layout(), "text").tolist() == [8, 9, 10, 11]  # HeadRouter's queries unchanged


def test_keep_lowest(restore):
    class Fixed(base.Pruner):
        def score(self, inputs):
            return torch.tensor([0.9, 0.1, 0.8, 0.2, 0.7, 0.3])

    inputs = base.ScoringInputs(layout=_layout(), keep=2, scoring_layer=0)
    assert Fixed().select(inputs).tolist() == [0, 2]
    mutations.MUTATIONS["keep_lowest"]()
    assert Fixed().select(inputs).tolist() == [1, 3]


def test_random_one_mask(restore):
    assert random_pruner.seed_for(0, "prompt a") != random_pruner.seed_for(0, "prompt b")
    mutations.MUTATIONS["random_one_mask"]()
    assert random_pruner.seed_for(0, "prompt a") == random_pruner.seed_for(0, "prompt b")
    assert random_pruner.seed_for(0, "prompt a") != random_pruner.seed_for(1, "prompt a")


def test_injection_reaches_a_fresh_process_and_names_unknown_mutations():
    probe = ("from headrouter_eval.pruners import random as r; "
             "print(r.seed_for(0, 'a') == r.seed_for(0, 'b'))")
    env = {**os.environ, "PYTHONPATH": str(HERE), mutations.ENV_VAR: "random_one_mask"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
    env[mutations.ENV_VAR] = "no_such_breakage"
    done = subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "unknown mutation" in done.stderr
