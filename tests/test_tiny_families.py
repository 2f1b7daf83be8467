"""Tiny Qwen2-Audio and Qwen3-Omni checkpoints load from disk like hub checkpoints and generate.

For each family: build the checkpoint in a temp folder, load model and processor with
``from_pretrained``, run the processor on a chat-template prompt holding a 3 s and a 2 s
clip, check the audio placeholder count equals what the audio encoder produces, and
generate three tokens greedily, with sdpa and eager attention.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

SR = 16_000


def clips() -> list[np.ndarray]:
    """A 3 s tone and a 2 s noise burst at 16 kHz."""
    t = np.arange(3 * SR) / SR
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    noise = (0.1 * np.random.default_rng(0).standard_normal(2 * SR)).astype(np.float32)
    return [tone, noise]


def conversation() -> list[dict]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [
            {"type": "audio", "audio": "a.wav"}, {"type": "text", "text": "Compare"},
            {"type": "audio", "audio": "b.wav"},
            {"type": "text", "text": "What do you hear?"},
        ]},
    ]


@pytest.fixture(scope="module")
def qwen2_audio_dir(family_checkpoint):
    return family_checkpoint("qwen2_audio")  # the session's, with a 4 s audio window


@pytest.fixture(scope="module")
def qwen3_omni_dir(family_checkpoint):
    return family_checkpoint("qwen3_omni")


def test_qwen2_audio_chat_template_numbers_audio_items():
    from headrouter_eval.models.tiny.qwen2_audio import build_tokenizer

    text = build_tokenizer().apply_chat_template(conversation()[1:], tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nAudio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\nCompare"
        "Audio 2: <|audio_bos|><|AUDIO|><|audio_eos|>\nWhat do you hear?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_qwen2_audio_published_template_ignores_an_audio_item_without_an_audio_key():
    """Why the prompt's audio items carry an ``audio`` key: ``{"type": "audio"}`` alone renders nothing."""
    from headrouter_eval.models.tiny.qwen2_audio import build_tokenizer

    bare = [{"role": "user", "content": [{"type": "audio"}, {"type": "text", "text": "Hi"}]}]
    text = build_tokenizer().apply_chat_template(bare, tokenize=False, add_generation_prompt=True)
    assert "<|AUDIO|>" not in text


FAMILY_CHECKPOINTS = ["qwen_omni", "qwen2_audio", "qwen3_omni"]


@pytest.mark.parametrize("family_name", FAMILY_CHECKPOINTS)
def test_one_prompt_per_family_renders_its_audio_placeholders(tmp_path, family_name):
    """The project's prompt through each family's tiny checkpoint: one placeholder run per clip,
    as many audio tokens as the processor computes for the clip, framed by the family's bos/eos."""
    import importlib

    from headrouter_eval.models import get_family

    importlib.import_module(f"headrouter_eval.models.tiny.{family_name}").save_tiny_checkpoint(tmp_path)
    family = get_family(family_name)
    processor = family.load_processor(tmp_path)
    text = family.prompt_text(processor, "What do you hear?", 2, "You are a test.")
    tokenizer = processor.tokenizer
    ids = family.prompt_inputs(processor, "What do you hear?", clips(), "You are a test.")["input_ids"][0].tolist()
    audio = tokenizer.convert_tokens_to_ids(processor.audio_token)
    runs = [i for i, token in enumerate(ids) if token == audio and (i == 0 or ids[i - 1] != audio)]
    assert len(runs) == 2, text
    bos, eos = tokenizer.convert_tokens_to_ids(processor.audio_bos_token), tokenizer.convert_tokens_to_ids(
        processor.audio_eos_token)
    for start in runs:
        assert ids[start - 1] == bos
    per_clip = [sum(1 for token in ids[start:] if token == audio) for start in runs]
    lengths = [per_clip[0] - per_clip[1], per_clip[1]]
    assert lengths[0] > lengths[1] > 0 and eos in ids  # the 3 s clip gets more tokens than the 2 s one
    if family_name == "qwen2_audio":
        assert "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\nAudio 2: " in text


