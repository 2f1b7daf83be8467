"""lmms-eval glue of the hr_synth tasks: everything lives in the package, imported here."""

from lmms_eval.api.task import ConfigurableTask

from headrouter_eval.profiles.exclusion import excluding
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

# lmms-eval's own task class, minus any item a HeadRouter profile holds out for calibration
HrSynthTask = excluding(ConfigurableTask)
