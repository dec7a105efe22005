"""BedPlayer: an endless texture from crossfaded segments that never comes back verbatim.

The timeline is a chain of *plays*. Play k takes segment ``v_k`` of the layer's
:class:`~soundscape.graph.pool.SegmentPool` from offset ``o_k`` at speed ``r_k``
for ``L_k`` frames and starts at absolute frame ``T_k``; the next play starts ``X``
(crossfade) frames before this one ends, so every join is an equal-power crossfade
of two different stretches of material. Lengths and offsets are random, so nothing
recurs at a fixed period. Plays are drawn lazily from a seeded generator: the chain,
and therefore every sample, depends only on the seed, not on block sizes.

Why the output never repeats:

* **Speed.** A play reads its segment at one of ``RATES`` (0.97 .. 1.03 in steps of
  0.5 %; resampled with soxr, so the pitch moves by at most half a semitone). Each
  use of a segment takes a speed it has not had yet, so two plays of the same
  segment drift apart by at least 0.5 % of their length: after a fraction of a
  second their waveforms are uncorrelated, whatever their offsets.
* **Fresh material.** In a renewable pool (procedural layers) a segment is retired
  after ``uses`` plays (the recipe's ``reuse``: 4 for surf, 6 for fire and wind, 13,
  ``USES``, for uniform textures) and replaced by a freshly synthesised one (made
  ahead on a worker thread), so the material itself is new every few minutes, for
  ever: the loudest crash of a segment is heard at most ``uses`` times, each at
  another speed.
* **Finite material** (your recordings, generated segments) cannot be renewed, so
  :class:`SplitBed` plays it as two independent chains, the low and the high half
  of its power spectrum. Their plays take speeds drawn anywhere in the range, never
  within 0.03 % of a speed the same segment had (about a hundred plays of each
  segment before one comes round again). The low chain also *warps* every play, a
  slow sway of its speed (0.2-0.4 %, 4-12 s period) read by linear interpolation
  (exact enough below the crossover), so no two of its plays map the material
  alike however often it is reused; and when the high chain does come round to a
  stretch it played, the low half under it is different material.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy import signal

from ..dsp.convert import at_speed
from ..dsp.fades import equal_power, fade_position
from ..seeds import generator
from .pool import Holder, Job, SegmentPool, as_pool, copy_sharing

RATES: tuple[float, ...] = tuple(1.0 + 0.005 * k for k in range(-6, 7))  # playback speeds
USES = len(RATES)  # plays of one segment of a renewable pool before it is retired
# plays of a bank segment of a renewable pool: fresh material takes over within the
# first minutes, so a live channel's memory is at its steady size by then (the bank's
# segments stay in memory anyway: every copy of the graph starts from them)
BANK_USES = 3
LOOKAHEAD = 3 * 48000  # frames: plays are drawn this far ahead, resampled on a worker
SPEED_GAP = 0.0003  # least speed difference of two plays of a fixed segment
WOW_DEPTH = (0.002, 0.004)  # relative speed sway of a warped play
WOW_PERIOD_FRAMES = (4 * 48000, 12 * 48000)  # its period
AHEAD_PLAYS = 2  # a render's players draw at least this many ahead (100x realtime: 3 s
# is no lead there); a live stream's need only LOOKAHEAD, and keep less audio in memory
_PAD = 16  # extra source frames read past a resampled play's end


def resample_play(src: np.ndarray, play: Play) -> np.ndarray:
    """``play``'s stretch of segment ``src`` at its speed: float32 (2, play.length)."""
    if play.rate == 1.0 and play.wow is None:
        return src[:, play.offset : play.offset + play.length]
    region = src[:, play.offset : play.offset + play.source_frames()]
    if play.wow is not None:
        # linear interpolation: exact enough for a low band (under 0.1 dB below 2 kHz)
        pos, grid = play.positions(), np.arange(region.shape[1], dtype=np.float64)
        return np.stack([np.interp(pos, grid, ch) for ch in region]).astype(np.float32)
    out = at_speed(region, play.rate)
    if out.shape[1] < play.length:  # never expected: pad the (faded) tail
        out = np.pad(out, ((0, 0), (0, play.length - out.shape[1])))
    return np.ascontiguousarray(out[:, : play.length])


