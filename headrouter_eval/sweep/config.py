"""The sweep's configuration (YAML file and/or flags) and its expansion into configurations.

A sweep is the grid models x methods x retentions x layers x task sets; vanilla runs once
per model and task set. The YAML format, the folder of each configuration and the refused
entries are specified in headrouter_eval/leaderboard/README.md ("Config format"); the file's
shape is the pydantic models :class:`SweepFile`, :class:`ModelEntry` and :class:`MethodEntry`,
whose errors read like every hand-edited file's (``headrouter_eval/config_models.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from headrouter_eval.catalog import FAMILIES, METHODS, model_id, parse_model_id
from headrouter_eval.config_models import FileModel, Text, validate
from headrouter_eval.leaderboard.runs import VANILLA, model_tag, prunes
from headrouter_eval.model_args import malformed_parts, split_model_args

Launcher = Literal["auto", "accelerate", "torchrun"]
# model args the sweep sets itself, per configuration
RESERVED_ARGS = {"pretrained", "retention", "layer", "stats_dir"}
DEFAULT_FAMILY = "qwen_omni"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass
class ModelSpec:
    pretrained: str
    name: str
    model_args: dict[str, str] = field(default_factory=dict)
    # model id or method label -> args for that method on this model only (e.g. a profile)
    method_args: dict[str, dict[str, str]] = field(default_factory=dict)
    family: str = DEFAULT_FAMILY


@dataclass
class MethodSpec:
    """A method of the grid: a bare pruning method (``fastv``: one per model's family) or a model id."""

    model_id: str
    label: str
    model_args: dict[str, str] = field(default_factory=dict)

    @property
    def is_bare(self) -> bool:
        return self.model_id in METHODS

    @property
    def prunes(self) -> bool:
        """Only our pruning methods take a retention; vanilla and other lmms-eval models do not."""
        return self.model_id != VANILLA if self.is_bare else prunes(self.model_id)

    def for_model(self, model: ModelSpec) -> MethodSpec:
        """This method as the lmms-eval model id that runs on ``model``."""
        if self.is_bare:
            return MethodSpec(model_id(self.model_id, model.family), self.label, self.model_args)
        parsed = parse_model_id(self.model_id)
        if parsed is not None and parsed[1] != model.family:
            raise ValueError(
                f"method {self.model_id} is a {parsed[1]} model id but model {model.name} is family {model.family}; "
                f"write the bare method '{parsed[0]}' to run it on every model's own family"
            )
        return self


@dataclass
class SweepConfig:
    models: list[ModelSpec]
    methods: list[MethodSpec]
    tasks: list[str]
    retentions: list[float] = field(default_factory=list)
    layers: list[int | None] = field(default_factory=lambda: [None])
    output_dir: Path = Path("runs")
    include_path: list[str] = field(default_factory=list)
    model_args: dict[str, str] = field(default_factory=dict)
    lmms_eval_args: list[str] = field(default_factory=list)
    num_processes: int | str = 1
    launcher: str = "auto"


@dataclass
class Configuration:
    """One lmms-eval invocation of the grid."""

    model: ModelSpec
    method: MethodSpec
    retention: float | None
    layer: int | None
    tasks: str
    folder: Path

    def model_args(self, extra: dict[str, str]) -> str:
        """lmms-eval's ``k=v,...`` string: checkpoint, pruning settings, extras, stats folder."""
        args: dict[str, str] = {"pretrained": self.model.pretrained}
        if self.retention is not None:
            args["retention"] = f"{self.retention:g}"
        if self.layer is not None:
            args["layer"] = str(self.layer)
        per_method = {**self.model.method_args.get(self.method.model_id, {}),
                      **self.model.method_args.get(self.method.label, {})}
        for source in (extra, self.model.model_args, self.method.model_args, per_method):
            args.update(source)
        if self.layer is not None:  # e.g. profile=profiles/omni3b_L{layer}.json: one profile per pruning layer
            args = {k: v.replace("{layer}", str(self.layer)) for k, v in args.items()}
        # no stats_dir: the adapter writes its stats beside lmms-eval's results in the run
        # folder, so the command holds no absolute path but --output_path (see sweep.py)
        return ",".join(f"{k}={v}" for k, v in args.items())

    def describe(self) -> str:
        parts = [self.model.name, self.method.label]
        if self.retention is not None:
            parts.append(f"r={self.retention:g}")
        if self.layer is not None:
            parts.append(f"L={self.layer}")
        return " ".join(parts) + f" | {self.tasks}"


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_") or "x"


def parse_arg_dict(value, where: str) -> dict[str, str]:
    """Model args from a mapping or a ``k=v,k=v`` string; values must survive lmms-eval's parsing."""
    if value is None:
        return {}
    if isinstance(value, str):
        if malformed_parts(value):
            raise ValueError(f"{where}: model args {value!r} must look like key=value,key=value")
        value = split_model_args(value)
    if not isinstance(value, dict):
        raise ValueError(f"{where}: model args must be a mapping or key=value,... string, found {value!r}")
    args = {}
    for key, val in value.items():
        key, text = str(key).strip(), str(val).strip()
        # lmms-eval splits model_args on "," and "=": such a value would be cut silently
        if "," in text or "=" in text:
            raise ValueError(f"{where}: model arg {key}={text!r} contains ',' or '=', which lmms-eval cannot parse")
        if key == "stats_dir":
            raise ValueError(f"{where}: model arg 'stats_dir' is placed by the sweep: each run's stats go beside "
                             "its results in the run folder")
        if key in RESERVED_ARGS:
            raise ValueError(f"{where}: model arg {key!r} is set by the sweep per configuration; "
                             f"use the sweep's own setting for it")
        args[key] = text
    return args


def _model_args(value: Any, info: ValidationInfo) -> dict[str, str]:
    return parse_arg_dict(value, str(info.field_name))


def _retention(value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise ValueError(f"retention {value} is outside (0, 1]")
    return value


#: model args written as a mapping or a ``k=v,...`` string; values lmms-eval can parse back
ModelArgs = Annotated[dict[str, str], BeforeValidator(_model_args)]
# the messages of the hand-written checks these models replaced
REQUIRED = {(key, error): f"'{key}' is required" for key in ("models", "methods", "tasks")
            for error in ("missing", "too_short")}
NOT_LAYERS = "'layers' must be a non-empty list of integers"
NOT_STRINGS = "{key} must be a string or a list of strings, found {value!r}"


class _SweepModel(FileModel):
    """A mapping of the sweep config, where a key written as null takes its default, as if left out."""

    @classmethod
    def as_written(cls, data: Any) -> Any:
        return {key: value for key, value in data.items() if value is not None} if isinstance(data, dict) else data


class ModelEntry(_SweepModel):
    """A ``models`` entry: a checkpoint (a bare string stands for its ``pretrained``)."""

    pretrained: Text  # a folder or hub id
    name: Text | None = None  # folder and table name; default: the last part of ``pretrained``
    family: Literal[FAMILIES] = DEFAULT_FAMILY  # one of the catalog's names
    model_args: ModelArgs = {}  # for every method on this model
    method_args: dict[str, dict[str, str]] = {}  # model id or method label -> its args on this model only

    wording = {("pretrained", "missing"): "needs a 'pretrained' path or hub id",
               ("method_args", "dict_type"): "method_args must map a model id or label to model args"}

    @classmethod
    def as_written(cls, data: Any) -> Any:
        return super().as_written({"pretrained": data} if isinstance(data, str) else data)

    @field_validator("pretrained")
    @classmethod
    def _parsable(cls, value: str) -> str:
        if "," in value:
            raise ValueError(f"pretrained {value!r} contains ',', which lmms-eval cannot parse")
        return value

    @field_validator("method_args", mode="before")
    @classmethod
    def _each_method(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # refused by the type, in the words above
        return {key: parse_arg_dict(args, f"method_args.{key}") for key, args in value.items()}

    def spec(self) -> ModelSpec:
        name = _safe(self.name or model_tag(self.pretrained, "model"))
        return ModelSpec(self.pretrained, name, self.model_args, self.method_args, self.family)


class MethodEntry(_SweepModel):
    """A ``methods`` entry: a method or lmms-eval model id (a bare string stands for its ``model``)."""

    model: Text
    label: Text | None = None  # default: the method's name
    model_args: dict[str, str | list[int]] = {}  # a list only as ``seed``: one method per seed

    wording = {("model", "missing"): "needs 'model' (a method such as fastv, or an lmms-eval model id)"}

    @classmethod
    def as_written(cls, data: Any) -> Any:
        return super().as_written({"model": data} if isinstance(data, str) else data)

    @field_validator("model_args", mode="before")
    @classmethod
    def _args_and_seeds(cls, value: Any) -> Any:
        seeds = value.get("seed") if isinstance(value, dict) else None
        if not isinstance(seeds, list):
            return parse_arg_dict(value, "model_args")
        if not seeds or not all(type(seed) is int for seed in seeds):  # type(): true is no seed
            raise ValueError(f"model_args.seed must be an integer or a non-empty list of integers, got {seeds!r}")
        return {**parse_arg_dict({k: v for k, v in value.items() if k != "seed"}, "model_args"), "seed": seeds}

    def specs(self) -> list[MethodSpec]:
        """The grid's method, or with a seed list one per seed, labelled <label>_s<seed> (the leaderboard
        shows their spread)."""
        parsed = parse_model_id(self.model)
        label = _safe(self.label or (parsed[0] if parsed else self.model))
        seeds = self.model_args.get("seed")
        if not isinstance(seeds, list):
            return [MethodSpec(self.model, label, dict(self.model_args))]
        args = {key: value for key, value in self.model_args.items() if key != "seed"}
        return [MethodSpec(self.model, f"{label}_s{seed}", {**args, "seed": str(seed)}) for seed in seeds]


class SweepFile(_SweepModel):
    """The whole config, keys in the README's order (the order its errors are reported in)."""

    output_dir: Annotated[Path, Field(strict=False)] = Path("runs")  # text in the YAML, a Path from flags
    models: Annotated[list[ModelEntry], Field(min_length=1)]
    methods: Annotated[list[MethodEntry], Field(min_length=1)]
    retentions: list[Annotated[float, AfterValidator(_retention)]] = []
    layers: Annotated[list[Annotated[int, Field(ge=0)]], Field(min_length=1)] | None = None  # None: the default
    tasks: Annotated[list[Text], Field(min_length=1)]  # an entry "a,b" (or "a+b") runs a and b together
    include_path: list[str] = []
    model_args: ModelArgs = {}  # for every configuration
    lmms_eval_args: list[str] = []
    num_processes: Annotated[int, Field(ge=1)] | Literal["auto"] = 1
    launcher: Launcher = "auto"

    wording = {**REQUIRED, ("models", "list_type"): "'models' must be a non-empty list",
               ("methods", "list_type"): "'methods' must be a non-empty list of methods or lmms-eval model ids",
               "tasks": "'tasks' must be a list of task names (an entry 'a,b' runs both together)",
               ("layers", "list_type"): NOT_LAYERS, ("layers", "too_short"): NOT_LAYERS,
               "include_path": NOT_STRINGS, "lmms_eval_args": NOT_STRINGS,
               ("num_processes", "int_type"): "num_processes must be a positive integer or 'auto', found {value!r}"}

    @field_validator("tasks", "include_path", mode="before")
    @classmethod
    def _one_or_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("lmms_eval_args", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return value.split() if isinstance(value, str) else value

    @field_validator("num_processes", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        # the --num-processes flag hands over text; a YAML 1.5 or true is refused, not read as 1
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value

    @model_validator(mode="after")
    def _grid(self) -> SweepFile:
        methods = [spec for entry in self.methods for spec in entry.specs()]
        labels = [m.label for m in methods]
        if len(set(labels)) != len(labels):
            raise ValueError(f"method labels repeat ({labels}); give variants distinct 'label's")
        if any(m.prunes for m in methods) and not self.retentions:
            raise ValueError("pruning methods need 'retentions'")
        return self


def build_config(data: dict, where: str, base_dir: Path | None = None) -> SweepConfig:
    """Validate a configuration mapping (from YAML and/or flags); errors name ``where``, the entry and the key.

    Relative ``include_path`` entries are taken relative to ``base_dir`` (the config file's folder).
    """
    sweep = validate(SweepFile, data, where)
    include = sweep.include_path
    if base_dir is not None:
        include = [p if Path(p).is_absolute() else str((base_dir / p).resolve()) for p in include]
    return SweepConfig(
        models=[entry.spec() for entry in sweep.models],
        methods=[spec for entry in sweep.methods for spec in entry.specs()],
        # "a+b" (the flag form, and the folder name) and "a,b" both mean one run of a and b
        tasks=[",".join(p.strip() for p in t.replace("+", ",").split(",") if p.strip()) for t in sweep.tasks],
        retentions=sweep.retentions,
        layers=sweep.layers or [None],
        output_dir=sweep.output_dir,
        include_path=include,
        model_args=sweep.model_args,
        lmms_eval_args=sweep.lmms_eval_args,
        num_processes=sweep.num_processes,
        launcher=sweep.launcher,
    )


def load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read sweep config ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a sweep config must be a YAML mapping")
    return data


def expand(config: SweepConfig) -> list[Configuration]:
    """All configurations of the grid, vanilla once per model and task set."""
    out = []
    for model in config.models:
        for method in (m.for_model(model) for m in config.methods):
            settings = [(r, layer) for r in config.retentions for layer in config.layers] if method.prunes \
                else [(None, None)]
            for retention, layer in settings:
                name = method.label
                if retention is not None:
                    name += f"_r{retention:g}"
                if layer is not None:
                    name += f"_L{layer}"
                for tasks in config.tasks:
                    folder = config.output_dir / model.name / name / _safe(tasks.replace(",", "+"))
                    out.append(Configuration(model, method, retention, layer, tasks, folder))
    folders = [c.folder for c in out]
    if len(set(folders)) != len(folders):
        raise ValueError("two configurations map to the same folder; give models distinct 'name's")
    return out
