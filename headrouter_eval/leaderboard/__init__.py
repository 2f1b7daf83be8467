"""Results tooling: run grids through lmms-eval, tabulate them, plot them, guard them in CI.

One job per module:

- :mod:`.sweep_config` - the sweep's YAML/flag configuration and its expansion into configurations
- :mod:`.sweep` - running the configurations through lmms-eval, resumably
- :mod:`.pruning_stats` - reading the pruning statistics our adapter writes
- :mod:`.run_record` - one run as read: configuration, status, scores, stats (the records only)
- :mod:`.runs` - reading run folders (lmms-eval results + stats) and judging them complete or failed
- :mod:`.run_identity` - what a run's numbers depend on, so only like is compared with like
- :mod:`.metric_choice` - which metric is "the score" of a task
- :mod:`.bootstrap` - one task's bootstrap interval from lmms-eval's per-sample logs
- :mod:`.board_intervals` - intervals for a whole leaderboard (scores, averages, differences from vanilla)
- :mod:`.integrity` - runs that scored a calibration item
- :mod:`.table` - the method x retention x task leaderboard (Markdown, CSV, JSON)
- :mod:`.reference` - the paper's vanilla reference numbers
- :mod:`.plot` - score against retention per method
- :mod:`.regress` - comparing a leaderboard with a committed baseline
- :mod:`.cli` - the ``sweep``, ``leaderboard`` and ``regress`` subcommands
"""
