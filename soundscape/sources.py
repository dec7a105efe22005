"""Where a layer's segments come from: audio files, the bank's generated segments,
or the procedural synthesizer (the default), in that order of preference.

Every source goes through one contract (``soundscape.segment.SegmentSource``):
``key(layer, variant, seed)`` says what determines the audio and
``segment(layer, variant, seed)`` makes it. The bank caches by the key's digest.
"""

from __future__ import annotations

import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from . import procedural
from .bank import SegmentBank
from .dsp.convert import to_stereo_rate
from .errors import SourceError
from .scene import Bed, Layer, Scene
from .segment import Segment, digest

EVENT_MAX_SECONDS = 20.0


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


def read_audio_file(path: Path) -> tuple[np.ndarray, int]:
    """Decode any supported file to float32 (channels, frames) at its own rate.

    libsndfile reads wav, flac, ogg/opus and mp3; anything it refuses goes through
    ffmpeg (via pydub), so m4a and friends work where ffmpeg is installed.
    """
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return np.ascontiguousarray(data.T), int(rate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    try:
        seg = AudioSegment.from_file(str(path))
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: cannot decode (ffmpeg is not installed): {exc}") from None
    except (CouldntDecodeError, subprocess.CalledProcessError, OSError, IndexError) as exc:
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: not a readable audio file ({last})") from None
    samples = np.array(seg.get_array_of_samples(), dtype=np.float32)
    samples /= float(1 << (8 * seg.sample_width - 1))
    return samples.reshape(-1, seg.channels).T.copy(), int(seg.frame_rate)


class FileSource:
    """Segments cut from the user's recordings, converted to the mixer format.

    Beds: each file is cut into segments of ``segment_seconds`` (a shorter file is one
    segment); variant ``i`` takes the ``i``-th cut over all files. Events: one
    variant per file.
    """

    def __init__(self, sample_rate: int, segment_seconds: float):
        self.sample_rate = sample_rate
        self.segment_seconds = segment_seconds

    def key(self, layer: Layer, variant: int, seed: int) -> dict[str, Any]:
        stats = []
        for f in layer.files:
            st = f.stat()
            stats.append([str(f.resolve()), st.st_size, int(st.st_mtime)])
        return {
            "source": "files",
            "version": 1,
            "files": stats,
            "kind": layer.kind,
            "seconds": self.segment_seconds,
            "sample_rate": self.sample_rate,
            "variant": variant,
        }

    def cuts(self, layer: Layer) -> list[tuple[Path, int]]:
        """(file, cut index) for every variant this layer's files can give."""
        out: list[tuple[Path, int]] = []
        for f in layer.files:
            if not isinstance(layer, Bed):
                out.append((f, 0))
                continue
            try:
                seconds = sf.info(str(f)).duration
            except (sf.LibsndfileError, RuntimeError):
                seconds = self.segment_seconds  # decoded via ffmpeg later; one cut
            n = max(1, int(seconds // self.segment_seconds))
            out.extend((f, i) for i in range(n))
        return out

    def segment(self, layer: Layer, variant: int, seed: int) -> Segment:
        cuts = self.cuts(layer)
        path, cut = cuts[variant % len(cuts)]
        audio, rate = read_audio_file(path)
        if audio.shape[1] == 0:
            raise SourceError(f"{path}: the file holds no audio")
        audio = to_stereo_rate(audio, rate, self.sample_rate)
        if isinstance(layer, Bed):
            n = int(round(self.segment_seconds * self.sample_rate))
            audio = audio[:, cut * n : (cut + 1) * n]
        else:
            audio = audio[:, : int(EVENT_MAX_SECONDS * self.sample_rate)]
        meta = {"source": "files", "file": str(path), "cut": cut, "variant": variant}
        return Segment(np.ascontiguousarray(audio), self.sample_rate, meta)


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
