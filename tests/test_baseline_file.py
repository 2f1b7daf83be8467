"""The regress baseline file's pydantic schema refuses every bad input in the project's words.

Each message is exactly what the hand-written checks said before pydantic did the checking
(file, entry, key, what was found, did-you-mean), so scripts and users reading them see no
change. The command-line path (exit 2 with the message) is in tests/test_bad_inputs.py.
"""

from __future__ import annotations

import pytest
import yaml

from headrouter_eval.leaderboard.regress import load_baseline
from headrouter_eval.schema import SchemaError

GOOD = {"model": "m", "method": "fastv", "retention": 0.5, "layer": 0, "task": "t", "metric": "acc,none",
        "score": 0.5, "higher_is_better": True, "tolerance": 0.01, "settings": {"limit": "-"}}

def entry(**kw):
    e = dict(GOOD)
    for k, v in kw.items():
        if v is KeyError:
            e.pop(k)
        else:
            e[k] = v
    return e

CASES = {
 "not_mapping": [1, 2],
 "top_unknown": {"entrys": [GOOD]},
 "top_missing": {"default_tolerance": 0.1},
 "entries_not_list": {"entries": {"a": 1}},
 "entries_empty": {"entries": []},
 "tol_string": {"default_tolerance": "0.1", "entries": [GOOD]},
 "tol_negative": {"default_tolerance": -0.5, "entries": [GOOD]},
 "tol_bool": {"default_tolerance": True, "entries": [GOOD]},
 "entry_not_mapping": {"entries": ["x"]},
 "entry_unknown": {"entries": [entry(tolerence=1)]},
 "entry_unknown_far": {"entries": [entry(zzz=1)]},
 "entry_missing": {"entries": [entry(model=KeyError, score=KeyError)]},
 "entry_unknown_and_missing": {"entries": [entry(model=KeyError, tolerence=2)]},
 "model_empty": {"entries": [entry(model="  ")]},
 "method_int": {"entries": [entry(method=3)]},
 "task_none": {"entries": [entry(task=None)]},
 "score_string": {"entries": [entry(score="80")]},
 "score_bool": {"entries": [entry(score=True)]},
 "score_nan": {"entries": [entry(score=float("nan"))]},
 "score_inf": {"entries": [entry(score=float("inf"))]},
 "retention_string": {"entries": [entry(retention="0.5")]},
 "retention_none": {"entries": [entry(retention=None)]},
 "layer_float": {"entries": [entry(layer=1.5)]},
 "layer_negative": {"entries": [entry(layer=-1)]},
 "layer_none": {"entries": [entry(layer=None)]},
 "metric_int": {"entries": [entry(metric=5)]},
 "metric_none": {"entries": [entry(metric=None)]},
 "hib_string": {"entries": [entry(higher_is_better="false")]},
 "hib_none": {"entries": [entry(higher_is_better=None)]},
 "hib_absent": {"entries": [entry(higher_is_better=KeyError)]},
 "tolerance_negative": {"entries": [entry(tolerance=-1)]},
 "tolerance_none": {"entries": [entry(tolerance=None)]},
 "settings_missing": {"entries": [entry(settings=KeyError)]},
 "settings_list": {"entries": [entry(settings=[1])]},
 "two_errors_order": {"entries": [entry(score="x", layer=1.5, settings=KeyError)]},
 "second_entry": {"entries": [GOOD, entry(layer="2")]},
 "good": {"default_tolerance": 0.02, "entries": [GOOD, entry(retention=None, layer=None, metric=None)]},
 "int_score": {"entries": [entry(score=1, tolerance=0, retention=1)]},
}

ENTRY_KEYS = ("['higher_is_better', 'layer', 'method', 'metric', 'model', 'retention', 'score', 'settings', "
              "'task', 'tolerance']")
AGAIN = "`headrouter-eval regress LEADERBOARD BASELINE --write-baseline`"
EXPECTED = {
    'not_mapping': '{path}: expected a mapping, found list [1, 2]',
    'top_unknown': ("{path}: unknown key 'entrys' (did you mean 'entries'?); "
                    "allowed keys: ['default_tolerance', 'entries']"),
    'top_missing': "{path}: missing required key(s) ['entries']",
    'entries_not_list': "{path}: 'entries' must be a list",
    'entries_empty': ("{path}: 'entries' is empty: a baseline that checks nothing would always pass; "
                      "write one with {again}"),
    'tol_string': "{path}: default_tolerance must be a number, found string '0.1'",
    'tol_negative': '{path}: default_tolerance must be >= 0, found -0.5',
    'tol_bool': '{path}: default_tolerance must be a number, found boolean True',
    'entry_not_mapping': "{path}: entries[0]: expected a mapping, found string 'x'",
    'entry_unknown': "{path}: entries[0]: unknown key 'tolerence' (did you mean 'tolerance'?); allowed keys: {keys}",
    'entry_unknown_far': "{path}: entries[0]: unknown key 'zzz'; allowed keys: {keys}",
    'entry_missing': "{path}: entries[0]: missing required key(s) ['model', 'score']",
    'entry_unknown_and_missing': ("{path}: entries[0]: unknown key 'tolerence' (did you mean 'tolerance'?); "
                                  "allowed keys: {keys}"),
    'model_empty': "{path}: entries[0]: model must be a non-empty string, found string '  '",
    'method_int': '{path}: entries[0]: method must be a non-empty string, found integer 3',
    'task_none': '{path}: entries[0]: task must be a non-empty string, found null None',
    'score_string': "{path}: entries[0]: score must be a number, found string '80'",
    'score_bool': '{path}: entries[0]: score must be a number, found boolean True',
    'score_nan': "{path}: entries[0]: 'score' is NaN: nothing to compare against",
    'retention_string': "{path}: entries[0]: retention must be a number, found string '0.5'",
    'layer_float': '{path}: entries[0]: layer must be an integer, found number 1.5',
    'layer_negative': '{path}: entries[0]: layer must be >= 0, found -1',
    'metric_int': '{path}: entries[0]: metric must be a non-empty string, found integer 5',
    'hib_string': "{path}: entries[0]: higher_is_better must be true or false (unquoted), found string 'false'",
    'hib_none': '{path}: entries[0]: higher_is_better must be true or false (unquoted), found null None',
    'tolerance_negative': '{path}: entries[0]: tolerance must be >= 0, found -1',
    'tolerance_none': '{path}: entries[0]: tolerance must be a number, found null None',
    'settings_missing': ("{path}: entries[0]: no 'settings' (the run identity: checkpoint, items, generation, "
                         "scoring, dtype, attention); this baseline was written by an older headrouter-eval: "
                         "write it again with {again}"),
    'settings_list': "{path}: entries[0]: 'settings' must be a mapping, got list",
    'two_errors_order': "{path}: entries[0]: score must be a number, found string 'x'",
    'second_entry': "{path}: entries[1]: layer must be an integer, found string '2'",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_baseline_is_refused_naming_file_entry_and_key(name, tmp_path):
    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(CASES[name]))
    with pytest.raises(SchemaError) as caught:
        load_baseline(path)
    assert str(caught.value) == EXPECTED[name].format(path=path, keys=ENTRY_KEYS, again=AGAIN)


@pytest.mark.parametrize("name", sorted(set(CASES) - set(EXPECTED)))
def test_a_good_baseline_is_returned_as_written(name, tmp_path):
    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(CASES[name]))
    default, entries = load_baseline(path)
    assert default == CASES[name].get("default_tolerance", 0.0) and isinstance(default, float)
    assert entries == CASES[name]["entries"]
