"""Thunder: the sum of N-waves radiated by a tortuous lightning channel (after Farnell).

Each short segment of the channel emits an N-wave when the air expands; the listener
hears them in the order of their distance, so a channel kilometres long arrives over
seconds as a rolling rumble. Every strike opens with the first arrival of the
nearest segment: close, a crack that is the loudest moment of the strike; far, a
150-1200 Hz thud that the roll then outgrows (air absorption takes the highs of the
roll, not all of its start: a phone speaker must still play it). A low reverberant
tail (terrain echoes) follows the arrival density. Nothing is saturated: the
rumble's peakiest clusters, and the opening's needles, are scaled by a smooth gain.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
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
CRACK_CREST = 3.0  # the opening's peaks held below this x its loudest 10 ms RMS
FAR_OPENING_PEAK = 0.6  # a far strike's opening peaks at most this x its roll's peak


def _first_arrival(rng: np.random.Generator, rumble: np.ndarray, sr: int,
                   distance: float) -> np.ndarray:
    """``rumble`` (2, n) with the strike's first arrival added at its start (in place).

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
    w = max(1, min(n, int(0.01 * sr)))  # 10 ms (the whole strike if shorter)
    frames = n // w
    mono = rumble.mean(axis=0)
    loudest = float(np.sqrt(np.max(np.mean(mono[: frames * w].reshape(frames, w) ** 2, axis=1))))
    k = max(1, m // w)
    burst_loudest = float(np.sqrt(np.max(np.mean(burst[: k * w].reshape(k, w) ** 2, axis=1))))
    target = FAR_ONSET + (CRACK_LEAD - FAR_ONSET) * near
    rumble[:, :m] += burst * (target * loudest / (burst_loudest + 1e-12))
    # A near strike peaks in its opening, so the opening's crest sets how loud the
    # whole strike is once normalised to its peak (one needle of chance noise made a
    # quiet strike): its peaks are held at CRACK_CREST x its loudest 10 ms RMS.
    # A far strike's roll outgrows its opening, in peaks too (the opening's 10 ms level
    # is set below the roll's; its peaks, by chance, often were not).
    onset = rumble[:, :m].mean(axis=0)
    onset_loudest = float(np.sqrt(np.max(np.mean(onset[: k * w].reshape(k, w) ** 2, axis=1))))
    limit = CRACK_CREST * onset_loudest
    if near == 0.0 and n > m:
        limit = min(limit, FAR_OPENING_PEAK * float(np.max(np.abs(rumble[:, m:]))))
    _hold_opening(rumble, sr, limit, m)
    return rumble


def _hold_opening(x: np.ndarray, sr: int, limit: float, m: int) -> None:
    """Scale the peaks of ``x`` (2, n) within its first ``m`` frames down to ``limit``,
    in place, by a smooth gain (as :func:`_dsp.bound_peaks`: a running maximum over
    +-2 ms, averaged over 2 ms, so a crest is scaled as a whole and keeps its shape).
    Only peaks before frame ``m`` count; a gain dip that reaches past it rolls back
    to 1 smoothly instead of stopping at ``m``.
    """
    hold = max(2, int(_dsp.PEAK_HOLD_S * sr))
    end = min(x.shape[1], m + 2 * hold + 2)
    r = np.maximum(np.abs(x[:, :end]).max(axis=0) / max(limit, 1e-12), 1.0)
    r[m:] = 1.0
    if r.max() <= 1.0:
        return
    env = scipy.ndimage.uniform_filter1d(
        scipy.ndimage.maximum_filter1d(r, 2 * hold + 1, mode="nearest"), hold, mode="nearest")
    x[:, :end] /= env


def _channel(rng: np.random.Generator, ground_m: float, segments: int) -> np.ndarray:
    """Points (segments + 1, 3) in m of a random-walk channel from cloud to ground."""
    top = np.array([rng.normal(0, 600.0), ground_m + rng.normal(0, 800.0), rng.uniform(1800, 3500)])
    bottom = np.array([rng.normal(0, 200.0), ground_m, 0.0])
    steps = np.linspace(0.0, 1.0, segments + 1)[:, None]
    straight = top + (bottom - top) * steps
    wander = np.cumsum(rng.normal(0, 60.0, (segments + 1, 3)), axis=0)
    wander -= steps * wander[-1]  # pinned at both ends
    return straight + wander


def _block_power(x: np.ndarray, step: int) -> np.ndarray:
    """Mean of ``x``**2 over each ``step`` frames (the last partial block dropped)."""
    m = len(x) // step
    b = x[: m * step].reshape(m, step)
    return np.einsum("ij,ij->i", b, b) / step


def _level(x: np.ndarray, sr: int, amount: float, step: int) -> np.ndarray:
    """Divide ``x`` by its smoothed RMS envelope to the power ``amount`` (0 none, 1 flat).

    The envelope is a 40 ms RMS, so the gain moves slower than the N-waves it scales;
    quiet stretches gain at most 24 dB. The gain is computed once per ``step`` frames
    (a 40 ms box holds 60 of them at 48 kHz) and interpolated linearly.
    """
    n = len(x)
    power = _block_power(x, step)
    if len(power) == 0:
        return x
    k = max(1, int(round(0.04 * sr / step)))
    c = np.concatenate([[0.0], np.cumsum(power)])
    i = np.arange(len(power))
    lo = np.clip(i - k // 2, 0, len(power))
    hi = np.clip(i + k - k // 2, 0, len(power))
    env = np.sqrt((c[hi] - c[lo]) / k)
    env /= np.max(env) + 1e-12
    gain = np.maximum(env, 10 ** (-24 / 20 / max(amount, 1e-3))) ** -amount
    # block j's gain sits at its centre, (j + 0.5) * step
    ctl = np.concatenate([gain[:1], gain, gain[-1:]])
    return x * _dsp.expand(ctl, n + step // 2, step)[step // 2 :]


def _n_waves(idx: np.ndarray, amp: np.ndarray, n: int, length: int) -> np.ndarray:
    """Sum (n,) of N-waves ``length`` frames long (a jump to +1, a straight ramp down
    to -1) scaled by ``amp`` and starting at frames ``idx`` (all >= 0).

    The ramp's second difference is four taps, so the sum is the impulse train
    through those taps, integrated twice: O(n) whatever the number of arrivals, the
    same samples as convolving with the ramp (to rounding).
    """
    c = 2.0 / (length - 1)
    # second difference of the ramp 1, 1 - c, ..., -1 (zero outside)
    offsets = np.array([0, 1, length, length + 1])
    taps = np.array([1.0, -1.0 - c, 1.0 + c, -1.0])
    j = (idx[:, None] + offsets).ravel()
    w = (amp[:, None] * taps).ravel()
    ok = j < n
    d2 = np.bincount(j[ok], weights=w[ok], minlength=n)
    return np.cumsum(np.cumsum(d2, out=d2), out=d2)


def _decimate_abs(x: np.ndarray, step: int) -> np.ndarray:
    """Mean of |x| over each ``step`` frames, (ceil(len / step),), the last block padded."""
    n = len(x)
    m = -(-n // step)
    a = np.zeros(m * step)
    np.abs(x, out=a[:n])
    return a.reshape(m, step).mean(axis=1)


def _tail(rng: np.random.Generator, rumble: np.ndarray, sr: int, distance: float,
          cutoff: float, step: int) -> np.ndarray:
    """The reverberant tail (2, ceil(n / step)) at the low rate sr / ``step``, peak 1.

    Low (brown) noise under a low-pass at 120 Hz + cutoff / 10 (at most ~470 Hz),
    following the arrival energy smoothed by a 1.5 s exponential decay. Above 3 kHz
    it lies more than 50 dB below its band, so it is drawn at about 8 kHz (one small
    inverse FFT instead of a full-rate one and two filter passes) and interpolated
    up by the caller.
    """
    lo_sr = sr / step
    dens = _decimate_abs(rumble, step)
    m = len(dens)
    tail_k = _dsp.exp_decay(int(1.5 * lo_sr), int(round(lo_sr)), 0.5 + 0.6 * distance)
    env = scipy.signal.oaconvolve(dens, tail_k / tail_k.sum())[:m]
    f = _dsp.rfft_freqs(m, int(round(lo_sr)))
    gain = _dsp.pink_gain(f, 2.0) * _dsp.butter_gain("lowpass", 120.0 + 0.1 * cutoff,
                                                      int(round(lo_sr)), 2, f)
    noise = _dsp.spectral_noise(rng, m, gain, channels=2)
    tail = noise * (env / (np.max(env) + 1e-12))
    tail /= np.max(np.abs(tail)) + 1e-12
    return tail


def _echo(x: np.ndarray, d: int, sr: int) -> np.ndarray:
    """``x`` plus its terrain echo (0.35 x, low-passed at 400 Hz) ``d`` frames later."""
    if d >= x.shape[-1]:
        return x
    x[..., d:] += 0.35 * _dsp.filt(x[..., : x.shape[-1] - d], "lowpass", 400.0, sr)
    return x


def _upsample(x: np.ndarray, n: int, step: int) -> np.ndarray:
    """(2, m) at one point per ``step`` frames, linearly interpolated to (2, n)."""
    return np.stack([_dsp.expand(c, n, step) for c in x])


def thunder(p: dict[str, float | str], max_n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A thunder clap (2, m), 5-15 s; ``distance`` 0 close crack .. 1 distant rumble.

    Cost: linear in the strike's length. The N-waves are summed by integrating their
    second differences, the slow gains (levelling, tail envelope) are computed at a
    control rate, and the tail, which lies below 500 Hz, is drawn at about 8 kHz.
    """
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
    idx = (arrival * sr).astype(int)
    keep = idx < n
    # Closer segments also make secondary shocks: scatter small impulses around each.
    jitter = idx[keep, None] + (r_snd.exponential(0.05, (keep.sum(), 6)) * sr).astype(int)
    jitter = jitter[jitter < n]
    shock = 0.3 * r_snd.normal(0, 1, len(jitter)) * amp.mean()
    rumble = _n_waves(np.concatenate([idx[keep], jitter]),
                      np.concatenate([amp[keep], shock]), n, n_wave_len)

    cutoff = RUMBLE_CUTOFF[0] * (1.0 - distance) ** 2 + RUMBLE_CUTOFF[1]
    rumble = _dsp.filt(rumble, "lowpass", cutoff, sr, order=2)
    ctl = max(1, sr // 1500)  # control step: 32 frames at 48 kHz
    # A close channel is near along much of its length, not only at its nearest point:
    # level the arrivals (slow envelope, so the waveform keeps its shape) so the boom
    # rolls on at strength instead of one spike with a faint train behind it.
    closeness = 1.0 - distance
    if closeness > 0.05:
        rumble = _level(rumble, sr, LEVELLING * closeness, ctl)
    # Reverberant tail: low noise following the smoothed arrival energy.
    lo_step = max(1, sr // 8000)
    tail = _tail(r_snd, rumble, sr, distance, cutoff, lo_step)
    # Close up the boom is loud: its peakiest clusters are scaled down as a whole by a
    # smooth gain (never bent sample by sample), so a near strike is loud, not peaky.
    mono = rumble / (np.max(np.abs(rumble)) + 1e-12)
    mono = _dsp.bound_peaks(mono, sr, RUMBLE_CREST[0] - RUMBLE_CREST[1] * closeness**2)
    mono *= 0.8 / (np.max(np.abs(mono)) + 1e-12)
    # Echo from terrain (a linear filter: applied to the boom and, at its low rate,
    # to the tail apart), and a gentle end so the last seconds die away to silence.
    d = int(r_snd.uniform(0.3, 0.9) * sr)
    mono = _echo(mono, d, sr)
    tail = _echo(0.9 * tail, int(round(d / lo_step)), int(round(sr / lo_step)))
    out = _upsample(tail, n, lo_step)
    out += mono
    fade_from = int(np.ceil(0.7 * n))
    t = np.arange(fade_from, n) / n
    out[:, fade_from:] *= np.clip((1.0 - t) / 0.3, 0.0, 1.0) ** 2
    return _first_arrival(r_snd, out, sr, distance)
