"""hr_synth as lmms-eval tasks: the YAMLs load, docs rebuild audio, replies score with the shared parser."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from headrouter_eval.synth.tasks import ALL_TASKS, BUSY_TASKS, DISPERSED_TASKS, TASKS

TASK_DIR = Path(__file__).resolve().parent.parent / "tasks" / "hr_synth"
SUBTASKS = sorted(f"hr_synth_{t}" for t in TASKS)
DISPERSED = sorted(["hr_synth_sequence", "hr_synth_equal", "hr_synth_mixed"])
UNSOLVED = sorted(f"hr_synth_{t}" for t in DISPERSED_TASKS if f"hr_synth_{t}" not in DISPERSED)
BUSY = sorted(f"hr_synth_{t}" for t in BUSY_TASKS)
DEMO = sorted(["hr_synth_busy_sequence", "hr_synth_busy_equal", "hr_synth_mixed"])


@pytest.fixture(scope="module", params=["hr_synth", "hr_synth_dispersed", "hr_synth_unsolved", "hr_synth_busy",
                                                   "hr_synth_demo"])
def task_dict(request):
    from lmms_eval.tasks import TaskManager, get_task_dict

    manager = TaskManager("ERROR", include_path=str(TASK_DIR), include_defaults=False)
    return get_task_dict([request.param], manager)


def test_group_loads_with_every_task(task_dict):
    (group, subtasks), = task_dict.items()
    assert sorted(subtasks) == {"hr_synth": SUBTASKS, "hr_synth_dispersed": DISPERSED, "hr_synth_unsolved": UNSOLVED,
                                "hr_synth_busy": BUSY, "hr_synth_demo": DEMO}[group.group_name]


def test_docs_audio_prompt_and_scoring(task_dict):
    (_, subtasks), = task_dict.items()
    for name, task in subtasks.items():
        docs = task.test_docs()
        assert len(docs) == 40, name
        doc = docs[5]
        (item,) = task.doc_to_visual(doc)
        assert item["sampling_rate"] == 16_000 and item["array"].dtype == np.float32
        text = task.doc_to_text(doc)
        options = [f"{letter}. {option}" for letter, option in zip("ABCDEFGH", doc["options"])]
        assert text.splitlines()[1:1 + len(options)] == options and len(options) >= 2, text
        assert task.config.generation_kwargs["max_new_tokens"] <= 5
        right = task.process_results(doc, [doc["answer"]])
        assert right["accuracy"] == {"pred": doc["answer"], "gold": doc["answer"], "parser": "robust",
                                     "average": "macro"}
        wrong_letter = "A" if doc["answer"] != "A" else "B"
        assert task.process_results(doc, [f"The answer is {wrong_letter}"])["accuracy"]["pred"] == wrong_letter
        assert task.process_results(doc, ["???"])["accuracy"]["pred"] is None  # "no idea" would read as "no"


def test_every_task_has_its_yaml_and_calibration_yaml():
    for task in ALL_TASKS:
        assert f"task: hr_synth_{task}\n" in (TASK_DIR / f"hr_synth_{task}.yaml").read_text()
        assert f"test: data/calibration/{task}.jsonl" in (TASK_DIR / f"hr_synth_calib_{task}.yaml").read_text()


def test_names_do_not_collide_with_lmms_eval_builtins():
    import lmms_eval

    builtin = set()
    for path in Path(lmms_eval.__file__).parent.joinpath("tasks").rglob("*.yaml"):
        builtin.update(re.findall(r"^(?:task|group):\s*([\w\-]+)\s*$", path.read_text(errors="ignore"), re.M))
    ours = {"hr_synth", "hr_synth_dispersed", "hr_synth_unsolved", "hr_synth_busy", "hr_synth_demo",
            *SUBTASKS, *DISPERSED, *UNSOLVED, *BUSY}
    assert not ours & builtin
