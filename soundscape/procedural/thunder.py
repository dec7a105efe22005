"""Thunder: the sum of N-waves radiated by a tortuous lightning channel (after Farnell).

Each short segment of the channel emits an N-wave when the air expands; the listener
hears them in the order of their distance, so a channel kilometres long arrives over
seconds as a rolling rumble. Every strike opens with the first arrival of the
nearest segment: close, a crack that is the loudest moment of the strike; far, a
150-1200 Hz thud that the roll then outgrows (air absorption takes the highs of the
roll, not all of its start: a phone speaker must still play it). A low reverberant
tail (terrain echoes) follows the arrival density. Nothing is saturated: the
rumble's peakiest clusters are scaled by a smooth gain.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from soundscape.procedural import _dsp

SPEED_OF_SOUND = 343.0  # m/s
LEVELLING = 0.6  # how far a close strike's rumble is levelled (0 raw .. 1 flat)
RUMBLE_CREST = (8.0, 4.0)  # rumble peaks held below (a - b * closeness**2) x its RMS
RUMBLE_CUTOFF = (3000.0, 400.0)  # Hz, air absorption: low-pass at a closeness**2 + b (v5 6000, 250)
ONSET_S = 0.5  # s, the stretch after the onset that the first arrival dominates
CRACK_LEAD = 1.25  # a near crack's loudest 10 ms re the rumble's loudest (it leads)
FAR_ONSET = 0.45  # a far strike's first arrival re the rumble's loudest 10 ms
NEAR = 0.6  # below this distance the first arrival is a crack that leads the rumble


def _first_arrival(rng: np.random.Generator, rumble: np.ndarray, sr: int,
                   distance: float) -> np.ndarray:
    """``rumble`` (2, n) with the strike's first arrival added at its start.

    The shock of the nearest stretch of channel arrives first and unmuffled by the
    roll behind it: band-passed noise whose band and attack follow the distance
    (near: 0.3-1.8 kHz, a 1.5 ms edge and a tearing build over 0.08-0.18 s, a crack;
    far: 150-1200 Hz, 25 ms, a clear thud that a phone speaker can play), gone by
    ONSET_S. Its level is set from the
    rumble's loudest 10 ms of the mono mix (by design, not by limiting): a near crack leads
    (CRACK_LEAD: the strike peaks within its first 0.3 s), a far one starts the
    roll at FAR_ONSET of it.
    """
    n = rumble.shape[1]
    closeness = 1.0 - distance
    lo = 150.0 + 150.0 * closeness
    hi = 1200.0 + 600.0 * closeness**2
    m = min(n, int(ONSET_S * sr))
    t = np.arange(m) / sr
    attack = 0.0015 + 0.0235 * distance
    near = max(0.0, 1.0 - distance / NEAR)
    # a near crack tears along the channel: a sharp start at a third of its level,
    # building to its loudest after 0.08-0.18 s (real cracks rise in 0.14-0.28 s)
    t_pk = near * rng.uniform(0.08, 0.18)
    decay = 0.05 + 0.12 * distance
    after = np.clip(t - t_pk, 0.0, None)
    env = np.exp(-after / decay) + 0.3 * np.exp(-after / (0.15 + 0.2 * distance))
    if t_pk > 0:
        env *= np.where(t < t_pk, 0.35 + 0.65 * np.clip(t / t_pk, 0.0, 1.0) ** 2, 1.0)
    env *= np.clip(t / attack, 0.0, 1.0) ** 2
    env *= np.clip((ONSET_S - t) / 0.1, 0.0, 1.0)  # gone by ONSET_S
    burst = _dsp.filt(rng.standard_normal(m), "bandpass", (lo, hi), sr, 2) * env
    w = max(1, int(0.01 * sr))
    frames = n // w
    mono = rumble.mean(axis=0)
    loudest = float(np.sqrt(np.max(np.mean(mono[: frames * w].reshape(frames, w) ** 2, axis=1))))
    k = max(1, m // w)
    burst_loudest = float(np.sqrt(np.max(np.mean(burst[: k * w].reshape(k, w) ** 2, axis=1))))
    target = FAR_ONSET + (CRACK_LEAD - FAR_ONSET) * near
    out = rumble.copy()
    out[:, :m] += burst * (target * loudest / (burst_loudest + 1e-12))
    return out


def _channel(rng: np.random.Generator, ground_m: float, segments: int) -> np.ndarray:
    """Points (segments + 1, 3) in m of a random-walk channel from cloud to ground."""
    top = np.array([rng.normal(0, 600.0), ground_m + rng.normal(0, 800.0), rng.uniform(1800, 3500)])
    bottom = np.array([rng.normal(0, 200.0), ground_m, 0.0])
    steps = np.linspace(0.0, 1.0, segments + 1)[:, None]
    straight = top + (bottom - top) * steps
    wander = np.cumsum(rng.normal(0, 60.0, (segments + 1, 3)), axis=0)
    wander -= steps * wander[-1]  # pinned at both ends
    return straight + wander


def _level(x: np.ndarray, sr: int, amount: float) -> np.ndarray:
    """Divide ``x`` by its smoothed RMS envelope to the power ``amount`` (0 none, 1 flat).

    The envelope is a 40 ms RMS, so the gain moves slower than the N-waves it scales;
    quiet stretches gain at most 24 dB.
    """
    k = max(1, int(0.04 * sr))
    env = np.sqrt(scipy.signal.fftconvolve(x**2, np.ones(k) / k, mode="same").clip(0.0))
    env /= np.max(env) + 1e-12
    return x * np.maximum(env, 10 ** (-24 / 20 / max(amount, 1e-3))) ** -amount


def thunder(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A thunder clap (2, m), 5-15 s; ``distance`` 0 close crack .. 1 distant rumble."""
    distance = float(p["distance"])
    r_geo, r_snd = rng.spawn(2)
    ground_m = 300.0 + 9000.0 * distance**1.3
    pts = _channel(r_geo, ground_m, 400)
    mids = 0.5 * (pts[1:] + pts[:-1])
    seg_len = np.linalg.norm(pts[1:] - pts[:-1], axis=1)
    dist = np.linalg.norm(mids, axis=1)
    arrival = (dist - dist.min()) / SPEED_OF_SOUND
    # Squeeze the arrivals into 4-11 s, longer when far.
    span = 4.0 + 7.0 * distance
    arrival = arrival * min(1.0, span / max(arrival.max(), 1e-3))
    seconds = min(max_n / sr, span + 3.0 + 2.0 * distance)
    n = int(seconds * sr)

    amp = seg_len / dist
    amp *= r_snd.lognormal(0.0, 0.6, len(amp))
    n_wave_len = max(4, int(0.0025 * sr * (1.0 + 5.0 * distance)))
    nw = np.linspace(1.0, -1.0, n_wave_len)  # the N-wave: jump up, ramp down
    imp = np.zeros(n)
    idx = (arrival * sr).astype(int)
    keep = idx < n
    np.add.at(imp, idx[keep], amp[keep])
    # Closer segments also make secondary shocks: scatter small impulses around each.
    jitter = idx[keep, None] + (r_snd.exponential(0.05, (keep.sum(), 6)) * sr).astype(int)
    jitter = jitter[jitter < n]
    np.add.at(imp, jitter, 0.3 * r_snd.normal(0, 1, len(jitter)) * amp.mean())
    rumble = scipy.signal.fftconvolve(imp, nw)[:n]

    cutoff = RUMBLE_CUTOFF[0] * (1.0 - distance) ** 2 + RUMBLE_CUTOFF[1]
    rumble = _dsp.filt(rumble, "lowpass", cutoff, sr, order=2)
    # A close channel is near along much of its length, not only at its nearest point:
    # level the arrivals (slow envelope, so the waveform keeps its shape) so the boom
    # rolls on at strength instead of one spike with a faint train behind it.
    closeness = 1.0 - distance
    if closeness > 0.05:
        rumble = _level(rumble, sr, LEVELLING * closeness)
    # Reverberant tail: low noise following the smoothed arrival energy.
    dens = np.abs(rumble)
    tail_k = _dsp.exp_decay(int(1.5 * sr), sr, 0.5 + 0.6 * distance)
    env = scipy.signal.fftconvolve(dens, tail_k / tail_k.sum())[:n]
    noise = _dsp.filt(_dsp.colored(r_snd, n, 2.0, channels=2), "lowpass", 120.0 + 0.1 * cutoff, sr)
    tail = noise * env / (np.max(env) + 1e-12)
    # Close up the boom is loud: its peakiest clusters are scaled down as a whole by a
    # smooth gain (never bent sample by sample), so a near strike is loud, not peaky.
    mono = rumble / (np.max(np.abs(rumble)) + 1e-12)
    mono = _dsp.bound_peaks(mono, sr, RUMBLE_CREST[0] - RUMBLE_CREST[1] * closeness**2)
    mono /= np.max(np.abs(mono)) + 1e-12
    out = np.stack([mono, mono]) * 0.8 + 0.9 * tail / (np.max(np.abs(tail)) + 1e-12)
    # Echo from terrain, and a gentle end so the last seconds die away to silence.
    d = int(r_snd.uniform(0.3, 0.9) * sr)
    out[:, d:] += 0.35 * _dsp.filt(out[:, : n - d], "lowpass", 400.0, sr)
    t = np.arange(n) / n
    out *= np.clip((1.0 - t) / 0.3, 0.0, 1.0) ** 2
    return _first_arrival(r_snd, out, sr, distance)
