"""lmms-eval simple model: an audio LLM with an audio-token pruner attached.

One class, :class:`PrunedAudioLM`, parameterised by model family and pruning method; the
registered model ids (``<method>_<family>``) are subclasses generated at the bottom from
``headrouter_eval/catalog.py``. Model args, the prompt and what is refused: README.md
("Running on real checkpoints": model args, pruning stats, bad input) and docs/bad_inputs.md.
"""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

import torch
from accelerate import Accelerator
from lmms_eval.api.instance import Instance
from lmms_eval.api.model import lmms
from lmms_eval.models.model_utils.usage_metrics import log_usage
from lmms_eval.utils import Collator
from tqdm import tqdm

from headrouter_eval.adapters import checkpoints, model_args
from headrouter_eval.adapters.generation import generate_kwargs, generation_settings
from headrouter_eval.audio import TARGET_SR, load_audio
from headrouter_eval.catalog import FAMILIES, METHODS, class_name, model_id
from headrouter_eval.engine import PrefillRecord, PruningEngine
from headrouter_eval.models import ModelFamily, get_family
from headrouter_eval.models.base import DEFAULT_LONG_AUDIO, LONG_AUDIO, AudioTooShortError
from headrouter_eval.profiles.exclusion import CalibrationItems
from headrouter_eval.profiles.holdout import item_id, legacy_item_id
from headrouter_eval.profiles.mapping import MappingError, class_of
from headrouter_eval.pruners import PRUNERS, make_pruner, validate_retention
from headrouter_eval.stats_writer import (
    EXPECTED_WORLD_SIZE_ENV,
    RunRecord,
    StatsWriter,
    activate,
    new_run_id,
    usage_source,
)

logger = logging.getLogger(__name__)

