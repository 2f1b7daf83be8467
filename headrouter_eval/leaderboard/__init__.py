"""Results tooling: run grids through lmms-eval, tabulate them, plot them, guard them in CI.

One job per module; the commands are described in headrouter_eval/leaderboard/README.md.
"""
