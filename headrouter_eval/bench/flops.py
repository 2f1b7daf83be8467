"""Theoretical prefill FLOPs of a Qwen2.5-Omni thinker, for the actual sequence lengths.

One multiply-add counts as 2 FLOPs; norms, activations, rotary, softmax and biases
are left out (each is O(n d), well under 1% of the matrix products). Symbols: d hidden
size, H query heads, H_kv key/value heads, h head dim, m MLP width, V vocabulary,
n_l the tokens layer l processes (T for layers < K, the kept T' from K on).

Decoder layer with n tokens (causal prefill, grouped-query attention, SwiGLU MLP):
    projections  2 n d (H h) [q] + 2 * 2 n d (H_kv h) [k, v] + 2 n (H h) d [o]
    attention    2 * 2 H h * n (n + 1) / 2   [q.k scores and probs.v, causal half]
    MLP          3 * 2 n d m                 [gate, up, down]
lm_head: 2 n_L d V (the thinker computes logits for every position it keeps).

Audio encoder (runs before pruning, never sped up by it), per window of c mel frames
(windows of 2 * n_window frames; a = (c - 1) // 2 + 1 frames after the stride-2 conv):
    conv1 2 * 3 * mel * D * c,  conv2 2 * 3 * D * D * a,
    each of E layers: 4 * 2 a D^2 [q, k, v, o] + 2 * 2 a^2 D [bidirectional, in-window]
                      + 2 * 2 a D F [fc1, fc2];
then per item: average-pool by 2 (p = (A - 2) // 2 + 1 of its A frames) and
    proj 2 p D d_out.

Scoring (the pruner's own extra work at the scoring layer, not in the model):
    fastv: k for all T keys and q for the last token, one row of logits:
           2 T d (H_kv h) + 2 d (H h) + 2 H h T
    headrouter: k for all T keys (its audio-mass term needs the prefix softmax), q for
           the Q text queries, Q x T logits (an estimate of its default settings; the
           measured router time is the authoritative number):
           2 T d (H_kv h) + 2 Q d (H h) + 2 H h Q T
    random, uniform: 0; FastV with eager attention reads a map the model computed anyway: 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PretrainedConfig

FORMULA = __doc__.split("\n\n", 1)[1].strip()


@dataclass(frozen=True)
class TextShape:
    """The text decoder's shapes."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    mlp: int
    vocab: int


@dataclass(frozen=True)
class EncoderShape:
    """The audio encoder's shapes."""

    d_model: int
    layers: int
    ffn: int
    mel_bins: int
    n_window: int
    output_dim: int


def text_shape(config: PretrainedConfig) -> TextShape:
    """Shapes of a thinker config's text model."""
    text = config.text_config
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
    return TextShape(
        hidden=text.hidden_size, layers=text.num_hidden_layers, heads=text.num_attention_heads,
        kv_heads=text.num_key_value_heads, head_dim=head_dim, mlp=text.intermediate_size, vocab=text.vocab_size,
    )


def encoder_shape(config: PretrainedConfig) -> EncoderShape:
    """Shapes of a thinker config's audio encoder."""
    audio = config.audio_config
    return EncoderShape(
        d_model=audio.d_model, layers=audio.encoder_layers, ffn=audio.encoder_ffn_dim,
        mel_bins=audio.num_mel_bins, n_window=audio.n_window, output_dim=audio.output_dim,
    )


def decoder_layer_flops(shape: TextShape, n: int) -> int:
    """FLOPs of one decoder layer over ``n`` tokens of causal prefill."""
    d, h = shape.hidden, shape.head_dim
    q_width, kv_width = shape.heads * h, shape.kv_heads * h
    projections = 2 * n * d * q_width + 2 * 2 * n * d * kv_width + 2 * n * q_width * d
    attention = 2 * 2 * shape.heads * h * (n * (n + 1) // 2)
    mlp = 3 * 2 * n * d * shape.mlp
    return projections + attention + mlp


def layer_lengths(shape: TextShape, seq_len: int, kept_seq_len: int, layer: int) -> list[int]:
    """Tokens each decoder layer processes when pruning at ``layer`` (all ``seq_len`` if unpruned)."""
    return [seq_len if index < layer else kept_seq_len for index in range(shape.layers)]


def decoder_flops(shape: TextShape, lengths: list[int]) -> int:
    """Decoder prefill FLOPs for per-layer token counts ``lengths``, lm_head on the last layer's tokens."""
    if len(lengths) != shape.layers:
        raise ValueError(f"need one length per layer ({shape.layers}), got {len(lengths)}")
    body = sum(decoder_layer_flops(shape, n) for n in lengths)
    return body + 2 * lengths[-1] * shape.hidden * shape.vocab


def encoder_flops(shape: EncoderShape, feature_lens: list[int]) -> int:
    """Audio-encoder FLOPs for audio items of ``feature_lens`` valid mel frames each."""
    d, window = shape.d_model, 2 * shape.n_window
    total = 0
    for frames in feature_lens:
        chunks = [window] * (frames // window) + ([frames % window] if frames % window else [])
        after_conv = [(c - 1) // 2 + 1 for c in chunks]
        for c, a in zip(chunks, after_conv):
            total += 2 * 3 * shape.mel_bins * d * c + 2 * 3 * d * d * a
            total += shape.layers * (4 * 2 * a * d * d + 2 * 2 * a * a * d + 2 * 2 * a * d * shape.ffn)
        pooled = (sum(after_conv) - 2) // 2 + 1
        total += 2 * pooled * d * shape.output_dim
    return total


def scoring_flops(method: str, shape: TextShape, seq_len: int, query_len: int) -> int | None:
    """The pruner's extra scoring FLOPs (see the module formula); ``None`` for an unknown method."""
    d, h = shape.hidden, shape.head_dim
    q_width, kv_width = shape.heads * h, shape.kv_heads * h
    if method == "fastv":
        return 2 * seq_len * d * kv_width + 2 * d * q_width + 2 * shape.heads * h * seq_len
    if method == "headrouter":
        return 2 * seq_len * d * kv_width + 2 * query_len * d * q_width + 2 * shape.heads * h * query_len * seq_len
    if method in ("vanilla", "random", "uniform", "fastv_eager", "vanilla_eager"):
        return 0
    return None


def kv_cache_bytes(shape: TextShape, lengths: list[int], bytes_per_value: int) -> int:
    """Bytes of K and V cached after prefill: 2 H_kv h per token per layer."""
    return sum(2 * shape.kv_heads * shape.head_dim * n * bytes_per_value for n in lengths)
