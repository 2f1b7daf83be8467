"""The pruner interface: keep-count rule, per-span floor, and each baseline's selection."""

from __future__ import annotations

import pytest
import torch

from headrouter_eval.pruners import PRUNERS, ScoringInputs, keep_count, make_pruner, validate_retention
from headrouter_eval.pruners.base import top_k_with_span_floor
from headrouter_eval.pruners.layout import AudioLayout
from headrouter_eval.pruners.prompt_id import prompt_id, seed_for
from headrouter_eval.pruners.uniform import span_allocation, uniform_indices


def layout_of(span_sizes: list[int]) -> AudioLayout:
    """A layout with audio spans of the given sizes, each wrapped in bos/eos, then 5 text tokens."""
    positions, span_ids, spans, cursor = [], [], [], 3
    for span, size in enumerate(span_sizes):
        start = cursor + 1  # after bos
        positions += list(range(start, start + size))
        span_ids += [span] * size
        spans.append((start, start + size))
        cursor = start + size + 1  # past eos
    seq_len = cursor + 5
    return AudioLayout(seq_len, torch.tensor(positions), torch.tensor(span_ids), tuple(spans),
                       torch.arange(cursor, seq_len))


@pytest.mark.parametrize(
    ("n_audio", "retention", "n_spans", "expected"),
    [(10, 0.7, 1, 7), (10, 1.0, 1, 10), (10, 0.05, 1, 1), (3, 0.01, 2, 2), (7500, 0.3, 1, 2250),
     (7500, 0.9, 3, 6750), (1, 0.5, 1, 1), (100, 0.333, 1, 34)],
)
def test_keep_count_rule(n_audio, retention, n_spans, expected):
    assert keep_count(n_audio, retention, n_spans) == expected


@pytest.mark.parametrize("bad", [0, 0.0, -0.2, 1.5, "abc", None])
def test_retention_outside_unit_interval_is_refused(bad):
    with pytest.raises(ValueError, match=r"retention must be"):
        validate_retention(bad)
    if isinstance(bad, (int, float)):
        for method in PRUNERS:  # every registered pruner, without a line per pruner
            with pytest.raises(ValueError, match=r"\(0, 1\]"):
                make_pruner(method, retention=bad)


def test_unknown_pruner_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown pruner 'fastvv'; known: ") as error:
        make_pruner("fastvv", retention=0.5)
    assert {"vanilla", "fastv", "random", "uniform", "dart"} <= set(str(error.value).split("known: ")[1].split(", "))
    assert make_pruner("vanilla") is None


def test_span_floor_gives_every_span_its_best_token():
    layout = layout_of([2, 100])
    scores = torch.cat([torch.tensor([0.1, 0.3]), torch.linspace(1.0, 2.0, 100)])
    kept = top_k_with_span_floor(scores, 3, layout.span_ids)
    assert kept.tolist() == [1, 100, 101]  # span 0's best (index 1), then the two best of span 1


def test_random_is_reproducible_per_seed_and_differs_across_seeds():
    layout = layout_of([300])
    inputs = ScoringInputs(layout=layout, keep=keep_count(300, 0.3), scoring_layer=0, prompt_id="p1")
    first = make_pruner("random", retention=0.3, seed=1).select(inputs)
    again = make_pruner("random", retention=0.3, seed=1).select(inputs)
    other = make_pruner("random", retention=0.3, seed=2).select(inputs)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert len(first) == len(other) == 90
    assert first.unique().numel() == 90


def test_uniform_keeps_evenly_spaced_tokens():
    layout = layout_of([10])
    inputs = ScoringInputs(layout=layout, keep=4, scoring_layer=0)
    kept = make_pruner("uniform", retention=0.4).select(inputs)
    assert kept.tolist() == [0, 2, 5, 7]  # floor(i * 10 / 4)
    assert uniform_indices(7500, 3750).tolist()[:4] == [0, 2, 4, 6]


