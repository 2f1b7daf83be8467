"""A run's identity: everything besides the pruning method that changes its numbers.

Two scores are compared (a pruned row beside vanilla, a fresh row against the regress
baseline) only when these settings match field by field; all are read from the results file
lmms-eval wrote and the checkpoint on disk. The fields: headrouter_eval/leaderboard/README.md,
"leaderboard".
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

FIELDS = ("checkpoint", "limit", "offset", "items", "exclusions", "generation", "scoring", "dtype", "attention")
# the adapter's defaults (adapters/lmms_model.py), so "dtype=auto" and no dtype arg are one setting
MODEL_ARG_DEFAULTS = {"dtype": "auto", "attn_implementation": "sdpa"}
_BLOB = re.compile(r"[0-9a-f]{64}")
_digests: dict[tuple, str] = {}


def file_digest(path: Path) -> str:
    """The sha256 (hex) of a file's contents."""
    # a Hugging Face cache snapshot links each file to a blob named by its sha256: use that name
    if path.is_symlink():
        name = path.resolve().name
        if _BLOB.fullmatch(name):
            return name
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def checkpoint_digest(pretrained: str | None) -> str:
    """``sha256:<first 16 hex>`` of a local checkpoint's files; the hub id when it is not on disk."""
    if not pretrained:
        return "-"
    folder = Path(pretrained).expanduser()
    if not folder.exists():
        try:  # a hub id: its snapshot in the local cache, when there
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(pretrained, local_files_only=True))
        except Exception:  # noqa: BLE001 - any failure means "not in the cache": compared by name, said so
            return f"{pretrained} (not on disk: compared by name)"
    return folder_digest(folder)


def folder_digest(folder: Path) -> str:
    """``sha256:<first 16 hex>`` over the names and contents of a folder's files (dot-files and
    ``__pycache__`` left out: loading from the folder does not depend on them). Computed once
    per set of file sizes and modification times."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts))
    key = (str(folder.resolve()), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if key not in _digests:
        sha = hashlib.sha256()
        for path in files:
            sha.update(f"{path.relative_to(folder)}\0{file_digest(path)}\n".encode())
        _digests[key] = "sha256:" + sha.hexdigest()[:16]
    return _digests[key]


def _compact(value) -> str:
    if value in (None, "", {}, []):
        return "-"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _held_out(held: dict | None) -> dict | None:
    """The held-out record with each profile named by its file name: the items it excluded
    change the numbers, the folder the package (or the profile) sits in does not."""
    if not isinstance(held, dict) or not isinstance(held.get("profiles"), dict):
        return held
    return {**held, "profiles": {Path(str(path)).name: n for path, n in held["profiles"].items()}}


def task_identity(results: dict, leaves: list[str], model_args: dict[str, str]) -> dict[str, str]:
    """The identity of one task's score (a group's: over its leaf tasks)."""
    config = results.get("config") or {}
    configs = results.get("configs") or {}
    n_samples = results.get("n-samples") or {}

    def per_leaf(get) -> str:
        values = {leaf: get(configs.get(leaf) or {}, leaf) for leaf in leaves}
        values = {leaf: v for leaf, v in values.items() if v not in (None, "", {}, [])}
        return _compact(values)

    metadata = lambda cfg: cfg.get("metadata") or {}  # noqa: E731
    generation = {
        "gen_kwargs": config.get("gen_kwargs") or None,
        "task": per_leaf(lambda cfg, _: cfg.get("generation_kwargs")),
        **{key: model_args[key] for key in ("max_new_tokens", "system_prompt") if key in model_args},
    }
    return {
        "checkpoint": checkpoint_digest(model_args.get("pretrained")),
        "limit": _compact(config.get("limit")),
        "offset": _compact(config.get("offset") or 0),
        "items": per_leaf(lambda _, leaf: (n_samples.get(leaf) or {}).get("effective")),
        "exclusions": per_leaf(lambda cfg, _: _held_out(metadata(cfg).get("held_out"))),
        "generation": _compact({k: v for k, v in generation.items() if v not in (None, "-")}),
        "scoring": per_leaf(lambda cfg, _: metadata(cfg).get("scoring") or metadata(cfg).get("scoring_mode")),
        "dtype": model_args.get("dtype", MODEL_ARG_DEFAULTS["dtype"]),
        "attention": model_args.get("attn_implementation", MODEL_ARG_DEFAULTS["attn_implementation"]),
    }


def merged(identities: list[dict[str, str]]) -> dict[str, str]:
    """One identity for an average over several tasks: each field's distinct values, joined."""
    out = {}
    for name in FIELDS:
        values = sorted({ident.get(name, "-") for ident in identities})
        out[name] = values[0] if len(values) == 1 else " | ".join(values)
    return out


def differences(mine: dict[str, str] | None, reference: dict[str, str] | None) -> list[str]:
    """``field: mine vs reference`` for each field that differs; [] when they match."""
    if mine is None or reference is None:
        return ["settings unknown"]
    return [f"{name} {mine.get(name, '-')} vs {reference.get(name, '-')}" for name in FIELDS
            if mine.get(name, "-") != reference.get(name, "-")]


def to_text(identity: dict[str, str] | None) -> str:
    """The identity as the one-line JSON the leaderboard files and the baseline carry."""
    return json.dumps(identity, sort_keys=True) if identity else ""
