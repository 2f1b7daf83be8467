"""Prompt parity with AudioMarathon's own Qwen2.5-Omni scripts, byte for byte.

For every AudioMarathon task, hand-made records in the benchmark's metadata formats
(options with commas and newlines, a 5-choice SAR, a DESED ``choices`` dict) go through
this project's path: the task YAML, ``normalise_record`` + ``doc_to_text``, and the
Qwen2.5-Omni family's chat messages. The system text, the user text and the order of
the user content (audio, then text) must equal what the official script builds for
the same record. The official side is the committed corpus
``tests/data/prompt_parity/audiomarathon_official.json`` (made by running the scripts'
prompt code, see its ``note``); with ``--audiomarathon-clone PATH`` the official side is
recomputed from that clone (tests/official_am_prompts.py) and must also equal the corpus.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from headrouter_eval.benchmarks import audiomarathon as am  # noqa: E402
from headrouter_eval.benchmarks.am_selection import redecoded_prompt  # noqa: E402
from headrouter_eval.models.qwen_omni import FAMILY  # noqa: E402
from tests.official_am_prompts import official_messages, sent  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = json.loads((ROOT / "tests" / "data" / "prompt_parity" / "audiomarathon_official.json").read_text())
CASES = [(task, i) for task, rows in CORPUS["tasks"].items() for i in range(len(rows))]


def _yaml(task: str) -> dict:
    from lmms_eval import utils

    return utils.load_yaml_config(str(ROOT / "tasks" / "audiomarathon" / f"am_{task}.yaml"), mode="full")


def ours(task: str, record: dict, index: int = 0) -> dict:
    """What this project sends for ``record``: YAML + doc_to_text + the family's messages."""
    cfg = _yaml(task)
    doc = am.normalise_record(record, task, index=index, bases=[Path("/data")], source="parity")
    user = am.doc_to_text(doc, cfg["lmms_eval_specific_kwargs"]["default"])
    # As the adapter does: the task's system_prompt, else the family default.
    system = cfg["generation_kwargs"].get("system_prompt") or FAMILY.default_system_prompt
    return sent(FAMILY.messages(user, len(doc["audio"]), system))


def test_corpus_covers_every_task_with_the_hard_cases():
    assert set(CORPUS["tasks"]) == set(am.TASKS)
    assert all(len(rows) >= 3 for rows in CORPUS["tasks"].values())
    records = [r["record"] for rows in CORPUS["tasks"].values() for r in rows]
    texts = [str(v) for r in records for k, v in r.items() if k.startswith("choice_") or k == "options"]
    assert any("," in t for t in texts) and any("\n" in t for t in texts)
    assert all("choice_e" in r["record"] for r in CORPUS["tasks"]["sar"])
    assert all(isinstance(r["record"]["choices"], dict) for r in CORPUS["tasks"]["sed"])


@pytest.mark.parametrize(("task", "i"), CASES)
def test_same_system_and_user_as_the_official_script(task, i):
    row = CORPUS["tasks"][task][i]
    got = ours(task, row["record"], i)
    assert got["system"] == row["system"]
    assert got["user"] == row["user"]
    assert got["content_types"] == row["content_types"] == ["audio", "text"]


@pytest.mark.parametrize(("task", "i"), CASES)
def test_same_chat_template_text(task, i):
    """Both message shapes (the script's list-of-parts system message, our string) render alike."""
    from headrouter_eval.models.tiny.qwen_omni import build_tokenizer

    tok = build_tokenizer()
    row = CORPUS["tasks"][task][i]
    got = ours(task, row["record"], i)
    official = [{"role": "system", "content": [{"type": "text", "text": row["system"]}]},
                {"role": "user", "content": [{"type": "audio", "audio": "x"}, {"type": "text", "text": row["user"]}]}]
    mine = FAMILY.messages(got["user"], 1, got["system"])
    render = lambda m: tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True)  # noqa: E731
    assert render(mine) == render(official)
    # The official empty-reply re-decode (prompt + reply, special tokens skipped) is what
    # redecoded_prompt reproduces.
    ids = tok(render(mine), add_special_tokens=False)["input_ids"]
    decoded = tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    assert decoded == redecoded_prompt(got["system"], got["user"])


def test_recomputed_from_a_clone(request):
    clone = request.config.getoption("--audiomarathon-clone")
    if not clone:
        pytest.skip("no --audiomarathon-clone given; the committed corpus is checked above")
    for task, rows in CORPUS["tasks"].items():
        messages = official_messages(Path(clone), task, [r["record"] for r in rows])
        for i, (row, msg) in enumerate(zip(rows, messages)):
            official = sent(msg)
            assert official == {k: row[k] for k in ("system", "user", "content_types")}, (task, i)
            assert ours(task, row["record"], i) == official, (task, i)
