"""Where a layer's segments come from: audio files, the bank's generated segments,
or the procedural synthesizer (the default), in that order of preference.

Every source goes through one contract (``soundscape.segment.SegmentSource``):
``key(layer, variant, seed)`` says what determines the audio and
``segment(layer, variant, seed)`` makes it. The bank caches by the key's digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import procedural
from .bank import SegmentBank
from .dsp.convert import to_stereo_rate
from .errors import SourceError
from .filesource import EVENT_MAX_SECONDS, FileSource, read_audio_file  # noqa: F401
from .guard import check_segment, describe
from .scene import Bed, Layer, Scene
from .seeds import derive
from .segment import Segment, digest


def layer_seed(scene_seed: int, layer: Layer, variant: int) -> int:
    """A stable 32-bit seed for one variant of one layer (independent of layer order)."""
    return derive(seed=scene_seed, layer=layer.name, variant=variant)


class ProceduralSource:
    """Segments from the built-in synthesizer (``soundscape.procedural``)."""

    def __init__(self, sample_rate: int, segment_seconds: float):
        self.sample_rate = sample_rate
        self.segment_seconds = segment_seconds

    def _seconds(self, layer: Layer) -> float:
        return self.segment_seconds if isinstance(layer, Bed) else EVENT_MAX_SECONDS

    def key(self, layer: Layer, variant: int, seed: int) -> dict[str, Any]:
        return {
            "source": "procedural",
            "version": procedural.PROCEDURAL_VERSION,
            "recipe": layer.recipe,
            "params": layer.params,
            "seconds": self._seconds(layer),
            "sample_rate": self.sample_rate,
            "seed": seed,
        }

    def segment(self, layer: Layer, variant: int, seed: int) -> Segment:
        assert layer.recipe is not None
        audio = procedural.render(
            layer.recipe,
            layer.params,
            seconds=self._seconds(layer),
            sample_rate=self.sample_rate,
            seed=seed,
        )
        meta = {"source": "procedural", "recipe": layer.recipe, "params": layer.params,
                "seed": seed, "variant": variant}
        return Segment(np.ascontiguousarray(audio, dtype=np.float32), self.sample_rate, meta)


def prompt_group(layer: Layer) -> str:
    """The bank group that holds generated segments for this layer's prompt."""
    return "prompt-" + digest({"prompt": layer.prompt, "kind": layer.kind})


PROCEDURAL_ATTEMPTS = 6  # seeds tried per variant before a recipe is declared broken


def attempt_seed(base_seed: int, layer: Layer, variant: int, attempt: int) -> int:
    """The seed of a procedural variant's ``attempt``-th try (0: its own seed; the
    others when the guard rejected the earlier ones), for bank and fresh variants alike."""
    return layer_seed(base_seed, layer, variant + 1000 * attempt)


@dataclass
class LayerMaterial:
    """A layer's checked segments and where they came from (for the render report).

    ``source`` is "files", "generated" or "procedural"; ``detail`` says which files,
    models or recipe; ``warnings`` name every segment that was rejected and why;
    ``notes`` say what was repaired quietly (a procedural variant made again with
    another seed).
    """

    segments: list[Segment]
    source: str
    detail: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # procedural segments' (variant, seed), in order: any one can be made again
    seeds: list[tuple[int, int]] = field(default_factory=list)


def layer_segments(
    scene: Scene, layer: Layer, bank: SegmentBank, seed: int | None = None
) -> list[Segment]:
    """Raw, checked segments for ``layer`` at the scene's rate (see ``layer_material``)."""
    return layer_material(scene, layer, bank, seed).segments


