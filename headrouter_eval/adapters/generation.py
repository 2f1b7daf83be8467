"""A task's ``generation_kwargs`` (and ``--gen_kwargs``) -> the exact arguments of ``generate``.

Read the way lmms-eval's own audio models read them (sampling exactly when
``temperature > 0``); a setting that cannot be honoured (``num_beams`` > 1: the engine prunes
one prompt, beam search would prefill a batch of beams) is refused by name instead of dropped,
so the settings recorded in the stats are the settings that ran. Each case: docs/bad_inputs.md.
Values a task leaves out are filled from the checkpoint's ``generation_config`` only where
transformers would fill them anyway (``top_p``/``top_k`` while sampling).
"""

from __future__ import annotations

import math
from typing import Any

#: every key a task's generation_kwargs may hold; ``system_prompt`` is this project's own
ACCEPTED = ("until", "max_new_tokens", "temperature", "do_sample", "top_p", "top_k", "num_beams", "system_prompt")


class GenerationSettingsError(ValueError):
    """A generation setting that cannot be honoured; the message names it."""


def _number(key: str, value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise GenerationSettingsError(f"{where}: generation setting {key} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise GenerationSettingsError(f"{where}: generation setting {key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise GenerationSettingsError(f"{where}: generation setting {key} must be finite, got {value!r}")
    return number


def _integer(key: str, value: Any, where: str, minimum: int) -> int:
    number = _number(key, value, where)
    if number != int(number) or number < minimum:
        raise GenerationSettingsError(
            f"{where}: generation setting {key} must be an integer >= {minimum}, got {value!r}")
    return int(number)


def _boolean(key: str, value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise GenerationSettingsError(f"{where}: generation setting {key} must be true or false, got {value!r}")


def generation_settings(
    gen_kwargs: dict[str, Any], *, default_max_new_tokens: int, checkpoint_defaults: Any = None, where: str = ""
) -> dict[str, Any]:
    """The settings that will run, as a plain dict (recorded as is): the keys of :data:`ACCEPTED` but
    ``system_prompt``, with ``until`` a list and ``top_p``/``top_k`` ``None`` when not sampling.

    ``checkpoint_defaults`` is the model's ``generation_config`` (``top_p``/``top_k`` when a
    sampling task sets none); ``where`` names the task in messages.
    """
    where = where or "generation_kwargs"
    unknown = sorted(set(gen_kwargs) - set(ACCEPTED))
    if unknown:
        raise GenerationSettingsError(
            f"{where}: generation setting(s) {unknown} cannot be honoured by this adapter (it reads "
            f"{list(ACCEPTED)}, as lmms-eval's own audio models do plus top_k); remove them or fix the spelling")
    until = gen_kwargs.get("until")
    if until is None:
        until = []
    elif isinstance(until, str):
        until = [until]
    elif isinstance(until, (list, tuple)) and all(isinstance(stop, str) for stop in until):
        until = list(until)
    else:
        raise GenerationSettingsError(f"{where}: generation setting until must be a string or a list of strings, "
                                      f"got {until!r}")
    max_new_tokens = gen_kwargs.get("max_new_tokens")
    max_new_tokens = default_max_new_tokens if max_new_tokens is None else _integer(
        "max_new_tokens", max_new_tokens, where, 1)
    temperature = _number("temperature", gen_kwargs.get("temperature") or 0, where)
    if temperature < 0:
        raise GenerationSettingsError(f"{where}: generation setting temperature must be >= 0, got {temperature}")
    sample = temperature > 0
    if gen_kwargs.get("do_sample") is not None and _boolean("do_sample", gen_kwargs["do_sample"], where) != sample:
        raise GenerationSettingsError(
            f"{where}: do_sample={gen_kwargs['do_sample']} contradicts temperature={temperature}: lmms-eval's "
            "models sample exactly when temperature > 0; set temperature=0 for greedy decoding, or drop do_sample")
    num_beams = gen_kwargs.get("num_beams")
    num_beams = 1 if num_beams is None else _integer("num_beams", num_beams, where, 1)
    if num_beams != 1:
        raise GenerationSettingsError(
            f"{where}: num_beams={num_beams} cannot be honoured: the pruning engine prunes the prompt of one "
            "sequence, and beam search runs the prefill on a batch of beams; use num_beams=1")
    top_p = gen_kwargs.get("top_p")
    top_k = gen_kwargs.get("top_k")
    if top_p is not None:
        top_p = _number("top_p", top_p, where)
        if not 0 < top_p <= 1:
            raise GenerationSettingsError(f"{where}: generation setting top_p must be in (0, 1], got {top_p}")
    if top_k is not None:
        top_k = _integer("top_k", top_k, where, 0)
    if sample:
        # what transformers would take from the checkpoint's generation_config: say so in the record
        top_p = top_p if top_p is not None else getattr(checkpoint_defaults, "top_p", None)
        top_k = top_k if top_k is not None else getattr(checkpoint_defaults, "top_k", None)
    else:
        # greedy decoding ignores them; recorded as None so the record cannot suggest otherwise
        top_p = top_k = None
    return {"do_sample": sample, "temperature": temperature if sample else 0.0, "top_p": top_p, "top_k": top_k,
            "num_beams": 1, "max_new_tokens": max_new_tokens, "until": until}


def generate_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``model.generate`` for :func:`generation_settings`' result."""
    args = {"max_new_tokens": settings["max_new_tokens"], "do_sample": settings["do_sample"], "num_beams": 1}
    if settings["do_sample"]:
        args["temperature"] = settings["temperature"]
        if settings["top_p"] is not None:
            args["top_p"] = settings["top_p"]
        if settings["top_k"] is not None:
            args["top_k"] = settings["top_k"]
    # greedy: do_sample=False is explicit, so a checkpoint generation_config that samples by
    # default cannot turn sampling on; transformers ignores temperature/top_p/top_k then
    return args
