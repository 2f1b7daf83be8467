"""Differential anchors: the official scorers' answers for every case of the scoring corpus.

Run with local clones (or bare git directories) of the two benchmarks' repositories::

    python -m headrouter_eval.scoring.anchors \\
        --audiomarathon /src/AudioMarathon --mmaupro /src/MMAUPro \\
        --cases tests/data/scoring_cases

Nothing of the official code is stored in this project: the needed function
definitions are read from the clones at run time (``git show HEAD:<path>`` for a
bare directory), pulled out of the module by their names with :mod:`ast` (the
modules themselves import GPU-only packages and cannot be imported here), and
executed in a fresh namespace. The few steps the official main loops perform
around those functions (cutting the decoded text after the last "assistant\\n",
``str()`` on an instruction reply, leaving empty transcripts out of the WER mean)
are mirrored in :func:`_am_case` and :func:`_if_case` and named there.

Each case file line gets an ``official`` field (rewritten in place); the tests in
``tests/test_scoring_anchors.py`` then require the default (official) mode to agree
on every case without needing the clones.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

AM_DIR = "src/Qwen_2.5_Omni/Others"
# task -> (script, extractor function, metric function)
AM_SCRIPTS = {
    "scr": ("race_qwen2.5.py", "clean_text_response", "calculate_race_metrics"),
    "ser": ("SLUE_qwen2.5.py", "extract_answer_choice", "calculate_slue_metrics"),
    "sed": ("DESED_qwen2.5.py", "extract_answer_choice", "calculate_desed_metrics"),
    "asc": ("TAU_qwen2.5.py", "extract_acoustic_scene_answer", "calculate_acoustic_metrics"),
    "mc": ("GTZAN_qwen2.5.py", "extract_gtzan_answer", "calculate_gtzan_metrics"),
    "er": ("VESUS_qwen2.5.py", "extract_emotion_answer", "calculate_emotion_metrics"),
    "sd": ("HAD_qwen2.5.py", "extract_authenticity_answer", "calculate_had_metrics"),
    "sar": ("Vox_age_qwen2.5.py", "extract_age_answer", "calculate_age_classification_metrics"),
    "sgr": ("Vox_qwen2.5.py", "extract_gender_answer", "calculate_metrics"),
    "asr": ("LibriSpeech_qwen2.5.py", "clean_response", "calculate_wer"),
}
# Scripts whose main loop keeps only the text after the last "assistant\n" (stripped).
AM_TRIMS = {"sed", "asc", "mc", "er", "sd", "asr"}
MMAU_FILE = "evaluate_mmau_pro_comprehensive.py"


def read_source(repo: Path, path: str) -> str:
    """A file of a clone: from its work tree, or from HEAD of a bare git directory."""
    work = repo / path
    if work.is_file():
        return work.read_text(encoding="utf-8")
    try:
        return subprocess.run(
            ["git", f"--git-dir={repo}", "show", f"HEAD:{path}"],
            check=True, capture_output=True, text=True,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        raise FileNotFoundError(f"{path} not found in {repo} (neither a work tree nor a git directory)") from exc


def load_functions(source: str, names: Iterable[str], namespace: dict[str, Any], where: str) -> dict[str, Any]:
    """Execute only the top-level ``def``s called ``names`` (the last one of a name wins, as on import)."""
    wanted = set(names)
    tree = ast.parse(source)
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in wanted]
    missing = wanted - {d.name for d in defs}
    if missing:
        raise LookupError(f"{where}: no top-level function(s) {sorted(missing)}")
    module = ast.Module(body=defs, type_ignores=[])
    exec(compile(module, where, "exec"), namespace)  # noqa: S102 - the point of the tool
    return {name: namespace[name] for name in wanted}


def _official_namespace() -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import (
        accuracy_score,
        classification_report,
        f1_score,
        precision_recall_fscore_support,
        precision_score,
        recall_score,
    )

    return {"re": re, "np": np, "accuracy_score": accuracy_score, "f1_score": f1_score,
            "precision_score": precision_score, "recall_score": recall_score,
            "precision_recall_fscore_support": precision_recall_fscore_support,
            "classification_report": classification_report, "__name__": "official"}


def _trim(text: str) -> str:
    if "assistant\n" in text:
        text = text[text.rfind("assistant\n") + len("assistant\n"):].strip()
    return text


def _am_case(case: dict, fns: dict[str, Any]) -> Any:
    """The official answer for one AudioMarathon case, with its main loop's steps around it."""
    task, reply, opts = case["task"], case["reply"], case.get("options", {})
    if task in AM_TRIMS:
        reply = _trim(reply).strip()  # the main loop cuts and strips before extracting
    fn = fns[task]
    if task == "asr":
        hyp = fn(reply)
        return {"hyp": hyp, "wer": fns["asr_wer"](case["reference"], hyp) / 100.0,
                "counted": bool(case["reference"] and hyp)}
    if task == "asc":
        return fn(reply, [opts.get(k, "") for k in "ABCD"])
    if task == "er":
        return fn(reply, {f"choice_{k.lower()}": opts.get(k, "") for k in "ABCD"})
    if task == "sar":
        return fn(reply, {f"choice_{k.lower()}": opts[k] for k in "ABCDE"})
    if task == "sgr":
        return fn(reply, opts.get("A", "male"), opts.get("B", "female"))
    return fn(reply)  # scr, ser, sed, mc, sd (HAD passes no choices: its defaults real/fake)


