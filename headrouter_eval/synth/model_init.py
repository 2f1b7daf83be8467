"""Build the untrained tiny thinker for hr_synth and initialise it for fast training.

Init rule: every weight matrix (linear, conv, embedding rows) drawn with std
1/sqrt(fan_in), biases zero, norms one. With transformers' default (std 0.02) a
trial on this machine found the audio tower barely received gradient and the model
stayed at chance for the whole time budget; fan-in scaling keeps activations at
unit scale through the conv stem and both towers.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from headrouter_eval.models.qwen_omni import FAMILY as QWEN_OMNI
from headrouter_eval.models.tiny.qwen_omni import TinyOmniSpec, build_thinker_config, build_tokenizer
from headrouter_eval.synth.prompt import question_text

# Sizes of the bundled model (about 1.2 M thinker parameters). n_window=8 gives the
# audio encoder 0.16 s attention windows, so a short event stays in its own few
# tokens: with the stock 2 s window the trial found every pruner lossless down to 10%.
HR_SYNTH_SPEC = TinyOmniSpec(
    hidden_size=128, num_layers=4, num_heads=4, num_kv_heads=2, intermediate_size=256,
    audio_d_model=128, audio_layers=2, audio_heads=4, audio_ffn=256,
    # One span per clip: the feature extractor window covers the longest (60 s) clip.
    audio_n_window=8, chunk_length_s=60, seed=0,
)


def spec_of(thinker: torch.nn.Module) -> TinyOmniSpec:
    """The spec of a trained hr_synth thinker: the bundled sizes with its own head counts and head size."""
    sizes = QWEN_OMNI.sizes(thinker.config)
    return replace(HR_SYNTH_SPEC, num_heads=sizes.heads, num_kv_heads=sizes.kv_heads, decoder_head_dim=sizes.head_dim)


def build_thinker(spec: TinyOmniSpec, seed: int) -> torch.nn.Module:
    """A freshly initialised thinker with ``spec``'s sizes (stock transformers class)."""
    config = build_thinker_config(spec, build_tokenizer())
    torch.manual_seed(seed)
    thinker = QWEN_OMNI.random_model(config, dtype=torch.float32, attn_implementation="sdpa")
    fan_in_init(thinker, seed)
    return thinker


@torch.no_grad()
def fan_in_init(model: torch.nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
            fan_in = module.weight[0].numel()
            module.weight.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, torch.nn.Embedding):
            # An embedding row is the input of the first layer, not a product over
            # inputs: unit std puts text tokens on the scale of the audio features.
            module.weight.normal_(0.0, 1.0, generator=generator)
        elif hasattr(module, "weight") and isinstance(module.weight, torch.nn.Parameter) and module.weight.ndim == 1:
            module.weight.fill_(1.0)  # LayerNorm / RMSNorm
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()


def prompt_text(processor, task: str) -> str:
    """The generation prompt string (before audio expansion) of one single-clip item of ``task``."""
    return QWEN_OMNI.prompt_text(processor, question_text(task), n_clips=1)


def check_whole_clips(processor, wavs, where: str) -> None:
    """Refuse a clip longer than the processor's window, by name.

    hr_synth training and its own evaluation hand each clip to the processor whole, as one
    audio item, which is what the adapter gives the model for any clip within the window.
    The adapter's ``long_audio`` policy (cut or split a longer clip) does not apply here, so
    a longer clip would be cut by the feature extractor without a word: it is an error.
    """
    window = QWEN_OMNI.clip_window(processor)
    longest = max((len(wav) for wav in wavs), default=0)
    if window is not None and longest > window:
        rate = processor.feature_extractor.sampling_rate
        raise ValueError(f"{where}: a {longest / rate:.1f} s clip is longer than the processor's "
                         f"{window / rate:.0f} s window; hr_synth training and evaluation take every clip whole "
                         "(the adapter's long_audio policy, which cuts or splits such clips, does not apply "
                         "here): shorten the clips, or give the checkpoint a processor with a longer window")
