"""Adapters built inside ``checkpoints.sharing()`` (the sweep's grid worker) share one loaded
checkpoint, and the model never carries the hooks of two pruning engines."""

from __future__ import annotations

from headrouter_eval.adapters import checkpoints
from headrouter_eval.adapters.lmms_model import ADAPTERS


def _hooks(model) -> int:
    return sum(len(m._forward_pre_hooks) + len(m._forward_hooks) for m in model.modules())


def test_sharing_reuses_the_checkpoint_and_detaches_the_previous_engine(tiny_checkpoint):
    alone = ADAPTERS["fastv_qwen_omni"](pretrained=str(tiny_checkpoint), retention=0.5, layer=0)
    one_engine = _hooks(alone.model)
    assert one_engine > 0
    with checkpoints.sharing():
        first = ADAPTERS["fastv_qwen_omni"](pretrained=str(tiny_checkpoint), retention=0.5, layer=0)
        second = ADAPTERS["uniform_qwen_omni"](pretrained=str(tiny_checkpoint), retention=0.25, layer=0)
        assert second.model is first.model and second.processor is first.processor
        assert first.model is not alone.model
        # the first adapter's hooks are gone: only the uniform pruner's engine prunes this model
        assert _hooks(second.model) == one_engine and not first.engine._handles
        other_settings = ADAPTERS["vanilla_qwen_omni"](pretrained=str(tiny_checkpoint), attn_implementation="eager")
        assert other_settings.model is not second.model and not second.engine._handles
    # leaving the block detaches what is left; adapters built after it load their own
    assert _hooks(other_settings.model) == 0
    later = ADAPTERS["fastv_qwen_omni"](pretrained=str(tiny_checkpoint), retention=0.5, layer=0)
    assert later.model is not other_settings.model


def test_a_checkpoint_rewritten_in_place_is_loaded_again(tiny_checkpoint, tmp_path):
    import os
    import shutil

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    with checkpoints.sharing():
        first = ADAPTERS["vanilla_qwen_omni"](pretrained=str(folder))
        again = ADAPTERS["vanilla_qwen_omni"](pretrained=str(folder))
        assert again.model is first.model
        weights = next(folder.glob("*.safetensors"))
        os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1_000_000_000))
        rewritten = ADAPTERS["vanilla_qwen_omni"](pretrained=str(folder))
        assert rewritten.model is not first.model



def test_the_kept_checkpoint_is_let_go_of_before_another_model_is_loaded(tiny_checkpoint, family_checkpoint,
                                                                          monkeypatch):
    """The grid worker runs a grid's models one after the other: the previous model is freed before
    the next is read, so two never share the memory (the adapter of a finished run is gone, as
    after an lmms-eval run)."""
    import weakref

    from headrouter_eval.models import get_family

    events = []
    family = get_family("qwen2_audio")
    load_model = family.load_model
    monkeypatch.setattr(family, "load_model", lambda *a, **k: (events.append("loading"), load_model(*a, **k))[1])
    with checkpoints.sharing():
        omni = ADAPTERS["fastv_qwen_omni"](pretrained=str(tiny_checkpoint), retention=0.5, layer=0).model
        weakref.finalize(omni, events.append, "freed")
        del omni  # the sharing cache keeps it for the next configuration of this checkpoint
        assert events == []
        other = ADAPTERS["fastv_qwen2_audio"](pretrained=str(family_checkpoint("qwen2_audio")), retention=0.5, layer=0)
        assert events == ["freed", "loading"]
        assert _hooks(other.model) > 0
