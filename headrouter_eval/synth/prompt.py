"""The hr_synth question text; the prompt around it is the model family's own.

The adapter sends the family's prompt (``ModelFamily.prompt_inputs``): for the bundled
Qwen2.5-Omni model, messages ``[system, user]``, the user content being the audio
items first and then the task text from ``doc_to_text`` (:func:`question_text`).
Training builds its rows with ``headrouter_eval.synth.model_init.prompt_text``, which
goes through that same family code, so the trained model sees at train time the very
token sequence it gets at evaluation time. This module stays free of model code: the
task YAMLs' utilities import it.
"""

from __future__ import annotations

from headrouter_eval.synth.tasks import get_task

# Kept short on purpose: the byte-level tokenizer makes every character a token, and
# on the 1.5-3 s training crops the prompt text is most of the sequence.
ANSWER_INSTRUCTION = "Answer with the letter."


def question_text(task: str) -> str:
    """The user text of every item of ``task``: question, lettered options, instruction."""
    spec = get_task(task)
    lines = [spec.question]
    lines += [f"{letter}. {option}" for letter, option in zip(spec.letters, spec.options)]
    lines.append(ANSWER_INSTRUCTION)
    return "\n".join(lines)