@dataclass(frozen=True)
class Play:
    variant: int  # pool index (fresh indices are >= the pool's count)
    offset: int  # frames into the segment
    length: int  # output frames, fades included
    start: int  # absolute frame of its first sample
    rate: float = 1.0  # playback speed (source frames per output frame)
    # a slow wow on the speed (warped plays of a low band): relative depth, radians
    # per frame, phase; the speed at output frame k is rate * (1 + d * sin(w k + phase))
    wow: tuple[float, float, float] | None = None

    @property
    def end(self) -> int:
        return self.start + self.length

    def source_frames(self) -> int:
        """Frames of the segment this play reads from ``offset`` (its span)."""
        return span(self.length, self.rate, self.wow)

    def positions(self) -> np.ndarray:
        """Source positions (float64, from ``offset``) of a warped play's output frames."""
        assert self.wow is not None
        d, w, phase = self.wow
        k = np.arange(self.length, dtype=np.float64)
        return self.rate * (k + d * (np.cos(phase) - np.cos(w * k + phase)) / w)


def span(length: int, rate: float, wow: tuple[float, float, float] | None) -> int:
    """Source frames a play of ``length`` output frames reads at ``rate`` with ``wow``."""
    if rate == 1.0 and wow is None:
        return length
    sway = 0 if wow is None else int(np.ceil(2 * rate * wow[0] / wow[1]))
    return int(np.ceil(length * rate)) + sway + _PAD


