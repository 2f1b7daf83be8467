"""Scoring: the shared parts (answer extraction, WER, classification metrics, the LLM judge
client) and the benchmarks' own re-implemented scorers (AudioMarathon's official rules,
MMAU-Pro's choice matching and instruction-following checkers), each in its own module.

Public entry points for other tasks (for example the synthetic benchmark):
:func:`headrouter_eval.scoring.choices.extract_choice`,
:func:`headrouter_eval.scoring.metrics.mcq_metrics` and the lmms-eval helpers in
:mod:`headrouter_eval.scoring.lmms`.
"""

from headrouter_eval.scoring.choices import PARSERS, extract_choice
from headrouter_eval.scoring.metrics import mcq_metrics

__all__ = ["PARSERS", "extract_choice", "mcq_metrics"]
