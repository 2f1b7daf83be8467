"""The benchmark's FLOPs formula against hand counts on toy shapes, and the ideal-speedup formula."""

from __future__ import annotations

import pytest

from headrouter_eval.bench import flops
from headrouter_eval.bench.summary import ideal_speedup, ideal_token_speedup
from headrouter_eval.models.base import DecoderSizes, EncoderSizes

TOY = DecoderSizes(hidden=4, layers=2, heads=2, kv_heads=1, head_dim=2, mlp=6, vocab=10)


def test_decoder_layer_hand_count():
    # n = 3 tokens, d = 4, H h = 4, H_kv h = 2, m = 6:
    # q 2*3*4*4 = 96, k+v 2*2*3*4*2 = 96, o 2*3*4*4 = 96,
    # attention 2*2 * H h * (3*4/2 = 6 causal pairs) = 4*4*6 = 96, MLP 3*2*3*4*6 = 432
    assert flops.decoder_layer_flops(TOY, 3) == 96 + 96 + 96 + 96 + 432


def test_moe_layer_counts_router_and_active_experts_only():
    # same attention as TOY (384 for n = 3); MoE: router 2*3*4*8 = 192, 2 active experts of width 6:
    # 2 * 3*2*3*4*6 = 864 (the other 6 experts cost nothing)
    moe = DecoderSizes(hidden=4, layers=2, heads=2, kv_heads=1, head_dim=2, mlp=6, vocab=10, experts=8,
                       experts_per_token=2)
    assert flops.decoder_layer_flops(moe, 3) == 384 + 192 + 864
    more_idle = DecoderSizes(**{**vars(moe), "experts": 16})
    assert flops.decoder_layer_flops(more_idle, 3) - flops.decoder_layer_flops(moe, 3) == 2 * 3 * 4 * 8  # router only


def test_decoder_with_pruning_hand_count():
    # layer 0 on 3 tokens (816), layer 1 on 2 kept tokens:
    # q 64, k+v 64, o 64, attention 4*4*3 = 48, MLP 3*2*2*4*6 = 288 -> 528; lm_head 2*2*4*10 = 160
    lengths = flops.layer_lengths(TOY, seq_len=3, kept_seq_len=2, layer=1)
    assert lengths == [3, 2]
    assert flops.decoder_flops(TOY, lengths) == 816 + 528 + 160
    assert flops.decoder_flops(TOY, [3, 3]) > flops.decoder_flops(TOY, lengths)


def test_decoder_needs_one_length_per_layer():
    with pytest.raises(ValueError, match="one length per layer"):
        flops.decoder_flops(TOY, [3])


def test_encoder_hand_count():
    shape = EncoderSizes(d_model=2, layers=1, ffn=4, mel_bins=3, window=4, output_dim=5)
    # 6 mel frames in windows of 4: chunks [4, 2] -> [2, 1] frames after the stride-2 conv
    # chunk 4: conv1 2*3*3*2*4 = 144, conv2 2*3*2*2*2 = 48,
    #          layer 4*2*2*2*2 = 64 + attention 2*2*2*2*2 = 32 + FFN 2*2*2*2*4 = 64 -> 160
    # chunk 2: conv1 72, conv2 24, layer 32 + 8 + 32 = 72
    # pooled (3 - 2) // 2 + 1 = 1 frame, proj 2*1*2*5 = 20
    assert flops.encoder_flops(shape, [6]) == 144 + 48 + 160 + 72 + 24 + 72 + 20


def test_encoder_padded_to_its_window_counts_the_whole_window():
    # Qwen2-Audio: 6 valid frames of an item padded to a window of 8: conv1 2*3*3*2*8 = 288,
    # conv2 2*3*2*2*4 = 96, layer on 4 positions 4*2*4*2*2 = 128 + 2*2*16*2 = 128 + 2*2*4*2*4 = 128,
    # pooled (4 - 2) // 2 + 1 = 2, proj 2*2*2*5 = 40
    shape = EncoderSizes(d_model=2, layers=1, ffn=4, mel_bins=3, window=8, output_dim=5, pads_to_window=True)
    assert flops.encoder_flops(shape, [6]) == flops.encoder_flops(shape, [2]) == 288 + 96 + 384 + 40


