"""Gain curves: crossfades, fades and pan laws. Pure functions of position."""

from __future__ import annotations

import numpy as np


def equal_power(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fade_out, fade_in) gains for crossfade positions ``u`` in [0, 1].

    out**2 + in**2 == 1 at every position: the summed power of two uncorrelated
    signals stays constant through the join.
    """
    angle = np.clip(u, 0.0, 1.0) * (np.pi / 2)
    return np.cos(angle), np.sin(angle)


def matched_power(fade_out: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
    """The fade-in gain that keeps a crossfade's power constant when the two sides
    correlate by ``rho`` (0..1) and one fades out with ``fade_out``.

    The mix of a and b has power a**2 + b**2 + 2*a*b*rho (equal powers); solving
    that = 1 for b gives b = -a*rho + sqrt(a**2*rho**2 - a**2 + 1). For rho = 0 it is
    the equal-power law; for rho = 1 (the same signal on both sides) it is the
    linear one, a + b = 1, where equal power would swell by up to 3 dB.
    """
    a = np.asarray(fade_out, dtype=np.float64)
    r = np.clip(np.asarray(rho, dtype=np.float64), 0.0, 1.0)
    return np.clip(-a * r + np.sqrt(np.maximum(a * a * r * r - a * a + 1.0, 0.0)), 0.0, 1.0)


def fade_position(n: np.ndarray, start: int, length: int) -> np.ndarray:
    """Position in [0, 1] of frames ``n`` within a fade of ``length`` frames at ``start``.

    Sample centres are used ((k + 0.5) / length) so a fade of length L never has an
    exact 0 or 1 inside it and the two halves of a crossfade are mirror images.
    """
    return (n - start + 0.5) / float(length)


def raised_cosine(u: np.ndarray) -> np.ndarray:
    """A smooth 0 -> 1 fade (Hann half) for positions ``u``; 0 below 0, 1 above 1."""
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def pan_unity_centre(pan: float) -> tuple[float, float]:
    """Equal-power pan gains (left, right) for ``pan`` in [-1, 1], unity (0 dB) at the
    centre and +3 dB at a hard side, so a centred layer keeps its level. (A recipe
    placing a mono source uses ``procedural._dsp.pan_minus3db_centre``.)"""
    angle = (np.clip(pan, -1.0, 1.0) + 1.0) * (np.pi / 4)
    return float(np.sqrt(2) * np.cos(angle)), float(np.sqrt(2) * np.sin(angle))
