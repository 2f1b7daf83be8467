"""lmms-eval glue of the hr_synth tasks: everything lives in the package, imported here."""

from headrouter_eval.scoring.lmms import (  # noqa: F401
    aggregate_accuracy,
    aggregate_score,
    aggregate_unparseable,
)
from headrouter_eval.synth.lmms_task import (  # noqa: F401
    doc_to_target,
    doc_to_text,
    doc_to_visual,
    process_results,
)
