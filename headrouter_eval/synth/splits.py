"""Test recipes on disk and the separation of training seeds from test seeds.

Test item ``i`` of a task is ``make_recipe(task, seed=i, label=i % n_options)``
(classes exactly balanced) for ``i < TEST_SEED_LIMIT``. Training draws seeds from
``TRAIN_SEED_BASE`` upwards only; :func:`check_train_seed` enforces it, and
:func:`load_test_items` refuses a test file holding a seed from the training range.
"""

from __future__ import annotations

import json
from pathlib import Path

from headrouter_eval.synth.tasks import TASKS, get_task, make_recipe

TEST_DIR = Path(__file__).resolve().parent / "data" / "test"
TEST_SEED_LIMIT = 100_000
TRAIN_SEED_BASE = 1_000_000
DEFAULT_TEST_ITEMS = 40


def check_train_seed(seed: int) -> int:
    if seed < TRAIN_SEED_BASE:
        raise AssertionError(f"training seed {seed} is in the test range (< {TRAIN_SEED_BASE})")
    return seed


def test_item(task: str, index: int) -> dict:
    """One test row as the lmms-eval task reads it (the recipe stored as a JSON string)."""
    if not 0 <= index < TEST_SEED_LIMIT:
        raise ValueError(f"test index {index} outside [0, {TEST_SEED_LIMIT})")
    spec = get_task(task)
    recipe = make_recipe(task, index, label=index % len(spec.options))
    return {
        "id": f"{task}-{index:04d}",
        "task": task,
        "task_class": spec.task_class,
        "seed": index,
        "answer": recipe["answer"],
        "answer_text": spec.options[recipe["label"]],
        "options": list(spec.options),
        "duration": recipe["duration"],
        "recipe": json.dumps(recipe, sort_keys=True),
    }


def write_test_items(n_items: int = DEFAULT_TEST_ITEMS, out_dir: Path = TEST_DIR) -> list[Path]:
    """Write ``<task>.jsonl`` with ``n_items`` test rows for every task."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for task in TASKS:
        path = out_dir / f"{task}.jsonl"
        with path.open("w") as fh:
            for index in range(n_items):
                fh.write(json.dumps(test_item(task, index), sort_keys=True) + "\n")
        paths.append(path)
    return paths


def load_test_items(task: str, test_dir: Path = TEST_DIR) -> list[dict]:
    """The shipped test rows of ``task``; raises if one carries a training-range seed."""
    path = test_dir / f"{task}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"no test recipes for hr_synth task {task!r} at {path}")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    leaked = [r["id"] for r in rows if r["seed"] >= TRAIN_SEED_BASE]
    if leaked:
        raise AssertionError(f"test items {leaked[:5]} use training-range seeds")
    return rows
