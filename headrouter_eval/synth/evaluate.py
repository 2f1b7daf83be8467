"""Score a thinker on the shipped hr_synth test items, vanilla or with the events erased.

This is the training script's own check (and the erased-segment control): greedy
decoding on the prompt the lmms-eval adapter builds, an item counting as correct
only when the reply is exactly the answer letter. That is stricter than the shared
AudioMarathon-style parser the lmms-eval task scores with, so these accuracies are
a lower bound of what the task reports for the same model.
"""

from __future__ import annotations

import json

import torch

from headrouter_eval.synth.model_init import check_whole_clips, prompt_text
from headrouter_eval.synth.render import render
from headrouter_eval.synth.splits import load_test_items
from headrouter_eval.synth.tasks import get_task

MAX_NEW_TOKENS = 4


@torch.no_grad()
def evaluate(thinker: torch.nn.Module, processor, tasks: list[str], *, erase: bool = False,
             limit: int | None = None) -> dict[str, dict]:
    """Per task: accuracy (0-100), chance level, item count and how many replies were not a bare letter."""
    report = {}
    for task in tasks:
        rows = load_test_items(task)[:limit]
        correct = not_letter = 0
        for row in rows:
            reply = generate_reply(thinker, processor, task, render(json.loads(row["recipe"]), erase=erase))
            correct += reply == row["answer"]
            not_letter += reply not in get_task(task).letters
        report[task] = {
            "accuracy": round(100.0 * correct / len(rows), 2),
            "chance": round(100.0 / len(get_task(task).options), 2),
            "n": len(rows),
            "not_a_letter": not_letter,
        }
    return report


def generate_reply(thinker: torch.nn.Module, processor, task: str, wav) -> str:
    """Greedy reply of ``thinker`` to one clip, special tokens removed, stripped."""
    check_whole_clips(processor, [wav], f"hr_synth evaluation of {task}")
    inputs = processor(text=[prompt_text(processor, task)], audio=[wav], return_tensors="pt")
    out = thinker.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
    return processor.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()
