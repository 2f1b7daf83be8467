"""How far the robust mode departs from the official one, measured on the anchored corpus.

``python -m headrouter_eval.scoring.departures [--cases tests/data/scoring_cases]`` prints,
per task, how many replies the robust mode reads as the official code does
(agreement), how many it gets right where the official reading is wrong (rescued)
and how many the official reading gets right by a guess the robust mode declines
(lost). These are the numbers in the robust-mode table of tasks/README.md.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from headrouter_eval.scoring.am_official import label_of_letter
from headrouter_eval.scoring.choices import extract_choice
from headrouter_eval.scoring.instruction_following import check, normalise_kwargs
from headrouter_eval.scoring.wer import extract_transcript, sample_wer


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _official_letter(row: dict) -> str | None:
    return next((k for k in row["options"] if label_of_letter(row["task"], k, row["options"]) == row["official"]), None)


def audiomarathon_departures(path: Path) -> dict[str, dict[str, int]]:
    """Per task: total, agreement, rescued, lost (robust against the official anchors)."""
    out: dict[str, Counter] = {}
    for row in _rows(path):
        count = out.setdefault(row["task"], Counter())
        count["total"] += 1
        if row["task"] == "asr":
            official = row["official"]["wer"] if row["official"]["counted"] else None
            robust = sample_wer(row["reference"], extract_transcript(row["reply"], parser="robust"), parser="robust")
            count["agreement"] += official is not None and abs(robust - official) < 1e-9
            continue
        official = _official_letter(row)
        robust = extract_choice(row["reply"], row["options"], task=row["task"], parser="robust")
        count["agreement"] += robust == official
        count["rescued"] += robust == row["gold"] != official
        count["lost"] += official == row["gold"] != robust
    return {task: dict(counts) for task, counts in out.items()}


def instruction_departures(path: Path) -> dict[str, int]:
    rows = _rows(path)
    agree = sum(
        check(r["identifier"], r["reply"], normalise_kwargs(r["kwargs_raw"]), question=r["question"], strict=False)
        == r["official"]
        for r in rows
    )
    return {"total": len(rows), "agreement": agree}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=Path("tests/data/scoring_cases"))
    args = ap.parse_args(argv)
    for task, c in audiomarathon_departures(args.cases / "audiomarathon.jsonl").items():
        print(f"am_{task}: agreement {c.get('agreement', 0)}/{c['total']}, rescued {c.get('rescued', 0)}, "
              f"lost {c.get('lost', 0)}")
    c = instruction_departures(args.cases / "mmau_pro_if.jsonl")
    print(f"mmaupro_instruction_following: agreement {c['agreement']}/{c['total']}")


if __name__ == "__main__":
    main()