def _am_metric(task: str, cases: list[dict], fn: Any) -> float:
    """The official task F1 (0-100) over the corpus's cases of ``task`` with their golds."""
    preds = [c["official"] for c in cases]
    golds = [c["gold_label"] for c in cases]
    if task == "asc":
        # The TAU script stores "ERROR" for an empty extraction and uses the gold set.
        out = fn([p if p else "ERROR" for p in preds], golds, list(set(golds)))
    elif task == "er":
        out = fn(preds, golds, list(set(golds)))
    elif task == "sar":
        out = fn(golds, preds, sorted(set(golds)))
    elif task in ("ser", "sgr"):
        out = fn(preds, golds)
    else:
        out = fn(golds, preds)
    key = {"ser": "f1_score", "asc": "f1_score", "er": "f1_score", "sgr": "f1_score"}.get(task, "f1_macro")
    return 100.0 * float(out[key])


def _punkt_data_dir(root: Path) -> Path:
    """An nltk_data folder holding the English punkt_tab model from the installed package."""
    from punkt.data import english

    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True)
    (folder / "abbrev_types.txt").write_text("\n".join(sorted(english.ABBREV_TYPES)) + "\n")
    (folder / "sent_starters.txt").write_text("\n".join(sorted(english.SENT_STARTERS)) + "\n")
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(english.COLLOCATIONS)))
    (folder / "ortho_context.tab").write_text("".join(f"{k}\t{v}\n" for k, v in sorted(english.ORTHO_CONTEXT.items())))
    return root


def _if_case(case: dict, evaluate: Any) -> bool:
    # The official main loop: str() of the reply, and the row's question as the prompt to repeat.
    sample = {"task_identifier": case["identifier"], "kwargs": case["kwargs"], "prompt_transcription": case["question"]}
    return bool(evaluate(str(case["reply"]), sample))


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def anchor_audiomarathon(repo: Path, cases_path: Path) -> dict[str, float]:
    fns: dict[str, Any] = {}
    for task, (script, extractor, metric) in AM_SCRIPTS.items():
        ns = _official_namespace()
        names = [extractor, metric] + (["standardize_text"] if task == "asr" else [])
        loaded = load_functions(read_source(repo, f"{AM_DIR}/{script}"), names, ns, script)
        fns[task] = loaded[extractor]
        fns[f"{task}_metric"] = loaded[metric]
    fns["asr_wer"] = fns["asr_metric"]
    rows = _read_jsonl(cases_path)
    for row in rows:
        row["official"] = _am_case(row, fns)
    by_task: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_task[row["task"]].append(row)
    metrics = {t: _am_metric(t, cs, fns[f"{t}_metric"]) for t, cs in by_task.items() if t != "asr"}
    _write_jsonl(cases_path, rows)
    return metrics


def anchor_mmau_if(repo: Path, cases_path: Path) -> None:
    import nltk
    from nltk.tokenize import sent_tokenize

    with tempfile.TemporaryDirectory() as tmp:
        nltk.data.path.insert(0, str(_punkt_data_dir(Path(tmp))))
        try:
            ns = _official_namespace() | {"sent_tokenize": sent_tokenize}
            names = ["count_words", "count_sentences", "count_paragraphs", "count_bullet_points",
                     "count_highlighted_sections", "count_placeholders", "count_capital_words",
                     "count_keyword_frequency", "has_title", "has_postscript", "starts_with_phrase",
                     "ends_with_phrase", "is_wrapped_in_quotes", "has_no_commas", "check_sections",
                     "evaluate_aif_sample"]
            evaluate = load_functions(read_source(repo, MMAU_FILE), names, ns, MMAU_FILE)["evaluate_aif_sample"]
            rows = _read_jsonl(cases_path)
            for row in rows:
                row["official"] = _if_case(row, evaluate)
        finally:
            nltk.data.path.remove(str(Path(tmp)))
    _write_jsonl(cases_path, rows)


def anchor_mmau_judge(repo: Path, cases_path: Path) -> None:
    """The official judge prompt (task type "open") and the official reading of each judge reply."""
    names = ["create_evaluation_prompt", "extract_scores_from_evaluation"]
    fns = load_functions(read_source(repo, MMAU_FILE), names, _official_namespace(), MMAU_FILE)
    rows = _read_jsonl(cases_path)
    for row in rows:
        prompt = fns["create_evaluation_prompt"](row["question"], row["reference"], row["prediction"], "open")
        row["official"] = {"prompt": prompt,
                           "overall": float(fns["extract_scores_from_evaluation"](row["judge_reply"])["overall"])}
    _write_jsonl(cases_path, rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audiomarathon", type=Path, required=True,
                    help="clone (or bare git dir) of DabDans/AudioMarathon")
    ap.add_argument("--mmaupro", type=Path, required=True, help="clone (or bare git dir) of sonalkum/MMAUPro")
    ap.add_argument("--cases", type=Path, default=Path("tests/data/scoring_cases"))
    args = ap.parse_args(argv)
    metrics = anchor_audiomarathon(args.audiomarathon, args.cases / "audiomarathon.jsonl")
    (args.cases / "audiomarathon_metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    anchor_mmau_if(args.mmaupro, args.cases / "mmau_pro_if.jsonl")
    anchor_mmau_judge(args.mmaupro, args.cases / "mmau_pro_judge.jsonl")
    print(f"anchored {args.cases}: AudioMarathon task F1 {metrics}")


if __name__ == "__main__":
    main()
