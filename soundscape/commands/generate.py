"""``soundscape generate SCENE``: fill the scene's bank with text-to-audio segments.

Every layer with a prompt (and no audio files, which the mixer prefers) gets
``--variants`` segments (default: the layer's ``variants``). Variants already in the
bank are not made again; torch is not even imported when nothing is missing.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from ..bank import SegmentBank, default_bank_dir
from ..errors import GeneratorError, UsageError
from ..scene import Layer, Scene, load_scene

log = logging.getLogger("soundscape.generate")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "generate",
        help="fill a scene's bank with text-to-audio segments",
        description=(
            "Generate segments for every layer with a prompt (AudioLDM2 or Stable Audio "
            "Open, weights from a local folder or the Hugging Face cache; never "
            "downloads). Needs the optional extra: pip install 'soundscape[gen]'."
        ),
    )
    p.add_argument("scene", type=Path, help="scene file (.toml)")
    p.add_argument("--model", help="audioldm2, audioldm2-large, stable-audio-open, a hub id "
                   "in the HF cache, or a folder (default: the scene's, else audioldm2)")
    p.add_argument("--variants", type=int, help="segments per layer (default: layer.variants)")
    p.add_argument("--bank", type=Path, help=f"bank folder (default {default_bank_dir()})")
    p.add_argument("--device", help="cuda, cuda:N or cpu (default: cuda when available)")
    p.add_argument("--dtype", choices=("fp16", "bf16", "fp32"),
                   help="default fp16 on CUDA, fp32 on the CPU")
    p.add_argument("--only", help="comma-separated layer names")
    p.add_argument("--candidates", type=int, help="candidates per variant (best kept)")
    p.add_argument("--steps", type=int, help="denoising steps (default 50)")
    p.add_argument("--guidance", type=float, help="guidance scale (default 6.0)")
    p.add_argument("--scheduler", choices=("default", "ddim", "dpm"))
    p.add_argument("--batch-size", type=int, help="items per model call (default: fits memory)")
    p.add_argument("--force", action="store_true", help="remake variants already in the bank")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)
    return p


def _positive(name: str, value: Any, high: float) -> None:
    if value is not None and not 0 < value <= high:
        raise UsageError(f"--{name} {value!r} is out of range 1..{high:g}")


def select_layers(scene: Scene, only: str | None) -> list[Layer]:
    """Layers to generate for; ``only`` names must exist and have a prompt."""
    names = [n.strip() for n in only.split(",") if n.strip()] if only else []
    known = {layer.name: layer for layer in scene.layers}
    for name in names:
        if name not in known:
            raise UsageError(
                f"--only: {scene.path} has no layer {name!r} (layers: {', '.join(known)})"
            )
        if known[name].prompt is None:
            raise UsageError(f"--only: layer {name!r} of {scene.path} has no prompt")
    chosen = [known[n] for n in names] if names else [
        layer for layer in scene.layers if layer.prompt is not None
    ]
    out = []
    for layer in chosen:
        if layer.files:
            log.info("layer %r plays its audio files; not generating for it", layer.name)
            continue
        out.append(layer)
    return out


def run(args: argparse.Namespace) -> int:
    from ..generators import BankGenerator, make_backend_factory, plan, resolve_model
    from ..generators.engine import realtime_factor
    from ..generators.settings import resolve_settings

    _positive("variants", args.variants, 1000)
    _positive("candidates", args.candidates, 64)
    _positive("steps", args.steps, 1000)
    _positive("batch-size", args.batch_size, 4096)
    if args.guidance is not None and not 0 <= args.guidance <= 30:
        raise UsageError(f"--guidance {args.guidance!r} is out of range 0..30")
    scene = load_scene(args.scene)
    layers = select_layers(scene, args.only)
    if not layers:
        log.info("%s: no layer with a prompt; nothing to generate", scene.path)
        return 0
    overrides = {"model": args.model, "candidates": args.candidates, "steps": args.steps,
                 "guidance": args.guidance, "scheduler": args.scheduler}
    bank = SegmentBank(args.bank)
    refs: dict[str, Any] = {}
    jobs = []
    for layer in layers:
        settings = resolve_settings(scene, layer, overrides)
        if settings.model not in refs:
            refs[settings.model] = resolve_model(settings.model)
        count = args.variants or layer.variants
        jobs += plan(scene, layer, settings, refs[settings.model], range(count))
    generator = BankGenerator(
        bank,
        make_backend_factory(args.device, args.dtype, args.batch_size),
        progress=not args.quiet,
        force=args.force,
    )
    try:
        report = generator.run(jobs)
    except GeneratorError as exc:
        raise GeneratorError(f"{scene.path}: {exc} (segments written before it are kept in "
                             f"{bank.root})") from exc
    if not args.quiet:
        log.info(
            "%s: %d segments written, %d already in the bank %s; %d model calls, %d takes, "
            "%.1fs of audio in %.1fs (%.1fx realtime)",
            scene.path, report.written, report.in_bank, bank.root, report.calls, report.takes,
            report.audio_seconds, report.wall_seconds, realtime_factor(report),
        )
    if report.failed_gates:  # said even with --quiet: these will never be heard
        log.warning(
            "%s: %d of the segments written failed the quality gates; they stay in the bank "
            "for inspection but are never played (render and serve leave them out with a "
            "warning, and use the layer's recipe when nothing else is left); try more "
            "--candidates or another prompt", scene.path, report.failed_gates,
        )
    return 0
