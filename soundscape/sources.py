"""Where a layer's segments come from: audio files, the bank's generated segments,
or the procedural synthesizer (the default), in that order of preference.

Every source goes through one contract (``soundscape.segment.SegmentSource``):
``key(layer, variant, seed)`` says what determines the audio and
``segment(layer, variant, seed)`` makes it. The bank caches by the key's digest.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from . import procedural
from .bank import SegmentBank
from .dsp.convert import to_stereo_rate
from .errors import SourceError
from .filesource import EVENT_MAX_SECONDS, FileSource, read_audio_file  # noqa: F401
from .scene import Bed, Layer, Scene
from .segment import Segment, digest


def layer_seed(scene_seed: int, layer: Layer, variant: int) -> int:
    """A stable 32-bit seed for one variant of one layer (independent of layer order)."""
    text = digest({"seed": scene_seed, "layer": layer.name, "variant": variant})
    return int(text[:8], 16)


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


def layer_segments(
    scene: Scene, layer: Layer, bank: SegmentBank, seed: int | None = None
) -> list[Segment]:
    """Raw segments for ``layer`` at the scene's rate: files, else generated, else recipe.

    Procedural and file segments are made on demand and cached in ``bank``; generated
    segments are only read from it (``soundscape generate`` fills it).
    """
    rate = scene.master.sample_rate
    seconds = scene.master.segment_seconds
    base_seed = scene.master.seed if seed is None else seed
    if layer.files:
        src: Any = FileSource(rate, seconds)
        count = len(src.cuts(layer))
    else:
        if layer.prompt is not None:
            found = [s for s in bank.group(prompt_group(layer)) if s.frames > 0]
            if found:
                return [_to_rate(s, rate) for s in found]
        if layer.recipe is None:
            raise SourceError(
                f"{scene.path}: layer {layer.name!r} has only a prompt and the bank "
                f"({bank.root}) holds no generated segments for it: run "
                f"'soundscape generate {scene.path}' or give the layer a recipe"
            )
        src = ProceduralSource(rate, seconds)
        count = layer.variants
    segments = []
    for variant in range(count):
        vseed = layer_seed(base_seed, layer, variant)
        key = src.key(layer, variant, vseed)
        segments.append(
            bank.get_or_make(key, partial(src.segment, layer, variant, vseed))
        )
    return segments


def _to_rate(segment: Segment, rate: int) -> Segment:
    if segment.sample_rate == rate and segment.channels == 2:
        return segment
    audio = to_stereo_rate(segment.audio, segment.sample_rate, rate)
    return Segment(audio, rate, segment.meta)
