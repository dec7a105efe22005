"""Automatic quality gates for generated audio. Pure numpy/scipy.

``assess(audio, rate, bed)`` measures one raw candidate (float32 (channels, frames)
at the model's rate, before any gain) and returns a :class:`Quality` whose
``failed`` names every gate it fails:

- ``clipped``: more than 0.1 % of samples at or above 0.999 full scale;
- ``silent``: RMS under -60 dBFS;
- ``dc_offset``: mean above 10 % of the RMS (or 0.02 absolute);
- ``level_drift`` (beds): the 0.5 s RMS envelope spans more than 12 dB, or its two
  halves differ by more than 6 dB (fades and swells make beds pump when looped);
- ``tonal`` (beds): a spectral peak stands more than 18 dB above its neighbourhood
  between 80 Hz and 6 kHz (music, hum, whistles in what should be a texture).

``penalty`` orders failing candidates: the lower, the closer to passing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, signal

CLIP_LEVEL = 0.999
CLIP_FRACTION = 1e-3
SILENT_DB = -60.0
DC_RATIO = 0.1
DC_ABS = 0.02
DRIFT_SPAN_DB = 12.0
DRIFT_HALVES_DB = 6.0
TONAL_DB = 18.0


@dataclass
class Quality:
    """Measurements of one candidate and the gates it fails."""

    rms_db: float
    peak: float
    clipped_fraction: float
    dc: float
    drift_db: float
    halves_db: float
    tonal_db: float
    failed: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def penalty(self) -> float:
        return float(len(self.failed) * 100.0 + max(0.0, self.drift_db - DRIFT_SPAN_DB)
                     + max(0.0, self.tonal_db - TONAL_DB))

    def as_dict(self) -> dict[str, object]:
        return {
            "rms_db": round(self.rms_db, 2),
            "peak": round(self.peak, 4),
            "clipped_fraction": round(self.clipped_fraction, 6),
            "dc": round(self.dc, 6),
            "drift_db": round(self.drift_db, 2),
            "halves_db": round(self.halves_db, 2),
            "tonal_db": round(self.tonal_db, 2),
            "failed": list(self.failed),
            "passed": self.passed,
        }


def _db(x: float) -> float:
    return float(20.0 * np.log10(max(x, 1e-12)))


def envelope_db(mono: np.ndarray, rate: int, window_s: float = 0.5) -> np.ndarray:
    """RMS level in dB of consecutive ``window_s`` windows (at least one)."""
    n = max(1, int(rate * window_s))
    count = max(1, mono.size // n)
    frames = mono[: count * n].reshape(count, -1) if mono.size >= n else mono[None, :]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-24)
    return 20.0 * np.log10(rms)


def tonality_db(mono: np.ndarray, rate: int) -> float:
    """How far the strongest narrow spectral peak (80 Hz - 6 kHz) stands out, in dB."""
    if mono.size < 256:
        return 0.0
    nfft = int(min(8192, 2 ** np.floor(np.log2(mono.size))))
    freqs, psd = signal.welch(mono, rate, nperseg=nfft)
    band = (freqs >= 80.0) & (freqs <= min(6000.0, rate / 2 * 0.95))
    if band.sum() < 8:
        return 0.0
    level = 10.0 * np.log10(psd + 1e-20)
    width = max(5, round(200.0 / (freqs[1] - freqs[0])) | 1)
    floor = ndimage.median_filter(level, size=width, mode="nearest")
    return float(np.max((level - floor)[band]))


def assess(audio: np.ndarray, rate: int, bed: bool) -> Quality:
    """Measure one raw candidate; see the module docstring for the gates."""
    audio = np.asarray(audio, dtype=np.float32)
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    if mono.size == 0 or not np.all(np.isfinite(mono)):
        return Quality(-240.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, failed=["silent"])
    peak = float(np.max(np.abs(audio)))
    rms = float(np.sqrt(np.mean(mono.astype(np.float64) ** 2)))
    clipped = float(np.mean(np.abs(audio) >= CLIP_LEVEL))
    dc = float(np.mean(mono))
    env = envelope_db(mono, rate)
    live = env[env > SILENT_DB - 20] if env.size else env
    drift = float(np.percentile(live, 95) - np.percentile(live, 5)) if live.size > 2 else 0.0
    half = env.size // 2
    halves = float(abs(env[:half].mean() - env[half:].mean())) if half else 0.0
    tonal = tonality_db(mono, rate) if bed else 0.0
    q = Quality(_db(rms), peak, clipped, dc, drift, halves, tonal)
    if clipped > CLIP_FRACTION:
        q.failed.append("clipped")
    if q.rms_db < SILENT_DB:
        q.failed.append("silent")
    elif abs(dc) > DC_ABS or abs(dc) > DC_RATIO * rms:
        q.failed.append("dc_offset")
    if bed and (drift > DRIFT_SPAN_DB or halves > DRIFT_HALVES_DB):
        q.failed.append("level_drift")
    if bed and tonal > TONAL_DB:
        q.failed.append("tonal")
    return q
