"""The sweep's configuration (YAML file and/or flags) and its expansion into configurations.

A sweep is the grid models x methods x retentions x layers x task sets; vanilla runs once
per model and task set. The YAML format, the folder of each configuration and the refused
entries are specified in headrouter_eval/leaderboard/README.md ("Config format").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from headrouter_eval import schema
from headrouter_eval.catalog import FAMILIES, METHODS, model_id, parse_model_id
from headrouter_eval.leaderboard.runs import VANILLA, model_tag, prunes
from headrouter_eval.model_args import malformed_parts, split_model_args

KEYS = {"output_dir", "models", "methods", "retentions", "layers", "tasks", "include_path", "model_args",
        "lmms_eval_args", "num_processes", "launcher"}
LAUNCHERS = ("auto", "accelerate", "torchrun")
# model args the sweep sets itself, per configuration
RESERVED_ARGS = {"pretrained", "retention", "layer", "stats_dir"}
MODEL_KEYS = ("pretrained", "name", "family", "model_args", "method_args")
DEFAULT_FAMILY = "qwen_omni"
METHOD_KEYS = ("model", "label", "model_args")
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


def _models(items, where: str) -> list[ModelSpec]:
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: 'models' must be a non-empty list")
    specs = []
    for index, item in enumerate(items):
        at = f"{where}: models[{index}]"
        if isinstance(item, str):
            item = {"pretrained": item}
        schema.check_keys(item, MODEL_KEYS, at)
        if not item.get("pretrained"):
            raise ValueError(f"{at}: needs a 'pretrained' path or hub id")
        pretrained = str(item["pretrained"])
        if "," in pretrained:
            raise ValueError(f"{at}: pretrained {pretrained!r} contains ',', which lmms-eval cannot parse")
        name = _safe(str(item.get("name") or model_tag(pretrained, "model")))
        family = str(item.get("family") or DEFAULT_FAMILY)
        if family not in FAMILIES:
            raise ValueError(f"{at}: family {family!r} is not one of {list(FAMILIES)}")
        method_args = item.get("method_args") or {}
        if not isinstance(method_args, dict):
            raise ValueError(f"{at}: method_args must map a model id or label to model args")
        specs.append(ModelSpec(pretrained, name, parse_arg_dict(item.get("model_args"), at),
                               {str(k): parse_arg_dict(v, f"{at}.method_args.{k}") for k, v in method_args.items()},
                               family))
    return specs


def _methods(items, where: str) -> list[MethodSpec]:
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: 'methods' must be a non-empty list of methods or lmms-eval model ids")
    specs = []
    for index, item in enumerate(items):
        at = f"{where}: methods[{index}]"
        if isinstance(item, str):
            item = {"model": item}
        schema.check_keys(item, METHOD_KEYS, at)
        if not item.get("model"):
            raise ValueError(f"{at}: needs 'model' (a method such as fastv, or an lmms-eval model id)")
        name = str(item["model"])
        parsed = parse_model_id(name)
        label = _safe(str(item.get("label") or (parsed[0] if parsed else name)))
        args = item.get("model_args")
        args = dict(args) if isinstance(args, dict) else args
        seeds = args.pop("seed") if isinstance(args, dict) and isinstance(args.get("seed"), list) else None
        if seeds is None:
            specs.append(MethodSpec(name, label, parse_arg_dict(args, at)))
            continue
        # several seeds: one method per seed, labelled <label>_s<seed> (the leaderboard shows their spread)
        if not seeds or not all(isinstance(seed, int) for seed in seeds):
            raise ValueError(f"{at}: model_args.seed must be an integer or a non-empty list of integers, got {seeds!r}")
        for seed in seeds:
            specs.append(MethodSpec(name, f"{label}_s{seed}", {**parse_arg_dict(args, at), "seed": str(seed)}))
    labels = [m.label for m in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{where}: method labels repeat ({labels}); give variants distinct 'label's")
    return specs


def _floats(items, name: str, where: str) -> list[float]:
    if not isinstance(items, list):
        raise ValueError(f"{where}: '{name}' must be a list")
    out = []
    for item in items:
        value = schema.number(item, where, f"{name} entry")  # a quoted "0.5" is refused too
        if not 0.0 < value <= 1.0:
            raise ValueError(f"{where}: retention {value} is outside (0, 1]")
        out.append(value)
    return out


def _layers(items, where: str) -> list[int | None]:
    if items is None:
        return [None]
    if not isinstance(items, list) or not items:
        raise ValueError(f"{where}: 'layers' must be a non-empty list of integers")
    return [schema.integer(item, where, "layers entry", minimum=0) for item in items]


def _num_processes(value, where: str) -> int | str:
    if value == "auto":
        return value
    # the --num-processes flag hands over text; a YAML 1.5 or true must not become 1
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (
            isinstance(value, str) and not value.strip().isdigit()):
        raise ValueError(f"{where}: num_processes must be a positive integer or 'auto', found {value!r}")
    try:
        count = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: num_processes must be a positive integer or 'auto', found {value!r}") from exc
    if count < 1:
        raise ValueError(f"{where}: num_processes must be >= 1, found {count}")
    return count


def build_config(data: dict, where: str, base_dir: Path | None = None) -> SweepConfig:
    """Validate a configuration mapping (from YAML and/or flags); errors name ``where`` and the key."""
    schema.check_keys(data, sorted(KEYS), where)
    for key in ("output_dir", "launcher"):
        if data.get(key) is not None and not isinstance(data[key], (str, Path)):
            raise ValueError(f"{where}: {key} must be a string, found {data[key]!r}")
    for key in ("include_path", "lmms_eval_args"):
        value = data.get(key)
        if value is not None and not isinstance(value, str) and not (
                isinstance(value, list) and all(isinstance(v, (str, Path)) for v in value)):
            raise ValueError(f"{where}: {key} must be a string or a list of strings, found {value!r}")
    for key in ("models", "methods", "tasks"):
        if not data.get(key):
            raise ValueError(f"{where}: '{key}' is required")
    tasks = data["tasks"]
    if isinstance(tasks, str):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, str) and t.strip() for t in tasks):
        raise ValueError(f"{where}: 'tasks' must be a list of task names (an entry 'a,b' runs both together)")
    methods = _methods(data["methods"], where)
    retentions = _floats(data.get("retentions") or [], "retentions", where)
    if any(m.prunes for m in methods) and not retentions:
        raise ValueError(f"{where}: pruning methods need 'retentions'")
    launcher = str(data.get("launcher") or "auto")
    if launcher not in LAUNCHERS:
        raise ValueError(f"{where}: launcher {launcher!r} is not one of {LAUNCHERS}")
    include = data.get("include_path") or []
    include = [include] if isinstance(include, str) else list(include)
    if base_dir is not None:
        include = [str((base_dir / p).resolve()) if not Path(p).is_absolute() else p for p in include]
    extra_args = data.get("lmms_eval_args") or []
    if isinstance(extra_args, str):
        extra_args = extra_args.split()
    return SweepConfig(
        models=_models(data["models"], where),
        methods=methods,
        # "a+b" (the flag form, and the folder name) and "a,b" both mean one run of a and b
        tasks=[",".join(p.strip() for p in t.replace("+", ",").split(",") if p.strip()) for t in tasks],
        retentions=retentions,
        layers=_layers(data.get("layers"), where),
        output_dir=Path(data.get("output_dir") or "runs"),
        include_path=include,
        model_args=parse_arg_dict(data.get("model_args"), f"{where}: model_args"),
        lmms_eval_args=[str(a) for a in extra_args],
        num_processes=_num_processes(data.get("num_processes", 1), where),
        launcher=launcher,
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
