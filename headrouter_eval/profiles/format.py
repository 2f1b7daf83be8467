"""HeadRouter profile files: a versioned JSON format, and the checks that refuse a mismatched one.

The format (version 2; version 1 still loads) is specified in README.md, "Profile format (version 2)";
the held-out record and the id rules in docs/headrouter.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headrouter_eval import schema
from headrouter_eval.profiles.holdout import ID_RULES, LEGACY_RULE

if TYPE_CHECKING:  # only for annotations: importing pruners here would be circular (the pruner loads profiles)
    from headrouter_eval.pruners.base import ModelInfo

FORMAT_NAME = "headrouter-profile"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
ARCH_FIELDS = ("num_layers", "num_heads", "num_kv_heads", "hidden_size")


class ProfileError(ValueError):
    """A profile file that is malformed or was made for another model/layer; the message names the field."""


def model_id(name_or_path: str) -> str:
    """Comparable model id: last path component, lower-cased (hub id and local copy agree)."""
    return Path(str(name_or_path).rstrip("/")).name.lower()


@dataclass
class ClassProfile:
    centroid: list[float]
    head_weights: list[float]
    audio_mass: list[float]
    tasks: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)


@dataclass
class HeadProfile:
    """In-memory profile; :func:`save_profile` / :func:`load_profile` convert to and from JSON."""

    model: dict[str, Any]
    layer: int
    scoring_layer: int
    probe: dict[str, str]
    sigma: float
    sigma_rule: str
    head_weight_rule: str
    classes: dict[str, ClassProfile]
    calibration: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where it was loaded from (not saved)
    format_version: int = FORMAT_VERSION  # of the file it was loaded from; always saved as FORMAT_VERSION

    @property
    def held_out_items(self) -> dict[str, list[str]]:
        """Task -> ids of the items held out for calibration (empty for a version-1 profile)."""
        return dict((self.calibration.get("held_out") or {}).get("items") or {})

    @property
    def id_rule(self) -> str:
        """The rule its held-out ids were made by (``calibration.id_rule``); a profile without one
        was calibrated before content ids and used the task-name rule (``task-v0``)."""
        return str(self.calibration.get("id_rule") or LEGACY_RULE)

    @property
    def num_heads(self) -> int:
        return int(self.model["num_heads"])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "model": self.model,
            "layer": self.layer, "scoring_layer": self.scoring_layer, "probe": self.probe,
            "sigma": self.sigma, "sigma_rule": self.sigma_rule, "head_weight_rule": self.head_weight_rule,
            "classes": {name: vars(c) for name, c in self.classes.items()}, "calibration": self.calibration,
        }


def model_fingerprint(info: ModelInfo) -> dict[str, Any]:
    """The ``model`` block of a profile for the model described by ``info``."""
    return {"id": model_id(info.name_or_path), "name_or_path": info.name_or_path,
            **{name: int(getattr(info, name)) for name in ARCH_FIELDS}}


def save_profile(profile: HeadProfile, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(profile.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def _why_not_a_file(path: Path) -> str:
    """What ``path`` is instead of a readable file, in words (a folder, a symlink loop, nothing)."""
    try:
        path.stat()
    except OSError as exc:
        if path.is_symlink():
            return f"is a symbolic link that cannot be followed ({exc.strerror or exc}), not a profile file"
        return "does not exist"
    if path.is_dir():
        return "is a folder, not a profile file (name the .json file inside it)"
    return "is not a regular file"


def load_profile(path: str | Path) -> HeadProfile:
    """Read and validate a profile file; :class:`ProfileError` names the file and the bad field."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"HeadRouter profile {path} {_why_not_a_file(path)}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProfileError(f"HeadRouter profile {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ProfileError(f"{path} is not a HeadRouter profile (field 'format' is not {FORMAT_NAME!r})")
    version = data.get("format_version")
    if version not in READABLE_VERSIONS:
        raise ProfileError(
            f"{path}: field 'format_version' is {version!r}; this version reads {list(READABLE_VERSIONS)}"
        )
    _check_schema(data, str(path))
    try:
        classes = {name: ClassProfile(**body) for name, body in data["classes"].items()}
        profile = HeadProfile(
            model=dict(data["model"]), layer=int(data["layer"]), scoring_layer=int(data["scoring_layer"]),
            probe=dict(data["probe"]), sigma=float(data["sigma"]), sigma_rule=str(data.get("sigma_rule", "")),
            head_weight_rule=str(data.get("head_weight_rule", "")), classes=classes,
            calibration=dict(data.get("calibration", {})), source=str(path), format_version=int(version),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: malformed profile ({type(exc).__name__}: {exc})") from None
    _check_shapes(profile)
    return profile


TOP_KEYS = ("format", "format_version", "model", "layer", "scoring_layer", "probe", "sigma", "sigma_rule",
            "head_weight_rule", "classes", "calibration")
MODEL_KEYS = ("id", "name_or_path", *ARCH_FIELDS)
PROBE_KEYS = ("probe", "queries", "softmax")
CLASS_KEYS = ("centroid", "head_weights", "audio_mass", "tasks", "samples")


def _check_schema(data: dict, where: str) -> None:
    """Keys and types of a version-1 profile; an edited file with a typo is refused, not half-read."""
    try:
        schema.check_keys(data, TOP_KEYS, where, required=("model", "layer", "scoring_layer", "probe", "sigma",
                                                           "classes"))
        schema.check_keys(data["model"], MODEL_KEYS, f"{where}: model", required=("id", *ARCH_FIELDS))
        for name in ARCH_FIELDS:
            schema.integer(data["model"][name], f"{where}: model", name, minimum=1)
        schema.check_keys(data["probe"], PROBE_KEYS, f"{where}: probe", required=PROBE_KEYS)
        for key in ("layer", "scoring_layer"):
            schema.integer(data[key], where, key, minimum=0)
        schema.number(data["sigma"], where, "sigma")
        if not isinstance(data["classes"], dict):
            raise schema.SchemaError(f"{where}: classes must map a class name to its profile")
        for name, body in data["classes"].items():
            at = f"{where}: classes.{name}"
            schema.check_keys(body, CLASS_KEYS, at, required=("centroid", "head_weights", "audio_mass"))
            for key in ("centroid", "head_weights", "audio_mass"):
                values = body[key]
                if not isinstance(values, list):
                    raise schema.SchemaError(f"{at}: {key} must be a list of numbers, found {values!r}")
                for value in values:
                    schema.number(value, at, f"{key} entry")
    except schema.SchemaError as exc:
        raise ProfileError(str(exc)) from None


def _check_shapes(profile: HeadProfile) -> None:
    where = profile.source or "profile"
    missing = [name for name in ("id", *ARCH_FIELDS) if name not in profile.model]
    if missing:
        raise ProfileError(f"{where}: field 'model' lacks {missing}")
    missing = [name for name in ("probe", "queries", "softmax") if name not in profile.probe]
    if missing:
        raise ProfileError(f"{where}: field 'probe' lacks {missing}")
    if not profile.classes:
        raise ProfileError(f"{where}: field 'classes' is empty")
    heads = profile.num_heads
    for name, cls in profile.classes.items():
        for key in ("centroid", "head_weights", "audio_mass"):
            if len(getattr(cls, key)) != heads:
                raise ProfileError(
                    f"{where}: classes.{name}.{key} has {len(getattr(cls, key))} entries for model.num_heads={heads}"
                )
        _check_values(where, name, cls)
    if not (math.isfinite(profile.sigma) and profile.sigma > 0):
        raise ProfileError(f"{where}: field 'sigma' must be > 0 (and finite), got {profile.sigma}")
    if profile.format_version >= 2:
        held_out = profile.calibration.get("held_out")
        items = held_out.get("items") if isinstance(held_out, dict) else None
        if not isinstance(items, dict) or not all(isinstance(v, list) for v in items.values()):
            raise ProfileError(f"{where}: format_version 2 needs 'calibration.held_out.items' "
                               "(task -> list of held-out item ids)")
        if profile.id_rule not in ID_RULES:
            raise ProfileError(f"{where}: calibration.id_rule is {profile.id_rule!r}; this version knows "
                               f"{', '.join(ID_RULES)} (a missing id_rule means task-v0)")


#: how far a class's head weights may sum from 1 (JSON round-trips of float32 sums stay far inside)
WEIGHT_SUM_TOLERANCE = 1e-3


def _check_values(where: str, name: str, cls: ClassProfile) -> None:
    """Values HeadRouter can route with: a NaN centroid makes every routing distance NaN and a zero,
    negative or unnormalised weight vector scores tokens arbitrarily, both without any error later."""
    for key in ("centroid", "head_weights", "audio_mass"):
        bad = [i for i, value in enumerate(getattr(cls, key)) if not math.isfinite(value)]
        if bad:
            raise ProfileError(f"{where}: classes.{name}.{key} has {len(bad)} non-finite entries (NaN or "
                               f"infinite; first at head {bad[0]}); recalibrate the profile")
    negative = [i for i, value in enumerate(cls.head_weights) if value < 0]
    if negative:
        raise ProfileError(f"{where}: classes.{name}.head_weights has negative entries (first at head "
                           f"{negative[0]}: {cls.head_weights[negative[0]]}); head weights are non-negative")
    total = math.fsum(cls.head_weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ProfileError(f"{where}: classes.{name}.head_weights sum to {total:g}, not 1 (within "
                           f"{WEIGHT_SUM_TOLERANCE:g}); head weights are a distribution over the heads")


def check_profile(profile: HeadProfile, info: ModelInfo) -> None:
    """Refuse a profile made for another model, layer or head count, naming the field that differs."""
    where = profile.source or "the profile"
    expected = model_fingerprint(info)
    for name in ("id", *ARCH_FIELDS):
        if profile.model[name] != expected[name]:
            raise ProfileError(
                f"{where} was calibrated for another model: model.{name} is {profile.model[name]!r} in the "
                f"profile but {expected[name]!r} for the model being evaluated ({info.name_or_path}); "
                "calibrate a profile for this model with `headrouter-eval calibrate`"
            )
    if profile.layer != info.layer:
        raise ProfileError(
            f"{where} was calibrated for another layer: layer is {profile.layer} in the profile but the "
            f"model prunes at layer={info.layer}; pass layer={profile.layer} or calibrate at layer {info.layer}"
        )
