"""lmms-eval hooks for the AudioMarathon tasks: thin re-exports of
headrouter_eval.benchmarks.audiomarathon and the shared MCQ aggregations."""

from headrouter_eval.benchmarks.audiomarathon import (  # noqa: F401
    AudioMarathonTask,
    aggregate_asr_score,
    aggregate_wer,
    doc_to_target,
    doc_to_text,
    doc_to_visual,
    process_results,
)
from headrouter_eval.profiles.exclusion import excluding  # noqa: E402
from headrouter_eval.scoring.lmms import (  # noqa: F401
    aggregate_accuracy,
    aggregate_score,
    aggregate_unparseable,
)

AudioMarathonTask = excluding(AudioMarathonTask)  # noqa: F811  HeadRouter calibration items are never scored
