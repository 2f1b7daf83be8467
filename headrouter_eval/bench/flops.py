"""Theoretical prefill FLOPs of a model, for the actual sequence lengths, from the family's shapes.

The counting rules are :data:`FORMULA`, which every ``headrouter-eval bench`` results file
records beside its numbers.
"""

from __future__ import annotations

from headrouter_eval.models.base import DecoderSizes, EncoderSizes

#: the counting rules, as every bench results file records them
FORMULA = """\
One multiply-add counts as 2 FLOPs; norms, activations, rotary, softmax and biases
are left out (each is O(n d), well under 1% of the matrix products). The shapes come
from the model family (``DecoderSizes`` / ``EncoderSizes`` of
``headrouter_eval/models/base.py``). Symbols: d hidden size, H query heads, H_kv
key/value heads, h head dim, m MLP width (one expert's width for a mixture of
experts), V vocabulary, n_l the tokens layer l processes (T for layers < K, the kept
T' from K on).

Decoder layer with n tokens (causal prefill, grouped-query attention, SwiGLU MLP):
    projections  2 n d (H h) [q] + 2 * 2 n d (H_kv h) [k, v] + 2 n (H h) d [o]
    attention    2 * 2 H h * n (n + 1) / 2   [q.k scores and probs.v, causal half]
    dense MLP    3 * 2 n d m                 [gate, up, down]  (Qwen2.5-Omni, Qwen2-Audio)
    MoE MLP      2 n d E + k * 3 * 2 n d m   [router over E experts, then the k experts
                 each token is routed to] (Qwen3-Omni: every layer is MoE, no shared
                 expert; the E - k idle experts cost nothing)
lm_head: 2 n_L d V (the model computes logits for every position it keeps).

Audio encoder (runs before pruning, never sped up by it); D d_model, F FFN width,
E_a layers, M mel bins, d_out the width handed to the decoder. Each of its E_a layers,
for every attention window of a positions:
    4 * 2 a D^2 [q, k, v, o] + 2 * 2 a^2 D [bidirectional, in-window] + 2 * 2 a D F [fc1, fc2]
Whisper stem (Qwen2.5-Omni, Qwen2-Audio), per window of c mel frames, a = (c - 1) // 2 + 1:
    conv1 2 * 3 * M * D * c,  conv2 2 * 3 * D * D * a; then per item an average pool by 2
    (p = (A - 2) // 2 + 1 of its A positions) and proj 2 p D d_out.
    Qwen2.5-Omni: windows of 2 * n_window frames (the last one shorter);
    Qwen2-Audio: every item is padded to one 3000-frame window (30 s) and computed in full,
    however short the audio; its proj is the multimodal projector.
2-D stem (Qwen3-Omni), per conv chunk (2 * n_window frames; every chunk of an item is
padded to its longest), with C channels and ceil-halvings M_i = ceil(M / 2^i),
t_i = ceil(c / 2^i):
    convs 2 * 9 * C M_1 t_1 + 2 * 9 * C^2 M_2 t_2 + 2 * 9 * C^2 M_3 t_3, conv_out 2 t_3 (C M_3) D;
    attention windows of n_window_infer frames (8 chunks of 13 positions at the
    published settings), no pooling, then proj1 2 p D D and proj2 2 p D d_out.

Scoring (the pruner's own extra work at the scoring layer, not in the model; each pruner states
its own in ``Pruner.scoring_flops``, headrouter_eval/pruners/):
    fastv: k for all T keys and q for the last token, one row of logits:
           2 T d (H_kv h) + 2 d (H h) + 2 H h T
    headrouter: k for all T keys (its audio-mass term needs the prefix softmax), q for
           the Q text queries, Q x T logits (an estimate of its default settings; the
           measured router time is the authoritative number):
           2 T d (H_kv h) + 2 Q d (H h) + 2 H h Q T
    dart: k for the audio and text tokens (bounded by T) with rotary, their L1 norms over
           the repeated heads, the final norm, one cosine row per pivot (8 by default):
           2 T d (H_kv h) + 3 T H_kv h + 2 T H h + 4 T d + 8 x 4 T d
    random, uniform: 0; FastV with eager attention reads a map the model computed anyway: 0."""


def _halve(length: int) -> int:
    """Output length of a kernel-3, stride-2, padding-1 convolution."""
    return (length - 1) // 2 + 1


