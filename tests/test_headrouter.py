"""HeadRouter pruner: FastV as its special case, position-agnostic probing, routing, fallback, options."""

from __future__ import annotations

import logging

import pytest
import torch

from headrouter_eval.engine import PruningEngine
from headrouter_eval.models.qwen_omni import FAMILY as QWEN_OMNI
from headrouter_eval.profiles.format import save_profile
from headrouter_eval.pruners import make_pruner
from headrouter_eval.pruners.head_probe import probe_heads, selectivity
from headrouter_eval.pruners.headrouter import HeadRouterPruner
from headrouter_eval.pruners.routing import head_weights, soft_route
from tests.headrouter_testkit import (
    N_AUDIO,
    N_MARKED,
    RecordingFastV,
    RecordingHeadRouter,
    constructed_tail_case,
    make_profile,
)


@pytest.fixture(scope="module")
def two_spans(make_inputs, speech, tone):
    return make_inputs([speech[:64000], tone], "Which sound comes second?")


def run(thinker, pruner, inputs, layer=2):
    with PruningEngine(thinker, QWEN_OMNI, pruner, layer=layer) as engine, torch.no_grad():
        thinker(**inputs)
    return engine


@pytest.mark.parametrize("layer", [1, 2])
def test_uniform_rope_last_query_is_fastv_exactly(thinker, two_spans, layer):
    fastv = RecordingFastV(retention=0.3)
    router = RecordingHeadRouter(retention=0.3, routing="uniform", probe="rope", queries="last")
    run(thinker, fastv, two_spans, layer)
    record = run(thinker, router, two_spans, layer).last_record
    assert router.softmax == "prefix"  # rope = the model's own attention
    assert torch.equal(router.seen_scores, fastv.seen_scores)
    assert torch.equal(router.seen_kept, fastv.seen_kept)
    assert record.extra["routing"] == "uniform" and record.extra["routing_weights"] == {}
    # the default probe really is another path: same prompt, other scores
    default = RecordingHeadRouter(retention=0.3, routing="uniform")
    run(thinker, default, two_spans, layer)
    assert not torch.allclose(default.seen_scores, fastv.seen_scores)


@pytest.mark.parametrize("softmax", ["audio", "prefix"])
def test_rotary_probe_keeps_the_audio_tail_and_rotary_free_probe_keeps_the_content(thinker, softmax):
    inputs = constructed_tail_case(thinker)
    marked = list(range(N_MARKED))
    tail = list(range(N_AUDIO - N_MARKED, N_AUDIO))
    rope = HeadRouterPruner(retention=0.25, routing="uniform", probe="rope", softmax=softmax)
    norope = HeadRouterPruner(retention=0.25, routing="uniform", probe="norope", softmax=softmax)
    assert rope.select(inputs).tolist() == tail
    assert norope.select(inputs).tolist() == marked
    # FastV (rotary, last token) has the same bias; HeadRouter's defaults (no profile) do not
    assert make_pruner("fastv", retention=0.25).select(inputs).tolist() == tail
    assert make_pruner("headrouter", retention=0.25).select(inputs).tolist() == marked


def test_selectivity_is_zero_for_flat_and_one_for_one_hot_heads():
    flat = torch.full((1, 8), 1 / 8)
    one_hot = torch.zeros(1, 8)
    one_hot[0, 3] = 1.0
    half = torch.tensor([[0.5, 0.5, 0, 0, 0, 0, 0, 0]])
    s = selectivity(torch.cat([flat, one_hot, half]))
    torch.testing.assert_close(s, torch.tensor([0.0, 1.0, 1 - 1 / 3]))  # log 2 / log 8 = 1/3


def test_gaussian_routing_at_a_centroid_is_one_hot_and_between_is_mixed():
    centroids = torch.tensor([[0.1, 0.8, 0.2], [0.6, 0.1, 0.3]])
    alpha = soft_route(centroids[1], centroids, sigma=0.1)
    assert alpha[1] > 0.999
    midway = soft_route(centroids.mean(0), centroids, sigma=0.1)
    torch.testing.assert_close(midway, torch.tensor([0.5, 0.5]))


def test_sample_at_a_class_centroid_routes_to_that_class(thinker, two_spans, tmp_path):
    probe = RecordingHeadRouter(retention=0.5, routing="uniform")
    engine = run(thinker, probe, two_spans)
    s = engine.last_record.extra["selectivity"]
    heads = len(s)
    elsewhere = [min(1.0, v + 0.3) for v in s]
    w_sem, w_aco = [0.0] * heads, [0.0] * heads
    w_sem[0], w_aco[heads - 1] = 1.0, 1.0
    info = engine.model_info()
    path = save_profile(make_profile(info, {"semantic": (elsewhere, w_sem), "acoustic": (s, w_aco)}),
                        tmp_path / "p.json")
    router = RecordingHeadRouter(retention=0.5, profile=str(path))
    extra = run(thinker, router, two_spans).last_record.extra
    assert extra["routing"] == "soft" and extra["routed_class"] == "acoustic"
    assert extra["routing_weights"]["acoustic"] > 0.99
    assert extra["top_heads"][0] == [heads - 1, pytest.approx(extra["routing_weights"]["acoustic"], abs=1e-6)]


