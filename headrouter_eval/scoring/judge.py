"""LLM judge for MMAU-Pro's open-ended questions, over any OpenAI-compatible endpoint.

The official judge (Qwen2.5-7B-Instruct at temperature 0.1) rates correctness,
relevance, completeness and clarity from 1 to 5 and gives an OVERALL rating; the
item score is OVERALL / 5. lmms-eval's own judge client reads its endpoint only
from environment variables (``OPENAI_API_URL``), which this project's rule
("configured through arguments") excludes, so this small client takes the URL and
model as task options and only the API key from an environment variable the user
names. A judge reply without a readable OVERALL rating raises :class:`JudgeError`;
the caller reports that item as not scored.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

JUDGE_PROMPT = """You are an expert judge of answers to questions about audio.
Question: {question}
Reference answer: {reference}
Model answer: {prediction}

Rate the model answer from 1 (worst) to 5 (best) on each criterion, comparing it with the reference.
Reply with exactly these five lines:
CORRECTNESS: <1-5>
RELEVANCE: <1-5>
COMPLETENESS: <1-5>
CLARITY: <1-5>
OVERALL: <1-5>"""


class JudgeError(RuntimeError):
    """The judge could not be reached or its reply had no OVERALL rating."""


@dataclass(frozen=True)
class JudgeConfig:
    url: str
    model: str
    api_key_env: str | None = "OPENAI_API_KEY"
    temperature: float = 0.1
    timeout_s: float = 60.0
    max_tokens: int = 128

    @property
    def name(self) -> str:
        return f"llm_judge:{self.model}@{self.url}"


def parse_overall(text: str) -> int:
    """The OVERALL rating (1-5) in a judge reply."""
    match = re.search(r"overall(?:\s+(?:rating|score))?\W{0,5}\s*([1-5])(?:\.\d+)?\b", text or "", flags=re.I)
    if not match:
        raise JudgeError(f"judge reply has no OVERALL rating 1-5: {text!r}")
    return int(match.group(1))


def judge_open_answer(config: JudgeConfig, question: str, reference: str, prediction: str) -> float:
    """Item score in [0.2, 1.0]: the judge's OVERALL rating / 5."""
    prompt = JUDGE_PROMPT.format(question=question, reference=reference, prediction=prediction)
    body = {
        "model": config.model,
        "messages": [{"role": "user", "content": prompt}],
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
    return parse_overall(content) / 5.0
