"""lmms-eval hooks of the hr_synth tasks (``tasks/hr_synth/utils.py`` re-exports them).

Each doc is one row of ``tasks/hr_synth/data/test/<task>.jsonl``: the clip is
rebuilt from the row's recipe at load time, the prompt text is the task's question
and lettered options (always in the same order), and replies are scored with the
shared multiple-choice parser and metrics that AudioMarathon uses
(:mod:`headrouter_eval.scoring.lmms`, ``parser=robust``).
"""

from __future__ import annotations

import json
from typing import Any

from headrouter_eval.scoring.lmms import mcq_process_results
from headrouter_eval.synth import SAMPLE_RATE
from headrouter_eval.synth.prompt import question_text
from headrouter_eval.synth.render import render
from headrouter_eval.synth.tasks import LETTERS

# The replies of the bundled model are a bare letter; the robust parser also reads
# "The answer is B" as B, so a verbose model is not penalised for its wording.
PARSER = "robust"


def doc_to_visual(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The clip rebuilt from its recipe: one 16 kHz mono float32 audio item."""
    try:
        recipe = json.loads(doc["recipe"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"hr_synth doc {doc.get('id', '?')} has no readable 'recipe' ({exc})") from exc
    return [{"array": render(recipe), "sampling_rate": SAMPLE_RATE}]


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict | None = None) -> str:
    return question_text(doc["task"])


def doc_to_target(doc: dict[str, Any]) -> str:
    return doc["answer"]


def options_of(doc: dict[str, Any]) -> dict[str, str]:
    return dict(zip(LETTERS, doc["options"]))


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, Any]]:
    return mcq_process_results(results[0], options_of(doc), doc["answer"], task="generic", parser=PARSER)
