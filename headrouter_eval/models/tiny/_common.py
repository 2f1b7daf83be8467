"""What the tiny checkpoint builders share: a byte-level tokenizer, stop tokens, saving in hub layout.

256 byte tokens and no merges, so any text round-trips and the vocabulary stays a few
hundred entries (tiny embedding matrices); the family's chat and audio special tokens are
added on top. Named special tokens (``audio_token`` ...) become tokenizer attributes
(``tokenizer.audio_token``, ``tokenizer.audio_token_id``), which the stock processors
read, exactly as they read them from a hub ``tokenizer_config.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def build_byte_tokenizer(
    named: Mapping[str, str],
    *,
    eos_token: str,
    pad_token: str,
    chat_template: str,
    unnamed: Sequence[str] = (),
    padding_side: str = "left",
):
    """A ``TokenizersBackend`` tokenizer: bytes, then ``unnamed`` and the ``named`` special tokens.

    ``named`` maps attribute names (``audio_token``, ``audio_bos_token`` ...) to token strings;
    ``unnamed`` lists further special tokens with no attribute (``<|im_start|>`` ...). Special
    tokens get ids from 256 on, in the order: ``pad_token``, ``unnamed``, ``eos_token``, ``named``
    (duplicates skipped).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={ch: i for i, ch in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    specials = list(dict.fromkeys([pad_token, *unnamed, eos_token, *named.values()]))
    backend.add_special_tokens(specials)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=eos_token,
        pad_token=pad_token,
        extra_special_tokens=dict(named),
        padding_side=padding_side,
    )
    tokenizer.chat_template = chat_template
    return tokenizer


def token_ids(tokenizer, tokens: Mapping[str, str]) -> dict[str, int]:
    """``{name: id}`` for ``{name: token string}``; raises if a token is not a single vocabulary entry."""
    ids = {name: tokenizer.convert_tokens_to_ids(tok) for name, tok in tokens.items()}
    missing = [tokens[name] for name, i in ids.items() if i is None or i == tokenizer.unk_token_id]
    if missing:
        raise ValueError(f"tokens not in the vocabulary: {missing}")
    return ids


def stop_generation_config(tokenizer, *, eos_token: str, pad_token: str):
    """Stop on ``eos_token`` or ``pad_token`` (``<|im_end|>`` / ``<|endoftext|>``), as Instruct checkpoints do."""
    from transformers import GenerationConfig

    ids = token_ids(tokenizer, {"pad": pad_token, "eos": eos_token})
    return GenerationConfig(eos_token_id=[ids["eos"], ids["pad"]], pad_token_id=ids["pad"])


def save_checkpoint(path, model, tokenizer, feature_extractor, processor_class: str):
    """Weights and configs, tokenizer, and ``preprocessor_config.json`` naming the processor class (hub layout)."""
    from pathlib import Path

    path = Path(path)
    model.save_pretrained(path)  # transformers writes the hub's key names
    tokenizer.save_pretrained(path)
    feature_extractor.processor_class = processor_class
    feature_extractor.save_pretrained(path)
    return path


def write_preprocessor_config(path, published: dict):
    """Replace the ``preprocessor_config.json`` transformers wrote with the published one, verbatim
    (save_pretrained adds keys of its own version); returns ``path``."""
    import json
    from pathlib import Path

    path = Path(path)
    (path / "preprocessor_config.json").write_text(json.dumps(published, indent=2) + "\n", encoding="utf-8")
    return path


def windowed_preprocessor_config(published: dict, window_s: int) -> dict:
    """A published Whisper-style preprocessor config with its audio window set to ``window_s``
    seconds (``chunk_length`` and the sizes derived from it); the other keys verbatim."""
    config = dict(published, chunk_length=window_s)
    config["n_samples"] = window_s * config["sampling_rate"]
    config["nb_max_frames"] = config["n_samples"] // config["hop_length"]
    return config
