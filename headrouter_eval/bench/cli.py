"""``headrouter-eval bench``: the efficiency benchmark, and its router-cost mode.

    headrouter-eval bench --size small --audio-seconds 60 --out results/efficiency/cpu-small
    headrouter-eval bench --size 3b --audio-seconds 300 --device cuda --attn flash_attention_2
    headrouter-eval bench --family qwen3_omni --size 30b-a3b --audio-seconds 300 --device cuda
    headrouter-eval bench --router-cost --size 3b --audio-seconds 300 --device cuda

Random-weight sizes per family (--family, default qwen_omni): qwen_omni tiny, small,
3b, 7b; qwen2_audio tiny, 7b; qwen3_omni tiny, 30b-a3b. --pretrained takes a
checkpoint of any family instead.

The full mode measures vanilla and every method at every retention and writes
``report.json``, ``report.md`` and ``efficiency.png`` under ``--out``. The router-cost
mode (``--router-cost``) prints HeadRouter's router time as a percentage of prefill
time at the given audio length, and writes ``router_cost.json`` / ``router_cost.md``
when ``--out`` is given.
"""

from __future__ import annotations

import argparse
import logging
import shlex
from pathlib import Path

from headrouter_eval.catalog import FAMILIES

DEFAULT_FAMILY = "qwen_omni"
# every preset name of every family (bench/presets.py); a size the family lacks is refused by name
SIZES = ["tiny", "small", "3b", "7b", "30b-a3b"]
DEFAULT_RETENTIONS = (0.9, 0.7, 0.5, 0.3)
ROUTER_COST_RETENTION = 0.5
CPU_NOTES = [
    "CPU run: peak memory is not measured (torch.cuda.max_memory_allocated exists only on GPU; process RSS "
    "is not comparable and moves with other jobs); the memory panel of the plot shows the K/V cache size "
    "from the formula instead.",
    "CPU timings on a shared machine are noisy and their speedups do not predict GPU speedups: CPU matmuls "
    "dominate differently and attention kernels differ. Use them for structure and token/FLOPs accounting.",
]


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"retentions must be in (0, 1], got {text!r}")
    return values


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def register(subparsers) -> None:
    """Add the ``bench`` subcommand."""
    from headrouter_eval.cli_text import plain

    p = subparsers.add_parser("bench", help="efficiency benchmark: prefill latency, memory, FLOPs per pruner",
                              description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--size", choices=SIZES, default=None,
                       help="random-weight model of this shape of --family (default tiny)")
    which.add_argument("--pretrained", default=None,
                       help="a checkpoint of any supported family (hub id or folder); its family is read from it")
    p.add_argument("--family", choices=FAMILIES, default=DEFAULT_FAMILY,
                   help="model family of the --size presets (default qwen_omni)")
    p.add_argument("--audio-seconds", type=float, default=30.0, help="synthetic audio length, 1-300 s (default 30)")
    p.add_argument("--long-audio", default="split",
                   help="audio longer than the processor's window, as the adapter's model arg long_audio: split "
                        "(default: the model hears all --audio-seconds, in consecutive spans) | truncate (it "
                        "hears the window only, the adapter's default)")
    p.add_argument("--retentions", type=_floats, default=None,
                   help="comma-separated, default 0.9,0.7,0.5,0.3 (router-cost mode: 0.5)")
    p.add_argument("--methods", type=_names, default=None,
                   help="comma-separated pruners (vanilla always runs); default: every available pruner plus "
                        "fastv_eager (router-cost mode: headrouter)")
    p.add_argument("--layer", type=int, default=2, help="pruning layer K (default 2)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs per configuration (default 1)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per configuration, medians (default 5)")
    p.add_argument("--decode-tokens", type=int, default=8, help="tokens generated per run (default 8)")
    p.add_argument("--attn", default="sdpa", choices=["sdpa", "flash_attention_2"],
                   help="attention kernel of the model (default sdpa)")
    p.add_argument("--dtype", default="auto", help="auto (bf16 on GPU, fp32 on CPU) | bf16 | fp16 | fp32")
    p.add_argument("--device", default="auto", help="auto (cuda if available) | cpu | cuda | cuda:N")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for torch (default: torch's own choice); 1 is steadier on a shared machine")
    p.add_argument("--chunk-seconds", type=int, default=None,
                   help="feature-extractor window for qwen_omni --size models (default 30 s, Whisper's; "
                        "300 s for 3b and 7b)")
    p.add_argument("--seed", type=int, default=0, help="weights, audio and random-pruner seed (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default results/efficiency/<size>-<device>-<seconds>s; "
                        "router-cost mode: print only)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG plot")
    p.add_argument("--router-cost", action="store_true",
                   help="print HeadRouter's router time as %% of prefill at this audio length")
    p.set_defaults(func=run_bench)


def command_from_args(args: argparse.Namespace) -> str:
    """The full command line that reproduces this run (every option spelt out)."""
    parts = ["headrouter-eval", "bench"]
    if args.pretrained:
        parts += ["--pretrained", args.pretrained]
    else:
        parts += ["--family", args.family, "--size", args.size]
    parts += ["--audio-seconds", f"{args.audio_seconds:g}", "--long-audio", args.long_audio]
    parts += ["--retentions", ",".join(f"{r:g}" for r in args.retentions),
              "--methods", ",".join(args.methods), "--layer", str(args.layer), "--warmup", str(args.warmup),
              "--repeats", str(args.repeats), "--decode-tokens", str(args.decode_tokens), "--attn", args.attn,
              "--dtype", args.dtype, "--device", args.device, "--seed", str(args.seed)]
    if args.threads is not None:
        parts += ["--threads", str(args.threads)]
    if args.chunk_seconds is not None:
        parts += ["--chunk-seconds", str(args.chunk_seconds)]
    if args.out is not None:
        parts += ["--out", str(args.out)]
    if args.no_plot:
        parts.append("--no-plot")
    if args.router_cost:
        parts.append("--router-cost")
    return shlex.join(parts)


def run_bench(args: argparse.Namespace) -> int:
    """Handler of ``headrouter-eval bench``."""
    from dataclasses import asdict

    import torch

    from headrouter_eval import provenance
    from headrouter_eval.bench import flops
    from headrouter_eval.bench.inputs import build_input
    from headrouter_eval.bench.models import build_random_model, load_pretrained_model
    from headrouter_eval.bench.plot import plot_efficiency
    from headrouter_eval.bench.presets import get_preset
    from headrouter_eval.bench.report import write_report, write_router_cost
    from headrouter_eval.bench.router_cost import ROUTER_METHOD, router_lines
    from headrouter_eval.bench.runner import SweepSettings, available_methods, check_methods, run_sweep
    from headrouter_eval.bench.summary import RunContext, build_rows, evaluate_targets

    logging.basicConfig(level=logging.WARNING)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.pretrained is None and args.size is None:
        args.size = "tiny"
    if args.retentions is None:
        args.retentions = [ROUTER_COST_RETENTION] if args.router_cost else list(DEFAULT_RETENTIONS)
    if args.methods is None:
        args.methods = [ROUTER_METHOD] if args.router_cost else available_methods()
    check_methods(args.methods)
    from headrouter_eval.bench.inputs import MAX_SECONDS, MIN_SECONDS

    if not MIN_SECONDS <= args.audio_seconds <= MAX_SECONDS:  # before minutes of model loading
        raise SystemExit(f"--audio-seconds must be in [{MIN_SECONDS:g}, {MAX_SECONDS:g}], got {args.audio_seconds:g}")
    from headrouter_eval.models.base import LONG_AUDIO

    if args.long_audio not in LONG_AUDIO:
        raise SystemExit(f"--long-audio must be one of {list(LONG_AUDIO)}, got {args.long_audio!r}")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device} asked for CUDA, but no CUDA device is available here; "
                         "use --device cpu (tiny or small sizes)")
    if args.pretrained:
        bench = load_pretrained_model(args.pretrained, device=device, dtype=args.dtype, attn=args.attn)
    else:
        try:
            preset = get_preset(args.size, args.chunk_seconds, family=args.family)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        if device.type == "cpu" and preset.real:
            logging.getLogger(__name__).warning(
                "building the %s shape on CPU: billions of parameters in %s, tens of GB of RAM and minutes per "
                "prefill; the real sizes are meant for a GPU", preset.name, args.dtype)
        bench = build_random_model(preset, device=device, dtype=args.dtype, attn=args.attn, seed=args.seed)
    model, family = bench.model, bench.family
    dtype = model.dtype
    bench_input = build_input(family, bench.processor, family.audio_token_ids(model.config), args.audio_seconds,
                              device=device, dtype=dtype, seed=args.seed, long_audio=args.long_audio)
    settings = SweepSettings(methods=args.methods, retentions=args.retentions, layer=args.layer,
                             warmup=args.warmup, repeats=args.repeats, decode_tokens=args.decode_tokens,
                             attention=args.attn, seed=args.seed)
    measurements = run_sweep(model, family, bench_input, settings, bench.processor.tokenizer.pad_token_id)
    size = args.size or "pretrained"
    family_name = family.name
    ctx = RunContext(size=size, device=device.type, audio_seconds=args.audio_seconds, layer=args.layer, dtype=dtype,
                     family=family_name)
    decoder, encoder = family.sizes(model.config), family.encoder_sizes(model.config)
    rows = build_rows(measurements, decoder, encoder, bench_input, ctx)
    env = provenance.describe(device, command_from_args(args))
    payload = {
        "benchmark": "headrouter-eval bench" + (" --router-cost" if args.router_cost else ""),
        "environment": env,
        "model": {"label": bench.label, "description": bench.description, "random_weights": bench.random_weights,
                  "dtype": str(dtype).replace("torch.", ""), "attention": args.attn, "layer": args.layer,
                  "family": family_name, "num_layers": decoder.layers, "text_shape": asdict(decoder),
                  "encoder_shape": asdict(encoder)},
        "input": {"audio_seconds": args.audio_seconds, "long_audio": args.long_audio,
                  "audio_heard_s": bench_input.audio_heard_s, "seq_len": bench_input.seq_len,
                  "n_audio_tokens": bench_input.n_audio_tokens, "n_spans": bench_input.n_spans,
                  "query_len": bench_input.query_len, "feature_lens": bench_input.feature_lens},
        "settings": {"methods": args.methods, "retentions": args.retentions, "warmup": args.warmup,
                     "repeats": args.repeats, "decode_tokens": args.decode_tokens},
        "formula": flops.FORMULA,
        "rows": rows,
        "targets": evaluate_targets(rows, ctx),
        "notes": _notes(args, device),
    }
    if args.router_cost:
        lines = router_lines(rows, bench.label, env["device"])
        print("\n".join(lines))
        if args.out is not None:
            write_router_cost(payload, lines, args.out)
        return 0
    prefix = "" if args.pretrained or family_name == DEFAULT_FAMILY else f"{family_name}-"
    out = args.out or Path("results/efficiency") / f"{prefix}{size}-{device.type}-{args.audio_seconds:g}s"
    paths = write_report(payload, out)
    if not args.no_plot:
        title = f"{bench.label}, {args.audio_seconds:g} s audio, {env['device']}, K={args.layer}"
        paths["plot"] = plot_efficiency(rows, title, out / "efficiency.png")
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _notes(args: argparse.Namespace, device) -> list[str]:
    notes = []
    if device.type != "cuda":
        notes += CPU_NOTES
    if args.repeats < 5:
        notes.append(f"only {args.repeats} timed repeat(s) per configuration: medians are indicative only "
                     "(at least 5 are needed for stable medians)")
    notes.append("scoring ms is timed around the pruner's select() with a synchronise on both sides; the engine's "
                 "own scoring_s (engine_scoring_ms in the JSON) is synchronised too (headrouter_eval/engine/prune.py) "
                 "and also covers building the keep mask and slicing the layer's inputs.")
    if "fastv_eager" in args.methods:
        notes.append("fastv_eager: FastV as usually implemented, the whole model on eager attention, the scoring "
                     "layer's full attention map kept until the pruning layer; its speedups are against vanilla "
                     "with the benchmark's kernel, and vanilla_eager shows what eager attention alone costs.")
    return notes
