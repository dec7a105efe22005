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


def at_speed(audio: np.ndarray, speed: float) -> np.ndarray:
    """(channels, frames) played ``speed`` times as fast: float32 (channels,
    ~frames / speed), resampled with soxr at high quality (pitch and tempo move
    together, as a tape would)."""
    if speed == 1.0:
        return np.array(audio, dtype=np.float32)  # a copy, as at any other speed
    # soxr takes (frames, channels); only the ratio of the two rates matters to it
    out = soxr.resample(np.ascontiguousarray(audio.T), 48000.0 * speed, 48000.0, quality="HQ")
    return np.ascontiguousarray(out.T, dtype=np.float32)