class PrunedAudioLM(lmms):
    """A model family's generating model + pruner as an lmms-eval simple model (generation tasks)."""

    method: ClassVar[str] = "vanilla"
    family_name: ClassVar[str] = "qwen_omni"

    def __init__(
        self,
        pretrained: str,
        retention: float = 1.0,
        layer: int = 2,
        attn_implementation: str = "sdpa",
        dtype: str | None = "auto",
        device: str | None = None,
        system_prompt: str | None = None,
        max_new_tokens: int = 256,
        stats_dir: str | None = None,
        batch_size: int | str = 1,
        long_audio: str = DEFAULT_LONG_AUDIO,
        **pruner_options: Any,
    ) -> None:
        super().__init__()
        # every model arg is type-checked here, before anything is loaded: lmms-eval hands
        # over whatever the command line looked like (layer=1.5 arrives as a float)
        batch_size = model_args.integer("batch_size", batch_size, minimum=1)
        layer = model_args.integer("layer", layer, minimum=0)
        max_new_tokens = model_args.integer("max_new_tokens", max_new_tokens, minimum=1)
        pretrained = model_args.text("pretrained", pretrained)
        attn_implementation = model_args.text("attn_implementation", attn_implementation)
        long_audio = model_args.choice("long_audio", long_audio, LONG_AUDIO)
        if stats_dir is not None:
            stats_dir = str(model_args.folder_for_output("stats_dir", stats_dir))
        if batch_size != 1:
            raise ValueError(
                f"batch_size={batch_size} is not supported: the pruning engine keeps a different set of "
                "tokens per prompt and runs one prompt at a time; use batch_size=1 (data-parallel over "
                "GPUs with accelerate for throughput)"
            )
        retention = validate_retention(model_args.number("retention", retention))
        if self.method == "vanilla" and retention != 1.0:
            raise ValueError(f"{self.model_id} does not prune; drop retention={retention} or pick a pruner")
        self.pruner = self._make_pruner(retention, pruner_options)

        accelerator = Accelerator()
        if accelerator.num_processes > 1:
            # as lmms-eval's own adapters: one model per process, on this process's GPU
            has_cuda = torch.cuda.is_available()
            self._device = torch.device(f"cuda:{accelerator.local_process_index}" if has_cuda else "cpu")
            self.accelerator = accelerator
            self._rank = accelerator.process_index
            self._world_size = accelerator.num_processes
        else:
            self._device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        # under torchrun on CPU accelerate reports a single process although torch.distributed
        # runs several (lmms-eval sets our rank later); the process group is the truth
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        world_size = torch.distributed.get_world_size() if distributed else accelerator.num_processes
        check_world_size(world_size)
        # one run id for all ranks (rank 0's): rank 0 writes it into the results file, so every
        # rank's stats are found under it (headrouter_eval/stats_writer.py)
        run_id = new_run_id()
        if distributed and world_size > 1:
            shared = [run_id]
            torch.distributed.broadcast_object_list(shared, src=0)
            run_id = shared[0]
            atexit.register(_end_process_group)
        self._calls = 0
        self.family: ModelFamily = get_family(self.family_name)
        # loaded here, or shared with the previous adapter of the sweep's grid worker (see checkpoints.py)
        self.processor, self.model = checkpoints.load(
            self.family, pretrained, device=self._device, dtype=dtype, attn_implementation=attn_implementation
        )
        self.engine = checkpoints.attach(PruningEngine(self.model, self.family, self.pruner, layer=layer))
        self.system_prompt = system_prompt
        self.max_new_tokens = max_new_tokens
        self.long_audio = long_audio
        # prompt + reply must fit the decoder's positions; checked per request with the numbers
        self.context_limit = self.family.context_limit(self.model)
        self.batch_size_per_gpu = 1
        self.stats_meta = {"method": self.method, "family": self.family_name, "retention": retention, "layer": layer,
                           "pretrained": str(pretrained), "world_size": world_size,
                           "long_audio": long_audio}
        profile = self.pruner.calibration_profile() if self.pruner is not None else None
        # the profile's held-out items: scoring one of them would let calibration leak into the result
        # matched by content under any task name (a renamed task holding the same records included)
        self.calibration_items = CalibrationItems([profile] if profile else [])
        if profile is not None:
            self.stats_meta["profile"] = str(Path(profile.source).resolve())
        # stats_dir, or beside lmms-eval's results of this very run once lmms-eval hands its
        # tasks the resolved arguments (headrouter_eval/stats_writer.py)
        self.record = RunRecord(run_id, stats_dir)
        activate(self.record, check_task=refuse_few_shot)

    def _make_pruner(self, retention: float, options: dict[str, Any]):
        options = model_args.pruner_options(self.model_id, PRUNERS.get(self.method), options)
        if self.method == "vanilla":
            return None
        try:
            return make_pruner(self.method, retention=retention, **options)
        except TypeError as exc:
            raise ValueError(f"bad model args {sorted(options)} for {self.model_id}: {exc}") from exc

    @property
    def model_id(self) -> str:
        return model_id(self.method, self.family_name)

    # ------------------------------------------------------------------ lmms-eval API
    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def tokenizer(self):
        return self.processor.tokenizer

    def loglikelihood(self, requests: list[Instance]) -> list[tuple[float, bool]]:
        raise NotImplementedError("headrouter-eval models answer generation tasks only (generate_until)")

    def generate_until_multi_round(self, requests: list[Instance]) -> list[str]:
        raise NotImplementedError("headrouter-eval models answer single-round generation tasks only")

    def generate_until(self, requests: list[Instance]) -> list[str]:
        self._calls += 1
        # lmms-eval calls this once per run; a second call in one process gets its own files
        run_id = self.run_id if self._calls == 1 else f"{self.run_id}_call{self._calls}"
        if self.stats_dir is None:
            logger.warning("no folder for pruning stats (no stats_dir model arg and no lmms-eval --output_path): "
                           "the stats are counted, not written")
        collator = Collator([req.args for req in requests], lambda args: (-len(args[0]), args[0]), grouping=True)
        answers: list[str] = []
        items = {(args[4], args[5], args[3]): self._item(*args[3:6]) for args in (req.args for req in requests)}
        self._refuse_calibration_items(items)
        # every request's generation settings are checked before anything is answered, and what
        # runs is recorded per task in the stats files (lmms-eval's results show the settings asked for)
        generation = {}
        for args in (req.args for req in requests):
            settings = self._settings(args[1], args[4])
            if generation.setdefault(args[4], settings) != settings:
                raise ValueError(f"task {args[4]}: requests differ in their generation settings "
                                 f"({generation[args[4]]} vs {settings}); one setting per task is recorded")
        stats = StatsWriter(self.stats_dir, self.rank,
                            {**self.stats_meta, "run_id": run_id, "generation": generation}, run_id)
        progress = tqdm(total=len(requests), disable=self.rank != 0, desc=f"{self.method} r={self.pruner_retention}")
        for chunk in collator.get_batched(n=1, batch_fn=None):
            context, gen_kwargs, doc_to_visual, doc_id, task, split = chunk[0]
            answer, record = self._answer(context, dict(gen_kwargs), doc_to_visual, doc_id, task, split)
            # the task-name id too (rule task-v0), so a leaderboard can check profiles calibrated before content ids
            record.extra["item_task_v0"] = legacy_item_id(task, self.task_dict[task][split][doc_id])
            stats.write(task, doc_id, record, item=items[(task, split, doc_id)])
            answers.append(answer)
            self.cache_hook.add_partial("generate_until", (context, gen_kwargs), answer)
            progress.update(1)
        progress.close()
        summary = stats.finish()
        logger.warning("pruning summary (rank %d): %s", self.rank, summary)
        return collator.get_original(answers)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def stats_dir(self) -> str | None:
        return self.record.stats_dir

    @stats_dir.setter
    def stats_dir(self, folder: str | None) -> None:
        self.record.stats_dir = folder

    def clean(self) -> None:
        """lmms-eval calls this on every rank once all requests are answered, before it writes the
        results: the run id goes into them here, and a run whose every answer came from lmms-eval's
        response cache (``--use_cache``; generate_until never called) files its empty, finished
        stats, so it is judged by its scores rather than as a run that never finished."""
        if self._calls == 0:
            StatsWriter(self.stats_dir, self.rank,
                        {**self.stats_meta, "run_id": self.run_id, "generation": {}}, self.run_id).finish()
        # a zero-token usage record: lmms-eval sums what models log per source into the results'
        # "usage", which is the one place a model's own words reach that file
        log_usage(model_name=self.model_id, source=usage_source(self.run_id))
        super().clean()

    def _item(self, doc_id, task, split) -> str:
        return item_id(task, self.task_dict[task][split][doc_id])

    def _refuse_calibration_items(self, items: dict[tuple, str]) -> None:
        """Fail before answering anything when a request is an item the profile was calibrated on."""
        if not self.calibration_items:
            return
        leaked = [(task, doc_id, item) for (task, split, doc_id), item in items.items()
                  if self.calibration_items.holder(self.task_dict[task][split][doc_id]) is not None]
        if leaked:
            task, doc_id, item = leaked[0]
            raise ValueError(
                f"{len(leaked)} request(s) are items held out to calibrate the HeadRouter profile "
                f"{self.stats_meta.get('profile')} (first: doc {doc_id} of task {task}, item {item}); scoring them "
                "would let calibration leak into the result. Exclude them for every method: add "
                "'exclude_calibration: <profile>' to a bundled task's YAML, or wrap any task in a YAML with "
                "'class: !function headrouter_eval.profiles.exclusion.ExcludingTask' and that key "
                "(docs/headrouter.md; headrouter-eval sweep does this itself)"
            )

    @property
    def pruner_retention(self) -> float:
        return self.pruner.retention if self.pruner is not None else 1.0

    # ------------------------------------------------------------------ one request
    def _answer(self, context, gen_kwargs, doc_to_visual, doc_id, task, split) -> tuple[str, PrefillRecord]:
        where = f"doc {doc_id} of task {task}"
        visuals = doc_to_visual(self.task_dict[task][split][doc_id]) if doc_to_visual is not None else []
        system = gen_kwargs.pop("system_prompt", None) or self.system_prompt
        if not visuals:
            raise ValueError(
                f"{where}: the document has no audio (doc_to_visual returned {visuals!r}); an audio model "
                "answering it would be scored as if it had heard a clip. Fix the task's doc_to_visual or drop "
                "the document")
        clips = [load_audio(item, where=where) for item in visuals]
        try:
            inputs = self.family.prompt_inputs(self.processor, context, clips, system, long_audio=self.long_audio)
        except AudioTooShortError as exc:
            raise AudioTooShortError(f"{where}: {exc}") from None
        settings = self._settings(gen_kwargs, task)
        if self.pruner is not None and self.pruner.routes_by_task:
            self.pruner.set_task_class(_task_class(task, where))
        self._check_context(where, inputs["input_ids"].shape[1], settings["max_new_tokens"], clips)
        inputs = inputs.to(self.device)
        features = self.family.features_kwarg
        if features in inputs:
            inputs[features] = inputs[features].to(self.model.dtype)

        with torch.inference_mode():
            output = self.model.generate(**inputs, **generate_kwargs(settings),
                                         pad_token_id=self.tokenizer.pad_token_id,
                                         eos_token_id=self.tokenizer.eos_token_id)
        reply = self.tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        for stop in settings["until"]:
            if stop and stop in reply:
                reply = reply.split(stop, 1)[0]
        record = self.engine.last_record
        # what the model heard, so a truncated clip is visible in the stats (long_audio=truncate)
        heard = sum(len(wav) for wav in self.family.audio_items(self.processor, clips, self.long_audio))
        record.extra.update(audio_s=round(sum(len(wav) for wav in clips) / TARGET_SR, 3),
                            audio_heard_s=round(heard / TARGET_SR, 3))
        return reply.strip(), record

    def _check_context(self, where: str, prompt_tokens: int, max_new_tokens: int, clips: list) -> None:
        """Refuse a prompt that, with its reply, needs more positions than the decoder has."""
        if self.context_limit is None or prompt_tokens + max_new_tokens <= self.context_limit:
            return
        seconds = sum(len(wav) for wav in clips) / TARGET_SR
        advice = ("cut long clips with the model arg long_audio=truncate (the official processors' behaviour)"
                  if self.long_audio == "split" else "shorten the clips or the prompt")
        raise ValueError(
            f"{where}: the prompt is {prompt_tokens} tokens ({seconds:.1f} s of audio, long_audio={self.long_audio}) "
            f"and the reply up to {max_new_tokens}: {prompt_tokens + max_new_tokens} positions, over the model's "
            f"max_position_embeddings {self.context_limit}; {advice}")

    def _settings(self, gen_kwargs: dict[str, Any], task: str) -> dict[str, Any]:
        """The generation settings that run for a request of ``task`` (refused by name if they cannot)."""
        return generation_settings(gen_kwargs, default_max_new_tokens=self.max_new_tokens,
                                   checkpoint_defaults=getattr(self.model, "generation_config", None),
                                   where=f"task {task}")


