"""Results tooling: read run folders, tabulate them, plot them, guard them in CI.

Running the grids is :mod:`headrouter_eval.sweep`'s job.

One job per module:

- :mod:`.pruning_stats` - reading the pruning statistics our adapter writes
- :mod:`.run_record` - one run as read: configuration, status, scores, stats (the records only)
- :mod:`.run_status` - the statuses a run can have
- :mod:`.runs` - reading run folders (lmms-eval results + stats) and judging them complete or failed
- :mod:`.run_identity` - what a run's numbers depend on, so only like is compared with like
- :mod:`.metric_choice` - which metric is "the score" of a task
- :mod:`.bootstrap` - one task's bootstrap interval from lmms-eval's per-sample logs
- :mod:`.fast_aggregates` - vectorised twins of the aggregations the bootstrap runs most
- :mod:`.board_intervals` - intervals for a whole leaderboard (scores, averages, differences from vanilla)
- :mod:`.integrity` - runs that scored a calibration item
- :mod:`.table` - the method x retention x task leaderboard (Markdown, CSV, JSON)
- :mod:`.seeds` - the spread over a method's seeds
- :mod:`.export` - the tidy export, one row per score
- :mod:`.report` - a runs folder to its leaderboard files in one call
- :mod:`.reference` - the paper's vanilla reference numbers
- :mod:`.plot` - score against retention per method
- :mod:`.metric_names` - plain-words metric names for axis labels
- :mod:`.regress` - comparing a leaderboard with a committed baseline
- :mod:`.baseline_file` - the baseline file's schema
- :mod:`.cli` - the ``sweep``, ``leaderboard`` and ``regress`` subcommands
"""
