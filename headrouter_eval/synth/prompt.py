"""The hr_synth prompt, exactly as the lmms-eval adapter builds it.

The adapter sends messages ``[system, user]``, the user content being the audio
items first and then the task text from ``doc_to_text``; the system prompt is the
task's ``generation_kwargs.system_prompt`` if set (hr_synth sets none), else Qwen's
default. Training uses this same function, so the trained model sees at train time
the very token sequence it gets at evaluation time.
"""

from __future__ import annotations

from headrouter_eval.synth.tasks import get_task

QWEN_DEFAULT_SYSTEM_PROMPT = (
    "You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving "
    "auditory and visual inputs, as well as generating text and speech."
)
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


def messages(task: str, n_audio: int = 1, system_prompt: str = QWEN_DEFAULT_SYSTEM_PROMPT) -> list[dict]:
    """Chat messages for one item (audio placeholders carry no data: the processor gets the arrays)."""
    audio = [{"type": "audio", "audio": None} for _ in range(n_audio)]
    return [
        {"role": "system", "content": [{"type": "text", "text": system_prompt}]},
        {"role": "user", "content": audio + [{"type": "text", "text": question_text(task)}]},
    ]


def prompt_text(processor, task: str) -> str:
    """The generation prompt string (before audio expansion) through the checkpoint's chat template."""
    return processor.apply_chat_template(messages(task), add_generation_prompt=True, tokenize=False)
