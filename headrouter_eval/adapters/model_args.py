"""Typed checks of the adapter's model args (``--model_args k=v,...``).

lmms-eval turns ``k=v`` strings into ints, floats, booleans or strings by their look
(``layer=1.5`` arrives as the float 1.5), and a bare ``int()`` would quietly turn that
into layer 1 while the results JSON still says 1.5. Every model arg therefore goes
through one of these functions, which refuse a value of the wrong type and name the
model arg, so the error points at the command line rather than at a constructor.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

# Model args of other adapters (lmms-eval's own Qwen2.5-Omni one among them) that users carry
# over; each gets a pointer to what this adapter takes instead of a bare "unknown".
FOREIGN_ARGS = {
    "device_map": "this adapter places the whole model on one device: use device=cuda:0 (or cpu), "
                  "and accelerate/torchrun for several GPUs",
    "use_flash_attention_2": "use attn_implementation=flash_attention_2",
    "max_num_frames": "video frames are not used by this audio-only adapter",
    "use_audio_in_video": "video is not used by this audio-only adapter",
}


def integer(name: str, value: Any, *, minimum: int | None = None) -> int:
    """``value`` as an int; floats (even 2.0), booleans and other text are refused.

    A negative whole float is the exception: lmms-eval parses ``layer=-1`` to the float -1.0
    (its ``str.isnumeric`` test fails on the sign), so it is read as the integer the user typed
    and then checked against ``minimum`` like any other.
    """
    if isinstance(value, float) and value.is_integer() and value < 0:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"model arg {name} must be an integer, got {value!r} ({type(value).__name__})")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("+-").isdigit():
            raise ValueError(f"model arg {name} must be an integer, got {value!r}")
        value = int(text)
    if minimum is not None and value < minimum:
        raise ValueError(f"model arg {name} must be >= {minimum}, got {value}")
    return value


def number(name: str, value: Any) -> float:
    """``value`` as a float; booleans and non-numeric text are refused."""
    if isinstance(value, bool):
        raise ValueError(f"model arg {name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"model arg {name} must be a number, got {value!r}") from None


def text(name: str, value: Any) -> str:
    """``value`` as a non-empty string (lmms-eval may have made ``x=1`` an int: that is fine)."""
    if isinstance(value, bool) or value is None or str(value).strip() == "":
        raise ValueError(f"model arg {name} must be a non-empty string, got {value!r}")
    return str(value).strip()


def choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """``value`` as one of ``allowed`` (case-sensitive), naming the others when it is not."""
    value = text(name, value)
    if value not in allowed:
        raise ValueError(f"model arg {name} must be one of {list(allowed)}, got {value!r}")
    return value


def folder_for_output(name: str, value: Any) -> Path:
    """A folder we may write into: refused when the path exists and is not a folder."""
    path = Path(text(name, value)).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"model arg {name}={value} is a file, not a folder; point it at a folder (it is created "
                         "when missing)")
    return path


def pruner_options(model: str, pruner_cls: type | None, options: dict[str, Any]) -> dict[str, Any]:
    """Check ``options`` against the pruner dataclass's fields (none for vanilla): names, then types."""
    fields = {} if pruner_cls is None else {
        f.name: f for f in dataclasses.fields(pruner_cls) if f.init and f.name != "retention"}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        hints = "; ".join(f"{key}: {FOREIGN_ARGS[key]}" for key in unknown if key in FOREIGN_ARGS)
        accepted = ", ".join(sorted(fields)) or "none besides the common ones"
        raise ValueError(
            f"unknown model arg(s) {unknown} for {model} (its own model args: {accepted}; common: "
            f"pretrained, retention, layer, attn_implementation, dtype, device, system_prompt, max_new_tokens, "
            f"stats_dir, batch_size, long_audio){'; ' + hints if hints else ''}"
        )
    typed = {}
    for key, value in options.items():
        # annotations are strings here (postponed evaluation): "int", "float | None", "str | None"
        annotation = str(fields[key].type)
        if value is None or (isinstance(value, str) and value.lower() == "none" and "None" in annotation):
            typed[key] = None
        elif annotation.startswith("int"):
            typed[key] = integer(key, value)
        elif annotation.startswith("float"):
            typed[key] = number(key, value)
        elif annotation.startswith("str"):
            typed[key] = text(key, value)
        else:
            typed[key] = value
    return typed