def layer_material(
    scene: Scene, layer: Layer, bank: SegmentBank, seed: int | None = None
) -> LayerMaterial:
    """Checked segments for ``layer``: files, else generated, else recipe.

    Every segment passes ``soundscape.guard.check_segment`` before it is returned,
    whether it was just made or loaded from the bank. A failing procedural variant is
    made again with another seed; a failing file cut or generated segment is left
    out with a warning naming layer, source and reason; when every generated segment
    fails, the recipe is used instead (with a warning). Procedural and file segments
    are made on demand and cached in ``bank``; generated segments are only read from
    it (``soundscape generate`` fills it). Raises SourceError when nothing playable
    is left.
    """
    rate = scene.master.sample_rate
    base_seed = scene.master.seed if seed is None else seed
    where = f"{scene.path}: layer {layer.name!r}"
    warnings: list[str] = []
    if layer.files:
        files = _file_material(scene, layer, bank, base_seed)
        files.segments = [_to_rate(s, rate) for s in files.segments]  # a mono bank copy
        return files
    if layer.prompt is not None:
        found = bank.group(prompt_group(layer))
        good = []
        for seg in found:
            problems = _generated_problems(seg, layer, rate)
            if problems:
                model = seg.meta.get("model", "a model")
                warnings.append(
                    f"{where}: generated segment (variant {seg.meta.get('variant', '?')}, "
                    f"{model}) rejected: {problems}"
                )
            else:
                good.append(_to_rate(seg, rate))
        if good:
            models = sorted({str(s.meta.get("model", "?")) for s in good})
            return LayerMaterial(good, "generated",
                                 f"{len(good)} generated segments ({', '.join(models)})",
                                 warnings)
        if found:
            warnings.append(f"{where}: every generated segment was rejected; "
                            + ("using its recipe instead" if layer.recipe else
                               "nothing is left to play"))
    if layer.recipe is None:
        detail = "; ".join(warnings) if warnings else (
            f"the bank ({bank.root}) holds no generated segments for it"
        )
        raise SourceError(
            f"{where} has only a prompt and {detail}: run "
            f"'soundscape generate {scene.path}' or give the layer a recipe"
        )
    material = _procedural_material(scene, layer, bank, base_seed)
    material.segments = [_to_rate(s, rate) for s in material.segments]  # a mono bank copy
    material.warnings[:0] = warnings
    return material


def _generated_problems(seg: Segment, layer: Layer, rate: int) -> str:
    quality = seg.meta.get("scores", {}).get("quality", {}) if isinstance(
        seg.meta.get("scores"), dict) else {}
    if isinstance(quality, dict) and quality.get("passed") is False:
        failed = quality.get("failed") or ["quality gates"]
        return "failed the generator's quality gates (" + ", ".join(map(str, failed)) + ")"
    if seg.frames == 0:
        return "no audio"
    return describe(check_segment(seg.audio, seg.sample_rate, layer.kind))


def _procedural_material(scene: Scene, layer: Layer, bank: SegmentBank,
                         base_seed: int) -> LayerMaterial:
    rate = scene.master.sample_rate
    src = ProceduralSource(rate, scene.master.segment_seconds)
    segments: list[Segment] = []
    notes: list[str] = []
    failures: list[str] = []
    for variant in range(layer.variants):
        for attempt in range(PROCEDURAL_ATTEMPTS):
            vseed = attempt_seed(base_seed, layer, variant, attempt)
            key = src.key(layer, variant, vseed)
            reason = bank.rejected(key)
            if reason is None:
                seg = bank.get(key)  # counts the hit or miss
                cached = seg is not None
                if seg is None:
                    seg = src.segment(layer, variant, vseed)
                    if (damage := bank.damaged(key)) is not None:  # failed its checksum
                        notes.append(f"variant {variant}: the bank's copy was damaged "
                                     f"({damage}); made again")
                problems = check_segment(seg.audio, rate, layer.kind, strict=True)
                if not problems:
                    if not cached:
                        bank.put(key, seg)
                    segments.append(seg)
                    break
                reason = describe(problems)
                if cached:  # corrupted on disk, or a recipe bug: never play it
                    seg = src.segment(layer, variant, vseed)
                    if not check_segment(seg.audio, rate, layer.kind, strict=True):
                        bank.put(key, seg)
                        segments.append(seg)
                        notes.append(f"variant {variant}: the bank's copy was damaged "
                                     f"({reason}); made again")
                        break
                bank.reject(key, reason)
            notes.append(f"variant {variant} seed {vseed}: {reason}; trying another seed")
        else:
            failures.append(f"variant {variant}: {reason}")
    where = f"{scene.path}: layer {layer.name!r}"
    warnings = [f"{where}: recipe {layer.recipe!r} {f} (after {PROCEDURAL_ATTEMPTS} seeds);"
                " variant left out" for f in failures]
    if not segments:
        raise SourceError(f"{where}: recipe {layer.recipe!r} made no playable segment: "
                          + "; ".join(failures))
    params = ", ".join(f"{k}={v}" for k, v in sorted(layer.params.items()))
    detail = f"recipe {layer.recipe!r}" + (f" ({params})" if params else "")
    return LayerMaterial(segments, "procedural", detail, warnings, notes)


