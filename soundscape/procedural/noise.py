"""Plain coloured noise: the reference point every other texture is measured against."""

from __future__ import annotations

import numpy as np

from soundscape.procedural import _dsp

EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


def noise(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Independent L/R noise with power ~ 1/f**k (white k=0, pink 1, brown 2): (2, n).

    Drawn as a shaped random spectrum (one inverse FFT per channel); the slope is flat
    below 20 Hz and the DC bin is zero, as in :func:`_dsp.colored`.
    """
    gain = _dsp.pink_gain(_dsp.rfft_freqs(n, sr), EXPONENTS[str(p["color"])])
    return _dsp.spectral_noise(rng, n, gain, channels=2)
