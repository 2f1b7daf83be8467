"""Calibrate HeadRouter profiles: per-sample head vectors from lmms-eval tasks -> one profile per class.

Each held-out sample runs one prefill with the HeadRouter pruner at ``retention=1.0`` and
``routing=uniform`` (nothing pruned, the evaluation code path), which reports its selectivity
and audio mass; per class they become a centroid and head weights. The rules and the
sampling: docs/headrouter.md; the command: README.md, "Calibrating profiles".
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from headrouter_eval.profiles.format import ClassProfile, HeadProfile, model_fingerprint
from headrouter_eval.profiles.holdout import CONTENT_RULE, held_out_indices, item_id
from headrouter_eval.profiles.mapping import class_of
from headrouter_eval.pruners.routing import auto_sigma, head_weights

LOAD_KEYS = ("pretrained", "layer", "device", "dtype", "attn_implementation", "system_prompt", "long_audio")
PROBE_KEYS = ("probe", "queries", "softmax")


@dataclass
class CalibrationConfig:
    pretrained: str
    tasks: list[str]
    per_class: int
    layer: int = 2
    include_path: list[str] | None = None
    mapping: dict[str, str] | None = None
    mapping_spec: str = "default"
    seed: int = 0
    holdout: int | None = None  # items held out per task (default: per_class)
    head_weight_rule: str = "selectivity_mass"
    sigma: float | None = None
    device: str | None = None
    dtype: str | None = "auto"
    attn_implementation: str = "sdpa"
    system_prompt: str | None = None
    # the adapter's policy for clips longer than the processor's window, with its default: the
    # profile is calibrated on the audio the evaluation will hear
    long_audio: str = "truncate"
    probe: dict[str, str | None] = field(default_factory=lambda: {"probe": "norope", "queries": "text"})


def config_from_model_args(model_args: dict[str, Any], **rest: Any) -> CalibrationConfig:
    """A config from ``--model-args`` (the adapter's loading keys plus probe/queries/softmax)."""
    unknown = sorted(set(model_args) - set(LOAD_KEYS) - set(PROBE_KEYS))
    if unknown:
        raise ValueError(f"unknown --model-args keys {unknown}; calibration takes {list(LOAD_KEYS + PROBE_KEYS)}")
    if "pretrained" not in model_args:
        raise ValueError("--model-args needs pretrained=<hub id or folder>")
    load = {k: model_args[k] for k in LOAD_KEYS if k in model_args}
    load["pretrained"] = str(load["pretrained"])
    load["layer"] = int(load.get("layer", 2))
    if "long_audio" in load:
        from headrouter_eval.models.base import LONG_AUDIO

        if load["long_audio"] not in LONG_AUDIO:
            raise ValueError(f"--model-args long_audio must be one of {list(LONG_AUDIO)}, got {load['long_audio']!r}")
    probe = {k: str(model_args[k]) for k in PROBE_KEYS if k in model_args}
    return CalibrationConfig(**load, probe={"probe": "norope", "queries": "text", **probe}, **rest)


@dataclass
class Candidate:
    task: str
    cls: str
    args: tuple  # lmms-eval Instance.args: (context, gen_kwargs, doc_to_visual, doc_id, task, split)
    dataset: Any
    item: str = ""  # stable item id (headrouter_eval.profiles.holdout)

    @property
    def doc_id(self) -> int:
        return int(self.args[3])

    @property
    def sample_id(self) -> str:
        return f"{self.task}:{self.item}"


def holdout_size(config: CalibrationConfig) -> int:
    size = config.per_class if config.holdout is None else int(config.holdout)
    if size < 1:
        raise ValueError(f"--holdout must be >= 1 item per task, got {size}")
    return size


def collect_candidates(
    config: CalibrationConfig, model_name: str = "headrouter_qwen_omni"
) -> tuple[dict[str, list[list[Candidate]]], dict[str, list[str]]]:
    """Per class, per task, the held-out requests of the task (built by the task itself, as in eval),
    and per task the ids of every held-out item. ``model_name`` is the lmms-eval model id the
    tasks' per-model prompt settings are looked up under, as in eval."""
    from lmms_eval.evaluator_utils import get_task_list
    from lmms_eval.tasks import TaskManager, get_task_dict

    manager = TaskManager("WARNING", include_path=config.include_path, model_name=model_name)
    unknown = [name for name in config.tasks if name not in manager.all_tasks]
    if unknown:
        raise ValueError(f"unknown lmms-eval task(s) {unknown}; is the folder holding them in --include-path "
                         f"(given: {config.include_path})?")
    by_class: dict[str, list[list[Candidate]]] = defaultdict(list)
    held_out: dict[str, list[str]] = {}
    for output in get_task_list(get_task_dict(config.tasks, manager)):
        task = output.task
        if task is None:
            continue
        if task.OUTPUT_TYPE != "generate_until":
            raise ValueError(f"task {output.task_name} is {task.OUTPUT_TYPE}; calibration needs generate_until tasks")
        cls = class_of(output.task_name, config.mapping)  # before the (slower) request building
        task.build_all_requests(rank=0, world_size=1)
        candidates = [Candidate(output.task_name, cls, inst.args, task.dataset,
                                item_id(output.task_name, task.dataset[inst.args[5]][inst.args[3]]))
                      for inst in task.instances]
        try:
            keep = held_out_indices([c.item for c in candidates], holdout_size(config), config.seed)
        except ValueError as exc:
            raise ValueError(f"task {output.task_name}: {exc}") from None
        candidates = [candidates[i] for i in keep]
        held_out[output.task_name] = [c.item for c in candidates]
        by_class[cls].append(candidates)
    if not by_class:
        raise ValueError(f"no tasks found for {config.tasks}")
    return dict(by_class), held_out


def choose_samples(by_class: dict[str, list[list[Candidate]]], per_class: int, seed: int) -> list[Candidate]:
    """``per_class`` candidates per class: seeded shuffle per task, then round robin over the tasks."""
    if per_class < 1:
        raise ValueError(f"--per-class must be >= 1, got {per_class}")
    chosen = []
    for cls in sorted(by_class):
        queues = []
        for docs in by_class[cls]:
            docs = list(docs)
            random.Random(f"{seed}:{docs[0].task if docs else ''}").shuffle(docs)
            queues.append(docs)
        picked: list[Candidate] = []
        while len(picked) < per_class and any(queues):
            for queue in queues:
                if queue and len(picked) < per_class:
                    picked.append(queue.pop(0))
        chosen += picked
    return chosen


def calibrate(config: CalibrationConfig, *, progress: bool = True) -> tuple[HeadProfile, list[dict[str, Any]]]:
    """Run the model over the chosen samples; the profile and one row of head vectors per sample."""
    from headrouter_eval.audio import load_audio
    from headrouter_eval.catalog import model_id
    from headrouter_eval.engine import PruningEngine
    from headrouter_eval.models import family_of_checkpoint
    from headrouter_eval.pruners.headrouter import HeadRouterPruner

    family = family_of_checkpoint(config.pretrained)
    by_class, held_out = collect_candidates(config, model_id("headrouter", family.name))
    samples = choose_samples(by_class, config.per_class, config.seed)
    device = torch.device(config.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    processor = family.load_processor(config.pretrained)
    model = family.load_model(config.pretrained, device=device, dtype=config.dtype,
                              attn_implementation=config.attn_implementation)
    pruner = HeadRouterPruner(retention=1.0, routing="uniform", **config.probe)
    rows = []
    with PruningEngine(model, family, pruner, layer=config.layer) as engine:
        info = engine.model_info()
        for sample in tqdm(samples, desc="calibrating", disable=not progress):
            context, gen_kwargs, doc_to_visual, doc_id, task, split = sample.args
            where = f"doc {doc_id} of task {task}"
            visuals = doc_to_visual(sample.dataset[split][doc_id]) if doc_to_visual is not None else []
            # the adapter's prompt exactly: the task's system prompt, else ours, else the family's
            system = (gen_kwargs or {}).get("system_prompt") or config.system_prompt
            clips = [load_audio(item, where=where) for item in visuals]
            inputs = family.prompt_inputs(processor, context, clips, system, long_audio=config.long_audio).to(device)
            if family.features_kwarg in inputs:
                inputs[family.features_kwarg] = inputs[family.features_kwarg].to(model.dtype)
            with torch.inference_mode():
                model(**inputs, use_cache=False)
            record = engine.last_record
            if not record.extra:
                raise ValueError(f"{where}: the prompt has no audio tokens, so it has no head vector to calibrate on")
            rows.append({"sample_id": sample.sample_id, "task": task, "doc_id": doc_id, "item": sample.item,
                         "class": sample.cls,
                         "n_audio": record.audio_tokens, "layer": info.layer, "scoring_layer": info.scoring_layer,
                         "selectivity": record.extra["selectivity"], "audio_mass": record.extra["audio_mass"]})
    settings = {"probe": pruner.probe, "queries": pruner.queries, "softmax": pruner.softmax}
    return build_profile(rows, info, settings, config, held_out), rows


def build_profile(rows: list[dict[str, Any]], info, probe: dict[str, str], config: CalibrationConfig,
                  held_out: dict[str, list[str]]) -> HeadProfile:
    """Centroids, head weights and sigma from the per-sample rows (see the module docstring)."""
    by_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_class[row["class"]].append(row)
    classes, centroids = {}, {}
    for cls, members in sorted(by_class.items()):
        s = torch.tensor([m["selectivity"] for m in members], dtype=torch.float64)
        mass = torch.tensor([m["audio_mass"] for m in members], dtype=torch.float64)
        centroids[cls] = s.mean(dim=0)
        weights = head_weights(centroids[cls], mass.mean(dim=0), config.head_weight_rule)
        classes[cls] = ClassProfile(
            centroid=centroids[cls].tolist(), head_weights=weights.tolist(), audio_mass=mass.mean(dim=0).tolist(),
            tasks=sorted({m["task"] for m in members}), samples=[m["sample_id"] for m in members],
        )
    if config.sigma is not None:
        sigma, rule = float(config.sigma), "given (--sigma)"
    else:
        vectors = torch.tensor([r["selectivity"] for r in rows], dtype=torch.float64)
        sigma = auto_sigma(vectors, [r["class"] for r in rows], centroids)
        rule = "auto: RMS distance of calibration samples to their class centroid"
    return HeadProfile(
        model=model_fingerprint(info), layer=info.layer, scoring_layer=info.scoring_layer, probe=probe,
        sigma=sigma, sigma_rule=rule, head_weight_rule=config.head_weight_rule, classes=classes,
        calibration={"tasks": config.tasks, "mapping": config.mapping_spec, "per_class": config.per_class,
                     "seed": config.seed, "samples": len(rows), "long_audio": config.long_audio,
                     "id_rule": CONTENT_RULE,
                     "held_out": {"seed": config.seed, "per_task": holdout_size(config), "items": held_out,
                                  "rule": "per task, the items with the smallest sha256(f'{seed}:{item id}'); "
                                          "item id = sha256([audio digest, question])[:20] (content-v1)"},
                     "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
    )


def write_vectors(rows: list[dict[str, Any]], path: str | Path) -> Path:
    """Per-sample head vectors as JSONL (one object per sample; read by ``headrouter-eval analyze``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path
