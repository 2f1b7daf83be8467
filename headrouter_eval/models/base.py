"""What a model family's integration module provides: the interface the engine is written against.

The engine (``headrouter_eval.engine``) prunes any decoder-only audio LLM whose
transformers implementation follows the transformers 5 conventions below; everything
else it asks of a :class:`ModelFamily`. A family module (``qwen_omni.py``,
``qwen2_audio.py``, ...) subclasses it, names its transformers classes and config
fields, and overrides only what differs from the defaults here.

Conventions every family shares (checked with transformers 5.23 and 5.24), so the
defaults implement them once:
* the generating model holds its decoder at ``model.model.language_model`` (a text model
  with ``.layers``) and its audio encoder at ``model.model.audio_tower``;
* each decoder layer is called once per forward with keyword arguments, among them
  ``position_embeddings=(cos, sin)`` (one row per token, the same tensors for every
  layer, any M-RoPE sections already merged, so rows can be sliced after pruning),
  ``attention_mask`` (``None`` or a 4-D mask) and ``position_ids``;
* a layer's attention input is ``layer.input_layernorm(hidden)``; its attention module
  ``layer.self_attn`` has ``q_proj``/``k_proj``, ``head_dim``,
  ``num_key_value_groups``, ``scaling`` and ``layer_idx`` (its slot in the KV cache);
* ``generate`` keeps the prompt's position ids in its own kwargs and advances them by
  one per step, so decoding continues from the *original* positions whatever the
  pruned KV cache holds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from headrouter_eval.catalog import MODEL_TYPES, TITLES
from headrouter_eval.engine.probe import AttentionProbe
from headrouter_eval.engine.spans import AudioTokenIds
from headrouter_eval.models.loading import check_checkpoint, resolve_dtype

#: values of the ``long_audio`` model arg (see :meth:`ModelFamily.audio_items`)
LONG_AUDIO = ("truncate", "split")
#: the adapter's default, and so calibration's: what the official processors do (a bare
#: prompt_inputs call splits, as the engine tests rely on)
DEFAULT_LONG_AUDIO = "truncate"

# Shorter leftovers of a split clip hold under 0.1 s of sound and would encode to ~2 tokens.
MIN_SPLIT_TAIL_SECONDS = 0.1


@dataclass(frozen=True)
class DecoderSizes:
    """The text decoder's shapes: what pruners, FLOPs and reports need to know."""

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    mlp: int  # dense MLP width; for a mixture of experts, one expert's width
    vocab: int
    experts: int = 0  # 0: dense MLP in every layer
    experts_per_token: int = 0


@dataclass(frozen=True)
class EncoderSizes:
    """The audio encoder's shapes, for the benchmark's FLOPs formula (``headrouter_eval/bench/flops.py``).

    The defaults describe Qwen2.5-Omni's Whisper-style encoder: two 1-D convolutions
    (kernel 3, strides 1 and 2), attention within windows of ``window`` mel frames, an
    average pool by 2, then a projection to ``output_dim``.
    """

    d_model: int
    layers: int
    ffn: int
    mel_bins: int
    window: int | None  # mel frames per attention window; None: the whole item
    output_dim: int  # width of the audio embeddings handed to the decoder
    # True: every item is padded to ``window`` frames and the encoder computes all of them (Qwen2-Audio)
    pads_to_window: bool = False
    # set: a stem of three 3x3 stride-2 2-D convolutions with this many channels over chunks of
    # ``conv_chunk`` mel frames, no pooling, two output projections (Qwen3-Omni); None: the Whisper stem
    conv2d_channels: int | None = None
    conv_chunk: int | None = None


class AudioOnlyProcessorMixin:
    """Let an omni processor work without its image and video processors (the video one needs torchvision).

    Mixed in before the stock processor class by the families whose processor insists on
    them; audio work needs neither.
    """

    def check_argument_for_proper_class(self, argument_name: str, argument: Any):
        if argument is None and argument_name in ("image_processor", "video_processor"):
            return None
        return super().check_argument_for_proper_class(argument_name, argument)

    @property
    def model_input_names(self) -> list[str]:
        names = list(self.tokenizer.model_input_names) + list(self.feature_extractor.model_input_names)
        return list(dict.fromkeys(names)) + ["feature_attention_mask"]

    @classmethod
    def audio_only(cls, tokenizer: Any, feature_extractor: Any) -> Any:
        """The processor over ``tokenizer`` (and its chat template) and ``feature_extractor`` alone."""
        return cls(image_processor=None, video_processor=None, feature_extractor=feature_extractor,
                   tokenizer=tokenizer, chat_template=tokenizer.chat_template)


