"""Segments from the user's own recordings: decoded, cut, loudness-matched.

Contract (``soundscape.segment.SegmentSource``): ``key(layer, variant, seed)`` and
``segment(layer, variant, seed)``; ``cuts(layer)`` lists one entry per variant, so
``len(cuts(layer))`` is the layer's variant count.

* **Whole files.** A bed file at least ``piece_frames`` long (the segment length, and
  at least 3 crossfades so the mixer never shortens the crossfade) is cut into
  ``n = floor(length / piece)`` pieces of equal length ``length / n``: the tail after
  the last full segment is spread over the pieces, nothing is dropped.
* **Short clips.** A bed file shorter than that is extended by granular texture
  synthesis (``soundscape.dsp.texture``): it gives ``ceil(variants / files)`` (at least
  2) variants, each a full piece of new material drawn from the clip with its own seed.
* **Bounded material.** A bed layer keeps at most ``MAX_LAYER_SECONDS`` of pieces in
  memory: when its files give more pieces than that, ``floor(MAX_LAYER_SECONDS /
  piece)`` of them are taken, spread evenly over all of them (so a two-hour file
  costs what a five-minute one does, and 256 short clips do not make 512 textures).
* **Events.** Each file is one variant: its first ``EVENT_MAX_SECONDS`` (20 s), and only
  those (plus ``HEAD_MARGIN_SECONDS`` for the resampler) are decoded, so a two-hour
  recording used as an event costs what a 20 s clip does. A longer file's segment
  says so in its meta (``"head_of"``: the file's length in seconds), for a warning.
* **Loudness.** Every piece is matched to ``TARGET_LUFS`` (BS.1770 integrated loudness,
  the level of the procedural beds), with at most ``MAX_GAIN_DB`` of gain; a file
  that is silent throughout is an error naming it. Events are matched the same way
  but kept 1 dB under full scale.
* **Formats.** libsndfile reads wav, flac, ogg/opus, mp3, aiff, caf, w64...; anything
  else goes through ffmpeg (m4a, aac, wma, webm, mka, mp4, ape, wv...).
* **Decoding once.** libsndfile formats are read by frame range, so a cut of a
  two-hour FLAC decodes only that cut; ffmpeg formats are decoded once per
  ``FileSource`` (one layer preparation) and kept for every cut.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soundfile as sf

from .dsp import texture
from .dsp.convert import to_stereo_rate
from .dsp.loudness import StreamingLoudness, integrated_lufs
from .errors import SourceError
from .scene import Bed, Layer, Scene
from .segment import Segment

FILE_SOURCE_VERSION = 3  # bump when the audio a key gives changes (3: bounded cuts)
EVENT_MAX_SECONDS = 20.0
TARGET_LUFS = -20.0  # procedural beds sit near -20 dBFS RMS
MAX_GAIN_DB = 30.0  # never lift a noise floor further than this
SILENCE_LUFS = -70.0  # BS.1770's absolute gate: below it there is nothing to measure
EVENT_PEAK = 10 ** (-1.0 / 20)
MIN_CLIP_SECONDS = 0.05
MAX_LAYER_SECONDS = 300.0  # of bed pieces held per layer (about 115 MB at 48 kHz)
HEAD_MARGIN_SECONDS = 1.0  # decoded past an event's end, so resampling sees past the cut


class Cut(NamedTuple):
    """One variant: piece ``piece`` of ``pieces`` of ``path``; ``texture`` if synthesised
    (then ``piece`` numbers the synthesised variants of the clip)."""

    path: Path
    piece: int
    pieces: int
    texture: bool


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, known without decoding it."""

    seconds: float
    frames: int  # at the file's own rate; exact for libsndfile, else estimated
    sndfile: bool  # libsndfile reads it (by frame range); else ffmpeg decodes it


