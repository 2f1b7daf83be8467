"""Benchmark-independent scoring: answer extraction, WER, classification metrics,
instruction-following checkers, MMAU-Pro choice matching and the LLM judge client.

Public entry points for other tasks (for example the synthetic benchmark):
:func:`headrouter_eval.scoring.choices.extract_choice`,
:func:`headrouter_eval.scoring.metrics.mcq_metrics` and the lmms-eval helpers in
:mod:`headrouter_eval.scoring.lmms`.
"""

from headrouter_eval.scoring.choices import PARSERS, extract_choice
from headrouter_eval.scoring.metrics import mcq_metrics

__all__ = ["PARSERS", "extract_choice", "mcq_metrics"]
