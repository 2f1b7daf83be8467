"""Calibration integrity of a leaderboard: runs that scored a calibration item, and what was held out.

HeadRouter profiles (format version 2) record every item held out for their calibration.
Every run writes the stable ids of each item it scored into its pruning stats (its content
id, and its task-name id for profiles calibrated before content ids), and every
HeadRouter run the profile it used. A run of *any* method in the leaderboard that scored
an item some profile of the leaderboard holds out is marked ``contaminated``: listed with
the reason, never averaged, so HeadRouter and its baselines are compared only on items
calibration never saw. A version-1 profile has no such record; its runs get a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from headrouter_eval.jsonl import read_json_object
from headrouter_eval.leaderboard.run_record import Run
from headrouter_eval.leaderboard.run_status import COMPLETE, CONTAMINATED
from headrouter_eval.profiles.format import ProfileError, load_profile
from headrouter_eval.profiles.holdout import CONTENT_RULE

__all__ = ["CONTAMINATED", "held_out_notes", "mark_contaminated"]


def _held_out_by_profile(runs: list[Run], extra: Iterable[str | Path] = ()
                         ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Item id -> the profile holding it out, over every profile used by a run and the ``extra``
    ones, for content-id profiles and for task-name-id (older) profiles; and the profiles without a record."""
    content: dict[str, str] = {}
    legacy: dict[str, str] = {}
    unverifiable = []
    used = {p for run in runs if run.stats for p in run.stats.profiles}
    for path in sorted(used | {str(Path(p).resolve()) for p in extra}):
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            unverifiable.append(f"{path} ({exc})")
            continue
        if profile.format_version < 2:
            unverifiable.append(f"{path} (format version {profile.format_version}: no held-out record)")
        held = content if profile.id_rule == CONTENT_RULE else legacy
        for ids in profile.held_out_items.values():
            held.update({item: path for item in ids})
    return content, legacy, unverifiable


def mark_contaminated(runs: list[Run], profiles: Iterable[str | Path] = ()) -> list[Run]:
    """Set ``status=contaminated`` on complete runs that scored an item a profile of these runs, or
    one of ``profiles`` (``leaderboard --profiles``, whichever folder its runs are in), holds out.

    A run records, per item scored, its content id (matched against ``id_rule: content-v1``
    profiles: whatever the task was called) and its task-name id (matched against older profiles,
    which therefore catch their items only under the task names they were calibrated on).
    A named profile that cannot be read is an error: the check it asks for could not be made.
    """
    for path in profiles:
        try:
            load_profile(path)
        except ProfileError as exc:
            raise ValueError(f"--profiles {path}: {exc}") from exc
    content, legacy, _ = _held_out_by_profile(runs, profiles)
    for run in runs:
        if run.status != COMPLETE or run.stats is None:
            continue
        # a run from before content ids recorded the task-name id as its "item"
        by_legacy = {item: legacy[item] for item in (run.stats.legacy_items | run.stats.items) & legacy.keys()}
        by_content = {item: content[item] for item in run.stats.items & content.keys()}
        leaked = {**by_content, **by_legacy}
        if leaked:
            first = sorted(leaked)[0]
            holders = sorted(set(leaked.values()))
            run.status = CONTAMINATED
            run.problem = (f"scored {len(leaked)} item(s) held out to calibrate {', '.join(holders)} "
                           f"(first: {first}); re-run with the task key exclude_calibration "
                           "naming the profile (a bundled task's YAML, or any task wrapped by ExcludingTask)")
    return runs


def held_out_notes(runs: list[Run]) -> list[str]:
    """Per task, how many items evaluation excluded as calibration items (from the results files)."""
    excluded: dict[str, set[int]] = {}
    for run in runs:
        if run.status != COMPLETE or run.results_file is None:
            continue
        configs = read_json_object(run.results_file).get("configs") or {}
        for task, config in configs.items():
            held = ((config or {}).get("metadata") or {}).get("held_out")
            if isinstance(held, dict) and "excluded" in held:
                excluded.setdefault(task, set()).add(int(held["excluded"]))
    notes = []
    if excluded:
        parts = [f"{task} {'/'.join(str(n) for n in sorted(counts))}" for task, counts in sorted(excluded.items())]
        notes.append("Items held out for HeadRouter calibration and excluded from every method's scores: "
                     + ", ".join(parts) + ".")
    *_, unverifiable = _held_out_by_profile(runs)
    notes += [f"Cannot check for calibration items: profile {p}." for p in unverifiable]
    return notes
