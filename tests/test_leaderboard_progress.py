"""The items bar's counter, on files shaped as a running evaluation writes them, and a real child process."""

from __future__ import annotations

import json
import sys

from headrouter_eval.stats_writer import STATS_NAME
from headrouter_eval.sweep.progress import ItemCounter, run_with_progress


def test_counter_reads_the_bar_after_requests_start_and_the_stats_lines(tmp_path):
    log = tmp_path / "lmms_eval.log"
    log.write_text("Generating test split: 40 examples [00:00]\nLoading: 100%|##| 9000/9000 [00:01<00:00]\n")
    counter = ItemCounter(log, tmp_path, num_processes=2)
    assert counter.update() == (0, None)  # bars before the model runs are not items
    with log.open("a") as handle:
        handle.write("INFO Running generate_until requests\nfastv r=0.5:   2%| | 3/100 [00:01<00:30]\r"
                     "fastv r=0.5:   4%| | 4/100 [00:02<00:30]\r")
    assert counter.update() == (4, 200)  # rank 0's share times two processes
    results = tmp_path / "hr-synth-omni"  # where lmms-eval writes the results, and the adapter its stats
    results.mkdir()
    for rank, lines in ((0, 5), (1, 6)):
        (results / STATS_NAME.format(run_id="20261127_101500", rank=rank)).write_text(
            "".join(json.dumps({"task": "t", "doc_id": i}) + "\n" for i in range(lines)))
    assert counter.update() == (11, 200)  # every rank's finished samples


def test_run_with_progress_keeps_the_full_log_and_the_exit_code(tmp_path):
    script = ("import sys\nprint('Running generate_until requests', flush=True)\n"
              "for i in range(3): print(f'x: {i + 1}/3 [00:00]', flush=True)\nsys.exit(3)")
    log = tmp_path / "run.log"
    code = run_with_progress([sys.executable, "-c", script], log, tmp_path, "test", 1, enabled=True)
    assert code == 3
    assert "x: 3/3 [00:00]" in log.read_text()
