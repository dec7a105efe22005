"""Creatures: the owl, and helpers shared by the creature modules.

The owl is a tawny owl's territorial hoot (a long note, a pause, a short note and a
tremulous one: near-pure tones at 600-850 Hz). Bird song lives in :mod:`.birds`, the
herring gull in :mod:`.gulls`, crickets, katydids, cicadas and the night drone in
:mod:`.insects`; they use :func:`place` (a diffuse tail and a
stereo image) and :func:`level_and_limit` (bed level and peaks) from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

from soundscape.procedural import _dsp


def _tone(freq: np.ndarray, sr: int, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    """Sum of harmonics with instantaneous fundamental ``freq`` (n,) Hz; those above
    0.45 * sr are left out so nothing aliases."""
    phase = 2 * np.pi * np.cumsum(freq) / sr
    out = np.zeros(len(freq))
    for h, a in enumerate(harmonics, start=1):
        if a and h * float(np.max(freq, initial=0.0)) < 0.45 * sr:
            out += a * np.sin(h * phase)
    return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-12


PEAK_RATIO = 7.0  # peaks are held below this many times the RMS
LIMIT_S = 0.01  # s, the limiter's hold (its gain moves over about this time)


def limit_peaks(x: np.ndarray, sr: int, ratio: float = PEAK_RATIO) -> np.ndarray:
    """Hold the peaks of a bed (2, n) below ``ratio`` times its RMS with a smooth gain.

    The bed contract soft-limits samples above 0.95 with a knee; a tone bent at the
    knee (a loud near call) gets a kink that the click detector hears, and so would
    any sample-wise curve. Here the gain follows a peak envelope instead: a 2*LIMIT_S
    running maximum of |x| averaged over LIMIT_S, which is never below |x|, so the
    output stays under the limit while each waveform keeps its shape. Two passes
    make up for the RMS the first one takes away.
    """
    hold = max(2, int(LIMIT_S * sr))
    for _ in range(2):
        limit = ratio * _rms(x)
        peak = scipy.ndimage.maximum_filter1d(np.max(np.abs(x), axis=0), 2 * hold + 1)
        env = scipy.ndimage.uniform_filter1d(peak, hold)
        if env.max() <= limit:
            break
        x = x * np.minimum(1.0, limit / np.maximum(env, 1e-12))
    return x


LEVEL_BLOCK_S = 0.01  # s, block of level_and_limit's gain curve


def level_and_limit(x: np.ndarray, sr: int, amount: float, ratio: float,
                    window_s: float = 1.0, max_db: float = 8.0) -> np.ndarray:
    """Pull the slow level of a bed (2, n) towards its mean and hold its peaks below
    ``ratio`` times its RMS, with one smooth gain curve computed on 10 ms blocks.

    The cheap block-rate equivalent of ``_dsp.steady_level`` followed by
    :func:`limit_peaks`: the power of each block, averaged over a centred
    ``window_s`` box, gives a gain of ``amount`` times its deviation from the mean
    (at most ``max_db``); each block's peak, maximised over its neighbours, gives the
    limiter's gain. The curve is interpolated linearly between block centres; since
    every centre's value already allows for the loudest sample of the blocks on
    either side, the output stays under the limit while each waveform keeps its shape
    (no sample-wise curve, nothing for the click detector to hear).
    """
    n = x.shape[-1]
    b = max(1, int(LEVEL_BLOCK_S * sr))
    k = n // b
    if k < 3:
        return limit_peaks(x, sr, ratio)
    body = x[:, : k * b].reshape(2, k, b)
    power = np.einsum("ckb,ckb->k", body, body) / (2 * b)
    peak = np.maximum(body.max(axis=(0, 2)), -body.min(axis=(0, 2)))
    if n > k * b:  # the remainder belongs to the last block
        power[-1] = max(power[-1], float(np.mean(x[:, k * b:] ** 2)))
        peak[-1] = max(peak[-1], float(np.max(np.abs(x[:, k * b:]))))
    total = float(np.mean(power))
    if total <= 0:
        return x
    w = max(1, min(k, int(window_s / LEVEL_BLOCK_S)))
    local = scipy.ndimage.uniform_filter1d(power, w, mode="nearest")
    dev_db = 10.0 * np.log10((local + 1e-12 * total) / total)
    gain = 10 ** (-np.clip(amount * dev_db, -max_db, max_db) / 20.0)
    for _ in range(2):  # a second pass makes up for the RMS the first takes away
        rms = float(np.sqrt(np.mean(power * gain**2)))
        env = scipy.ndimage.maximum_filter1d(peak * gain, 3, mode="nearest")
        over = env > ratio * rms
        if not over.any():
            break
        gain = gain * np.minimum(1.0, ratio * rms / np.maximum(env, 1e-30))
    # Each centre's gain already suits its neighbours' peaks: take the smaller of
    # the two centres around any sample so the interpolation never exceeds either.
    gain = np.minimum(gain, scipy.ndimage.minimum_filter1d(gain, 3, mode="nearest"))
    centres = (np.arange(k) + 0.5) * b
    return x * np.interp(np.arange(n), centres, gain)


def reverb(rng: np.random.Generator, x: np.ndarray, sr: int, seconds: float,
            wet: float) -> np.ndarray:
    """A short diffuse tail: ``x`` convolved with decaying noise, mixed at ``wet``."""
    m = int(seconds * sr)
    ir = rng.standard_normal(m) * _dsp.exp_decay(m, sr, seconds / 6.9)
    ir = scipy.signal.sosfilt(scipy.signal.butter(2, min(3000.0, 0.45 * sr), "lowpass", fs=sr,
                                                  output="sos"), ir)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    y = np.concatenate([x, np.zeros(m)])
    wet_part = scipy.signal.fftconvolve(x, ir)
    y[: len(wet_part)] += wet * wet_part
    return y


def place(rng: np.random.Generator, x: np.ndarray, sr: int, tail_s: float, wet: float,
          width: float = 0.35, diffuse_s: float = 0.02, tail_hz: float = 3000.0) -> np.ndarray:
    """:func:`reverb` then ``_dsp.stereo_spread`` in one pass (2, len(x) + tail).

    The same random draws and the same result up to rounding, but computed as one
    forward FFT of ``x`` and one inverse per channel: the spectrum of ``x`` times
    (1 + wet * tail) times (dry + width * diffuse copy of that channel), which for a
    long event (a cuckoo's bout) is a third of the cost of three convolutions.
    """
    m = int(tail_s * sr)
    ir = rng.standard_normal(m) * _dsp.exp_decay(m, sr, tail_s / 6.9)
    ir = scipy.signal.sosfilt(scipy.signal.butter(2, min(tail_hz, 0.45 * sr), "lowpass", fs=sr,
                                                  output="sos"), ir)
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    d = max(4, int(diffuse_s * sr))
    length = len(x) + m
    nfft = scipy.fft.next_fast_len(length + d, real=True)
    spec = scipy.fft.rfft(x, nfft) * (1.0 + wet * scipy.fft.rfft(ir, nfft))
    out = np.empty((2, length))
    for c in range(2):
        h = rng.standard_normal(d) * _dsp.exp_decay(d, sr, diffuse_s / 4.0)
        h /= np.sqrt(np.sum(h**2)) + 1e-12
        side = np.sqrt(1 - width**2) + width * scipy.fft.rfft(h, nfft)
        out[c] = scipy.fft.irfft(spec * side, nfft)[:length]
    return out


# --- the tawny owl ------------------------------------------------------------------
# A male tawny owl's territorial hoot (Strix aluco; the call the shipped scenes ask for,
# the hoot Appleby & Redpath 1997, Ibis 139: 152-158, measure in 50 males): a long
# first note whose pitch rises and falls, a pause, then a very brief second note
# leading straight on to a prolonged, tremulous third ("hoooo ... hu-huhuhooooo", as
# wildechoes.org's "Tawny Owl" describes it). The figures are the ones BirdNET V2.4
# names a tawny owl by (bench/creatures_classify.py; a random and local search against
# its tawny-owl score, docs/procedural.md "An expert listener"): a near-pure tone (2nd
# partial 3 %) at 600-850 Hz (500-700 or 800-1000 Hz halve the score, a 15 % 2nd
# partial too), the third note 6 % above the first with a 9-11 Hz tremolo in level
# and pitch.
OWL_F0_HZ = (600.0, 850.0)  # the call's fundamental (the first note's start)
OWL_FIRST_S = (0.62, 0.93)  # the long first note
OWL_PAUSE_S = (1.1, 2.2)  # silence before the second note
OWL_SHORT_S = (0.08, 0.14)  # the brief second note
OWL_GAP_S = (0.05, 0.15)  # between the second and third notes
OWL_TREMOLO_S = (1.0, 1.5)  # the prolonged, tremulous third note
OWL_TREMOLO_HZ = (9.0, 11.0)  # its tremolo rate
OWL_TREMOLO_AM = 0.48  # level dips by this share of the note at each tremolo cycle
OWL_TREMOLO_FM = 0.047  # and its pitch swings +-4.7 %
OWL_THIRD_UP = 1.06  # the third note sits this much above the first
OWL_ARC = 0.15  # a note's pitch arc: up to +15 % at its middle ...
OWL_SINK = 0.074  # ... and down 7.4 % over the note
OWL_PARTIALS = (1.0, 0.03, 0.0009)  # a hoot is a near-pure tone
OWL_BREATH = 0.03  # breath noise beside the tone
OWL_TOP_HZ = 2020.0  # band-pass top (the notes and their 2nd partials)


@dataclass(frozen=True)
class Hoot:
    """One note of an owl's call: onset and duration (s), fundamental at its start
    (Hz), attack and release (shares of the note) and tremolo rate (Hz, 0: none)."""

    start_s: float
    dur_s: float
    f0: float
    attack: float
    release: float
    tremolo_hz: float = 0.0


def tawny_hoots(rng: np.random.Generator) -> list[Hoot]:
    """The notes of one tawny owl call: long note, pause, short note, tremulous note."""
    f0 = rng.uniform(*OWL_F0_HZ)
    first = Hoot(0.0, rng.uniform(*OWL_FIRST_S), f0, 0.38, 0.144)
    t = first.dur_s + rng.uniform(*OWL_PAUSE_S)
    short = Hoot(t, rng.uniform(*OWL_SHORT_S), f0 * 1.007, 0.3, 0.5)
    t += short.dur_s + rng.uniform(*OWL_GAP_S)
    third = Hoot(t, rng.uniform(*OWL_TREMOLO_S), f0 * OWL_THIRD_UP, 0.1, 0.144,
                 rng.uniform(*OWL_TREMOLO_HZ))
    return [first, short, third]


def _hoot(h: Hoot, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One note (m,): an arched near-pure tone with a little breath, its tremolo (if
    any) moving its level and pitch together."""
    m = int(h.dur_s * sr)
    u = np.linspace(0.0, 1.0, m)
    contour = h.f0 * (1.0 + OWL_ARC * np.sin(np.pi * u) - OWL_SINK * u)
    env = np.minimum(1.0, u / h.attack) * np.minimum(1.0, (1.0 - u) / h.release)
    if h.tremolo_hz:
        phase = 2 * np.pi * h.tremolo_hz * np.arange(m) / sr
        contour = contour * (1.0 + OWL_TREMOLO_FM * np.sin(phase))
        env = env * (1.0 - 0.5 * OWL_TREMOLO_AM * (1.0 + np.sin(phase)))
    breath = _dsp.filt(rng.standard_normal(m), "bandpass", (h.f0, 4 * h.f0), sr)
    return (_tone(contour, sr, OWL_PARTIALS) + OWL_BREATH * breath) * env**1.5


def owl(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A tawny owl's territorial hoot (2, m): see :func:`tawny_hoots`, in a forest's
    short reverb."""
    hoots = tawny_hoots(rng)
    end = hoots[-1].start_s + hoots[-1].dur_s
    x = np.zeros(int(end * sr) + 1)
    for h in hoots:
        note = _hoot(h, sr, rng)
        i = int(h.start_s * sr)
        x[i:i + len(note)] += note
    x = _dsp.filt(x, "bandpass", (150.0, min(OWL_TOP_HZ, 0.45 * sr)), sr)
    return place(rng, x, sr, 0.9, 0.37)
