"""Test recipes on disk and the separation of training seeds from test seeds.

Test item ``i`` of a task is ``make_recipe(task, seed=i, label=i % n_options)``
(classes exactly balanced) for ``i < TEST_SEED_LIMIT``. Training draws seeds from
``TRAIN_SEED_BASE`` upwards only; :func:`check_train_seed` enforces it, and
:func:`load_test_items` refuses a test file holding a seed from the training range.
"""

from __future__ import annotations

import json
from pathlib import Path

from headrouter_eval.synth.tasks import ALL_TASKS, get_task, make_recipe

# The recipes live beside the task YAMLs that read them (tasks/hr_synth/data), so the YAMLs'
# relative data_files paths hold in a checkout and in an installed wheel alike.
TASK_DATA_DIR = Path(__file__).resolve().parents[1] / "tasks" / "hr_synth" / "data"
TEST_DIR = TASK_DATA_DIR / "test"
CALIBRATION_DIR = TASK_DATA_DIR / "calibration"
TEST_SEED_LIMIT = 100_000
# HeadRouter's profile of the bundled model is calibrated on items of their own, never on
# test items (and never on training items): seeds [CALIBRATION_SEED_BASE, TRAIN_SEED_BASE).
CALIBRATION_SEED_BASE = 500_000
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
    return _row(task, index, index, f"{task}-{index:04d}")


def calibration_item(task: str, index: int) -> dict:
    """One calibration row: like a test row, from the calibration seed range."""
    return _row(task, CALIBRATION_SEED_BASE + index, index, f"{task}-cal{index:03d}")


def _row(task: str, seed: int, index: int, row_id: str) -> dict:
    spec = get_task(task)
    recipe = make_recipe(task, seed, label=index % len(spec.options))
    return {
        "id": row_id,
        "task": task,
        "task_class": spec.task_class,
        "seed": seed,
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
    for task in ALL_TASKS:
        path = out_dir / f"{task}.jsonl"
        with path.open("w") as fh:
            for index in range(n_items):
                fh.write(json.dumps(test_item(task, index), sort_keys=True) + "\n")
        paths.append(path)
    return paths


# the bundled profiles are calibrated on 16 items per calibration task (headrouter-eval calibrate --per-class 16)
CALIBRATION_ITEMS = 16


def write_calibration_items(n_items: int = CALIBRATION_ITEMS, out_dir: Path = CALIBRATION_DIR) -> list[Path]:
    """Write ``<task>.jsonl`` with ``n_items`` calibration rows for every task, multi-event ones included."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for task in ALL_TASKS:
        path = out_dir / f"{task}.jsonl"
        rows = [calibration_item(task, index) for index in range(n_items)]
        path.write_text("".join(json.dumps(row, sort_keys=True) + "\n" for row in rows))
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
