"""Results tooling: read run folders, tabulate them, plot them, guard them in CI.

Running the grids is :mod:`headrouter_eval.sweep`'s job.

One job per module, each saying its own in its docstring; the commands are described in
headrouter_eval/leaderboard/README.md.
"""
