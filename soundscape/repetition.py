"""Does audio repeat its own earlier output? A ruler for "endless means endless".

The audio is cut into WINDOW_SECONDS windows every HOP_SECONDS; each window is asked
whether a near-verbatim copy of it sounded earlier, at any time shift (not only on
the window grid). Two stages:

1. **Fingerprint search** (fast, coarse): the mono mix in FP_FRAME_SECONDS Hann
   frames every FP_HOP_SECONDS; each frame's energy in FP_BANDS log-spaced bands
   (FP_LOW_HZ .. FP_HIGH_HZ) in dB, minus its FP_DETREND_SECONDS moving average per
   band (so a copy at another gain, a level ramp or the beds' breathing still
   match). A window's frames are correlated (normalised, by FFT) with the frames at
   *every* earlier start at least ``min_lag`` before it; the best CANDIDATES peaks
   scoring at least FP_GATE become candidate lags. Unrelated textures score about
   0.1-0.2 here; a copy scores 0.6-1.0 (1.0 on the frame grid, less half a frame
   off it).
2. **Waveform confirmation** (exact): on the mono mix low-passed and decimated to
   about CONFIRM_RATE Hz, the normalised cross-correlation of the window with the
   earlier stretch is taken at every lag within the candidate's frame uncertainty,
   then refined to a quarter of a decimated sample by polyphase upsampling (a copy
   at a lag that is not a whole number of decimated samples would otherwise lose up
   to a quarter of its correlation). The window repeats when the best correlation
   is at least ``threshold``.

Why THRESHOLD = 0.9: a copy plus an unrelated difference scores
``1 / sqrt(1 + d / c)`` (``d / c`` the difference's power over the copy's), so 0.9
means the copied part is at least 6.3 dB above everything else in the window: the
ear hears it as the same sound again. A verbatim copy scores above 0.99 (at another
gain too: correlation ignores gain), a window over a crossfade of the copy into new
material less, and independent noise about ``1 / sqrt(frames)`` (under 0.02 for 5 s
at 8 kHz). Real recordings score far below (see bench/repetition.py).

Why confirm on a decimated waveform: an hour of 48 kHz mono is 690 MB in float32;
at 8 kHz in float16 it is 58 MB, which the scanner keeps. A copy at full rate is a copy of its
0-3.3 kHz band too (the anti-alias filter is linear and time-invariant, and its
stopband holds aliasing 80 dB down), so nothing is lost but the lag's precision
beyond 1/32 ms.

:class:`RepetitionScanner` takes the audio block by block (memory: the decimated
mono and the fingerprints, about 70 MB an hour, twice that while :meth:`result`
runs); :func:`find_repeats` runs it over one array. Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.signal

WINDOW_SECONDS = 5.0
HOP_SECONDS = 5.0
THRESHOLD = 0.9
MIN_LAG_SECONDS = 1.0
FP_FRAME_SECONDS = 0.2
FP_HOP_SECONDS = 0.05
FP_BANDS = 16
FP_LOW_HZ, FP_HIGH_HZ = 100.0, 12000.0
FP_DETREND_SECONDS = 3.0
FP_GATE = 0.45
ECHO_SCORE = 0.8  # a fingerprint match this close is the same sound heard again
CANDIDATES = 4
CONFIRM_RATE = 8000
CONFIRM_UPSAMPLE = 4
PROBE_SECONDS = 1.0
SILENCE_RMS = 1e-5  # -100 dBFS: a window this quiet neither repeats nor is fresh
BLOCK_SECONDS = 1.0


@dataclass(frozen=True)
class Repeat:
    """One window that repeats earlier output. Seconds from the start of the audio."""

    time: float  # start of the repeating window
    earlier: float  # start of its earlier copy
    lag: float  # time - earlier
    correlation: float  # waveform normalised cross-correlation, 0..1


@dataclass(frozen=True)
class RepetitionResult:
    """The verdict over all windows; ``repeats`` in window order."""

    seconds: float  # audio analysed
    window_seconds: float
    hop_seconds: float
    threshold: float
    windows: int  # complete windows
    silent: int  # windows too quiet to judge (counted as not repeating)
    repeats: tuple[Repeat, ...] = field(default_factory=tuple)
    # the highest waveform correlation of any window with any candidate, repeat or
    # not (0 when no fingerprint match was worth confirming): how near the rest came
    best_correlation: float = 0.0
    # windows whose fingerprint matches earlier output (score >= ECHO_SCORE) whether or
    # not the waveform does: the same sound heard again, at this or at another speed
    echoes: int = 0

    @property
    def share(self) -> float:
        """Fraction (0..1) of the windows that repeat earlier output (0 for no windows)."""
        return len(self.repeats) / self.windows if self.windows else 0.0

    @property
    def smallest_lag(self) -> float | None:
        """The shortest lag in seconds of any repeat, None when nothing repeats."""
        return min((r.lag for r in self.repeats), default=None)

    @property
    def median_lag(self) -> float | None:
        """The median lag in seconds of the repeats, None when nothing repeats."""
        return float(np.median([r.lag for r in self.repeats])) if self.repeats else None

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready: the fields, ``share``, ``smallest_lag``, ``median_lag``, and the
        first ``limit`` repeats (all with None) as dicts."""
        shown = self.repeats if limit is None else self.repeats[:limit]
        return {
            "seconds": round(self.seconds, 3),
            "window_seconds": self.window_seconds,
            "hop_seconds": self.hop_seconds,
            "threshold": self.threshold,
            "windows": self.windows,
            "silent": self.silent,
            "repeating": len(self.repeats),
            "best_correlation": round(self.best_correlation, 4),
            "echoes": self.echoes,
            "share": round(self.share, 4),
            "smallest_lag": _round(self.smallest_lag),
            "median_lag": _round(self.median_lag),
            "repeats": [{k: round(v, 4) for k, v in asdict(r).items()} for r in shown],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _mono(block: np.ndarray) -> np.ndarray:
    """(frames,) or (channels, frames) -> float32 (frames,), channels averaged."""
    x = np.asarray(block, dtype=np.float32)
    return x.mean(axis=0) if x.ndim == 2 else x


def decimation_factor(rate: int) -> int:
    """The integer factor that brings ``rate`` down to CONFIRM_RATE or just above."""
    return max(1, rate // CONFIRM_RATE)


def _anti_alias(rate: int, factor: int) -> np.ndarray:
    """SOS low-pass before keeping every ``factor``-th sample: 80 dB down from the
    new Nyquist, passband to about 0.82 of it."""
    return scipy.signal.cheby2(10, 80, 0.5 * rate / factor, fs=rate, output="sos")


def _band_bins(frame: int, rate: int) -> list[np.ndarray]:
    """rfft bin indices of each of FP_BANDS log-spaced bands (top below Nyquist)."""
    freqs = np.fft.rfftfreq(frame, 1.0 / rate)
    edges = np.geomspace(FP_LOW_HZ, min(FP_HIGH_HZ, 0.45 * rate), FP_BANDS + 1)
    band = np.searchsorted(edges, freqs, side="right") - 1
    return [np.flatnonzero(band == b) for b in range(FP_BANDS)]


def detrended(fp: np.ndarray, span: int) -> np.ndarray:
    """``fp`` (frames, bands) minus its centred moving average over ``span`` frames,
    per band: level changes slower than ``span`` removed, the texture's pattern kept."""
    c = np.concatenate([np.zeros((1, fp.shape[1])), np.cumsum(fp, axis=0)])
    n = fp.shape[0]
    i = np.arange(n)
    lo = np.clip(i - span // 2, 0, n)
    hi = np.clip(i + span // 2 + 1, 0, n)
    return fp - (c[hi] - c[lo]) / (hi - lo)[:, None]


class _SlidingCorrelator:
    """Normalised correlation of a (w, bands) query with every w-frame stretch of a
    (frames, bands) sequence, by overlap-save FFTs computed once."""

    def __init__(self, seq: np.ndarray, w: int):
        self.w = w
        n = seq.shape[0]
        energy = np.concatenate([[0.0], np.cumsum(np.sum(seq**2, axis=1))])
        self.norms = np.sqrt(np.maximum(energy[w:] - energy[:-w], 0.0))  # n - w + 1
        self.size = 1 << int(math.ceil(math.log2(4 * w)))
        self.step = self.size - w + 1
        self.starts = n - w + 1
        chunks = -(-self.starts // self.step)
        padded = np.zeros((chunks * self.step + w - 1, seq.shape[1]))
        padded[:n] = seq
        pieces = np.stack([padded[c * self.step : c * self.step + self.step + w - 1]
                           for c in range(chunks)])
        self.spectra = np.fft.rfft(pieces, n=self.size, axis=1)  # (chunks, bins, bands)

    def scores(self, query: np.ndarray, last: int) -> np.ndarray:
        """Scores (-1..1) of the stretches starting at 0..``last`` (inclusive)."""
        qn = float(np.sqrt(np.sum(query**2)))
        if qn <= 0 or last < 0:
            return np.zeros(max(last + 1, 0))
        chunks = min(self.spectra.shape[0], last // self.step + 1)
        qf = np.fft.rfft(query[::-1], n=self.size, axis=0)
        full = np.fft.irfft(np.einsum("cfb,fb->cf", self.spectra[:chunks], qf),
                            n=self.size, axis=1)
        corr = full[:, self.w - 1 : self.w - 1 + self.step].reshape(-1)[: last + 1]
        norms = self.norms[: last + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = corr / (qn * norms)
        return np.where(norms > 1e-9 * qn, out, 0.0)


def peaks(scores: np.ndarray, count: int, gate: float, apart: int) -> list[int]:
    """Indices of up to ``count`` highest ``scores`` at least ``gate``, each at least
    ``apart`` from a higher one chosen before; best first."""
    s = np.array(scores, dtype=np.float64)
    out: list[int] = []
    while len(out) < count and s.size:
        k = int(np.argmax(s))
        if s[k] < gate:
            break
        out.append(k)
        s[max(0, k - apart) : k + apart + 1] = -np.inf
    return out


def _ncc_at_lags(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """NCC of ``x`` (n,) with every n-long stretch of ``y`` (m >= n,): (m - n + 1,)."""
    n = x.shape[0]
    lags = y.shape[0] - n + 1
    if lags <= 16:  # a few lags: dot products beat a long FFT
        return np.array([_ncc(x, y[k : k + n]) for k in range(lags)])
    corr = scipy.signal.correlate(y, x, mode="valid", method="fft")
    c = np.concatenate([[0.0], np.cumsum(y.astype(np.float64) ** 2)])
    ny = np.sqrt(np.maximum(c[n:] - c[:-n], 0.0))
    nx = float(np.sqrt(np.sum(x.astype(np.float64) ** 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = corr / (nx * ny)
    return np.where(ny > 1e-12, r, 0.0)


def _ncc(x: np.ndarray, y: np.ndarray) -> float:
    """Normalised correlation of two equal-length arrays (0 when either is silent)."""
    # float32 dot products: BLAS accumulates well enough for a 0.9 threshold
    den = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    return float(np.dot(x, y)) / den if den > 0 else 0.0


def confirm(wave: np.ndarray, start: int, length: int, lag: int, slack: int
            ) -> tuple[float, float]:
    """Best waveform NCC of ``wave[start : start + length]`` with the stretches
    ``lag - slack .. lag + slack`` samples earlier (those that begin at or after 0),
    refined between samples by CONFIRM_UPSAMPLE-fold polyphase upsampling.

    Returns ``(correlation, lag)``: the lag in (fractional) samples of ``wave``;
    ``(0.0, lag)`` when no such stretch exists.
    """
    x = wave[start : start + length].astype(np.float32)  # the scanner keeps float16
    lo = max(0, start - lag - slack)
    hi = min(start - lag + slack, start - 1)  # an earlier stretch, not the window itself
    if hi < lo or x.shape[0] < length:
        return 0.0, float(lag)
    span = wave[lo : hi + length].astype(np.float32)  # every candidate stretch
    # Find the lag with a PROBE_SECONDS probe from the window's middle (cheap), then
    # score the whole window at the probe's best few lags, +-1 sample.
    n = min(length, int(PROBE_SECONDS * length / WINDOW_SECONDS) or length)
    mid = (length - n) // 2
    r = _ncc_at_lags(x[mid : mid + n], span[mid : hi - lo + mid + n])
    best, best_s = 0.0, -1
    for k in peaks(r, 3, -np.inf, 2):
        for s in range(max(lo, lo + k - 1), min(hi, lo + k + 1) + 1):
            c = _ncc(x, span[s - lo : s - lo + length])
            if c > best:
                best, best_s = c, s
    if best_s < 0:
        return 0.0, float(lag)
    best_lag = float(start - best_s)
    if best >= 0.999 or best < 0.3:  # exact already, or nothing to refine
        return best, best_lag
    # Between samples: upsample x and a stretch around the best match, search +-1
    # sample there. Margins of 16 samples keep the polyphase filter's edges out.
    up, m = CONFIRM_UPSAMPLE, 16
    e0 = best_s - 1 - m
    if e0 < 0 or best_s + 1 + length + m > wave.shape[0]:
        return best, best_lag
    xu = scipy.signal.resample_poly(x, up, 1)
    yu = scipy.signal.resample_poly(wave[e0 : best_s + 1 + length + m].astype(np.float32),
                                    up, 1)
    ru = _ncc_at_lags(xu, yu[m * up : m * up + xu.shape[0] + 2 * up])
    j = int(np.argmax(ru))
    if ru[j] > best:
        best = float(ru[j])
        best_lag = start - (e0 + m + j / up)
    return best, best_lag


class RepetitionScanner:
    """Feed audio block by block at ``rate``; :meth:`result` says which windows repeat.

    ``feed(block)`` takes float (frames,) or (channels, frames) blocks of any size.
    Windows are ``window`` seconds every ``hop`` seconds; a repeat must lie at least
    ``min_lag`` seconds earlier and correlate at least ``threshold`` (see the module
    docstring).
    """

    def __init__(self, rate: int, window: float = WINDOW_SECONDS, hop: float = HOP_SECONDS,
                 threshold: float = THRESHOLD, min_lag: float = MIN_LAG_SECONDS):
        if window <= FP_FRAME_SECONDS or hop <= 0 or min_lag < FP_FRAME_SECONDS:
            raise ValueError(f"window {window} s must exceed {FP_FRAME_SECONDS} s, hop "
                             f"{hop} s be positive, min_lag {min_lag} s at least "
                             f"{FP_FRAME_SECONDS} s")
        self.rate = rate
        self.window, self.hop, self.threshold, self.min_lag = window, hop, threshold, min_lag
        self.factor = decimation_factor(rate)
        self.sos = _anti_alias(rate, self.factor) if self.factor > 1 else None
        self.zi = (np.zeros((self.sos.shape[0], 2)) if self.sos is not None else None)
        self.frame = int(round(FP_FRAME_SECONDS * rate))
        self.fp_hop = int(round(FP_HOP_SECONDS * rate))
        self.taper = np.hanning(self.frame).astype(np.float32)
        self.bins = _band_bins(self.frame, rate)
        self.pending = np.zeros(0, dtype=np.float32)  # full-rate tail for the next frame
        self.phase = 0  # full-rate samples to skip before the next kept decimated one
        self.frames = 0  # full-rate samples fed
        self.fp_rows: list[np.ndarray] = []
        # decimated mono pieces, float16: half the memory, and a copy stays a copy
        # (identical input rounds identically; the rounding, 2**-11 of the level,
        # costs a correlation under 1e-5)
        self.low: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        """Take the next ``block`` of audio (see the class docstring)."""
        mono = _mono(block)
        self.frames += mono.shape[0]
        if self.sos is not None:
            filtered, self.zi = scipy.signal.sosfilt(self.sos, mono, zi=self.zi)
            kept = filtered[self.phase :: self.factor]
            self.phase = (self.phase - mono.shape[0]) % self.factor
            self.low.append(kept.astype(np.float16))
        else:
            self.low.append(mono.astype(np.float16))
        # (`duplicates` pairs these lines with analyze's band meter by shape: both frame
        # a stream into band powers, this one on its own hop and taper for fingerprints)
        buf = np.concatenate([self.pending, mono])
        if buf.shape[0] < self.frame:
            self.pending = buf
            return
        n = (buf.shape[0] - self.frame) // self.fp_hop + 1
        self.pending = buf[n * self.fp_hop :]
        frames = np.lib.stride_tricks.sliding_window_view(buf, self.frame)[:: self.fp_hop][:n]
        power = np.abs(np.fft.rfft(frames * self.taper, axis=1)) ** 2
        bands = np.stack([power[:, idx].sum(axis=1) for idx in self.bins], axis=1)
        self.fp_rows.append(10 * np.log10(bands + 1e-12))

    def result(self) -> RepetitionResult:
        """The verdict on every complete window fed so far."""
        seconds = self.frames / self.rate
        windows = int((seconds - self.window) // self.hop) + 1 if seconds >= self.window else 0
        fp = (np.concatenate(self.fp_rows) if self.fp_rows
              else np.zeros((0, FP_BANDS)))
        wave = np.concatenate(self.low) if self.low else np.zeros(0, dtype=np.float16)
        low_rate = self.rate / self.factor
        # fingerprint frames wholly inside a window
        w = int(round((self.window - FP_FRAME_SECONDS) / FP_HOP_SECONDS)) + 1
        if windows == 0 or fp.shape[0] < w:
            return RepetitionResult(seconds, self.window, self.hop, self.threshold,
                                    windows, 0)
        d = detrended(fp.astype(np.float64), int(round(FP_DETREND_SECONDS / FP_HOP_SECONDS)))
        search = _SlidingCorrelator(d, w)
        length = int(round(self.window * low_rate))
        # a frame-grid lag is off by up to half a hop; allow a whole hop either way
        slack = int(math.ceil(FP_HOP_SECONDS * low_rate))
        min_lag_frames = int(math.ceil(self.min_lag / FP_HOP_SECONDS))
        apart = int(round(1.0 / FP_HOP_SECONDS))
        repeats: list[Repeat] = []
        silent = 0
        echoes = 0
        top = 0.0
        for i in range(windows):
            t = i * self.hop
            q = int(round(t / FP_HOP_SECONDS))
            start = int(round(t * low_rate))
            x = wave[start : start + length]
            if x.shape[0] < length or float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) < (
                    SILENCE_RMS):
                silent += 1
                continue
            q = min(q, search.starts - 1)
            scores = search.scores(d[q : q + w], q - min_lag_frames)
            if scores.size and float(np.max(scores)) >= ECHO_SCORE:
                echoes += 1
            best: tuple[float, float] | None = None
            for p in peaks(scores, CANDIDATES, FP_GATE, apart):
                lag = int(round((q - p) * FP_HOP_SECONDS * low_rate))
                corr, exact = confirm(wave, start, length, lag, slack)
                if exact / low_rate < self.min_lag - 1e-9:
                    continue
                top = max(top, corr)
                # the shortest lag among the confirmed copies: a loop's own period
                if corr >= self.threshold and (best is None or exact < best[1]):
                    best = (corr, exact)
            if best is not None:
                lag_s = best[1] / low_rate
                repeats.append(Repeat(t, t - lag_s, lag_s, min(best[0], 1.0)))
        return RepetitionResult(seconds, self.window, self.hop, self.threshold, windows,
                                silent, tuple(repeats), min(top, 1.0), echoes)


def find_repeats(audio: np.ndarray, rate: int, window: float = WINDOW_SECONDS,
                 hop: float = HOP_SECONDS, threshold: float = THRESHOLD,
                 min_lag: float = MIN_LAG_SECONDS) -> RepetitionResult:
    """:class:`RepetitionScanner` over ``audio`` (frames,) or (channels, frames) at
    ``rate``, fed in BLOCK_SECONDS blocks."""
    scan = RepetitionScanner(rate, window, hop, threshold, min_lag)
    n = audio.shape[-1]
    step = max(1, int(BLOCK_SECONDS * rate))
    for a in range(0, n, step):
        scan.feed(audio[..., a : a + step])
    return scan.result()
