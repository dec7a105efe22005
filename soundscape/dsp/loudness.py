"""Loudness (ITU-R BS.1770 / EBU R128 via pyloudnorm) and true peak.

pyloudnorm is a small, well-tested implementation of BS.1770-4 gating and
K-weighting; we use it rather than our own so measurements match other tools.
"""

from __future__ import annotations

import numpy as np
import pyloudnorm
from scipy import signal


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS of (channels, frames) audio; -inf for silence."""
    if audio.shape[1] < int(0.4 * rate):
        return float("-inf")
    meter = pyloudnorm.Meter(rate)
    with np.errstate(divide="ignore"):
        return float(meter.integrated_loudness(np.asarray(audio, dtype=np.float64).T))


def true_peak_db(audio: np.ndarray, oversample: int = 4) -> float:
    """True peak in dBTP: the sample peak of a 4x oversampled copy (BS.1770 Annex 2)."""
    up = signal.resample_poly(np.asarray(audio, dtype=np.float64), oversample, 1, axis=-1)
    peak = float(np.max(np.abs(up))) if up.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def short_window_lufs(audio: np.ndarray, rate: int, start: int, length: int) -> float:
    """Ungated K-weighted loudness of ``length`` frames at ``start`` (e.g. 400 ms)."""
    chunk = np.asarray(audio[:, start : start + length], dtype=np.float64)
    filtered = signal.sosfilt(k_weighting_sos(rate), chunk, axis=-1)
    power = float(np.sum(np.mean(filtered**2, axis=-1)))
    return -0.691 + 10 * np.log10(power) if power > 0 else float("-inf")


def k_weighting_sos(rate: int) -> np.ndarray:
    """BS.1770 K-weighting (pyloudnorm's two stages) as second-order sections."""
    meter = pyloudnorm.Meter(rate)
    stages = [meter._filters["high_shelf"], meter._filters["high_pass"]]
    return np.concatenate(
        [signal.tf2sos(np.asarray(f.b, float), np.asarray(f.a, float)) for f in stages]
    )


class StreamingLoudness:
    """BS.1770-4 integrated loudness fed block by block, in constant memory.

    K-weighting uses pyloudnorm's own filter coefficients, run with carried state;
    mean squares are kept per 100 ms step and combined into the standard 400 ms
    gating blocks (75 % overlap) with the -70 LUFS absolute and -10 LU relative
    gates, so the result matches ``integrated_lufs`` on the whole signal.
    """

    def __init__(self, rate: int):
        self.sos = k_weighting_sos(rate)
        self.zi: np.ndarray | None = None
        self.step = int(round(0.1 * rate))
        self.partial = np.zeros(2)
        self.partial_n = 0
        self.steps: list[np.ndarray] = []  # per-channel mean square of each 100 ms step

    def feed(self, audio: np.ndarray) -> None:
        x = np.asarray(audio, dtype=np.float64)
        if self.zi is None:
            self.zi = np.zeros((self.sos.shape[0], x.shape[0], 2))
        y, self.zi = signal.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        pos = 0
        n = y.shape[1]
        while pos < n:
            take = min(self.step - self.partial_n, n - pos)
            self.partial += np.sum(y[:, pos : pos + take] ** 2, axis=1)
            self.partial_n += take
            pos += take
            if self.partial_n == self.step:
                self.steps.append(self.partial / self.step)
                self.partial = np.zeros(2)
                self.partial_n = 0

    def restart(self) -> None:
        """Forget the filter state and any partial step: the next ``feed`` starts a new
        stretch (for meters that sample a long signal block by block)."""
        self.zi = None
        self.partial = np.zeros(2)
        self.partial_n = 0

    def ungated(self) -> float:
        """Mean K-weighted loudness of everything fed so far, without gating (LUFS)."""
        if not self.steps:
            return float("-inf")
        power = float(np.array(self.steps).sum(axis=1).mean())
        return -0.691 + 10 * float(np.log10(power)) if power > 0 else float("-inf")

    def integrated(self) -> float:
        if len(self.steps) < 4:
            return float("-inf")
        steps = np.array(self.steps)  # (n, channels)
        blocks = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / 4
        power = blocks.sum(axis=1)
        with np.errstate(divide="ignore"):
            loud = -0.691 + 10 * np.log10(power)
        gated = power[loud > -70.0]
        if gated.size == 0:
            return float("-inf")
        relative = -0.691 + 10 * np.log10(gated.mean()) - 10.0
        final = power[(loud > -70.0) & (loud > relative)]
        return float(-0.691 + 10 * np.log10(final.mean()))
