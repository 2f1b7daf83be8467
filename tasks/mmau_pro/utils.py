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
from headrouter_eval.profiles.exclusion import excluding  # noqa: E402

MMAUProTask = excluding(MMAUProTask)  # noqa: F811  HeadRouter calibration items are never scored
