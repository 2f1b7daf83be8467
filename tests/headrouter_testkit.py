"""Helpers for HeadRouter tests: recording pruners, hand-made profiles, a constructed attention case."""

from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass

import torch

from headrouter_eval.engine.spans import find_audio_layout
from headrouter_eval.models.qwen_omni import FAMILY
from headrouter_eval.profiles import cli as profiles_cli
from headrouter_eval.profiles.format import ClassProfile, HeadProfile, model_fingerprint
from headrouter_eval.pruners.base import ModelInfo, ScoringInputs
from headrouter_eval.pruners.fastv import FastVPruner
from headrouter_eval.pruners.headrouter import HeadRouterPruner
from tests.conftest import REPO_ROOT

# Two calibration tasks (semantic, acoustic) on the tiny fixture audio.
CAL_TASKS = REPO_ROOT / "tests" / "fixtures" / "headrouter_tasks"


def calibrate_cli(*argv: str) -> int:
    """``headrouter-eval calibrate ARGV`` in-process, through the real argument parser."""
    parser = argparse.ArgumentParser()
    profiles_cli.register(parser.add_subparsers())
    args = parser.parse_args(["calibrate", *argv])
    return args.func(args)


class Recording:
    """Mixin: remember the last scores and kept indices a pruner produced."""

    def score(self, inputs):
        self.seen_scores = super().score(inputs)
        return self.seen_scores

    def select(self, inputs):
        self.seen_kept = super().select(inputs)
        return self.seen_kept


@dataclass
class RecordingHeadRouter(Recording, HeadRouterPruner):
    pass


@dataclass
class RecordingFastV(Recording, FastVPruner):
    pass


def make_profile(info: ModelInfo, classes: dict[str, tuple[list[float], list[float]]], sigma: float = 0.05,
                 probe: dict | None = None) -> HeadProfile:
    """A profile for ``info`` with per class (centroid, head weights)."""
    heads = info.num_heads
    return HeadProfile(
        model=model_fingerprint(info), layer=info.layer, scoring_layer=info.scoring_layer,
        probe=probe or {"probe": "norope", "queries": "text", "softmax": "audio"}, sigma=sigma,
        sigma_rule="set by test", head_weight_rule="set by test",
        classes={name: ClassProfile(centroid=list(c), head_weights=list(w), audio_mass=[0.5] * heads,
                                    tasks=[f"task_{name}"], samples=[f"task_{name}:0"])
                 for name, (c, w) in classes.items()},
        calibration={"held_out": {"seed": 0, "per_task": 1, "items": {f"task_{name}": [f"id_{name}"]
                                                                      for name in classes}}},
    )


# The constructed case: 64 audio tokens, the first 16 "marked" by their content.
N_AUDIO, N_MARKED = 64, 16
ROPE_PAIR, CONTENT_PAIR = 2, 7  # rotary pair 2 turns ~0.03 rad per position; pair 7 barely turns


def constructed_tail_case(thinker: torch.nn.Module) -> ScoringInputs:
    """Scoring inputs where rotary attention favours the audio tail and content favours the head.

    Every query and key share a large component on a rotary pair that turns slowly with
    position, so with rotary embedding q.k falls with the query-key distance (keys next
    to the question, the audio tail, win). Without rotary that component is the same
    constant for every key. A second component, on a pair that barely rotates, is 1 for
    the first ``N_MARKED`` audio tokens and 0 elsewhere: the only content signal.
    The attention module is a copy of the thinker's layer 0 with hand-set q/k weights.
    """
    attn = copy.deepcopy(FAMILY.attention_module(FAMILY.decoder_layers(thinker)[0]))
    hidden_size, head_dim = FAMILY.sizes(thinker.config).hidden, attn.head_dim
    half = head_dim // 2
    positional, content = 4.0, 8.0
    with torch.no_grad():
        for proj in (attn.q_proj, attn.k_proj):
            proj.weight.zero_()
            proj.bias.zero_()
            bias = proj.bias.view(-1, head_dim)
            bias[:, ROPE_PAIR] = positional  # dims i and i + half form rotary pair i
        attn.q_proj.bias.view(-1, head_dim)[:, CONTENT_PAIR] = content
        attn.k_proj.weight.view(-1, head_dim, hidden_size)[:, CONTENT_PAIR, 0] = 1.0  # k content = hidden[:, 0]
    assert ROPE_PAIR < half and CONTENT_PAIR < half

    ids = FAMILY.audio_token_ids(thinker.config)
    text = [65] * 5
    input_ids = torch.tensor(text + [ids.bos] + [ids.audio] * N_AUDIO + [ids.eos] + [66] * 6)
    layout = find_audio_layout(input_ids, ids)
    hidden = torch.zeros(len(input_ids), hidden_size)
    hidden[layout.audio_positions[:N_MARKED], 0] = 1.0
    rotary = thinker.model.language_model.rotary_emb
    position_embeddings = rotary(hidden[None], torch.arange(len(input_ids))[None])
    return ScoringInputs(layout=layout, keep=N_MARKED, scoring_layer=0,
                         probe=FAMILY.probe_attention(attn, hidden, position_embeddings))
