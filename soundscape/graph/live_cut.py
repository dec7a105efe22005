"""Live cut filters: a layer's low/high cut changed on a running graph, gliding.

A graph's segments carry the cut filters of the scene it was built from, applied
zero-phase (``dsp.filters.cut_filters``: a 2nd-order Butterworth run forward and
back, so its magnitude is ``|H|^2``). :class:`LiveCut` turns those into other
cutoffs without a rebuild: a digital Butterworth high-pass (or low-pass) of one
cutoff differs from another only by its denominator and gain (both numerators are
``k (1 -+ z^-1)^2``), so the correction is ``(g_new / g_built) a_built(z) / a_new(z)``:
stable (its poles are the new filter's) and, run twice, exactly the new magnitude.
Only its phase differs from the render's (causal, a few tenths of a millisecond of
group delay around the cutoff); a rebuild makes it exact. Only a cutoff the graph
was built with can move: adding a cut would start a filter from rest (a click) and
removing one needs an unstable or improper inverse, so both rebuild.

A change glides: the cutoff moves geometrically from where it is to the new one
over ``ramp`` frames (100 ms), the coefficients updated every ``STEP`` frames (2 ms),
the filter state carried across: a cutoff swept across a loud sine leaves a
residue 45 dB under it above 4 kHz, an eighth of what switching at once leaves.
``process(block)`` belongs to the strip that owns it (its mixer thread).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

STEP = 96  # frames between coefficient updates during a glide (2 ms at 48 kHz)
RAMP = 4800  # frames a cutoff change glides over (100 ms at 48 kHz)
NONE_SHARE = 0.95  # cut_filters ignores a cutoff at or over this share of Nyquist
IDENTITY = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])


def effective(cutoff: float | None, rate: int) -> float | None:
    """The cutoff ``cut_filters`` applies (None: none)."""
    return cutoff if cutoff is not None and cutoff < rate / 2 * NONE_SHARE else None


def _section(kind: str, built: float | None, new: float | None, rate: int) -> np.ndarray:
    """One biquad (sos row) that turns ``built``'s filter into ``new``'s (kind
    "highpass" or "lowpass"); identity without a filter."""
    if new is None or built is None:
        return IDENTITY.copy()
    b_new, a_new = signal.butter(2, new, kind, fs=rate)
    b_old, a_old = signal.butter(2, built, kind, fs=rate)
    return np.concatenate([a_old * (b_new[0] / b_old[0]), a_new])


class LiveCut:
    """Corrects a layer's built cut filters to new cutoffs (see module docstring)."""

    def __init__(self, rate: int, lowcut: float | None, highcut: float | None,
                 ramp: int = RAMP):
        self.rate = rate
        self.built = (effective(lowcut, rate), effective(highcut, rate))
        self.now: tuple[float | None, float | None] = self.built
        self.start = self.now
        self.target = self.now
        self.ramp = ramp
        self.left = 0
        self.zi = np.zeros((4, 2, 2))
        self._sos = self._sos_for(self.now)

    @staticmethod
    def can_reach(rate: int, built: float | None, new: float | None) -> bool:
        """Whether a cut built at ``built`` can be changed live to ``new`` (both a cut,
        or both none)."""
        return (effective(new, rate) is None) == (effective(built, rate) is None)

    def _sos_for(self, cut: tuple[float | None, float | None]) -> np.ndarray:
        low = _section("highpass", self.built[0], cut[0], self.rate)
        high = _section("lowpass", self.built[1], cut[1], self.rate)
        return np.stack([low, low, high, high])

    def set(self, lowcut: float | None, highcut: float | None, glide: bool = True) -> None:
        """Glide to these cutoffs (or jump, for a graph that has not played)."""
        target = (effective(lowcut, self.rate), effective(highcut, self.rate))
        if target == self.target:
            return
        self.start, self.target = self.now, target
        if glide:
            self.left = self.ramp
        else:
            self.now, self.left = target, 0
            self._sos = self._sos_for(target)

    def _between(self, frac: float) -> tuple[float | None, float | None]:
        """The cutoffs ``frac`` of the way from ``start`` to ``target`` (geometric)."""
        out: list[float | None] = []
        for a, b in zip(self.start, self.target, strict=True):
            out.append(None if a is None or b is None else float(a * (b / a) ** frac))
        return out[0], out[1]

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (2, n) through the correction; its state carries to the next."""
        if self.left <= 0:
            out, self.zi = signal.sosfilt(self._sos, block, axis=-1, zi=self.zi)
            return np.asarray(out, dtype=np.float32)
        parts = []
        done = 0
        n = block.shape[1]
        while done < n:
            step = min(STEP, n - done)
            if self.left > 0:
                self.left = max(0, self.left - step)
                frac = 1.0 - self.left / self.ramp
                self.now = self.target if self.left == 0 else self._between(frac)
                self._sos = self._sos_for(self.now)
            out, self.zi = signal.sosfilt(self._sos, block[:, done:done + step], axis=-1,
                                          zi=self.zi)
            parts.append(out)
            done += step
        return np.concatenate(parts, axis=1).astype(np.float32)
