"""Running a grid of configurations through lmms-eval, resumably, one folder per configuration.

One job per module:

- :mod:`.config` - the sweep's YAML/flag configuration and its expansion into configurations
- :mod:`.runner` - running the configurations: manifests, resumability, move-aside, Ctrl-C
- :mod:`.lock` - one sweep per output folder
- :mod:`.progress` - the grid's and the running configuration's progress bars

Reading what the runs wrote (run folders, scores, the leaderboard) is
:mod:`headrouter_eval.leaderboard`'s job; this package imports it, never the other way.
"""