def _task_class(task: str, where: str) -> str:
    """HeadRouter's class of ``task`` by the default mapping (docs/headrouter.md), for routing=oracle."""
    try:
        return class_of(task, None)
    except MappingError:
        raise ValueError(f"{where}: routing=oracle routes each prompt to its task's class, and the default "
                         f"mapping (docs/headrouter.md) gives task {task!r} none; route every prompt to one "
                         "class with routing=oracle:<class>") from None


def refuse_few_shot(task: Any) -> None:
    """Refuse a task that lmms-eval set to ``num_fewshot`` N > 0, before it builds requests.

    lmms-eval applies ``--num_fewshot`` (from the command line or a ``--config`` YAML, unless
    the task's YAML pins 0) to the task's settings; this runs on them just before the task
    builds its requests (``stats_writer.install_task_hook``), where lmms-eval would otherwise
    fail with "no attribute 'sampler'": the audio tasks have no few-shot split. And this
    adapter hands the model the audio of the request's own document only, so few-shot examples
    would arrive as text about clips the model never hears.
    """
    shots = task.get_config("num_fewshot") if hasattr(task, "get_config") else None
    if shots:
        name = task.get_config("task") or type(task).__name__
        raise ValueError(
            f"task {name}: --num_fewshot {shots} is not supported: the audio tasks have no few-shot examples, "
            "and this adapter gives the model only the audio of the document being asked (few-shot examples "
            "would be text about clips it never hears); drop --num_fewshot")