def test_every_pruner_class_has_a_unique_name():
    assert set(PRUNERS) >= {"fastv", "random", "uniform", "dart"}
    assert all(cls.name == name for name, cls in PRUNERS.items())


def test_random_draws_per_prompt_and_repeats_per_prompt_and_seed():
    layout = layout_of([300])
    keep = keep_count(300, 0.3)

    def kept(seed: int, prompt: str) -> list[int]:
        inputs = ScoringInputs(layout=layout, keep=keep, scoring_layer=0, prompt_id=prompt)
        return make_pruner("random", retention=0.3, seed=seed).select(inputs).tolist()

    a = prompt_id(torch.tensor([[1, 2, 3]]), torch.ones(1, 128, 40))
    b = prompt_id(torch.tensor([[1, 2, 3]]), torch.ones(1, 128, 40) * 0.5)  # same length, other audio
    c = prompt_id(torch.tensor([[1, 2, 4]]), torch.ones(1, 128, 40))  # same audio, other text
    assert len({a, b, c}) == 3
    assert kept(0, a) == kept(0, a)
    assert kept(0, a) != kept(0, b) and kept(0, a) != kept(0, c)
    assert kept(1, a) != kept(0, a)
    # the id does not depend on the dtype the features travel in (bf16 copy on a GPU vs fp32)
    assert prompt_id(torch.tensor([[1]]), torch.ones(1, 2, 3)) == prompt_id(torch.tensor([[1]]),
                                                                            torch.ones(1, 2, 3, dtype=torch.bfloat16))


def test_random_needs_a_prompt_id():
    inputs = ScoringInputs(layout=layout_of([30]), keep=9, scoring_layer=0)
    with pytest.raises(ValueError, match="prompt's id"):
        make_pruner("random", retention=0.3).select(inputs)


def test_random_prompt_id_is_the_same_in_another_process():
    """Same prompt and seed in a fresh interpreter: the same subset (no process-salted hashing)."""
    import subprocess
    import sys

    code = ("import torch; from headrouter_eval.pruners.prompt_id import prompt_id, seed_for; "
            "print(seed_for(3, prompt_id(torch.arange(50)[None], torch.linspace(0, 1, 800).reshape(1, 20, 40))))")
    here = seed_for(3, prompt_id(torch.arange(50)[None], torch.linspace(0, 1, 800).reshape(1, 20, 40)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == here


@pytest.mark.parametrize(("sizes", "keep"), [([10, 10, 10], 7), ([3, 50, 7], 12), ([1, 1, 40], 5), ([25, 75], 100),
                                             ([4, 4], 2), ([9, 30, 2, 60], 33)])
def test_uniform_spreads_evenly_within_every_span(sizes, keep):
    layout = layout_of(sizes)
    kept = make_pruner("uniform", retention=0.5).select(ScoringInputs(layout=layout, keep=keep, scoring_layer=0))
    assert kept.numel() == keep and kept.unique().numel() == keep
    alloc = span_allocation(sizes, keep)
    assert sum(alloc) == keep and all(1 <= k <= n for k, n in zip(alloc, sizes))
    start = 0
    for size, k in zip(sizes, alloc):
        inside = kept[(kept >= start) & (kept < start + size)] - start
        assert inside.tolist() == uniform_indices(size, k).tolist()  # evenly spaced, starting at the span's start
        start += size


def test_uniform_allocation_is_proportional_with_documented_ties():
    assert span_allocation([10, 10, 10], 7) == [3, 2, 2]  # equal remainders: earlier spans first
    assert span_allocation([11, 21, 31], 9) == [2, 3, 4]  # 1 each + 6 shared as 10:20:30 exactly
    assert span_allocation([11, 21, 31], 12) == [3, 4, 5]  # 9 -> 1.5, 3, 4.5: the tied .5 goes to span 0
    assert span_allocation([1, 1, 40], 5) == [1, 1, 3]
    with pytest.raises(ValueError, match="cannot keep 1 tokens of 8 in 2 spans"):
        span_allocation([4, 4], 1)
