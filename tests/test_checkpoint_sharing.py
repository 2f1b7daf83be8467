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