def decoder_layer_flops(sizes: DecoderSizes, n: int) -> int:
    """FLOPs of one decoder layer over ``n`` tokens of causal prefill."""
    d, h = sizes.hidden, sizes.head_dim
    q_width, kv_width = sizes.heads * h, sizes.kv_heads * h
    projections = 2 * n * d * q_width + 2 * 2 * n * d * kv_width + 2 * n * q_width * d
    attention = 2 * 2 * sizes.heads * h * (n * (n + 1) // 2)
    if sizes.experts:
        mlp = 2 * n * d * sizes.experts + sizes.experts_per_token * 3 * 2 * n * d * sizes.mlp
    else:
        mlp = 3 * 2 * n * d * sizes.mlp
    return projections + attention + mlp


def layer_lengths(sizes: DecoderSizes, seq_len: int, kept_seq_len: int, layer: int) -> list[int]:
    """Tokens each decoder layer processes when pruning at ``layer`` (all ``seq_len`` if unpruned)."""
    return [seq_len if index < layer else kept_seq_len for index in range(sizes.layers)]


def decoder_flops(sizes: DecoderSizes, lengths: list[int]) -> int:
    """Decoder prefill FLOPs for per-layer token counts ``lengths``, lm_head on the last layer's tokens."""
    if len(lengths) != sizes.layers:
        raise ValueError(f"need one length per layer ({sizes.layers}), got {len(lengths)}")
    body = sum(decoder_layer_flops(sizes, n) for n in lengths)
    return body + 2 * lengths[-1] * sizes.hidden * sizes.vocab


def _encoder_layers_flops(sizes: EncoderSizes, a: int) -> int:
    """All encoder transformer layers over one attention window of ``a`` positions."""
    d = sizes.d_model
    return sizes.layers * (4 * 2 * a * d * d + 2 * 2 * a * a * d + 2 * 2 * a * d * sizes.ffn)


def _split(frames: int, window: int | None) -> list[int]:
    """``frames`` cut into consecutive windows (the last one shorter); ``None``: one window."""
    if window is None or frames <= window:
        return [frames]
    return [window] * (frames // window) + ([frames % window] if frames % window else [])


def _whisper_item_flops(sizes: EncoderSizes, frames: int) -> int:
    d = sizes.d_model
    windows = [sizes.window] if sizes.pads_to_window else _split(frames, sizes.window)
    total, positions = 0, 0
    for c in windows:
        a = _halve(c)
        positions += a
        total += 2 * 3 * sizes.mel_bins * d * c + 2 * 3 * d * d * a + _encoder_layers_flops(sizes, a)
    pooled = (positions - 2) // 2 + 1
    return total + 2 * pooled * d * sizes.output_dim


def _conv2d_item_flops(sizes: EncoderSizes, frames: int) -> int:
    d, channels = sizes.d_model, sizes.conv2d_channels
    chunks = _split(frames, sizes.conv_chunk)
    padded = max(chunks)  # the stem runs every chunk at the longest chunk's length
    m1, t1 = _halve(sizes.mel_bins), _halve(padded)
    m2, t2 = _halve(m1), _halve(t1)
    m3, t3 = _halve(m2), _halve(t2)
    stem = 2 * 9 * channels * m1 * t1 + 2 * 9 * channels * channels * (m2 * t2 + m3 * t3)
    stem += 2 * t3 * channels * m3 * d
    total = len(chunks) * stem
    # valid positions per chunk, grouped into attention windows of window // conv_chunk chunks
    per_chunk = [_halve(_halve(_halve(c))) for c in chunks]
    group = max(1, sizes.window // sizes.conv_chunk) if sizes.window else len(chunks)
    for start in range(0, len(per_chunk), group):
        total += _encoder_layers_flops(sizes, sum(per_chunk[start:start + group]))
    positions = sum(per_chunk)
    return total + 2 * positions * d * d + 2 * positions * d * sizes.output_dim


def encoder_flops(sizes: EncoderSizes, feature_lens: list[int]) -> int:
    """Audio-encoder FLOPs for audio items of ``feature_lens`` valid mel frames each."""
    item = _conv2d_item_flops if sizes.conv2d_channels else _whisper_item_flops
    return sum(item(sizes, frames) for frames in feature_lens)


def scoring_flops(method: str, sizes: DecoderSizes, seq_len: int, query_len: int) -> int | None:
    """The pruner's extra scoring FLOPs, as the pruner itself states them; ``None`` for an unknown method.

    The unpruned runs and eager FastV (which reads a map the model computed anyway) add none.
    """
    from headrouter_eval.pruners import PRUNERS
    from headrouter_eval.pruners.base import ModelInfo

    if method in ("vanilla", "fastv_eager", "vanilla_eager"):
        return 0
    if method not in PRUNERS:
        return None
    info = ModelInfo("", num_layers=sizes.layers, num_heads=sizes.heads, num_kv_heads=sizes.kv_heads,
                     hidden_size=sizes.hidden, layer=0, scoring_layer=0, head_dim=sizes.head_dim)
    return PRUNERS[method].scoring_flops(info, seq_len, query_len)


def kv_cache_bytes(sizes: DecoderSizes, lengths: list[int], bytes_per_value: int) -> int:
    """Bytes of K and V cached after prefill: 2 H_kv h per token per layer."""
    return sum(2 * sizes.kv_heads * sizes.head_dim * n * bytes_per_value for n in lengths)
