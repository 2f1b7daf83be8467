"""Compare a fresh leaderboard with a committed baseline; any regression fails.

The baseline format, what counts as a regression and ``--interval``:
headrouter_eval/leaderboard/README.md, "regress".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from headrouter_eval.jsonl import read_json_object
from headrouter_eval.leaderboard.baseline_file import parse_baseline
from headrouter_eval.leaderboard.run_identity import differences
from headrouter_eval.leaderboard.runs import COMPLETE
from headrouter_eval.leaderboard.table import REFERENCE_STATUS

Key = tuple[str, str, float | None, int | None, str]


def _num(value, cast):
    if value is None or value == "":
        return None
    return cast(value)


def record_key(record: dict, where: str) -> Key:
    """Normalised identity of a leaderboard record or baseline entry."""
    try:
        retention = _num(record.get("retention"), float)
        return (
            str(record["model"]),
            str(record["method"]),
            None if retention is None else round(retention, 6),
            _num(record.get("layer"), lambda v: int(float(v))),
            str(record["task"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: record {record!r} lacks a valid model/method/retention/layer/task ({exc})") from exc


def describe(key: Key) -> str:
    model, method, retention, layer, task = key
    parts = [model, method]
    if retention is not None:
        parts.append(f"r={retention:g}")
    if layer is not None:
        parts.append(f"L={layer}")
    return " ".join(parts) + f" [{task}]"


def load_leaderboard(path: Path) -> list[dict]:
    """Records of a leaderboard written by ``headrouter-eval leaderboard`` (.csv or .json)."""
    if not path.is_file():
        raise FileNotFoundError(f"leaderboard file {path} does not exist")
    if path.suffix == ".json":
        data = read_json_object(path)
        if not isinstance(data.get("records"), list):
            raise ValueError(f"{path}: expected a leaderboard JSON with a 'records' list")
        records = data["records"]
    elif path.suffix == ".csv":
        import pandas as pd  # only here: reading a .json leaderboard or runs must not pay for it

        # every cell as the text it is (no NaN guessing): the columns are converted below
        try:
            records = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: empty file, not a leaderboard CSV") from None
        for record in records:
            record["score"] = _num(record.get("score"), float)
            record["ci_low"] = _num(record.get("ci_low"), float)
            record["ci_high"] = _num(record.get("ci_high"), float)
            hib = record.get("higher_is_better")
            record["higher_is_better"] = None if hib in ("", None) else hib == "True"
    else:
        raise ValueError(f"{path}: leaderboard must be .csv or .json")
    return [r for r in records if r.get("status") != REFERENCE_STATUS]


@dataclass
class Finding:
    """One line of the comparison."""

    kind: str  # REGRESSION, MISSING, FAILED, METRIC, SETTINGS, improved, new
    key: Key
    text: str

    @property
    def fails(self) -> bool:
        return self.kind in ("REGRESSION", "MISSING", "FAILED", "METRIC", "SETTINGS")


def _settings(text) -> dict[str, str] | None:
    """A leaderboard record's ``settings`` (one-line JSON in the CSV/JSON files) as a dict."""
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    if not text:
        return None
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def load_baseline(path: Path) -> tuple[float, list[dict]]:
    """Read and schema-check a baseline (:mod:`.baseline_file`): unknown or misspelt keys and
    wrong types are errors naming the file, the entry and the key.

    A misspelt ``higher_is_better`` would otherwise fall back to "higher is better" and a
    quoted ``"false"`` would read as true, flipping the direction of the check.
    """
    if not path.is_file():
        raise FileNotFoundError(f"baseline file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML/JSON ({exc})") from exc
    return parse_baseline(data, path)


