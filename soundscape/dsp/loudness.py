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
    meter = pyloudnorm.Meter(rate, block_size=length / rate)
    chunk = np.asarray(audio[:, start : start + length], dtype=np.float64).T
    filtered = chunk
    for f in meter._filters.values():  # K-weighting stages, as pyloudnorm applies them
        filtered = f.apply_filter(filtered)
    power = float(np.sum(np.mean(filtered**2, axis=0)))
    return -0.691 + 10 * np.log10(power) if power > 0 else float("-inf")
