"""lmms-eval hooks for the MMAU-Pro tasks: thin re-exports of headrouter_eval.benchmarks.mmau_pro."""

from headrouter_eval.benchmarks.mmau_pro import (  # noqa: F401
    MMAUProTask,
    aggregate_excluded,
    aggregate_score,
    aggregate_unknown,
    doc_to_target,
    doc_to_text,
    doc_to_visual,
    group_score,
    process_results,
)