def test_qwen3_omni_chat_template():
    from headrouter_eval.models.tiny.qwen3_omni import build_tokenizer

    text = build_tokenizer().apply_chat_template(conversation(), tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|audio_start|><|audio_pad|><|audio_end|>Compare"
        "<|audio_start|><|audio_pad|><|audio_end|>What do you hear?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_qwen2_audio_loads_processes_and_generates(qwen2_audio_dir, attn):
    from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor

    processor = AutoProcessor.from_pretrained(qwen2_audio_dir)
    assert isinstance(processor, Qwen2AudioProcessor)
    model = Qwen2AudioForConditionalGeneration.from_pretrained(qwen2_audio_dir, attn_implementation=attn).eval()
    assert model.config.text_config._attn_implementation == attn

    text = processor.apply_chat_template(conversation(), tokenize=False, add_generation_prompt=True)
    inputs = processor(text=text, audio=clips(), sampling_rate=SR, return_tensors="pt")
    # every clip is padded to the window (4 s here; published: 30 s); the mask marks its real frames
    assert inputs["input_features"].shape == (2, 128, 400)
    assert inputs["feature_attention_mask"].sum(-1).tolist() == [300, 200]  # 100 mel frames per second
    n_placeholders = int((inputs["input_ids"] == model.config.audio_token_id).sum())
    _, out_lengths = model.model.audio_tower._get_feat_extract_output_lengths(inputs["feature_attention_mask"].sum(-1))
    assert out_lengths.tolist() == [75, 50]  # 25 tokens per second
    assert n_placeholders == int(out_lengths.sum())

    with torch.no_grad():
        logits = model(**inputs).logits  # raises if placeholders and audio features disagree
        assert logits.shape[:2] == inputs["input_ids"].shape
        out = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 3


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_qwen3_omni_loads_processes_and_generates(qwen3_omni_dir, attn):
    from transformers import Qwen3OmniMoeForConditionalGeneration, Qwen3OmniMoeThinkerForConditionalGeneration

    from headrouter_eval.models.qwen3_omni import FAMILY

    processor = FAMILY.load_processor(qwen3_omni_dir)
    thinker = Qwen3OmniMoeThinkerForConditionalGeneration.from_pretrained(
        qwen3_omni_dir, attn_implementation=attn
    ).eval()
    assert thinker.config.text_config._attn_implementation == attn
    config = thinker.config

    text = processor.apply_chat_template(conversation(), tokenize=False, add_generation_prompt=True)
    inputs = processor(text=text, audio=clips(), sampling_rate=SR, return_tensors="pt")
    ids = inputs["input_ids"][0]
    n_placeholders = int((ids == config.audio_token_id).sum())
    assert int((ids == config.audio_start_token_id).sum()) == int((ids == config.audio_end_token_id).sum()) == 2
    with torch.no_grad():
        feats = thinker.model.get_audio_features(inputs["input_features"], inputs["feature_attention_mask"])
    assert feats.last_hidden_state.shape[0] == n_placeholders == 39 + 26  # 13 tokens per second

    with torch.no_grad():
        logits = thinker(**inputs).logits
        assert logits.shape[:2] == inputs["input_ids"].shape
        out = thinker.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 3

    if attn == "sdpa":  # the full model (thinker + talker + code2wav) loads and generates text too
        full = Qwen3OmniMoeForConditionalGeneration.from_pretrained(qwen3_omni_dir, attn_implementation=attn).eval()
        assert full.has_talker
        eos = thinker.generation_config.eos_token_id
        text_out = full.generate(**inputs, return_audio=False, thinker_max_new_tokens=3, thinker_do_sample=False,
                                 thinker_eos_token_id=eos)
        assert torch.equal(text_out, out)


def test_tiny_checkpoints_carry_the_published_preprocessor_config(qwen2_audio_dir, tiny_checkpoint):
    """Both families' files are the published ones verbatim but for the audio window, which the spec
    sets (the published one by default); the extractor each family loads reads those values."""
    import json

    from headrouter_eval.models import get_family
    from headrouter_eval.models.tiny import qwen2_audio, qwen_omni

    window = {"chunk_length": 4, "n_samples": 64000, "nb_max_frames": 400}
    audio_written = json.loads((qwen2_audio_dir / "preprocessor_config.json").read_text())
    assert audio_written == {**qwen2_audio.PREPROCESSOR_CONFIG, **window}
    assert qwen2_audio.preprocessor_config() == qwen2_audio.PREPROCESSOR_CONFIG  # the published window
    omni_dir = tiny_checkpoint  # the session's, with a 4 s window too
    written = json.loads((omni_dir / "preprocessor_config.json").read_text())
    assert written == {**qwen_omni.PREPROCESSOR_CONFIG, **window}
    assert qwen_omni.preprocessor_config(300) == qwen_omni.PREPROCESSOR_CONFIG  # the published window
    for name, folder, published in (("qwen2_audio", qwen2_audio_dir, audio_written),
                                    ("qwen_omni", omni_dir, written)):
        extractor = get_family(name).load_processor(folder).feature_extractor
        for key in ("feature_size", "sampling_rate", "hop_length", "n_fft", "chunk_length", "n_samples",
                    "nb_max_frames", "padding_value", "padding_side", "return_attention_mask"):
            assert getattr(extractor, key) == published[key], (name, key)