FRESH_BED_SEGMENTS = 2  # a fresh bed segment is this many bank segments long


def fresh_frames(scene: Scene) -> int:
    """Frames in every fresh bed segment (see ``fresh_segment``)."""
    return int(round(FRESH_BED_SEGMENTS * scene.master.segment_seconds
                     * scene.master.sample_rate))


def remade_segment(scene: Scene, layer: Layer, variant: int, seed: int) -> Segment:
    """Procedural variant ``variant`` made again with the ``seed`` it was made with
    (``LayerMaterial.seeds``): the samples the bank holds for it, at the scene's rate."""
    src = ProceduralSource(scene.master.sample_rate, scene.master.segment_seconds)
    return _to_rate(src.segment(layer, variant, seed), scene.master.sample_rate)


def fresh_segment(scene: Scene, layer: Layer, index: int,
                  base_seed: int | None = None) -> Segment | None:
    """Procedural segment ``index`` of ``layer``, made now and not kept in the bank: a
    bed's endless renewal, or one event per trigger (see ``soundscape.graph.pool``).

    Seeded like the bank's variants (``layer_seed(base, layer, index)``, then the same
    other seeds when the strict guard rejects it). A bed's fresh segment is
    ``fresh_frames(scene)`` long (``FRESH_BED_SEGMENTS`` bank segments: longer plays,
    fewer joins, less synthesis per minute heard); an event has its natural length.
    None when every seed fails (the player then replays a fixed variant); the audio
    is at the scene's rate.
    """
    assert layer.recipe is not None
    rate = scene.master.sample_rate
    base = scene.master.seed if base_seed is None else base_seed
    seconds = scene.master.segment_seconds * (FRESH_BED_SEGMENTS if isinstance(layer, Bed)
                                              else 1)
    src = ProceduralSource(rate, seconds)
    for attempt in range(PROCEDURAL_ATTEMPTS):
        seg = src.segment(layer, index, attempt_seed(base, layer, index, attempt))
        if not check_segment(seg.audio, rate, layer.kind, strict=True):
            return _to_rate(seg, rate)
    return None


def _file_material(scene: Scene, layer: Layer, bank: SegmentBank,
                   base_seed: int) -> LayerMaterial:
    rate = scene.master.sample_rate
    src = FileSource(rate, scene.master.segment_seconds)
    count = len(src.cuts(layer))
    segments: list[Segment] = []
    warnings: list[str] = []
    where = f"{scene.path}: layer {layer.name!r}"
    for variant in range(count):
        vseed = layer_seed(base_seed, layer, variant)
        key = src.key(layer, variant, vseed)
        try:
            seg = bank.get_or_make(key, partial(src.segment, layer, variant, vseed))
        except SourceError as exc:  # one damaged file must not silence the others
            warnings.append(f"{where}: variant {variant} left out: {exc}")
            continue
        problems = check_segment(seg.audio, rate, layer.kind)
        if problems:
            what = seg.meta.get("file", "a file")
            cut = seg.meta.get("cut")
            piece = f" (piece {cut})" if cut is not None else ""
            warnings.append(f"{where}: {what}{piece} rejected: {describe(problems)}")
            continue
        if (length := seg.meta.get("head_of")) is not None:  # an event from a long file
            warnings.append(f"{where}: {seg.meta.get('file')} is {float(length):.0f} s long; "
                            f"an event plays only its first {EVENT_MAX_SECONDS:g} s")
        segments.append(seg)
    if not segments:
        raise SourceError(f"{where}: no playable audio in its files: "
                          + "; ".join(warnings))
    names = ", ".join(Path(f).name for f in layer.files)
    return LayerMaterial(segments, "files", f"files: {names}", warnings)


def _to_rate(segment: Segment, rate: int) -> Segment:
    if segment.sample_rate == rate and segment.channels == 2:
        return segment
    audio = to_stereo_rate(segment.audio, segment.sample_rate, rate)
    return Segment(audio, rate, segment.meta)