def test_oracle_routing_uses_the_named_profile(thinker, two_spans, tmp_path):
    engine = run(thinker, HeadRouterPruner(retention=0.5, routing="uniform"), two_spans)
    info, heads = engine.model_info(), engine.model_info().num_heads
    one_hot = {c: [float(h == i) for h in range(heads)] for i, c in ((0, "semantic"), (heads - 1, "acoustic"))}
    profile = make_profile(info, {"semantic": ([0.9] * heads, one_hot["semantic"]),
                                  "acoustic": ([0.1] * heads, one_hot["acoustic"])})
    path = save_profile(profile, tmp_path / "p.json")
    for name, head in (("semantic", 0), ("acoustic", heads - 1)):
        router = RecordingHeadRouter(retention=0.5, profile=str(path), routing=f"oracle:{name}")
        extra = run(thinker, router, two_spans).last_record.extra
        assert extra["routing_weights"] == {c: float(c == name) for c in ("acoustic", "semantic")}
        assert extra["top_heads"][0] == [head, 1.0]
        # the scores are that head's probe distribution alone
        expected = _head_distribution(thinker, two_spans, head)
        torch.testing.assert_close(router.seen_scores, expected)
        # routing=oracle: the same, with the class named per prompt by the caller (the adapter: the task's class)
        by_task = RecordingHeadRouter(retention=0.5, profile=str(path), routing="oracle")
        assert by_task.routes_by_task and not router.routes_by_task
        by_task.set_task_class(name)
        assert run(thinker, by_task, two_spans).last_record.extra["routing_weights"] == extra["routing_weights"]
        torch.testing.assert_close(by_task.seen_scores, expected)
    unset = RecordingHeadRouter(retention=0.5, profile=str(path), routing="oracle")
    with pytest.raises(ValueError, match="this prompt came without one"):
        run(thinker, unset, two_spans)
    unset.set_task_class("mixed")
    with pytest.raises(ValueError, match=r"class 'mixed' is not in .*p.json \(it has \['acoustic', 'semantic'\]\)"):
        run(thinker, unset, two_spans)


def test_the_adapter_names_the_task_it_cannot_route():
    from headrouter_eval.adapters.lmms_model import _task_class

    assert _task_class("hr_synth_busy_equal", "doc 0") == "semantic"
    assert _task_class("am_asc", "doc 0") == "acoustic"
    with pytest.raises(ValueError, match="doc 3 of task my_task: routing=oracle .* gives task 'my_task' none"):
        _task_class("my_task", "doc 3 of task my_task")


def _head_distribution(thinker, inputs, head):
    seen = {}

    class Probe(HeadRouterPruner):
        def score(self, scoring_inputs):
            seen["a"] = probe_heads(scoring_inputs, rope=False, queries="text", softmax="audio").distributions
            return super().score(scoring_inputs)

    run(thinker, Probe(retention=0.5, routing="uniform"), inputs)
    return seen["a"][head]


def test_fallback_without_profile_is_logged_and_uses_selectivity_times_mass(thinker, two_spans, caplog):
    with caplog.at_level(logging.WARNING, logger="headrouter_eval.pruners.headrouter"):
        router = RecordingHeadRouter(retention=0.5)
    assert "without a profile" in caplog.text
    extra = run(thinker, router, two_spans).last_record.extra
    assert extra["routing"] == "fallback:selectivity_mass"
    s, m = torch.tensor(extra["selectivity"]), torch.tensor(extra["audio_mass"])
    assert ((0 <= s) & (s <= 1)).all() and ((0 < m) & (m <= 1)).all()
    w = head_weights(s, m)
    torch.testing.assert_close(w, s * m / (s * m).sum())
    assert [h for h, _ in extra["top_heads"]] == torch.argsort(w, descending=True)[: len(extra["top_heads"])].tolist()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"probe": "sideways"}, "probe='sideways' is not one of norope, rope"),
     ({"queries": "all"}, "queries='all' is not one of text, last"),
     ({"routing": "hard"}, "routing='hard': use soft, uniform, oracle or oracle:<class>"),
     ({"routing": "oracle"}, "routing=oracle needs a profile"),
     ({"routing": "oracle:semantic"}, "needs a profile"),
     ({"sigma": 0.2}, "sigma=0.2 only applies to routing=soft with a profile"),
     ({"fallback": "loudest"}, "fallback='loudest' is not one of"),
     ({"profile": "/nonexistent/profile.json"}, "does not exist"),
     ({"top_heads": "many"}, "top_heads must be an integer"),
     ({"top_heads": 0}, "top_heads must be >= 1")],
)
def test_bad_options_are_refused_with_the_option_named(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_pruner("headrouter", retention=0.5, **options)


def test_oracle_class_missing_from_profile_lists_the_classes(thinker, tmp_path):
    engine = PruningEngine(thinker, QWEN_OMNI, None, layer=2)
    heads = engine.model_info().num_heads
    path = save_profile(make_profile(engine.model_info(), {"semantic": ([0.5] * heads, [1 / heads] * heads)}),
                        tmp_path / "p.json")
    with pytest.raises(ValueError, match=r"has no class 'acoustic'; it has \['semantic'\]"):
        make_pruner("headrouter", retention=0.5, profile=str(path), routing="oracle:acoustic")
    with pytest.raises(ValueError, match="calibrated with probe=norope, not rope"):
        make_pruner("headrouter", retention=0.5, profile=str(path), probe="rope")