def compare(fresh: list[dict], baseline_entries: list[dict], default_tolerance: float,
            fresh_where: str = "leaderboard", baseline_where: str = "baseline",
            use_interval: bool = False) -> list[Finding]:
    """All findings, failing ones first."""
    fresh_by_key: dict[Key, dict] = {}
    for record in fresh:
        key = record_key(record, fresh_where)
        # failure rows and score rows of one key can coexist (a task that failed in one
        # run of a configuration); a failure must not be hidden by ordering
        if key not in fresh_by_key or record.get("status") != COMPLETE:
            fresh_by_key[key] = record
    findings: list[Finding] = []
    seen: set[Key] = set()
    for entry in baseline_entries:
        key = record_key(entry, baseline_where)
        seen.add(key)
        tol = float(entry.get("tolerance", default_tolerance))
        old = float(entry["score"])
        record = fresh_by_key.get(key)
        if record is None:
            findings.append(Finding("MISSING", key, f"no row in the fresh leaderboard (baseline {old:.4g})"))
            continue
        if record.get("status") != COMPLETE or record.get("score") is None:
            findings.append(Finding(
                "FAILED", key, f"status {record.get('status')}: {record.get('problem') or 'no score'} "
                f"(baseline {old:.4g})"))
            continue
        if math.isnan(float(record["score"])):
            findings.append(Finding("FAILED", key, f"fresh score is NaN (baseline {old:.4g})"))
            continue
        diffs = differences(_settings(record.get("settings")), _settings(entry.get("settings")))
        if diffs:
            findings.append(Finding("SETTINGS", key, "not comparable with the baseline, settings differ (fresh vs "
                                    f"baseline): {'; '.join(diffs)}"))
            continue
        # for the average row the "metric" names how many tasks it covers: a change there
        # means the average is no longer comparable either
        if entry.get("metric") and record.get("metric") and entry["metric"] != record["metric"]:
            findings.append(Finding("METRIC", key, f"metric changed: {entry['metric']} -> {record['metric']}"))
            continue
        new = float(record["score"])
        # a baseline entry without a direction takes the fresh row's (from lmms-eval's task config)
        higher = entry["higher_is_better"] if "higher_is_better" in entry \
            else record.get("higher_is_better") is not False
        delta = new - old
        worse = -delta if higher else delta
        line = f"{old:.4g} -> {new:.4g} ({delta:+.4g}, tolerance {tol:g})"
        low, high = record.get("ci_low"), record.get("ci_high")
        if use_interval and low is not None and high is not None:
            # worse than the baseline beyond noise: the old score is above (below) the fresh interval
            line = f"{old:.4g} -> {new:.4g} ({delta:+.4g}, fresh 95% interval [{low:.4g}, {high:.4g}])"
            beyond_bad, beyond_good = (old > high, old < low) if higher else (old < low, old > high)
            if beyond_bad:
                findings.append(Finding("REGRESSION", key, line))
            elif beyond_good:
                findings.append(Finding("improved", key, line + "; consider updating the baseline"))
            continue
        if use_interval:
            line += "; no interval in the leaderboard, tolerance used"
        if worse > tol:
            findings.append(Finding("REGRESSION", key, line))
        elif -worse > tol:
            findings.append(Finding("improved", key, line + "; consider updating the baseline"))
    for key, record in fresh_by_key.items():
        if key not in seen and record.get("status") == COMPLETE and record.get("score") is not None:
            findings.append(Finding("new", key, f"{float(record['score']):.4g} (not in the baseline)"))
    findings.sort(key=lambda f: (not f.fails, f.kind, f.key[:2], -(f.key[2] or 0.0), f.key[4]))
    return findings


def report(findings: list[Finding], checked: int) -> str:
    """A readable diff, failing lines first, then a one-line verdict."""
    lines = [f"{f.kind:<10} {describe(f.key)}: {f.text}" for f in findings]
    failing = sum(f.fails for f in findings)
    verdict = (f"FAIL: {failing} of {checked} baseline entries regressed, failed, changed settings or are missing"
               if failing else f"OK: {checked} baseline entries within tolerance")
    return "\n".join([*lines, verdict])


def write_baseline(fresh: list[dict], path: Path, tolerance: float, source: str) -> tuple[int, list[str]]:
    """Write a baseline from the complete rows of a leaderboard; returns (entries, skipped rows)."""
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    entries, skipped = [], []
    for record in fresh:
        key = record_key(record, source)
        if record.get("status") != COMPLETE or record.get("score") is None or math.isnan(float(record["score"])):
            skipped.append(f"{describe(key)} ({record.get('status')}: {record.get('problem')})")
            continue
        entry = {"model": key[0], "method": key[1], "retention": key[2], "layer": key[3], "task": key[4],
                 "metric": record.get("metric"), "score": float(record["score"])}
        if record.get("higher_is_better") is not None:
            entry["higher_is_better"] = bool(record["higher_is_better"])
        entry["settings"] = _settings(record.get("settings")) or {}
        entries.append(entry)
    if not entries:
        raise ValueError(f"{source}: no complete row to write a baseline from")
    header = (
        "# Accuracy baseline for `headrouter-eval regress`.\n"
        f"# Written from {source}. Tolerances are absolute, in each metric's units;\n"
        "# set `tolerance:` on an entry to override `default_tolerance` for it.\n"
    )
    body = yaml.safe_dump({"default_tolerance": tolerance, "entries": entries}, sort_keys=False, width=120)
    path.write_text(header + body, encoding="utf-8")
    return len(entries), skipped
