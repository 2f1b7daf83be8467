"""The two benchmarks as lmms-eval tasks: data loading (every documented record
layout), prompts and scoring glue. The task YAMLs under ``tasks/`` point here
through thin ``utils.py`` wrappers."""