class ModelFamily(ABC):
    """One family of audio LLMs in transformers; subclass per family, one instance each."""

    #: suffix of the lmms-eval model ids (``<method>_<name>``), e.g. ``qwen_omni``
    name: ClassVar[str]
    #: human name for messages and reports (``catalog.TITLES``, set from ``name``)
    title: ClassVar[str]
    #: the transformers class that generates text (the thinker, for omni models)
    model_class: ClassVar[type]
    #: ``model_type`` values of ``config.json`` this family loads (``catalog.MODEL_TYPES``, set from ``name``)
    model_types: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the catalog is the one home of a family's names: the checkpoint checks read them there
        if "name" in cls.__dict__:
            if cls.name not in MODEL_TYPES or cls.name not in TITLES:
                raise TypeError(f"model family {cls.name!r}: add its model_type values and title to "
                                "headrouter_eval/catalog.py (MODEL_TYPES, TITLES)")
            cls.title, cls.model_types = TITLES[cls.name], MODEL_TYPES[cls.name]
    #: rotary form of the decoder, for docs and reports: "M-RoPE (3-D)" or "1-D RoPE"
    rotary: ClassVar[str]
    #: ``apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim)`` of the family's modeling module
    apply_rotary: ClassVar[Callable]
    #: whether attention normalises q and k per head (``q_norm``/``k_norm``) before rotary
    qk_norm: ClassVar[bool] = False
    #: system prompt when the task sets none; ``None`` sends no system message
    default_system_prompt: ClassVar[str | None] = None
    #: keyword of the model's forward holding the audio features (log-mel frames)
    features_kwarg: ClassVar[str] = "input_features"

    # keywords of a decoder layer call that are per-token and get sliced after pruning
    layer_embeddings_kwarg: ClassVar[str] = "position_embeddings"
    layer_mask_kwarg: ClassVar[str] = "attention_mask"
    layer_position_ids_kwarg: ClassVar[str] = "position_ids"

    # ------------------------------------------------------------------ loading
    def check_checkpoint(self, pretrained: str | Path) -> str:
        """Refuse a missing folder or another family's checkpoint, from ``config.json`` alone."""
        return check_checkpoint(pretrained, self)

    @abstractmethod
    def load_processor(self, pretrained: str | Path) -> Any:
        """Tokenizer, chat template and feature extractor of ``pretrained``, as one processor."""

    def load_model(
        self,
        pretrained: str | Path,
        *,
        device: str | torch.device = "cpu",
        dtype: str | torch.dtype | None = None,
        attn_implementation: str = "sdpa",
    ) -> torch.nn.Module:
        """The generating model of ``pretrained`` in eval mode on ``device``."""
        self.check_checkpoint(pretrained)
        model = self.model_class.from_pretrained(
            pretrained, dtype=resolve_dtype(dtype, device), attn_implementation=attn_implementation
        )
        return model.to(device).eval()

    def random_model(self, config: Any, *, dtype: torch.dtype, attn_implementation: str) -> torch.nn.Module:
        """A random-weight model from the generating class's config (built on the current device)."""
        return self.model_class._from_config(config, dtype=dtype, attn_implementation=attn_implementation)

    def set_attention(self, model: torch.nn.Module, attn_implementation: str) -> None:
        """Switch the model's attention kernel (``sdpa``, ``eager``, ...)."""
        model.set_attn_implementation(attn_implementation)

    def attention_implementation(self, model: torch.nn.Module) -> str:
        return model.config._attn_implementation

    # ------------------------------------------------------------------ structure
    def check_model(self, model: torch.nn.Module) -> None:
        """Fail early, naming the missing piece, if this is not the class or transformers moved something."""
        if not isinstance(model, self.model_class):
            raise TypeError(
                f"expected a {self.model_class.__name__} ({self.title}), got {type(model).__name__}; "
                f"load it with headrouter_eval.models.get_family({self.name!r}).load_model"
            )
        layer = self.decoder_layers(model)[0]
        needed = ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.layer_idx",
                  "self_attn.head_dim", "self_attn.num_key_value_groups", "self_attn.scaling"]
        if self.qk_norm:
            needed += ["self_attn.q_norm", "self_attn.k_norm"]
        for path in needed:
            obj = layer
            for part in path.split("."):
                if not hasattr(obj, part):
                    raise RuntimeError(
                        f"transformers changed {self.title}: its decoder layer has no '{path}'. "
                        f"Update headrouter_eval/models/{self.name}.py for this transformers version."
                    )
                obj = getattr(obj, part)

    def decoder_layers(self, model: torch.nn.Module) -> torch.nn.ModuleList:
        return model.model.language_model.layers

    def final_norm(self, model: torch.nn.Module) -> torch.nn.Module:
        """The decoder's last norm (between the last layer and the LM head); DART reads states through it."""
        return model.model.language_model.norm

    def audio_encoder(self, model: torch.nn.Module) -> torch.nn.Module:
        return model.model.audio_tower

    def text_config(self, config: Any) -> Any:
        """The decoder's config inside the generating model's config."""
        return config.text_config

    def context_limit(self, model: torch.nn.Module) -> int | None:
        """The decoder's ``max_position_embeddings``: how many positions a prompt and its reply may use."""
        return getattr(self.text_config(model.config), "max_position_embeddings", None)

    def audio_token_ids(self, config: Any) -> AudioTokenIds:
        """Audio placeholder / bos / eos ids from the generating model's config (never hard-coded)."""
        return AudioTokenIds(audio=config.audio_token_id, bos=config.audio_start_token_id,
                             eos=config.audio_end_token_id)

    def sizes(self, config: Any) -> DecoderSizes:
        """Decoder shapes from the generating model's config."""
        text = self.text_config(config)
        return DecoderSizes(
            layers=text.num_hidden_layers, hidden=text.hidden_size, heads=text.num_attention_heads,
            kv_heads=text.num_key_value_heads,
            head_dim=getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads,
            mlp=text.intermediate_size, vocab=text.vocab_size,
        )

    def encoder_sizes(self, config: Any) -> EncoderSizes:
        """Audio-encoder shapes from the generating model's config (Whisper stem, windows of 2 * n_window frames)."""
        audio = config.audio_config
        return EncoderSizes(
            d_model=audio.d_model, layers=audio.encoder_layers, ffn=audio.encoder_ffn_dim,
            mel_bins=audio.num_mel_bins, window=2 * audio.n_window, output_dim=audio.output_dim,
        )

    def attention_module(self, layer: torch.nn.Module) -> torch.nn.Module:
        """A decoder layer's attention module (eager attention returns its weights as output[1])."""
        return layer.self_attn

    def cache_layer_index(self, layer: torch.nn.Module) -> int:
        """The slot of a decoder layer in the KV cache."""
        return layer.self_attn.layer_idx

    def attention_probe(
        self, layer: torch.nn.Module, layer_input: torch.Tensor, position_embeddings: tuple[torch.Tensor, torch.Tensor]
    ) -> AttentionProbe:
        """The scoring layer's attention for one prompt, from its input hidden states (1, T, hidden)."""
        return self.probe_attention(
            self.attention_module(layer), layer.input_layernorm(layer_input[0]), position_embeddings
        )

    def probe_attention(
        self, attn: torch.nn.Module, hidden: torch.Tensor, position_embeddings: tuple[torch.Tensor, torch.Tensor]
    ) -> AttentionProbe:
        """An attention module's probe over post-norm ``hidden`` (T, hidden_size)."""
        head_dim = attn.head_dim
        q_norm = attn.q_norm if self.qk_norm else None
        k_norm = attn.k_norm if self.qk_norm else None

        def projection(linear: torch.nn.Module, norm: torch.nn.Module | None):
            def project(rows: torch.Tensor) -> torch.Tensor:
                heads = linear(rows).view(rows.shape[0], -1, head_dim)
                if norm is not None:
                    heads = norm(heads)
                return heads.transpose(0, 1)
            return project

        cos, sin = position_embeddings
        cos, sin = cos[0], sin[0]  # (T, head_dim): batch of one

        def rotate(heads: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
            rotated, _ = self.apply_rotary(heads, heads, cos[positions], sin[positions], unsqueeze_dim=0)
            return rotated

        return AttentionProbe(
            hidden=hidden,
            queries=projection(attn.q_proj, q_norm),
            keys=projection(attn.k_proj, k_norm),
            rotate=rotate,
            kv_groups=attn.num_key_value_groups,
            scaling=attn.scaling,
        )

    # ------------------------------------------------------------------ prompt
    def messages(self, context: str, n_clips: int, system_prompt: str | None) -> list[dict]:
        """Chat messages of one request: [system,] user with the audio items first, then the text."""
        # the published templates differ in what marks an audio item (Qwen2-Audio's renders one only
        # when the dict has an ``audio`` or ``audio_url`` key; the Omni ones accept type "audio"):
        # give both. The value only names the item: the waveforms go to the processor separately
        content = [{"type": "audio", "audio": f"audio item {i + 1}"} for i in range(n_clips)]
        content.append({"type": "text", "text": context})
        system = [] if system_prompt is None else [{"role": "system", "content": system_prompt}]
        return [*system, {"role": "user", "content": content}]

    def clip_window(self, processor: Any) -> int | None:
        """Samples per audio item the processor encodes without cutting; ``None``: no limit."""
        return processor.feature_extractor.n_samples

    def split_clip(self, processor: Any, wav: np.ndarray) -> list[np.ndarray]:
        """Cut audio longer than the processor's window into consecutive items, each its own span."""
        window = self.clip_window(processor)
        if window is None or len(wav) <= window:
            return [wav]
        pieces = [wav[i:i + window] for i in range(0, len(wav), window)]
        if len(pieces[-1]) < MIN_SPLIT_TAIL_SECONDS * processor.feature_extractor.sampling_rate:
            pieces.pop()
        return pieces

    def audio_items(self, processor: Any, clips: list[np.ndarray], long_audio: str = "split") -> list[np.ndarray]:
        """The audio items of one prompt: ``long_audio="truncate"`` cuts each clip at the processor's
        window (what the official processors do), ``"split"`` hands it over as consecutive items."""
        if long_audio not in LONG_AUDIO:
            raise ValueError(f"long_audio must be one of {list(LONG_AUDIO)}, got {long_audio!r}")
        if long_audio == "split":
            return [piece for wav in clips for piece in self.split_clip(processor, wav)]
        window = self.clip_window(processor)
        return [wav if window is None else wav[:window] for wav in clips]

    def prompt_text(self, processor: Any, context: str, n_clips: int, system_prompt: str | None = None) -> str:
        """The generation prompt string (before audio expansion), through the checkpoint's chat template."""
        system = self.default_system_prompt if system_prompt is None else system_prompt
        return processor.apply_chat_template(
            self.messages(context, n_clips, system or None), add_generation_prompt=True, tokenize=False
        )

    def prompt_inputs(
        self, processor: Any, context: str, clips: list[np.ndarray], system_prompt: str | None = None,
        long_audio: str = "split",
    ) -> Any:
        """Processor outputs (CPU tensors) for one request: the one prompt format of this family.

        Used alike by the lmms-eval adapter, calibration and the efficiency benchmark, each
        passing its ``long_audio`` policy (the adapter's and calibration's default is
        :data:`DEFAULT_LONG_AUDIO`; the benchmark's is ``split``). ``clips`` are 16 kHz mono
        arrays; one longer than the processor's window is split into consecutive items (``long_audio="split"``) or cut
        at the window (``"truncate"``). Every item must give at least one audio token: a
        clip too short for one is refused, since the model would answer without hearing it.
        """
        items = self.audio_items(processor, clips, long_audio)
        text = self.prompt_text(processor, context, len(items), system_prompt)
        inputs = processor(text=text, audio=items or None, return_tensors="pt", padding=True)
        self.check_audio_tokens(processor, inputs["input_ids"][0], items)
        return inputs

    def check_audio_tokens(self, processor: Any, input_ids: torch.Tensor, items: list[np.ndarray]) -> None:
        """Refuse a prompt in which an audio item expanded to no audio token (a clip too short to encode)."""
        if not items:
            return
        token = processor.tokenizer.convert_tokens_to_ids(processor.audio_token)
        is_audio = (input_ids == token).to(torch.int8)
        runs = int(is_audio[0]) + int((is_audio[1:] > is_audio[:-1]).sum()) if is_audio.numel() else 0
        if runs < len(items):
            rate = processor.feature_extractor.sampling_rate
            lengths = ", ".join(f"{len(wav) / rate * 1000:.1f} ms" for wav in items)
            raise AudioTooShortError(
                f"{len(items) - runs} of {len(items)} audio item(s) gave no audio token ({self.title}'s processor; "
                f"item lengths: {lengths}): a clip this short is not heard by the model, and its answer would "
                "be scored as if it were; drop the item or pad the clip")


class AudioTooShortError(ValueError):
    """An audio item too short to give one audio token."""
