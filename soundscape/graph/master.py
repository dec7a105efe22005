"""The master bus: gain, fade in/out and a true-peak-safe look-ahead limiter."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal

from ..dsp.fades import raised_cosine
from .core import Node, control_curve, seek_node


class Limiter:
    """Look-ahead peak limiter with a ceiling in dBTP.

    Gain is computed on chunks of ``CHUNK`` frames aligned to absolute positions:
    each chunk's (true-)peak gives the gain it needs; a min-filter over ``HOLD`` chunks
    then a moving average over ``2*SMOOTH+1`` chunks gives control points, linearly
    interpolated per frame. Because ``HOLD > SMOOTH``, the smoothed gain never exceeds
    what any nearby chunk needs, so no sample passes the ceiling, and the gain moves
    over ~35 ms at 48 kHz instead of jumping. The limiter reads ahead of its output;
    it adds no delay. Chunks whose sample peak is within 3 dB of the ceiling get a
    4x-oversampled peak estimate (intersample peaks, BS.1770 Annex 2).

    Last resort: non-finite input samples are replaced by silence (and counted in
    ``nonfinite``) before anything else sees them, and the output is clamped to the
    ceiling, so no sample of any block can pass it whatever happens upstream.
    """

    CHUNK = 64
    HOLD = 16
    SMOOTH = 12
    CONTEXT = 16  # frames either side for the oversampled estimate

    def __init__(self, source: Node, ceiling_db: float = -1.0):
        self.source = source
        self.ceiling = 10 ** (ceiling_db / 20)
        self.position = 0
        self.buf = np.zeros((2, 0), dtype=np.float32)
        self.buf_start = 0  # absolute frame of buf[:, 0]
        self.reductions = 0  # chunks where the limiter acted (for stats)
        self.nonfinite = 0  # non-finite input samples replaced by 0

    def _ensure(self, upto: int) -> None:
        have = self.buf_start + self.buf.shape[1]
        if upto > have:
            fresh = self.source.pull(upto - have)
            finite = np.isfinite(fresh)
            if not finite.all():
                self.nonfinite += int(fresh.size - np.count_nonzero(finite))
                fresh = np.where(finite, fresh, np.float32(0.0)).astype(np.float32)
            self.buf = np.concatenate([self.buf, fresh], axis=1)

    def _chunk_gains(self, first: int, last: int) -> np.ndarray:
        """Needed gain r_j for chunks first..last-1 (chunks before 0 need none)."""
        c = self.CHUNK
        count = last - first
        r = np.ones(count)
        lo_chunk = max(first, 0)
        if lo_chunk >= last:
            return r
        s = lo_chunk * c - self.buf_start
        block = self.buf[:, s : s + (last - lo_chunk) * c]
        peaks = np.abs(block).max(axis=0).reshape(-1, c).max(axis=1).astype(np.float64)
        near = peaks > self.ceiling * 10 ** (-3 / 20)
        if near.any():
            peaks[near] = np.maximum(peaks[near], self._true_peaks(lo_chunk, np.flatnonzero(near)))
        with np.errstate(divide="ignore"):
            r[lo_chunk - first :] = np.minimum(1.0, self.ceiling / peaks)
        return r

    def _true_peaks(self, lo_chunk: int, idx: np.ndarray) -> np.ndarray:
        c, k = self.CHUNK, self.CONTEXT
        rows = []
        for j in idx:
            start = (lo_chunk + int(j)) * c - k - self.buf_start
            seg = self.buf[:, max(start, 0) : start + c + 2 * k]
            if start < 0:
                seg = np.pad(seg, ((0, 0), (-start, 0)))
            if seg.shape[1] < c + 2 * k:
                seg = np.pad(seg, ((0, 0), (0, c + 2 * k - seg.shape[1])))
            rows.append(seg)
        stack = np.stack(rows).astype(np.float64)  # (n, 2, c + 2k)
        up = signal.resample_poly(stack, 4, 1, axis=-1)[..., 4 * k : 4 * (k + c)]
        return np.abs(up).max(axis=(1, 2))

    def seek(self, frame: int) -> None:
        """Go to ``frame`` (its source too). The look-back is silence, so for its first
        ~40 ms the gain may differ from a full pull's where the limiter was acting."""
        seek_node(self.source, frame)
        self.position = frame
        self.buf_start = max(0, (frame // self.CHUNK - self.SMOOTH - self.HOLD - 2) * self.CHUNK)
        self.buf = np.zeros((2, frame - self.buf_start), dtype=np.float32)

    def pull(self, frames: int) -> np.ndarray:
        c, hold, smooth = self.CHUNK, self.HOLD, self.SMOOTH
        a, b = self.position, self.position + frames
        self.position = b
        j0, j1 = a // c, (b - 1) // c + 1  # control points j0..j1 (inclusive)
        r_first, r_last = j0 - smooth - hold, j1 + smooth + hold + 1
        self._ensure(r_last * c + self.CONTEXT)
        r = self._chunk_gains(r_first, r_last)
        if r.min() >= 1.0:
            out = self.buf[:, a - self.buf_start : b - self.buf_start].copy()
        else:
            self.reductions += 1
            from scipy.ndimage import minimum_filter1d

            m = minimum_filter1d(r, 2 * hold + 1, mode="nearest")
            # m[i] is the hold-min around chunk r_first + i; smooth to control points
            kernel = np.ones(2 * smooth + 1) / (2 * smooth + 1)
            ctrl_all = np.convolve(m, kernel, mode="valid")  # chunk r_first+smooth+i
            base = r_first + smooth
            ctrl = ctrl_all[j0 - base : j1 - base + 1]
            n = np.arange(a, b)
            gain = np.interp(n, np.arange(j0, j1 + 1) * c, ctrl)
            out = self.buf[:, a - self.buf_start : b - self.buf_start] * gain.astype(np.float32)
        np.clip(out, -self.ceiling, self.ceiling, out=out)
        # drop what no later pull can need
        keep_from = max(0, (b // c - smooth - hold - 2) * c)
        if keep_from > self.buf_start:
            self.buf = self.buf[:, keep_from - self.buf_start :]
            self.buf_start = keep_from
        return out


class MasterGain:
    """Master gain with a raised-cosine fade-in and optional fade-out (pure in frames).

    ``gain_db`` is a constant or a function of absolute frames (steady loudness
    across phases); it is evaluated on the control grid and interpolated.
    ``gain(a, frames)`` is the gain it applies to any frames, for whoever scales a
    signal as the bus does (stems).
    """

    def __init__(self, source: Node, gain_db: float | Callable[[np.ndarray], np.ndarray],
                 rate: int, fade_in: float, total_frames: int | None = None,
                 fade_out: float = 0.0):
        self.source = source
        self.gain_db = gain_db
        self.fade_in = int(round(fade_in * rate))
        self.total = total_frames
        self.fade_out = int(round(fade_out * rate)) if total_frames is not None else 0
        self.position = 0

    def seek(self, frame: int) -> None:
        seek_node(self.source, frame)
        self.position = frame

    def _factors(self, a: int, frames: int) -> list[np.ndarray | np.float32]:
        """The gains applied to frames ``a``..``a+frames``, in the order ``pull``
        applies them: the master gain (a scalar or (frames,) float32), then the fade-in
        and the fade-out where they reach."""
        b = a + frames
        factors: list[np.ndarray | np.float32] = []
        if callable(self.gain_db):
            curve = control_curve(self.gain_db, a, frames)
            factors.append(np.power(10.0, curve / 20.0).astype(np.float32))
        else:
            factors.append(np.float32(10 ** (self.gain_db / 20)))
        if a < self.fade_in:
            n = np.arange(a, b)
            factors.append(raised_cosine((n + 0.5) / self.fade_in).astype(np.float32))
        if self.fade_out and self.total is not None and b > self.total - self.fade_out:
            n = np.arange(a, b)
            u = (self.total - n - 0.5) / self.fade_out
            factors.append(raised_cosine(u).astype(np.float32))
        return factors

    def gain(self, a: int, frames: int) -> np.ndarray:
        """The gain applied to frames ``a``..``a+frames``: float32 (frames,), a pure
        function of the frames (pulling or not changes nothing)."""
        out = np.ones(frames, dtype=np.float32)
        for factor in self._factors(a, frames):
            out = out * factor
        return out

    def pull(self, frames: int) -> np.ndarray:
        out = self.source.pull(frames)
        a = self.position
        self.position += frames
        for factor in self._factors(a, frames):
            out *= factor
        return out
