"""Run the prompt code of AudioMarathon's own Qwen2.5-Omni scripts on hand-made records.

Used by tests/test_prompt_parity.py (with a local clone of DabDans/AudioMarathon given
by ``--audiomarathon-clone``) and to make the committed corpus
``tests/data/prompt_parity/audiomarathon_official.json`` (see its ``note``). Nothing of
the benchmark is stored here: the scripts are read from the clone at run time.

How: each script ``src/Qwen_2.5_Omni/Others/<X>_qwen2.5.py`` is parsed (never
imported: it loads a model at import). Its prompt builder functions
(``create_race_prompt`` ...) are executed as written; from the body of ``main``'s
per-sample loop, the statements that build the prompt (assignments to ``instruction``,
``prompt_text``, ``task_instruction``, ``full_user_prompt``, ``sys_prompt``, ...,
the option loops, and ``messages``) are executed in order with the loop variable bound
to the record as the script's loader hands it over (:func:`loader_view`). Any other
name those statements read (audio paths, arrays) is a placeholder. The ``messages``
list the script would send is the result.
"""

from __future__ import annotations

import ast
import builtins
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCRIPTS = {
    "asr": "LibriSpeech", "scr": "race", "ser": "SLUE", "asc": "TAU", "mc": "GTZAN",
    "sed": "DESED", "er": "VESUS", "sd": "HAD", "sar": "Vox_age", "sgr": "Vox",
}
SCRIPT_DIR = "src/Qwen_2.5_Omni/Others"
BUILDERS = ("create_race_prompt", "create_slue_prompt", "create_qa_prompt", "create_emotion_prompt",
            "create_age_prompt", "asr_doc_to_text", "create_gtzan_prompt")
PROMPT_NAMES = {"instruction", "format_text", "formatted_options", "options", "question", "prompt_text",
                "task_instruction", "full_user_prompt", "qwen_intro", "task_prompt", "sys_prompt", "messages"}


def loader_view(task: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The sample dict each script's loader builds from a metadata record (prompt fields only)."""
    rec = dict(record)
    if task == "sed":  # DESED: choices dict -> choice_a..choice_d, "" for a missing letter
        choices = rec.get("choices", {})
        rec.update({f"choice_{k.lower()}": choices.get(k, "") for k in "ABCD"})
    if task == "sd":  # HAD: no metadata; the loader builds the sample from the folder name
        rec = {"audio_path": rec["path"], "label": rec["label"], "answer_gt": rec["label"],
               "choice_a": "real", "choice_b": "fake"}
    if task in ("sgr", "sar"):
        rec["wav_path"] = rec["path"]
    return rec


def _main_loop(tree: ast.Module) -> ast.For:
    main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
    loops = [n for n in ast.walk(main) if isinstance(n, ast.For) and any(
        isinstance(s, ast.Assign) and any(getattr(t, "id", None) == "messages" for t in s.targets)
        for s in ast.walk(n))]
    return min(loops, key=lambda n: sum(1 for _ in ast.walk(n)))  # the innermost per-sample loop


def _prompt_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    kept: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.Try, ast.With)):
            kept += _prompt_statements(stmt.body)
        elif isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) and t.id in PROMPT_NAMES
                                                   for t in stmt.targets):
            kept.append(stmt)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id in PROMPT_NAMES:
            kept.append(stmt)
        elif isinstance(stmt, ast.For) and any(isinstance(s, (ast.Assign, ast.AugAssign)) and
                                               getattr(getattr(s, "target", None), "id", None) == "formatted_options"
                                               for s in ast.walk(stmt)):
            kept.append(stmt)
        if any(isinstance(s, ast.Assign) and any(getattr(t, "id", None) == "messages" for t in s.targets)
               for s in kept[-1:]):
            break
    return kept


class _Names(dict):
    """Local names of the executed statements: anything unknown is a placeholder string."""

    def __init__(self, module_globals: dict[str, Any]) -> None:
        super().__init__()
        self.module_globals = module_globals

    def __missing__(self, key: str) -> Any:
        if key in self.module_globals:
            return self.module_globals[key]
        if hasattr(builtins, key):
            return getattr(builtins, key)
        return f"<{key}>"


def official_messages(clone: Path, task: str, records: list[Mapping[str, Any]]) -> list[list[dict]]:
    """The ``messages`` the official script builds for each record of ``task``."""
    path = Path(clone) / SCRIPT_DIR / f"{SCRIPTS[task]}_qwen2.5.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_globals: dict[str, Any] = {"os": os, "re": re, "__builtins__": builtins}
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in BUILDERS]
    exec(compile(ast.Module(body=defs, type_ignores=[]), str(path), "exec"), module_globals)  # noqa: S102
    loop = _main_loop(tree)
    target = loop.target.elts[-1] if isinstance(loop.target, ast.Tuple) else loop.target
    code = compile(ast.Module(body=_prompt_statements(loop.body), type_ignores=[]), str(path), "exec")
    out = []
    for record in records:
        names = _Names(module_globals)
        names[target.id] = loader_view(task, record)
        exec(code, module_globals, names)  # noqa: S102
        out.append(names["messages"])
    return out


def sent(messages: list[dict]) -> dict[str, Any]:
    """System text, user text and the order of the user content items of one request."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else None
    if isinstance(system, list):
        system = "".join(part["text"] for part in system if part["type"] == "text")
    user = messages[-1]["content"]
    return {
        "system": system,
        "user": "".join(part["text"] for part in user if part["type"] == "text"),
        "content_types": [part["type"] for part in user],
    }


LOADERS = {"er": "load_vesus_dataset", "sd": "load_had_dataset", "sgr": "load_concatenated_audio_dataset"}


def official_loaded(clone: Path, task: str, source: Path) -> list[dict]:
    """The samples the official loader of ``task`` returns for ``source`` (VESUS: the JSON
    file; HAD: the folder holding real/ and fake/; Vox: the folder holding
    gender_id_task_meta.json and wav/), with ``random.seed(42)`` set just before, as the
    script's import does."""
    import glob
    import json
    import random
    from collections import defaultdict

    path = Path(clone) / SCRIPT_DIR / f"{SCRIPTS[task]}_qwen2.5.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == LOADERS[task]]
    namespace: dict[str, Any] = {"os": os, "glob": glob, "json": json, "random": random,
                                 "defaultdict": defaultdict, "print": lambda *a, **k: None}
    exec(compile(ast.Module(body=defs, type_ignores=[]), str(path), "exec"), namespace)  # noqa: S102
    random.seed(42)
    return namespace[LOADERS[task]](str(source))
