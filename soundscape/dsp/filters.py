"""Static processing applied once to a layer's segments (never per block)."""

from __future__ import annotations

import numpy as np
from scipy import signal

from .fades import pan_unity_centre


def cut_filters(
    audio: np.ndarray, rate: int, lowcut_hz: float | None, highcut_hz: float | None
) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low/high cut along the frames axis.

    Zero phase (forward-backward) keeps transients aligned and leaves no start-up
    transient at the segment edges the way a causal filter would.
    """
    nyquist = rate / 2
    out = audio
    if lowcut_hz is not None and lowcut_hz < nyquist * 0.95:
        sos = signal.butter(2, lowcut_hz, "highpass", fs=rate, output="sos")
        out = signal.sosfiltfilt(sos, out, axis=-1)
    if highcut_hz is not None and highcut_hz < nyquist * 0.95:
        sos = signal.butter(2, highcut_hz, "lowpass", fs=rate, output="sos")
        out = signal.sosfiltfilt(sos, out, axis=-1)
    return np.ascontiguousarray(out, dtype=np.float32)


def lowpass(audio: np.ndarray, rate: int, cutoff_hz: float) -> np.ndarray:
    """Causal 2nd-order Butterworth low-pass (for distance): starts from rest."""
    if cutoff_hz >= rate * 0.45:
        return audio
    sos = signal.butter(2, cutoff_hz, "lowpass", fs=rate, output="sos")
    return signal.sosfilt(sos, audio, axis=-1).astype(np.float32)


def width_pan(audio: np.ndarray, width: float, pan: float) -> np.ndarray:
    """Stereo width (mid/side: 0 mono, 1 unchanged, 2 wide) then equal-power pan."""
    left, right = audio[0].astype(np.float64), audio[1].astype(np.float64)
    if width != 1.0:
        mid = (left + right) * 0.5
        side = (left - right) * 0.5 * width
        left, right = mid + side, mid - side
    gl, gr = pan_unity_centre(pan)
    return np.stack([left * gl, right * gr]).astype(np.float32)
