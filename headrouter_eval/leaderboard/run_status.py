"""The statuses a run can have in the results tooling (a leaf module: both the run reader and
the calibration check use them without importing each other)."""

COMPLETE = "complete"
FAILED = "failed"
INCOMPLETE = "incomplete"
# complete, but it scored an item a HeadRouter profile of the leaderboard held out for calibration
CONTAMINATED = "contaminated"
