"""Results tooling: read run folders, tabulate them, plot them, guard them in CI.

Running the grids is :mod:`headrouter_eval.sweep`'s job.

One job per module:

- :mod:`.stats` - reading the pruning statistics our adapter writes
- :mod:`.runs` - reading run folders (lmms-eval results + stats) and judging them complete or failed
- :mod:`.scoring` - which metric is "the score" of a task
- :mod:`.table` - the method x retention x task leaderboard (Markdown, CSV, JSON)
- :mod:`.reference` - the paper's vanilla reference numbers
- :mod:`.plot` - score against retention per method
- :mod:`.regress` - comparing a leaderboard with a committed baseline
- :mod:`.cli` - the ``sweep``, ``leaderboard`` and ``regress`` subcommands
"""