def test_conv2d_stem_hand_count():
    # Qwen3-Omni stem, C = 2 channels, 8 mel bins, chunks of 8 frames, attention over 2 chunks:
    # 12 frames -> chunks [8, 4], both run at 8 frames: M 4,2,1 and t 4,2,1 ->
    # conv1 2*9*2*16 = 576, conv2 2*9*4*4 = 288, conv3 2*9*4*1 = 72, conv_out 2*1*(2*1)*2 = 8 -> 944 per chunk;
    # positions 1 + 1 = 2 in one window: 4*2*2*4 = 64 + 2*2*4*2 = 32 + 2*2*2*2*3 = 48 -> 144;
    # proj1 2*2*2*2 = 16, proj2 2*2*2*5 = 40
    shape = EncoderSizes(d_model=2, layers=1, ffn=3, mel_bins=8, window=16, output_dim=5, conv2d_channels=2,
                         conv_chunk=8)
    assert flops.encoder_flops(shape, [12]) == 2 * 944 + 144 + 16 + 40


def test_scoring_and_kv_cache():
    assert flops.scoring_flops("random", TOY, 10, 3) == 0
    # fastv: 2*10*4*2 (k) + 2*4*4 (one q) + 2*4*10 (one row of logits)
    assert flops.scoring_flops("fastv", TOY, 10, 3) == 160 + 32 + 80
    assert flops.scoring_flops("someone_elses", TOY, 10, 3) is None
    # K and V: 2 * H_kv h = 4 values per token per layer, 2 bytes each
    assert flops.kv_cache_bytes(TOY, [3, 2], 2) == 4 * 5 * 2


def test_ideal_speedup():
    assert ideal_speedup(36, 2, 1.0) == pytest.approx(1.0)
    assert ideal_speedup(36, 2, 0.5) == pytest.approx(36 / 19)
    assert ideal_speedup(28, 0, 0.3) == pytest.approx(1 / 0.3)


def test_shapes_from_presets():
    from headrouter_eval.bench.presets import PRESETS, get_preset

    spec = PRESETS["qwen_omni"]["3b"].spec
    assert (spec.num_layers, spec.hidden_size, spec.intermediate_size, spec.num_heads, spec.num_kv_heads) == (
        36, 2048, 11008, 16, 2)
    spec = PRESETS["qwen_omni"]["7b"].spec
    assert (spec.num_layers, spec.hidden_size, spec.intermediate_size, spec.num_heads, spec.num_kv_heads) == (
        28, 3584, 18944, 28, 4)
    assert (spec.audio_layers, spec.audio_d_model, spec.audio_heads, spec.audio_ffn) == (32, 1280, 20, 5120)
    assert get_preset("small", chunk_length_s=10).spec.chunk_length_s == 10
    with pytest.raises(ValueError, match="unknown size"):
        get_preset("13b")
    with pytest.raises(ValueError, match="qwen_omni only"):
        get_preset("tiny", chunk_length_s=10, family="qwen2_audio")
    assert set(PRESETS) == {"qwen_omni", "qwen2_audio", "qwen3_omni"}
    from headrouter_eval.bench.cli import SIZES

    assert set(SIZES) == {name for table in PRESETS.values() for name in table}
    assert all(preset.family == family for family, table in PRESETS.items() for preset in table.values())


def test_ideal_counts_the_text_tokens_that_are_never_pruned():
    # 20 s of audio on the 3B shape: 775 prompt tokens, 500 of them audio; r = 0.5 keeps 525
    ideal = ideal_token_speedup(36, 2, 775, 525)
    assert ideal == pytest.approx(36 * 775 / (2 * 775 + 34 * 525))
    assert 1.43 < ideal < 1.44 < ideal_speedup(36, 2, 0.5)  # the all-audio form overstates it (1.89x)
    assert ideal_token_speedup(28, 0, 1000, 300) == pytest.approx(1 / 0.3)  # all audio: both forms agree
