"""Throughput of text-to-audio generation: seconds per 10.24 s segment and x realtime.

Builds each pipeline from its published configs with random weights (compute does
not depend on weight values) and times full pipeline calls (text encoders, denoising
loop, VAE, vocoder) at several batch sizes, DDIM 50 steps versus DPM-Solver 20 steps,
with and without CUDA graphs (``torch.compile(mode="reduce-overhead")``, fixed batch).
Also times soundscape's own per-segment work (gates, post-processing to 48 kHz
stereo, bank write) on full-size audio, which runs on the CPU in every case.

    python bench/generate_gpu.py --configs audioldm2=DIR [--configs stable-audio-open=DIR ...]
    python bench/generate_gpu.py --tiny            # CPU, tiny pipelines from the tests

``DIR`` is a model folder or a copy of one without its weight files (the JSON configs,
tokenizer and scheduler files are enough: fetch them with ``hf download cvssp/audioldm2
--exclude '*.safetensors' '*.bin'``). Hub ids already in the Hugging Face cache work
too. Without a GPU, ``--tiny`` is the only meaningful mode: its numbers say nothing
about GPU throughput. Results print as a Markdown table; ``--json FILE`` saves them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SEGMENT_SECONDS = 10.24


def random_pipeline(folder: Path, device: str, dtype: Any) -> Any:
    """The pipeline in ``folder`` with every model component built from config, random."""
    import diffusers
    import transformers

    index = json.loads((folder / "model_index.json").read_text())
    parts: dict[str, Any] = {}
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or spec[0] is None:
            continue
        library, cls_name = spec
        sub = folder / name
        if name == "language_model":
            cls_name = "GPT2LMHeadModel"  # transformers 5.x: GPT2Model cannot generate
        from_transformers = library == "transformers"
        cls = getattr(transformers if from_transformers else diffusers, cls_name)
        if "Tokenizer" in cls_name:
            parts[name] = transformers.AutoTokenizer.from_pretrained(sub)
        elif "Scheduler" in cls_name or "FeatureExtractor" in cls_name:
            parts[name] = cls.from_pretrained(sub)
        elif not from_transformers:
            parts[name] = cls.from_config(cls.load_config(sub))
        else:
            parts[name] = cls._from_config(transformers.AutoConfig.from_pretrained(sub))
    pipe_cls = getattr(diffusers, index["_class_name"])
    pipe = pipe_cls(**parts).to(device=device, dtype=dtype)
    for part in parts.values():
        if hasattr(part, "eval"):
            part.eval()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def time_call(pipe: Any, family: str, batch: int, steps: int, scheduler: str,
              device: str, repeats: int) -> float:
    import torch

    diffusers = __import__("diffusers")
    if family == "audioldm2":
        ddim = scheduler == "ddim"
        cls = diffusers.DDIMScheduler if ddim else diffusers.DPMSolverMultistepScheduler
        pipe.scheduler = cls.from_config(pipe.scheduler.config)
    kwargs: dict[str, Any] = dict(
        prompt=["high quality recording of rain on a window"] * batch,
        negative_prompt=["music, voices, low quality, distorted"] * batch,
        num_inference_steps=steps, guidance_scale=6.0, output_type="np",
        generator=[torch.Generator("cpu").manual_seed(i) for i in range(batch)],
    )
    if family == "audioldm2":
        kwargs["audio_length_in_s"] = SEGMENT_SECONDS
    best = float("inf")
    with torch.inference_mode():
        for _ in range(repeats + 1):  # first call warms up (and captures graphs)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            pipe(**kwargs)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t0)
    return best


def segments_per_item(pipe: Any, family: str) -> tuple[int, float]:
    """(segments, seconds of audio per segment) one batch item yields."""
    if family == "audioldm2":
        return 1, SEGMENT_SECONDS
    hop = pipe.vae.hop_length
    total = pipe.transformer.config.sample_size * hop / pipe.vae.config.sampling_rate
    window = SEGMENT_SECONDS + 0.24
    if total < window:  # tiny models: pieces of a third of the call
        return 3, total / 3
    return int(total // window), SEGMENT_SECONDS


def post_cost(repeats: int = 5) -> dict[str, float]:
    """Per-segment CPU cost of gates + finish + bank write for a 10.24 s 16 kHz take."""
    from soundscape.bank import SegmentBank
    from soundscape.generators import post, quality
    from soundscape.segment import Segment

    rng = np.random.default_rng(0)
    raw = (0.05 * rng.standard_normal((1, int(16000 * SEGMENT_SECONDS)))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        bank = SegmentBank(tmp)
        times = {"gates_ms": [], "post_ms": [], "post_high_band_ms": [], "bank_put_ms": []}
        for i in range(repeats):
            t0 = time.perf_counter()
            quality.assess(raw, 16000, bed=True)
            t1 = time.perf_counter()
            audio, _ = post.finish(raw, 16000, 48000, True, 10.0, rng)
            t2 = time.perf_counter()
            post.finish(raw, 16000, 48000, True, 10.0, rng, high_band=True)
            t3 = time.perf_counter()
            bank.put({"bench": i}, Segment(audio, 48000, {}), group="bench")
            t4 = time.perf_counter()
            for k, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                times[k].append(v * 1000)
    return {k: round(float(np.median(v)), 1) for k, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", action="append", default=[], metavar="NAME=DIR",
                   help="a model to time: name and folder (or hub id in the HF cache)")
    p.add_argument("--tiny", action="store_true", help="tiny CPU pipelines from the tests")
    p.add_argument("--batches", default=None, help="comma-separated batch sizes")
    p.add_argument("--graphs", action="store_true", help="also time with CUDA graphs")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    p.add_argument("--json", type=Path, help="write the results here too")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    dtype = torch.float16 if cuda else torch.float32
    batches = [int(b) for b in (args.batches or ("1,4,8,16,32,64" if cuda else "1,4,8")).split(",")]
    models: dict[str, Path] = {}
    tmp = tempfile.TemporaryDirectory()
    if args.tiny or not args.configs:
        from tiny_pipelines import build_tiny_audioldm2, build_tiny_stable_audio

        models["audioldm2 (tiny)"] = build_tiny_audioldm2(Path(tmp.name) / "a")
        models["stable-audio (tiny)"] = build_tiny_stable_audio(Path(tmp.name) / "s")
    for spec in args.configs:
        name, _, where = spec.partition("=")
        from soundscape.generators.models import resolve_model

        models[name] = resolve_model(where).folder
    device_name = torch.cuda.get_device_name(0) if cuda else "CPU (no GPU)"
    rows = []
    for name, folder in models.items():
        pipe = random_pipeline(folder, device, dtype)
        family = "audioldm2" if "AudioLDM2" in type(pipe).__name__ else "stable-audio"
        per_item, seg_seconds = segments_per_item(pipe, family)
        modes = [("ddim", 50), ("dpm", 20)]
        if family != "audioldm2":
            modes = [("default", 50), ("default", 20)]
        for graphs in ([False, True] if cuda and args.graphs else [False]):
            if graphs:
                denoiser = "unet" if family == "audioldm2" else "transformer"
                setattr(pipe, denoiser, torch.compile(getattr(pipe, denoiser),
                                                      mode="reduce-overhead"))
            for sched, steps in modes:
                for batch in batches:
                    try:
                        secs = time_call(pipe, family, batch, steps, sched, device, args.repeats)
                    except torch.cuda.OutOfMemoryError:
                        rows.append(dict(model=name, scheduler=sched, steps=steps, batch=batch,
                                         graphs=graphs, error="out of memory"))
                        torch.cuda.empty_cache()
                        break
                    segs = batch * per_item
                    rows.append(dict(model=name, scheduler=sched, steps=steps, batch=batch,
                                     graphs=graphs, call_s=round(secs, 4),
                                     s_per_segment=round(secs / segs, 4),
                                     x_realtime=round(segs * seg_seconds / secs, 1)))
        del pipe
    post = post_cost()
    print(f"device: {device_name}; dtype {str(dtype).replace('torch.', '')}; "
          f"torch {torch.__version__}; threads {args.threads}; random weights")
    print("\n| model | scheduler | steps | batch | graphs | call s | s/segment | x realtime |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | {r['scheduler']} | {r['steps']} | {r['batch']} | "
                  f"{r['graphs']} | {r['error']} | | |")
            continue
        print(f"| {r['model']} | {r['scheduler']} | {r['steps']} | {r['batch']} | {r['graphs']} "
              f"| {r['call_s']} | {r['s_per_segment']} | {r['x_realtime']} |")
    print(f"\nper-segment CPU work on a 10.24 s take (median ms): {post}")
    if args.json:
        args.json.write_text(json.dumps({"device": device_name, "rows": rows, "post": post},
                                        indent=1))
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
