"""Running a grid of configurations through lmms-eval, resumably, one folder per configuration.

One job per module:

- :mod:`.config` - the sweep's YAML/flag configuration and its expansion into configurations
- :mod:`.runner` - running the configurations: manifests, resumability, move-aside, Ctrl-C
- :mod:`.lock` - one sweep per output folder
- :mod:`.progress` - the grid's and the running configuration's progress bars
- :mod:`.worker` - the grid worker: one process per grid that runs lmms-eval's command line
  for each configuration (imports and task index paid once, each checkpoint read once)
- :mod:`.worker_handle` - the runner's side of the worker

Reading what the runs wrote (run folders, scores, the leaderboard) is
:mod:`headrouter_eval.leaderboard`'s job; this package imports it, never the other way.
"""
