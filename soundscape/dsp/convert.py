"""Conversion to the mixer format: float32, stereo, the scene's sample rate."""

from __future__ import annotations

import numpy as np
import soxr


def to_stereo_rate(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """float32 (2, frames) at ``target_rate`` from (channels, frames) at ``rate``.

    Mono is duplicated to both channels; more than two channels are folded to two
    (even channels left, odd right). Resampling uses soxr at high quality.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.shape[0] == 1:
        audio = np.repeat(audio, 2, axis=0)
    elif audio.shape[0] > 2:
        audio = np.stack([audio[0::2].mean(axis=0), audio[1::2].mean(axis=0)])
    if rate != target_rate and audio.shape[1] > 0:
        audio = soxr.resample(audio.T, rate, target_rate, quality="HQ").T
    return np.ascontiguousarray(audio, dtype=np.float32)
