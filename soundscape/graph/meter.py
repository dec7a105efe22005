"""Pass-through meters: what each layer and the output contributed to a render.

A :class:`LayerMeter` sits between a layer's strip and the mix. It measures the
layer's BS.1770 integrated loudness *as heard in the mix*: each block is scaled by
the master gain at the block's middle before it is fed to the meter, so the figure
is comparable with the output's. Events also count what they played.
An :class:`OutputMeter` measures the final blocks: integrated loudness, sample peak
and how many non-finite samples reached it (always 0 unless something upstream
misbehaved; the limiter replaces them).

Loudness metering (a K-weighting IIR per channel) costs about as much as the whole
mixer graph, so a long render meters every ``stride``-th block only (``sample_stride``
keeps about SAMPLED_BLOCKS blocks, spread evenly); peaks and non-finite counts of
the output are still taken on every block. Event layers (``sparse``) are metered on
every block in which they sound and skip the silent ones, so a rare strike is never
missed by the sampling.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal

from ..dsp.loudness import StreamingLoudness, k_weighting_sos
from ..thresholds import METER_FLOOR_LUFS
from .core import Node, seek_node

SAMPLED_BLOCKS = 150


def sample_stride(total_blocks: int) -> int:
    """Meter every n-th block so that about SAMPLED_BLOCKS blocks are measured."""
    return max(1, -(-total_blocks // SAMPLED_BLOCKS))


class LayerMeter:
    """``pull`` passes its source through unchanged and meters it (see module doc)."""

    def __init__(self, source: Node, rate: int, master_db: Callable[[int], float],
                 sparse: bool = False):
        self.source = source
        self.sparse = sparse  # events: meter every block that sounds, skip the silence
        self.master_db = master_db
        self.loudness = StreamingLoudness(rate)
        self.position = 0
        self.peak = 0.0
        self.stride = 1
        self.pulls = 0
        self._open = False  # the last sparse block sounded up to its end

    def seek(self, frame: int) -> None:
        seek_node(self.source, frame)
        self.position = frame
        self.loudness.restart()

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        start = self.position
        self.position += frames
        self.pulls += 1
        gain = np.float32(10 ** (self.master_db(start + frames // 2) / 20))
        if self.sparse:
            self._feed_sounding(out, gain)
            return out
        if (self.pulls - 1) % self.stride:
            return out
        if self.stride > 1:
            self.loudness.restart()
        self.loudness.feed(out * gain)
        self.peak = max(self.peak, float(np.max(np.abs(out))) * float(gain))
        return out

    def _feed_sounding(self, out: np.ndarray, gain: np.float32) -> None:
        """Meter only the part of the block where events sound: the silence around a
        drip is below the -70 LUFS gate anyway, and skipping it makes an event layer's
        meter cost what it plays, not what the render lasts. A sound that runs on from
        the previous block continues the meter's filter; any other starts afresh."""
        sounding = np.flatnonzero(np.any(out != 0, axis=0))
        if sounding.size == 0:  # nothing sounding: nothing to measure
            self.loudness.restart()
            self._open = False
            return
        first, last = int(sounding[0]), int(sounding[-1]) + 1
        if first > 0 or not self._open:
            self.loudness.restart()
        part = out[:, first:last]
        self.loudness.feed(part * gain)
        self.peak = max(self.peak, float(np.max(np.abs(part))) * float(gain))
        self._open = last == out.shape[1]

    def lufs(self) -> float:
        """Integrated (gated) loudness; for a layer so quiet that the -70 LUFS gate
        drops all of it, its ungated loudness (still far below the mix)."""
        gated = self.loudness.integrated()
        return gated if np.isfinite(gated) else self.loudness.ungated()


class OutputMeter:
    """Meters the blocks that leave the master (fed by whoever pulls them)."""

    def __init__(self, rate: int):
        self.loudness = StreamingLoudness(rate)
        self.peak = 0.0
        self.frames = 0
        self.nonfinite = 0
        self.stride = 1
        self.blocks = 0
        self.metered = 0  # frames fed to the loudness meter

    def feed(self, block: np.ndarray) -> None:
        finite = np.isfinite(block)
        if not finite.all():
            self.nonfinite += int(block.size - np.count_nonzero(finite))
            block = np.where(finite, block, 0.0).astype(np.float32)
        if block.size:
            self.peak = max(self.peak, float(np.max(np.abs(block))))
        self.frames += block.shape[1]
        self.blocks += 1
        if (self.blocks - 1) % self.stride == 0:
            if self.stride > 1:
                self.loudness.restart()
            self.loudness.feed(block)
            self.metered += block.shape[1]

    def lufs(self) -> float:
        return self.loudness.integrated()


MOMENTARY_SECONDS = 0.4  # EBU R128 momentary loudness window


class MomentaryLoudness:
    """EBU R128 momentary loudness (K-weighted, last 400 ms) of blocks fed in order.

    Keeps the per-frame K-weighted power of the last 400 ms in a ring, so the figure
    does not depend on how the signal was cut into blocks.
    """

    def __init__(self, rate: int):
        self.sos = k_weighting_sos(rate)
        self.window = int(round(MOMENTARY_SECONDS * rate))
        self.zi: np.ndarray | None = None
        self.energy = np.zeros(self.window)
        self.at = 0

    def feed(self, block: np.ndarray, gain: float = 1.0) -> None:
        x = block.astype(np.float64)
        if gain != 1.0:
            x *= gain
        if self.zi is None:
            self.zi = np.zeros((self.sos.shape[0], x.shape[0], 2))
        y, self.zi = signal.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        power = np.sum(y * y, axis=0)[-self.window:]
        n = power.shape[0]
        end = self.at + n
        if end <= self.window:
            self.energy[self.at:end] = power
        else:
            split = self.window - self.at
            self.energy[self.at:] = power[:split]
            self.energy[: n - split] = power[split:]
        self.at = end % self.window

    def lufs(self) -> float:
        """Momentary loudness of the last 400 ms fed (METER_FLOOR_LUFS when all silent)."""
        power = float(self.energy.mean())
        if power <= 1e-12:
            return METER_FLOOR_LUFS
        return max(METER_FLOOR_LUFS, -0.691 + 10 * float(np.log10(power)))


class MomentaryTap:
    """A pass-through meter of momentary loudness (:class:`MomentaryLoudness`).

    It sits between a layer's strip and the mix (the studio's per-layer meters), so
    it measures the layer *as heard*: after its live gain (solo, mute, audition
    gain), scaled by the master gain at each block's middle. It never changes the
    audio.
    """

    def __init__(self, source: Node, rate: int, master_db: Callable[[int], float]):
        self.source = source
        self.master_db = master_db
        self.meter = MomentaryLoudness(rate)
        self.rate = rate
        self.position = 0

    def seek(self, frame: int) -> None:
        seek_node(self.source, frame)
        self.position = frame
        self.meter = MomentaryLoudness(self.rate)

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        start = self.position
        self.position += frames
        self.meter.feed(out, 10 ** (self.master_db(start + frames // 2) / 20))
        return out

    def lufs(self) -> float:
        return self.meter.lufs()