def _end_process_group() -> None:
    """End the data-parallel process group as this rank's interpreter exits (registered by each
    adapter a rank builds; once the group is ended, a second call does nothing).

    Nothing else ends it (lmms-eval does not). A CPU rank of a torchrun run that exited with its
    gloo group alive was once seen to abort in the group's destructor ("terminate called without
    an active exception", SIGABRT) after the run's last gather; torchrun then stopped the other
    rank and reported the run failed.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def check_world_size(actual: int) -> None:
    """Refuse to run when the launcher started another process count than was asked for.

    ``accelerate launch --num_processes 2`` on a machine without GPUs quietly runs a single
    process unless ``--multi_gpu`` is given; the run would then look like a 1-process run
    of the whole data set. The count asked for comes from ``HEADROUTER_EXPECTED_WORLD_SIZE``
    (set by ``headrouter-eval sweep``) or torchrun's ``WORLD_SIZE``.
    """
    expected = os.environ.get(EXPECTED_WORLD_SIZE_ENV) or os.environ.get("WORLD_SIZE")
    if not expected:
        return
    if int(expected) != actual:
        raise RuntimeError(
            f"this run was launched for {expected} processes but only {actual} started. On a machine "
            "without GPUs `accelerate launch --num_processes N` runs one process unless given --multi_gpu: "
            "add --multi_gpu, or launch with `torchrun --nproc_per_node N -m lmms_eval ...` "
            "(headrouter-eval sweep: --launcher torchrun)"
        )


def _adapter_class(method: str, family: str) -> type[PrunedAudioLM]:
    cls = type(class_name(method, family), (PrunedAudioLM,),
               {"method": method, "family_name": family, "__module__": __name__,
                "__doc__": f"lmms-eval model ``{model_id(method, family)}``."})
    return cls


# one class per lmms-eval model id (headrouter_eval/registry.py points at them by name)
ADAPTERS: dict[str, type[PrunedAudioLM]] = {
    model_id(method, family): _adapter_class(method, family) for family in FAMILIES for method in METHODS
}
globals().update({cls.__name__: cls for cls in ADAPTERS.values()})