def read_audio_file(path: Path, start: int = 0, stop: int | None = None
                    ) -> tuple[np.ndarray, int]:
    """Decode ``path`` to float32 (channels, frames) at its own rate.

    ``start``/``stop`` (frames) read only that range where libsndfile reads the format
    (wav, flac, ogg/opus, mp3, aiff, ...); anything it refuses is decoded whole by
    ffmpeg (via pydub) and then sliced. Raises SourceError naming the file.
    """
    try:
        data, rate = sf.read(str(path), start=start, stop=stop, dtype="float32",
                             always_2d=True)
        return np.ascontiguousarray(data.T), int(rate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    audio, rate = _ffmpeg_decode(path)
    return np.ascontiguousarray(audio[:, start:stop]), rate


def _ffmpeg_decode(path: Path, seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode ``path`` with ffmpeg: the whole file, or only its first ``seconds``."""
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    try:
        seg = AudioSegment.from_file(str(path), duration=seconds)
    except FileNotFoundError as exc:
        if not Path(path).exists():
            raise SourceError(f"{path}: file not found") from None
        raise SourceError(f"{path}: cannot decode (ffmpeg is not installed): {exc}") from None
    except (CouldntDecodeError, subprocess.CalledProcessError, OSError, IndexError) as exc:
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: not a readable audio file ({last})") from None
    samples = np.array(seg.get_array_of_samples(), dtype=np.float32)
    samples /= float(1 << (8 * seg.sample_width - 1))
    return samples.reshape(-1, seg.channels).T.copy(), int(seg.frame_rate)


def _ffprobe_seconds(path: Path) -> float | None:
    """The duration ffprobe reports, or None when it cannot say."""
    exe = shutil.which("ffprobe")
    if exe is None:
        return None
    try:
        res = subprocess.run(
            [exe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
             str(path)], capture_output=True, text=True, timeout=60, check=False)
        return float(res.stdout.strip())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def piece_frames(segment_seconds: float, crossfade_seconds: float, rate: int) -> int:
    """The shortest bed piece at ``rate``: one segment, and over 3 crossfades.

    The bed player shortens a crossfade to a third of its shortest segment; pieces
    at least this long never make it do so.
    """
    return max(int(round(segment_seconds * rate)), 3 * int(round(crossfade_seconds * rate)) + 3)


class FileSource:
    """Segments from a layer's files at ``sample_rate`` (see the module docstring).

    One instance serves one layer preparation: it remembers each file's info and
    keeps ffmpeg-decoded audio, so no file is decoded more than once.
    """

    def __init__(self, sample_rate: int, segment_seconds: float):
        self.sample_rate = sample_rate
        self.segment_seconds = segment_seconds
        self._info: dict[Path, AudioInfo] = {}
        self._decoded: dict[Path, tuple[np.ndarray, int]] = {}
        self._file_lufs: dict[Path, float] = {}
        self.decodes = 0  # whole-file ffmpeg decodes (for tests and timing)

    # -- files ----------------------------------------------------------------
    def info(self, path: Path) -> AudioInfo:
        """Frames and rate of ``path`` (libsndfile header, ffprobe, or a decode)."""
        found = self._info.get(path)
        if found is not None:
            return found
        try:
            i = sf.info(str(path))
            found = AudioInfo(i.frames / i.samplerate, int(i.frames), True)
        except (sf.LibsndfileError, RuntimeError, TypeError):
            seconds = _ffprobe_seconds(path)
            if seconds is None:  # no ffprobe: decode now (kept for the cuts)
                audio, rate = self._decode(path)
                seconds = audio.shape[1] / rate
            found = AudioInfo(seconds, int(seconds * self.sample_rate), False)
        if found.frames <= 0:
            raise SourceError(f"{path}: the file holds no audio")
        self._info[path] = found
        return found

    def _decode(self, path: Path) -> tuple[np.ndarray, int]:
        found = self._decoded.get(path)
        if found is None:
            found = _ffmpeg_decode(path)
            self.decodes += 1
            if found[0].shape[1] == 0:
                raise SourceError(f"{path}: the file holds no audio")
            self._decoded[path] = found
        return found

    def _read(self, path: Path, part: int, parts: int) -> np.ndarray:
        """Piece ``part`` of ``parts`` equal pieces of the file, in the mixer format."""
        if self.info(path).sndfile:
            frames = self.info(path).frames
            lo, hi = part * frames // parts, (part + 1) * frames // parts
            audio, rate = read_audio_file(path, lo, hi)
        else:
            whole, rate = self._decode(path)
            frames = whole.shape[1]
            audio = whole[:, part * frames // parts : (part + 1) * frames // parts]
        return self._mixer_format(path, audio, rate,
                                  f" (piece {part + 1} of {parts})" if parts > 1 else "")

    def _head(self, path: Path, seconds: float) -> tuple[np.ndarray, float | None]:
        """The first ``seconds`` of the file in the mixer format, decoding only those
        (and HEAD_MARGIN_SECONDS more); with the file's length in seconds when it is
        longer than that, else None."""
        want = seconds + HEAD_MARGIN_SECONDS
        try:
            with sf.SoundFile(str(path)) as f:
                rate = int(f.samplerate)
                stop = min(int(f.frames), math.ceil(want * rate))
                audio = np.ascontiguousarray(
                    f.read(stop, dtype="float32", always_2d=True).T)
                total = int(f.frames) / rate
        except (sf.LibsndfileError, RuntimeError, TypeError):
            found = self._decoded.get(path)
            whole, rate = found if found is not None else _ffmpeg_decode(path, want)
            audio = whole[:, : math.ceil(want * rate)]
            total = whole.shape[1] / rate
            if found is None and total > seconds:  # only the head was decoded
                total = _ffprobe_seconds(path) or total
        out = self._mixer_format(path, audio, rate, "")
        return out[:, : int(seconds * self.sample_rate)], (total if total > seconds else None)

    def _mixer_format(self, path: Path, audio: np.ndarray, rate: int, where: str
                      ) -> np.ndarray:
        """``audio`` as float32 stereo at the scene's rate; SourceError naming ``path``
        (and ``where`` in it) if it is empty or holds NaN or infinite samples."""
        if audio.shape[1] == 0:
            raise SourceError(f"{path}: the file holds no audio")
        finite = np.isfinite(audio)
        if not finite.all():
            bad = int(audio.size - np.count_nonzero(finite))
            raise SourceError(f"{path}{where}: {bad} NaN or infinite samples: the file is "
                              "damaged")
        return to_stereo_rate(audio, rate, self.sample_rate)

    def file_lufs(self, path: Path) -> float:
        """Integrated loudness of the whole file (streamed through for libsndfile)."""
        found = self._file_lufs.get(path)
        if found is None:
            if self.info(path).sndfile:
                meter: StreamingLoudness | None = None
                with sf.SoundFile(str(path)) as f:
                    meter = StreamingLoudness(f.samplerate)
                    for block in f.blocks(blocksize=1 << 18, dtype="float32", always_2d=True):
                        meter.feed(to_stereo_rate(block.T, f.samplerate, f.samplerate))
                found = meter.integrated()
            else:
                audio, rate = self._decode(path)
                found = integrated_lufs(to_stereo_rate(audio, rate, rate), rate)
            self._file_lufs[path] = found
        return found

    # -- the source contract --------------------------------------------------
    def _piece(self, layer: Layer) -> int:
        crossfade = layer.crossfade if isinstance(layer, Bed) else 0.0
        return piece_frames(self.segment_seconds, crossfade, self.sample_rate)

    def cuts(self, layer: Layer) -> list[Cut]:
        """Every variant this layer's files give (its length is the variant count)."""
        out: list[Cut] = []
        if not isinstance(layer, Bed):
            return [Cut(f, 0, 1, False) for f in layer.files]
        piece_seconds = self._piece(layer) / self.sample_rate
        per_clip = max(2, math.ceil(layer.variants / max(1, len(layer.files))))
        for f in layer.files:
            seconds = self.info(f).seconds
            n = int(seconds // piece_seconds)
            if n >= 1:
                out.extend(Cut(f, i, n, False) for i in range(n))
            else:
                out.extend(Cut(f, i, per_clip, True) for i in range(per_clip))
        budget = max(1, int(MAX_LAYER_SECONDS // piece_seconds))
        if len(out) > budget:  # spread evenly over every piece of every file
            out = [out[i * len(out) // budget] for i in range(budget)]
        return out

    def key(self, layer: Layer, variant: int, seed: int) -> dict[str, Any]:
        stats = []
        for f in layer.files:
            st = f.stat()
            stats.append([str(f.resolve()), st.st_size, int(st.st_mtime)])
        cut = self.cuts(layer)[variant] if isinstance(layer, Bed) else None
        return {
            "source": "files",
            "version": FILE_SOURCE_VERSION,
            "files": stats,
            "kind": layer.kind,
            "seconds": self.segment_seconds,
            "piece": self._piece(layer),
            "sample_rate": self.sample_rate,
            "variant": variant,
            "target_lufs": TARGET_LUFS,
            # a synthesised variant depends on its seed; a cut does not
            "seed": seed if cut is not None and cut.texture else None,
        }

    def segment(self, layer: Layer, variant: int, seed: int) -> Segment:
        cuts = self.cuts(layer)
        cut = cuts[variant % len(cuts)]
        head_of = None
        if not isinstance(layer, Bed):
            audio, head_of = self._head(cut.path, EVENT_MAX_SECONDS)
        elif cut.texture:
            audio = texture.extend(self._clip(cut.path), self.sample_rate, self._piece(layer),
                                   seed)
        else:
            audio = self._read(cut.path, cut.piece, cut.pieces)
        audio = self._matched(audio, cut.path, event=not isinstance(layer, Bed))
        meta = {"source": "files", "file": str(cut.path), "cut": cut.piece,
                "cuts": cut.pieces, "texture": cut.texture, "variant": variant}
        if head_of is not None:
            meta["head_of"] = round(head_of, 3)
        return Segment(np.ascontiguousarray(audio, dtype=np.float32), self.sample_rate, meta)

    def _clip(self, path: Path) -> np.ndarray:
        """A whole short clip in the mixer format, long enough for a texture."""
        clip = self._read(path, 0, 1)
        if clip.shape[1] < MIN_CLIP_SECONDS * self.sample_rate:
            raise SourceError(f"{path}: {clip.shape[1] / self.sample_rate:.3f} s is too "
                              f"short to make a texture from")
        return clip

    def texture_clips(self, layer: Layer) -> list[np.ndarray] | None:
        """The clips of a bed whose files are all short, matched to TARGET_LUFS; else None.

        For an endless texture node (``dsp.texture.TextureStream`` over a
        ``GrainTexture`` of these clips), which never repeats, unlike a bed player
        replaying a few synthesised segments.
        """
        if not isinstance(layer, Bed) or not layer.files:
            return None
        piece_seconds = self._piece(layer) / self.sample_rate
        if any(self.info(f).seconds >= piece_seconds for f in layer.files):
            return None
        files = list(layer.files)
        total = sum(self.info(f).seconds for f in files)
        if total > MAX_LAYER_SECONDS:  # bounded memory: clips spread evenly over the list
            keep = max(1, int(len(files) * MAX_LAYER_SECONDS // total))
            files = [files[i * len(files) // keep] for i in range(keep)]
        return [self._matched(self._clip(f), f, event=False) for f in files]

    def _matched(self, audio: np.ndarray, path: Path, event: bool) -> np.ndarray:
        """``audio`` at TARGET_LUFS (gain capped); SourceError if the file is silent."""
        lufs = integrated_lufs(audio, self.sample_rate)
        if not lufs > SILENCE_LUFS:
            peak = float(np.max(np.abs(audio))) if audio.size else 0.0
            if audio.shape[1] >= int(0.4 * self.sample_rate) or peak == 0.0:
                if not self.file_lufs(path) > SILENCE_LUFS:
                    raise SourceError(
                        f"{path}: the file is silent (below {SILENCE_LUFS:.0f} LUFS); "
                        f"nothing to play")
                lufs = SILENCE_LUFS  # a quiet stretch of a file that has sound elsewhere
            else:  # too short to measure (under 400 ms): peak at -3 dBFS, like the
                # procedural one-shots
                lufs = 20 * math.log10(peak) + TARGET_LUFS + 3.0
        gain = 10 ** (min(TARGET_LUFS - lufs, MAX_GAIN_DB) / 20)
        if event:
            peak = float(np.max(np.abs(audio))) * gain
            if peak > EVENT_PEAK:
                gain *= EVENT_PEAK / peak
        return audio * np.float32(gain)


def short_clip_warnings(scene: Scene) -> list[str]:
    """A line for every bed file too short to play as it is (extended by texture).

    Files that cannot be read are skipped here; rendering reports them.
    """
    rate = scene.master.sample_rate
    source = FileSource(rate, scene.master.segment_seconds)
    lines = []
    for i, layer in enumerate(scene.layers):
        if not isinstance(layer, Bed) or not layer.files:
            continue
        piece = source._piece(layer) / rate
        for j, f in enumerate(layer.files):
            try:
                seconds = source.info(f).seconds
            except SourceError:
                continue
            if seconds < piece:
                lines.append(
                    f'{scene.path}: layers[{i}] "{layer.name}".files[{j}]: {f.name} is '
                    f"{seconds:.1f} s, shorter than a {piece:.1f} s bed piece (segment "
                    f"{scene.master.segment_seconds:g} s, crossfade {layer.crossfade:g} s "
                    f"needs 3x): it is extended by texture synthesis, not looped")
    return lines