class BedPlayer:
    """Pull-based player over a pool of float32 (2, frames) segments at one rate."""

    def __init__(self, segments: SegmentPool | list[np.ndarray], crossfade: int, seed: int,
                 min_body: int | None = None, warp: bool = False, uses: int = USES,
                 ahead: int = 1, period: int | None = None):
        self.pool = as_pool(segments)
        # frames of a strict rhythm's cycle (a clock): plays then run at normal speed,
        # start on the cycle and last a whole number of cycles plus the crossfade, so
        # the rhythm carries on across every join
        self.period = period if period and period > 0 else None
        self.uses = max(1, min(uses, len(RATES)))  # plays of a renewable segment
        if self.period is not None:  # at one speed, a second play of a segment would
            self.uses = 1  # repeat it verbatim: each plays once
        self.ahead = ahead  # plays drawn ahead of the playhead at least (AHEAD_PLAYS: render)
        self.warp = warp  # every play at a speed and wow of its own (a low band only)
        shortest = self.pool.shortest()
        self.crossfade = max(1, min(crossfade, shortest // 3))
        body = min_body if min_body is not None else self.crossfade // 4
        # a play lasts between half a segment and a whole one, at least 2 fades + body
        self.min_length = min(shortest, max(2 * self.crossfade + body, shortest // 2))
        self.rng = generator(seed, "bed")
        self.plays: deque[Play] = deque()
        self._window = list(range(self.pool.count))  # segments in rotation
        # fresh segments in rotation once the bank's have retired: as much audio as the
        # bank's window (fresh ones are longer), so memory stays flat as they take over
        self._fresh_slots = max(2, -(-self.pool.count * shortest // self.pool.fresh_frames))
        self._used: dict[int, set[int]] = {}  # segment -> RATES indices it has played at
        self._rates: dict[int, list[float]] = {}  # fixed segment -> speeds it played at
        self._next_fresh = self.pool.count
        self._last_variant = -1
        self._next_start = -self.crossfade  # the first play is faded in before frame 0
        self._rendered: dict[Play, np.ndarray | Job] = {}  # resampled plays sounding
        self._holder = Holder()  # what this player wants of the pool's shared jobs
        self.position = 0
        self.history: list[Play] = []  # every play drawn (for tests and inspection)
        self.keep_history = False
        # one equal-power curve for every join: fade-in rises along it, fade-out
        # reads it backwards (sin/cos of mirrored positions), so in**2 + out**2 == 1
        x = self.crossfade
        _, rise = equal_power(fade_position(np.arange(x), 0, x))
        self._rise = rise.astype(np.float32)
        self._fall = np.ascontiguousarray(self._rise[::-1])

    def __del__(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shared.release(self._holder.value)

    def __deepcopy__(self, memo: dict[int, object]) -> BedPlayer:
        """A copy (``copy_chain``) that shares the fade curves and resampled plays."""
        made = [a for a in self._rendered.values() if isinstance(a, np.ndarray)]
        twin: BedPlayer = copy_sharing(self, memo, [self._rise, self._fall, *made])
        return twin

    def _next_variant(self) -> int:
        choices = [v for v in self._window if v != self._last_variant] or self._window
        v = choices[int(self.rng.integers(0, len(choices)))]
        self._last_variant = v
        return v

    def _next_rate(self, variant: int) -> int:
        """A speed ``variant`` has not played at yet (a fixed segment starts over once it
        has had them all; a fresh one is retired before that)."""
        used = self._used.setdefault(variant, set())
        if len(used) >= len(RATES):
            used.clear()
        free = [k for k in range(len(RATES)) if k not in used]
        k = free[int(self.rng.integers(0, len(free)))]
        used.add(k)
        return k

    def _fixed_rate(self, variant: int) -> float:
        """A speed for a segment of a pool that is never renewed: anywhere in the range,
        but at least SPEED_GAP from every speed this segment has played at (about a
        hundred plays of it), so no two plays of it line up; then it starts over."""
        used = self._rates.setdefault(variant, [])
        low, high = min(RATES), max(RATES)
        for _ in range(32):
            rate = float(self.rng.uniform(low, high))
            if all(abs(rate - r) >= SPEED_GAP for r in used):
                break
        else:
            used.clear()
        used.append(rate)
        return rate

    def _retire(self, variant: int, ahead: bool) -> None:
        """Replace a segment of a renewable pool that has had its ``uses`` plays by a
        fresh one (a bank segment's slot is dropped instead once ``_fresh_slots`` fresh
        ones rotate)."""
        uses = self.uses if variant >= self.pool.count else min(self.uses, BANK_USES)
        if not self.pool.renewable or len(self._used[variant]) < uses:
            if ahead and self.pool.renewable and len(self._used[variant]) == uses - 1:
                self.pool.prefetch(self._next_fresh)  # its successor, ahead of need
            return
        del self._used[variant]  # never drawn again
        fresh = sum(1 for v in self._window if v >= self.pool.count)
        if variant < self.pool.count and fresh >= self._fresh_slots:
            self._window.remove(variant)  # the window holds no more audio than the bank's
            return
        self._window[self._window.index(variant)] = self._next_fresh
        if ahead:
            self.pool.prefetch(self._next_fresh)
        self._next_fresh += 1

    def _draw(self, ahead: bool = True) -> Play:
        variant = self._next_variant()
        if self.period is not None:
            return self._draw_on_cycle(variant, self.period, ahead)
        rate = RATES[self._next_rate(variant)] if self.pool.renewable else \
            self._fixed_rate(variant)
        wow = None
        if self.warp:  # and a slow sway of it: no two plays map the material alike
            wow = (float(self.rng.uniform(*WOW_DEPTH)),
                   2 * np.pi / float(self.rng.uniform(*WOW_PERIOD_FRAMES)),
                   float(self.rng.uniform(0, 2 * np.pi)))
        size = self.pool.frames(variant)
        extra = span(0, rate, wow)  # frames read beyond length * rate
        longest = size if rate == 1.0 and wow is None else \
            min(size, int((size - extra - 1) / rate))
        # fresh segments may be longer than the bank's: half of one at least, as for those
        low = min(max(self.min_length, size // 2), longest)
        length = int(self.rng.integers(low, longest + 1))
        offset = int(self.rng.integers(0, size - span(length, rate, wow) + 1))
        play = Play(variant, offset, length, self._next_start, rate, wow)
        self._next_start = play.end - self.crossfade
        self._retire(variant, ahead)
        if ahead and (rate != 1.0 or wow is not None):
            # resampled on a worker (once for every copy of this player: shared jobs)
            source = self.pool.source(variant)
            self._rendered[play] = self.pool.shared.want(
                ("play", play), self._holder.value, lambda: resample_play(source(), play))
        if self.keep_history:
            self.history.append(play)
        return play

    def _draw_on_cycle(self, variant: int, period: int, ahead: bool) -> Play:
        """A play of a strict rhythm: at speed 1, its offset a whole number of cycles
        into the segment and its length that plus the crossfade, so every join keeps
        the cycle's phase (each segment starts it at the same phase)."""
        size = self.pool.frames(variant)
        x = self.crossfade
        low = min(max(self.min_length, size // 2), size)
        most = max(1, (size - x) // period)  # cycles that fit (a length <= size)
        least = min(most, max(1, -(-(low - x) // period)))
        cycles = int(self.rng.integers(least, most + 1))
        length = min(size, x + cycles * period)
        offset = period * int(self.rng.integers(0, (size - length) // period + 1))
        play = Play(variant, offset, length, self._next_start)
        self._next_start = play.end - self.crossfade
        plays = self._used.setdefault(variant, set())
        plays.add(len(plays))  # one more play (counted: there are no speeds to track)
        self._retire(variant, ahead)
        if self.keep_history:
            self.history.append(play)
        return play

    def _forget(self) -> None:
        """Drop resampled plays that have ended and fresh segments no play needs."""
        alive = set(self.plays)
        for play in [p for p in self._rendered if p not in alive]:
            del self._rendered[play]
        self.pool.shared.keep(self._holder.value, {("play", p) for p in alive})
        if self.pool.renewable:
            self.pool.retain({p.variant for p in self.plays} | set(self._window)
                             | {self._next_fresh})

    def rest(self) -> None:
        """Let go of the audio made for this player (resampled plays, fresh segments):
        an idle backup (``switch.Fallback``) keeps only its plan. Pulled again, it makes
        what it plays on the pulling thread, the same samples as if it had not rested."""
        self._rendered.clear()
        self.pool.shared.keep(self._holder.value, set())
        if self.pool.renewable:
            self.pool.retain(())

    def seek(self, frame: int) -> None:
        """Go forward to ``frame``: the plays up to there are drawn (no audio made), so
        the chain, and every later sample, is the one a full pull would give."""
        if frame < self.position:
            raise ValueError(f"a bed seeks forward only ({frame} < {self.position})")
        while not self.plays or self.plays[-1].end - self.crossfade < frame:
            self.plays.append(self._draw(ahead=False))
            while len(self.plays) > 1 and self.plays[0].end <= frame:
                self.plays.popleft()
        while self.plays and self.plays[0].end <= frame:
            self.plays.popleft()
        self.position = frame
        self._forget()

    def _audio(self, play: Play) -> np.ndarray:
        """The play's source material at its speed: (2, >= play.length) float32."""
        if play.rate == 1.0 and play.wow is None:
            return resample_play(self.pool.get(play.variant), play)
        audio = self._rendered.get(play)
        if audio is None:  # drawn by a seek: made now
            audio = resample_play(self.pool.get(play.variant), play)
        elif isinstance(audio, Job):  # made now if no worker has started it
            audio = audio.result()
        self._rendered[play] = audio
        return audio

    def pull(self, frames: int) -> np.ndarray:
        a, b = self.position, self.position + frames
        self.position = b
        drew = False
        # drawn ahead of need (the chain is the same whenever it is drawn), so that
        # fresh segments and resampled plays are made on worker threads in time
        while (not self.plays or self.plays[-1].start < b + LOOKAHEAD
               or sum(p.start >= b for p in self.plays) < self.ahead):
            self.plays.append(self._draw())
            drew = True
        dropped = False
        while self.plays and self.plays[0].end <= a:
            self.plays.popleft()
            dropped = True
        if drew or dropped:
            self._forget()
        out = np.zeros((2, frames), dtype=np.float32)
        x = self.crossfade
        for play in self.plays:
            lo, hi = max(a, play.start), min(b, play.end)
            if lo >= hi:
                continue
            s0 = lo - play.start
            chunk = self._audio(play)[:, s0 : s0 + (hi - lo)]
            fade_in_end = play.start + x
            fade_out_start = play.end - x
            if lo >= fade_in_end and hi <= fade_out_start:
                out[:, lo - a : hi - a] += chunk
                continue
            gain = np.ones(hi - lo, dtype=np.float32)
            if lo < fade_in_end:
                k = min(hi, fade_in_end)
                gain[: k - lo] *= self._rise[lo - play.start : k - play.start]
            if hi > fade_out_start:
                k = max(lo, fade_out_start)
                gain[k - lo :] *= self._fall[k - fade_out_start : hi - fade_out_start]
            out[:, lo - a : hi - a] += chunk * gain
        return out


class SplitBed:
    """Two BedPlayers over the low and the high band of the same finite segments,
    summed: see the module docstring. ``pull``/``seek`` follow the node contract.
    ``release``: the caller hands ``segments`` over (see ``split_bands``)."""

    def __init__(self, segments: list[np.ndarray], crossfade: int, seed: int, rate: int,
                 release: bool = False):
        low, high = split_bands(segments, rate, release=release)
        self.low = BedPlayer(low, crossfade, seed, warp=True)
        self.high = BedPlayer(high, crossfade, seed ^ 0x5B11)
        self.crossfade = self.low.crossfade
        self.position = 0

    def seek(self, frame: int) -> None:
        self.low.seek(frame)
        self.high.seek(frame)
        self.position = frame

    def rest(self) -> None:
        self.low.rest()
        self.high.rest()

    def pull(self, frames: int) -> np.ndarray:
        out = self.low.pull(frames)
        out += self.high.pull(frames)
        self.position += frames
        return out


def crossover_hz(segments: list[np.ndarray], rate: int) -> float:
    """The frequency that halves the segments' summed power (clamped to 80 Hz .. 8 kHz)."""
    f, psd = _welch(np.concatenate([s.mean(axis=0) for s in segments]), rate)
    cum = np.cumsum(psd)
    if cum[-1] <= 0:
        return 1000.0
    return float(np.clip(f[int(np.searchsorted(cum, cum[-1] / 2))], 80.0, 8000.0))


WELCH_FRAMES = 4096  # frames per periodogram in crossover_hz
WELCH_CHUNK = 256  # periodograms computed at once (bounds the working memory)


def _welch(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.signal.welch(x, rate, nperseg=WELCH_FRAMES)``, computed WELCH_CHUNK
    periodograms at a time: the same mean, without the many copies of ``x`` that one
    call makes at once (hundreds of MB for five minutes of material)."""
    step = WELCH_FRAMES // 2
    count = (x.shape[0] - WELCH_FRAMES) // step + 1
    if count <= WELCH_CHUNK:
        return signal.welch(x, rate, nperseg=WELCH_FRAMES)
    total = np.zeros(WELCH_FRAMES // 2 + 1)
    for first in range(0, count, WELCH_CHUNK):
        n = min(WELCH_CHUNK, count - first)
        f, psd = signal.welch(x[first * step : first * step + (n - 1) * step + WELCH_FRAMES],
                              rate, nperseg=WELCH_FRAMES)
        total += psd * n
    return f, total / count


def split_bands(segments: list[np.ndarray], rate: int, release: bool = False
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(low, high) copies of ``segments`` that add back up to them exactly: a zero-phase
    4th-order low-pass at :func:`crossover_hz`, and the rest.

    ``release``: the caller hands ``segments`` over; the list is emptied and each
    segment freed once split, so the bands never coexist with a whole third copy.
    """
    sos = signal.butter(2, crossover_hz(segments, rate), "lowpass", fs=rate, output="sos")
    pending = segments[::-1]
    if release:
        segments.clear()
    low, high = [], []
    while pending:
        s = pending.pop()
        lo = signal.sosfiltfilt(sos, s.astype(np.float64), axis=-1)
        low.append(np.ascontiguousarray(lo, dtype=np.float32))
        high.append(np.ascontiguousarray(s.astype(np.float64) - lo, dtype=np.float32))
        del s, lo
    return low, high
