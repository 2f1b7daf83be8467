"""LLM judge for MMAU-Pro's open-ended questions, over any OpenAI-compatible endpoint.

The official judge (Qwen2.5-7B-Instruct, sampling at temperature 0.1, 512 new
tokens) gets the official prompt (:data:`JUDGE_PROMPT`, reproduced word for word)
and rates correctness, relevance, completeness and clarity from 1 to 5 plus an
OVERALL; the item score is OVERALL / 5, read as the official evaluator reads it
(:func:`parse_scores`). lmms-eval's own judge client reads its endpoint only
from environment variables (``OPENAI_API_URL``), which this project's rule
("configured through arguments") excludes, so this small client takes the URL and
model as task options and only the API key from an environment variable the user
names. A judge that cannot be reached raises :class:`JudgeError` and the caller
reports that item as not scored; a reply without ratings scores 3/5, as officially.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

# The official evaluator's judge prompt and system message; MMAU-Pro's open category
# passes task type "open", whose context phrase is fixed below. Reproduced word for
# word because the judge's ratings depend on the wording.
JUDGE_SYSTEM = "You are a helpful and objective evaluator."
JUDGE_CONTEXT = "general open-ended question answering"
JUDGE_PROMPT = """You are an expert evaluator for {context} tasks. Please evaluate the quality of a model's \
response to a question.

Question: {question}

Reference Answer: {reference}

Model Response: {prediction}

Please evaluate the model response on the following criteria and provide scores from 1-5 (where 5 is best):

1. **Correctness**: How factually accurate is the response compared to the reference?
2. **Relevance**: How well does the response address the specific question asked?
3. **Completeness**: Does the response cover all important aspects mentioned in the reference?
4. **Clarity**: How clear and well-structured is the response?

For each criterion, provide:
- A score from 1-5
- A brief justification (1-2 sentences)

Format your response as:

CORRECTNESS: [score] - [justification]
RELEVANCE: [score] - [justification] \n\
COMPLETENESS: [score] - [justification]
CLARITY: [score] - [justification]
OVERALL: [average score] - [overall assessment]"""
CRITERIA = ("correctness", "relevance", "completeness", "clarity")


class JudgeError(RuntimeError):
    """The judge could not be reached or its reply had no OVERALL rating."""


@dataclass(frozen=True)
class JudgeConfig:
    url: str
    model: str
    api_key_env: str | None = "OPENAI_API_KEY"
    temperature: float = 0.1
    timeout_s: float = 60.0
    max_tokens: int = 512  # the official judge's max_new_tokens

    @property
    def name(self) -> str:
        return f"llm_judge:{self.model}@{self.url}"


def parse_scores(text: str) -> dict[str, float]:
    """The ratings in a judge reply, as the official evaluator reads them.

    A criterion without a readable "NAME: <digits>" gets 3.0; OVERALL may carry a
    decimal, and when it is missing *or exactly 3.0* it is replaced by the mean of the
    four criteria (the official rule, which also overrides a genuine OVERALL of 3).
    """
    scores: dict[str, float] = {}
    for name in (*CRITERIA, "overall"):
        number = r"(\d+(?:\.\d+)?)" if name == "overall" else r"(\d+)"
        match = re.search(rf"{name.upper()}:\s*{number}", text or "", flags=re.I)
        scores[name] = float(match.group(1)) if match else 3.0
    if scores["overall"] == 3.0:
        scores["overall"] = sum(scores[c] for c in CRITERIA) / len(CRITERIA)
    return scores


def judge_prompt(question: str, reference: str, prediction: str) -> list[dict[str, str]]:
    """The chat messages the official evaluator sends to its judge."""
    body = JUDGE_PROMPT.format(context=JUDGE_CONTEXT, question=question, reference=reference, prediction=prediction)
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": body}]


def judge_open_answer(config: JudgeConfig, question: str, reference: str, prediction: str) -> float:
    """Item score: the judge's OVERALL rating (official reading) / 5."""
    body = {
        "model": config.model,
        "messages": judge_prompt(question, reference, prediction),
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
    }
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(config.api_key_env) if config.api_key_env else None
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        config.url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_s) as response:
            payload = json.loads(response.read().decode())
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise JudgeError(f"judge at {config.url} failed: {exc}") from exc
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise JudgeError(f"judge at {config.url} returned no message: {payload!r}") from exc
    if not isinstance(content, str):
        raise JudgeError(f"judge at {config.url} returned a non-text message: {content!r}")
    return parse_scores(content)["overall"] / 5.0
