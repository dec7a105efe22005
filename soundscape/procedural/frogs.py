"""Frogs and the woodpecker: spring peepers, a bullfrog, a mixed pond chorus, a
woodpecker's drumming.

Models and the published figures they follow (values a listener would accept, read
from the sources below; not measurements of one population):

* Spring peeper (Pseudacris crucifer): each call one short upslurred whistle,
  dominant frequency 2.8-3.2 kHz (about 2.9 kHz), 0.1-0.2 s long (Elliott, Gerhardt
  & Davidson, *The Frog Book*, 2009; Wells, *The Ecology and Behavior of
  Amphibians*, 2007, ch. 7). A male calls about once a second, faster when warm:
  the call rate of ectotherms rises with temperature with a Q10 near 2 (Gerhardt &
  Huber, *Acoustic Communication in Insects and Anurans*, 2002, ch. 4); neighbours
  alternate their calls, each answering in the other's silence (Schwartz 1987,
  Evolution 41: call alternation in P. crucifer). Choruses hold dozens of males at
  many distances and are deafening close by.
* American bullfrog (Lithobates catesbeianus): the advertisement call ("jug-o-rum")
  is a series of 2-8 (rarely up to 12) croaks, each 0.5-1 s, about 0.5-1 s apart; a
  croak is harmonic, with a fundamental near 100 Hz (100-300 Hz given its harmonics'
  spacing) and two energy peaks, near 200-300 Hz and 1-1.5 kHz (Capranica 1965, *The
  Evoked Vocal Response of the Bullfrog*, MIT Press; Bee & Gerhardt 2001, Anim.
  Behav. 62; Simmons 2004, J. Acoust. Soc. Am. 115). Modelled as a glottal pulse
  train at the fundamental through two resonances at the two peaks (the body and
  the vocal sac), which is how the spectra are explained.
* Green frog (Lithobates clamitans): a single explosive "gunk", like a loose banjo
  string plucked, about 0.1-0.3 s, a low harmonic note (fundamental near 100-200 Hz,
  energy mostly below 1 kHz), given singly or in short series of 2-4 (Elliott et al.
  2009; Bee, Perrill & Owen 2000, Behav. Ecol. 11). Modelled as a plucked harmonic
  note whose upper partials die first.
* Chorus frogs (Pseudacris triseriata, P. feriarum): a rising creak "like running a
  fingernail over the teeth of a comb", 10-20 pulses in 0.4-1 s, the pulse rate
  rising through the call, dominant frequency 2-3.5 kHz, a call every 1-3 s
  (Elliott et al. 2009; Platz 1989, Copeia: pulse rates and durations of P.
  triseriata calls).
* Woodpecker drumming (the great spotted woodpecker, Dendrocopos major, by
  default): a roll of 10-16 strikes in 0.4-0.8 s, about 15-20 strikes per second
  (here the first few intervals a little longer, as the bird gets up to speed,
  and the last few too, the strikes fading: a slight acceleration and
  deceleration, our reading of the descriptions, not a measured curve); the black
  woodpecker (Dryocopus martius) drums 1.7-3 s at ~15-17 strikes/s (30-45 strikes); the lesser
  spotted (Dryobates minor) 1-1.5 s at ~12-15/s (Florentin, Dutoit &
  Verlinden 2016, Ecological Informatics 35, *Identification of European woodpecker
  species in audio recordings from their drumming rolls*; Svensson et al., *Collins
  Bird Guide*). Each strike is a modal impact (Farnell, *Designing Sound*, ch. on
  struck objects; Cook 2002, *Real Sound Synthesis*): a half-sine contact force
  about 0.7 ms long excites a dead branch's bending modes (free-free beam ratios 1 :
  2.76 : 5.40 : 8.93, fundamental 300-800 Hz by species; modes kept in
  300 Hz-2.5 kHz) that ring 10-40 ms, then a short forest reverb.

Cost: every call is synthesised once per singer (a bank of three variants) and
dealt out with :func:`soundscape.procedural._dsp.scatter_stereo`; noise floors come
from one inverse FFT (:func:`soundscape.procedural.birds.stereo_floor`); a croak is
one cosine per sample through two second-order filters; a drum roll is one FFT
convolution.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from soundscape.procedural import _dsp
from soundscape.procedural._spec import ParamSpec, Recipe, make
from soundscape.procedural.birds import stereo_floor
from soundscape.procedural.creatures import level_and_limit, place

# --- spring peepers ----------------------------------------------------------------

PEEP_HZ = (2800.0, 3200.0)  # end (highest) frequency of a peep
PEEP_RISE = (0.08, 0.14)  # a peep starts this share below its end frequency
PEEP_S = (0.1, 0.2)  # s, one peep
PEEP_REF_C = 15.0  # C at which a male calls PEEP_RATE_REF times a second
PEEP_RATE_REF = 1.0  # calls per second at PEEP_REF_C
PEEP_Q10 = 2.0  # call rate x2 per 10 C (Gerhardt & Huber 2002)
PEEP_MALES = (4, 50)  # resolved males at density 0 and 1
PEEP_DIST_DB = (2.0, 26.0)  # dB, how far down the males are (near .. far)
PEEP_FAR_MALES = (8, 60)  # far males at density 0 and 1
PEEP_FAR_DB = (24.0, 36.0)  # dB, how far down the far males are
PEEP_FAR_CALLS = 6  # call shapes the far males share
PEEP_MERGED_LEVEL = 0.12  # the merged far chorus band's RMS re the callers
PEEP_PEAK_RATIO = 7.0  # bed peaks held below this many times its RMS
FLOOR_LEVEL = 0.06  # pond-night floor (low wash) RMS re the frogs
CALL_VARIANTS = 2  # call waveforms synthesised per resolved frog (dealt out at random)
SHIMMER_STEP = 128  # frames per point of the far chorus's level


def peeper_calls_per_s(temperature_c: float) -> float:
    """One spring peeper's calls per second at ``temperature_c``: PEEP_RATE_REF at
    PEEP_REF_C, doubling every 10 C (Q10 = 2); 0.71 at 10 C, 1.41 at 20 C."""
    return PEEP_RATE_REF * PEEP_Q10 ** ((temperature_c - PEEP_REF_C) / 10.0)


def _gate(n: int, sr: int, rise_s: float, fall_s: float) -> np.ndarray:
    """Raised-cosine attack over ``rise_s`` and release over ``fall_s`` (n,)."""
    g = np.ones(n)
    a = max(2, min(n // 2, int(rise_s * sr)))
    b = max(2, min(n // 2, int(fall_s * sr)))
    g[:a] = 0.5 - 0.5 * np.cos(np.pi * np.arange(a) / a)
    g[n - b:] = 0.5 + 0.5 * np.cos(np.pi * (np.arange(b) + 1) / b)
    return g


def peep(rng: np.random.Generator, sr: int, top_hz: float, dur_s: float,
         bright: float = 1.0) -> np.ndarray:
    """One peep (m,): a whistle rising from ``1 - PEEP_RISE`` of ``top_hz`` to
    ``top_hz`` (fast at first, then levelling off), a soft 10 ms attack and 25 ms
    release, a faint second harmonic times ``bright`` (gone at a distance)."""
    n = max(8, int(dur_s * sr))
    u = np.arange(n) / n
    rise = float(rng.uniform(*PEEP_RISE))
    freq = top_hz * (1.0 - rise * (1.0 - u) ** 2)
    phase = 2 * np.pi * np.cumsum(freq) / sr + rng.uniform(0, 2 * np.pi)
    x = np.sin(phase)
    if bright > 0.0 and 2 * top_hz < 0.45 * sr:
        x += 0.06 * bright * np.sin(2 * phase)
    # louder towards the end of the upslur
    return x * (0.6 + 0.4 * u) * _gate(n, sr, 0.01, 0.025)


def _alternating(rng: np.random.Generator, seconds: float, rate: float,
                 lead: np.ndarray | None) -> np.ndarray:
    """Call times (s) of one male from before 0 to ``seconds`` at ``rate`` per second
    (log-normal jitter 10 %). With a neighbour's ``lead`` times he answers in its
    silences: each call falls 40-60 % of the way to the neighbour's next call."""
    if lead is not None and len(lead) > 1:
        gaps = np.diff(lead)
        t = lead[:-1] + gaps * rng.uniform(0.4, 0.6, len(gaps))
        return t[rng.random(len(t)) < 0.9]  # now and then he skips one
    count = int((seconds + 2.0) * rate * 1.4) + 3
    steps = np.exp(rng.normal(0.0, 0.1, count)) / rate
    t = np.cumsum(steps) - rng.uniform(1.0, 2.0)
    return t[t < seconds]


# (`duplicates` pairs this with insects._mix by shape: the same scatter of a call bank,
# kept here because frogs place whole calls with rounded onsets (scatter_stereo)
# where crickets add grains at truncated ones, and changing either changes samples)
def _place_calls(out: np.ndarray, bank: list[np.ndarray], times: np.ndarray, sr: int,
                 rng: np.random.Generator, gain: float, pan: float) -> None:
    """Add calls of ``bank`` (drawn at random) at ``times`` s into stereo ``out``."""
    if len(times) == 0:
        return
    gl, gr = _dsp.pan_minus3db_centre(pan)
    g = gain * rng.uniform(0.8, 1.0, len(times))
    _dsp.scatter_stereo(out, bank, rng.integers(0, len(bank), len(times)),
                        np.round(times * sr).astype(int), g * float(gl), g * float(gr))


def _clear_end(times: np.ndarray, seconds: float) -> np.ndarray:
    """Calls starting in the last 10 ms of a segment moved 10 ms earlier: an onset cut
    a few samples after it starts is a step the click detector hears."""
    t = np.asarray(times, dtype=float).copy()
    t[(t >= seconds - 0.01) & (t < seconds)] -= 0.01
    return t


def _peeper_chorus(rng: np.random.Generator, n: int, sr: int, temp: float,
                   males: int) -> np.ndarray:
    """``males`` peepers (2, n) at their distances, neighbours alternating."""
    seconds = n / sr
    rate0 = peeper_calls_per_s(temp)
    out = np.zeros((2, n))
    lead: np.ndarray | None = None
    for i in range(males):
        dist_db = float(rng.uniform(*PEEP_DIST_DB))
        top = float(rng.uniform(*PEEP_HZ))
        dur = float(rng.uniform(*PEEP_S))
        bright = 1.0 if dist_db < 10.0 else 0.2
        bank = [peep(rng, sr, top * float(rng.uniform(0.99, 1.01)),
                     dur * float(rng.uniform(0.9, 1.1)), bright) for _ in range(CALL_VARIANTS)]
        rate = rate0 * float(np.exp(rng.normal(0.0, 0.15)))
        # males pair off: the second of each pair answers the first
        times = _alternating(rng, seconds, rate, lead if i % 2 else None)
        lead = times
        _place_calls(out, bank, _clear_end(times, seconds), sr, rng, 10 ** (-dist_db / 20.0),
                     float(rng.uniform(-0.9, 0.9)))
    return out


def _shimmer(rng: np.random.Generator, n: int, sr: int, rates: tuple[float, float],
             voices: int) -> np.ndarray:
    """A level (n,) flickering around 1 (0.5..1.5) with ``voices`` raised-sine pulse
    trains (sin**8) at ``rates`` Hz: many unresolved callers, never silent. Computed
    at a 1/SHIMMER_STEP control rate and interpolated."""
    k = n // SHIMMER_STEP + 2
    tk = np.arange(k) * SHIMMER_STEP / sr
    acc = np.zeros(k)
    for _ in range(voices):
        s = np.sin(np.pi * (tk * rng.uniform(*rates) + rng.random()))
        s *= s
        s *= s
        acc += s * s
    env = 0.5 + acc / max(1e-9, float(acc.mean())) * 0.5
    return np.interp(np.arange(n) / SHIMMER_STEP, np.arange(k), env)


def _far_peepers(rng: np.random.Generator, n: int, sr: int, temp: float,
                 males: int) -> np.ndarray:
    """``males`` far peepers (2, n), PEEP_FAR_DB down, summed in mono (PEEP_FAR_CALLS
    shared call shapes, no harmonic) and spread by rotating the right channel by
    about half the segment: far away, the chorus is a shimmering jingle of many
    whistles, and which caller is on which side no longer matters. (A frequency-domain
    sum of one impulse train per shape cost more than dealing out the calls.)"""
    seconds = n / sr
    rate0 = peeper_calls_per_s(temp)
    bank = [peep(rng, sr, float(rng.uniform(*PEEP_HZ)), float(rng.uniform(*PEEP_S)), 0.0)
            for _ in range(PEEP_FAR_CALLS)]
    spill = max(len(b) for b in bank)
    track = np.zeros(n + spill)
    for _ in range(males):
        rate = rate0 * float(np.exp(rng.normal(0.0, 0.15)))
        times = _alternating(rng, seconds, rate, None)
        times = times[times >= 0.0]
        g = 10 ** (-rng.uniform(*PEEP_FAR_DB) / 20.0) * rng.uniform(0.8, 1.0, len(times))
        _dsp.add_grains(track, bank, rng.integers(0, len(bank), len(times)),
                        np.round(times * sr).astype(int), g)
    # Circular: calls running off the end come back at the start, so the rotated
    # right channel has no seam where its end meets its start.
    mono = track[:n]
    wrap = min(spill, n)
    mono[:wrap] += track[n:n + wrap]
    return np.stack([mono, np.roll(mono, n // 2 + int(rng.integers(0, max(1, n // 4))))])


def peepers(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A spring peeper chorus (2, n): 4 + 46 * ``density`` males, each calling
    :func:`peeper_calls_per_s` (``temperature_c``) times a second with its own pitch
    (2.8-3.2 kHz), length (0.1-0.2 s), place and distance (2-26 dB), pairs of
    neighbours alternating; behind them 8 + 52 * ``density`` far males
    (:func:`_far_peepers`), a faint shimmering 2.5-3.4 kHz band where even more of
    them merge, and a faint low night wash (60 Hz-2.4 kHz)."""
    density = float(p["density"])
    temp = float(p["temperature_c"])
    r_males, r_far = rng.spawn(2)
    males = round(PEEP_MALES[0] + (PEEP_MALES[1] - PEEP_MALES[0]) * density)
    out = _peeper_chorus(r_males, n, sr, temp, males)
    out += _far_peepers(r_far, n, sr, temp, round(PEEP_FAR_MALES[0] + (
        PEEP_FAR_MALES[1] - PEEP_FAR_MALES[0]) * density))
    level = float(np.sqrt(np.mean(out**2))) + 1e-12
    # The merged chorus and the night wash come from one inverse FFT; the shimmer of
    # the far callers moves the faint wash too, which nobody can hear.
    far = stereo_floor(r_far, n, sr, ((2500.0, 3400.0, 0.0, PEEP_MERGED_LEVEL * level),
                                      (60.0, 2400.0, 1.0, FLOOR_LEVEL * level)))
    rate = peeper_calls_per_s(temp)
    far *= _shimmer(r_far, n, sr, (0.5 * rate, 2.0 * rate), 12)
    return level_and_limit(out + far, sr, 0.5, PEEP_PEAK_RATIO)


# --- bullfrog -----------------------------------------------------------------------

CROAK_F0_HZ = (95.0, 140.0)  # fundamental of a croak
CROAK_LOW_HZ = (200.0, 300.0)  # the low energy peak (body)
CROAK_HIGH_HZ = (1000.0, 1500.0)  # the high energy peak (vocal sac / larynx)
CROAK_S = (0.5, 1.0)  # s, one croak
CROAK_GAP_S = (0.5, 1.0)  # s, silence between croaks
CROAK_NOTES = (2, 8)  # croaks per call (inclusive)
PULSE_SHARPNESS = 150.0  # von Mises pulse width: harmonic h at exp(-h^2 / (2 k))


def _resonance(x: np.ndarray, freq: float, q: float, sr: int) -> np.ndarray:
    """Constant-peak band-pass (RBJ) at ``freq`` Hz, quality ``q``."""
    w0 = 2 * np.pi * min(freq, 0.45 * sr) / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([alpha, 0.0, -alpha])
    a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    return scipy.signal.lfilter(b / a[0], a / a[0], x)


def croak(rng: np.random.Generator, sr: int, f0: float, dur_s: float, low_hz: float,
          high_hz: float, high_gain: float) -> np.ndarray:
    """One bullfrog croak (m,): a glottal pulse train at ``f0`` (a von Mises pulse per
    cycle, harmonics falling as exp(-h^2 / 300), radiated as its derivative) with a
    little jitter and a slight fall in pitch, through resonances at ``low_hz`` (Q 3)
    and ``high_hz`` (Q 3, at ``high_gain``); a 60 ms swell, a slow throb and a 150 ms
    decay."""
    n = max(16, int(dur_s * sr))
    u = np.arange(n) / n
    wobble = 1.0 + 0.02 * _dsp.smooth_noise(rng, n, sr, 8.0)
    freq = f0 * (1.04 - 0.08 * u) * wobble
    phase = 2 * np.pi * np.cumsum(freq) / sr + rng.uniform(0, 2 * np.pi)
    pulses = np.exp(PULSE_SHARPNESS * (np.cos(phase) - 1.0))
    # radiated pressure is the derivative of the air flow (+6 dB/oct): the 100 Hz
    # fundamental stays under the 200-300 Hz peak, as in the published spectra
    pulses = np.diff(pulses, prepend=pulses[0]) * (sr / (2 * np.pi * f0))
    body = _resonance(pulses, low_hz, 3.0, sr)
    sac = _resonance(pulses, high_hz, 3.0, sr)
    x = body + high_gain * sac * float(np.std(body) / (np.std(sac) + 1e-12))
    throb = 1.0 + 0.15 * np.sin(2 * np.pi * rng.uniform(3.0, 6.0) * u * dur_s)
    return x * throb * _gate(n, sr, 0.06, 0.15)


CROAK_VARIANTS = 2  # croaks synthesised per call; its notes are dealt from them


def croak_call(rng: np.random.Generator, sr: int, max_n: int, notes: int | None = None
               ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """One bullfrog's call: (croaks, which, offsets, gains). ``croaks`` are
    CROAK_VARIANTS croaks of one voice (:func:`croak`, pitch within +-2 %, lengths
    CROAK_S); the call's CROAK_NOTES (or ``notes``) notes are ``gains[k] *
    croaks[which[k]]`` at frame ``offsets[k]``, CROAK_GAP_S apart, the first a
    little softer. Only notes that end within ``max_n`` frames are kept (at least
    one, cut with a 50 ms release if it must be)."""
    f0 = float(rng.uniform(*CROAK_F0_HZ))
    low = float(rng.uniform(*CROAK_LOW_HZ))
    high = float(rng.uniform(*CROAK_HIGH_HZ))
    high_gain = float(rng.uniform(0.5, 1.0))
    count = int(rng.integers(CROAK_NOTES[0], CROAK_NOTES[1] + 1)) if notes is None else notes
    croaks = [croak(rng, sr, f0 * float(rng.uniform(0.98, 1.02)), float(rng.uniform(*CROAK_S)),
                    low, high, high_gain) for _ in range(CROAK_VARIANTS)]
    which = rng.integers(0, CROAK_VARIANTS, count)
    gains = rng.uniform(0.85, 1.0, count)
    gains[0] = 0.75
    offsets = np.zeros(count, dtype=int)
    for k in range(1, count):
        offsets[k] = (offsets[k - 1] + len(croaks[int(which[k - 1])])
                      + int(rng.uniform(*CROAK_GAP_S) * sr))
    ends = offsets + np.array([len(croaks[int(w)]) for w in which])
    keep = max(1, int(np.sum(ends <= max_n)))
    if ends[0] > max_n:
        first = croaks[int(which[0])][:max_n]
        croaks[int(which[0])] = first * _gate(len(first), sr, 0.001, 0.05)
    return croaks, which[:keep], offsets[:keep], gains[:keep]


def bullfrog(p: dict[str, float | str], max_n: int, sr: int,
             rng: np.random.Generator) -> np.ndarray:
    """A bullfrog's "jug-o-rum" call (2, m): 2-8 croaks (:func:`croak_call`) across a
    pond, each with the same short reflection off the water and 0.6 s tail
    (:func:`soundscape.procedural.creatures.place` with one seed, so every note is
    heard in the same place; the tails overlap as a single reverb's would)."""
    croaks, which, offsets, gains = croak_call(rng, sr, max_n)
    room = int(rng.integers(0, 2**62))
    placed = [place(np.random.default_rng(room), c, sr, 0.6, 0.15) for c in croaks]
    out = np.zeros((2, int(offsets[-1]) + placed[int(which[-1])].shape[1]))
    for w, o, g in zip(which.tolist(), offsets.tolist(), gains.tolist(), strict=True):
        out[:, o:o + placed[w].shape[1]] += g * placed[w]
    return out


# --- mixed pond chorus -----------------------------------------------------------------

GUNK_F0_HZ = (110.0, 200.0)
GUNK_S = (0.12, 0.3)
CREAK_HZ = (2000.0, 3300.0)
CREAK_S = (0.4, 1.0)
CREAK_PULSES = (10, 20)


def gunk(rng: np.random.Generator, sr: int, f0: float) -> np.ndarray:
    """A green frog's "gunk" (m,): a plucked harmonic note at ``f0`` (partials 1-8,
    each dying faster the higher it is, as a slack string: partial h decays as
    d**h), a 3 ms pluck, a small drop in pitch, 0.12-0.3 s.

    The partials come from one sine and cosine by the Chebyshev recurrence
    sin(h p) = 2 cos(p) sin((h - 1) p) - sin((h - 2) p), and their decays by
    repeated multiplication: two transcendental passes per note, not sixteen."""
    n = int(rng.uniform(*GUNK_S) * sr)
    t = np.arange(n) / sr
    dur = n / sr
    freq = f0 * (1.0 + 0.06 * np.exp(-t / 0.03))
    phase = 2 * np.pi * np.cumsum(freq) / sr + rng.uniform(0, 2 * np.pi)
    two_cos = 2.0 * np.cos(phase)
    s_prev, s_cur = np.zeros(n), np.sin(phase)
    d = np.exp(-t / (0.35 * dur))
    decay = d.copy()
    x = np.zeros(n)
    for h in range(1, 9):
        if h * f0 * 1.06 >= 0.45 * sr:
            break
        x += ((1.0 if h <= 3 else 0.6) / h ** 0.5) * decay * s_cur
        s_prev, s_cur = s_cur, two_cos * s_cur - s_prev
        decay *= d
    return x * _gate(n, sr, 0.003, 0.03)


def creak(rng: np.random.Generator, sr: int, carrier: float) -> np.ndarray:
    """A chorus frog's creak (m,): CREAK_PULSES short pulses of a ``carrier`` tone
    (each 8-12 ms, a raised-cosine gate) with the pulse rate rising ~1.7x through the
    call and the pitch rising 10 %, 0.4-1 s long."""
    pulses = int(rng.integers(*CREAK_PULSES))
    dur = float(rng.uniform(*CREAK_S))
    # intervals shrinking linearly, summing to dur
    w = np.linspace(1.7, 1.0, pulses)
    onsets = np.concatenate([[0.0], np.cumsum(w[:-1] / w.sum() * dur)])
    width = int(0.01 * sr * float(rng.uniform(0.8, 1.2)))
    n = int(onsets[-1] * sr) + width + 1
    u = np.arange(n) / n
    phase = 2 * np.pi * np.cumsum(carrier * (0.95 + 0.1 * u)) / sr
    tone = np.sin(phase) + 0.2 * np.sin(2 * phase) * (2 * carrier < 0.45 * sr)
    gate = np.zeros(n)
    pulse = np.sin(np.pi * np.arange(width) / width) ** 2
    for k, o in enumerate(onsets):
        s = int(o * sr)
        gate[s:s + width] += pulse * (0.6 + 0.4 * k / pulses)
    return tone * gate


def _bout_times(rng: np.random.Generator, seconds: float, rate: float, series: tuple[int, int],
                spacing_s: float) -> np.ndarray:
    """Times (s) of calls given in series of ``series`` calls ``spacing_s`` apart, the
    series at ``rate`` per second on average (Poisson)."""
    count = rng.poisson(rate * (seconds + 3.0)) + 1
    starts = rng.uniform(-3.0, seconds, count)
    out = []
    for s in starts:
        k = int(rng.integers(series[0], series[1] + 1))
        out.extend(s + spacing_s * np.arange(k) * rng.uniform(0.9, 1.1, k))
    t = np.sort(np.array(out))
    return t[t < seconds]


GREEN_CAP = 1.0  # the green frogs' RMS is held at most this times the creaks'
FAR_BULLFROG = 0.5  # a far bullfrog's croaks' RMS re the creaks' (while it calls)
FAR_PEEPERS = 0.3  # the few far peepers' RMS re the creaks'


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-12


def frogs(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A mixed pond chorus (2, n): 3 + 12 * ``density`` chorus frogs creaking every
    1-3 s (neighbours alternating), 3 + 9 * ``density`` green frogs plunking single or
    2-4 "gunks" a few times a minute, in most segments a far bullfrog's croaks, a few
    far peepers, over a low night wash.

    The groups are balanced on the creaks' level, so the pond keeps its make-up from
    one segment to the next: the green frogs' plunks are turned down when a segment
    happens to hold many (at most GREEN_CAP times the creaks' RMS), never up; a far
    bullfrog calls at FAR_BULLFROG and the far peepers at FAR_PEEPERS of it."""
    density = float(p["density"])
    r_green, r_creak, r_bull, r_far = rng.spawn(4)
    seconds = n / sr
    creaks = np.zeros((2, n))
    lead: np.ndarray | None = None
    for i in range(3 + round(12 * density)):
        carrier = float(r_creak.uniform(*CREAK_HZ))
        bank = [creak(r_creak, sr, carrier) for _ in range(CALL_VARIANTS)]
        rate = 1.0 / float(r_creak.uniform(1.0, 3.0))
        times = _alternating(r_creak, seconds, rate, lead if i % 2 else None)
        lead = times
        _place_calls(creaks, bank, _clear_end(times, seconds), sr, r_creak,
                     10 ** (-r_creak.uniform(3.0, 20.0) / 20.0), float(r_creak.uniform(-0.9, 0.9)))
    level = _rms(creaks)
    green = np.zeros((2, n))
    for _ in range(3 + round(9 * density)):
        f0 = float(r_green.uniform(*GUNK_F0_HZ))
        times = _bout_times(r_green, seconds, float(r_green.uniform(0.03, 0.08)), (1, 4),
                            float(r_green.uniform(0.5, 1.2)))
        if len(times) == 0:  # a frog silent in this segment needs no calls made
            continue
        bank = [gunk(r_green, sr, f0 * float(r_green.uniform(0.98, 1.02)))
                for _ in range(CALL_VARIANTS)]
        _place_calls(green, bank, _clear_end(times, seconds), sr, r_green,
                     10 ** (-r_green.uniform(0.0, 14.0) / 20.0), float(r_green.uniform(-0.9, 0.9)))
    out = creaks + green * min(1.0, GREEN_CAP * level / _rms(green))
    if r_bull.random() < 0.3 + 0.5 * density:  # a far bullfrog, in most segments
        croaks, which, offsets, gains = croak_call(r_bull, sr, n)
        far = [_dsp.filt(c, "lowpass", 1500.0, sr) for c in croaks]
        g = FAR_BULLFROG * level / _rms(np.concatenate(far))
        start = r_bull.uniform(-0.5, 0.9) * seconds
        gl, gr = _dsp.pan_minus3db_centre(float(r_bull.uniform(-0.6, 0.6)))
        times = _clear_end(start + offsets / sr, seconds)
        _dsp.scatter_stereo(out, far, which, np.round(times * sr).astype(int),
                            g * float(gl) * gains, g * float(gr) * gains)
    peeps = _peeper_chorus(r_far, n, sr, 15.0, 2 + round(4 * density))
    out += peeps * (FAR_PEEPERS * level / _rms(peeps))
    floor = stereo_floor(r_far, n, sr, ((60.0, 4000.0, 1.0, 2 * FLOOR_LEVEL * _rms(out)),))
    return level_and_limit(out + floor, sr, 0.6, PEEP_PEAK_RATIO)


# --- woodpecker -------------------------------------------------------------------------

BEAM_RATIOS = (1.0, 2.756, 5.404, 8.933)  # free-free beam bending modes
CONTACT_S = 0.0007  # s, the bill's contact (half-sine force pulse): a ~0.7 ms rise
WOODPECKERS = {
    # species: (strikes per roll (inclusive), strikes per second, fundamental Hz range)
    "great-spotted": ((10, 16), (15.0, 20.0), (400.0, 750.0)),
    "black": ((30, 40), (14.0, 17.0), (300.0, 550.0)),
    "lesser-spotted": ((14, 22), (12.0, 15.0), (500.0, 800.0)),
}
WOODPECKER_CHOICES = tuple(WOODPECKERS)


def branch_ir(rng: np.random.Generator, sr: int, f1: float) -> np.ndarray:
    """The struck branch's impulse response (m,): its bending modes at
    ``f1`` * BEAM_RATIOS (within 300 Hz..2.5 kHz) plus 2-4 modes of the trunk's
    irregular wood (600 Hz-2 kHz), each ringing 10-40 ms (higher modes shorter),
    and a 2-4 kHz contact tick of 2 ms."""
    m = int(0.12 * sr)
    t = np.arange(m) / sr
    ir = np.zeros(m)
    freqs = [f1 * r * float(rng.uniform(0.97, 1.03)) for r in BEAM_RATIOS]
    freqs += list(rng.uniform(600.0, 2000.0, int(rng.integers(2, 5))))
    for k, f in enumerate(freqs):
        if not 300.0 <= f <= min(2500.0, 0.45 * sr):
            continue
        tau = float(rng.uniform(0.01, 0.04)) * (600.0 / f) ** 0.5
        amp = float(rng.uniform(0.5, 1.0)) / (1.0 + 0.3 * k)
        ir += amp * np.exp(-t / tau) * np.sin(2 * np.pi * f * t)
    tick_n = int(0.002 * sr)
    tick = _dsp.filt(rng.standard_normal(tick_n), "bandpass", (2000.0, 4000.0), sr)
    ir[:tick_n] += 0.3 * float(np.max(np.abs(ir))) * tick * np.hanning(tick_n) / (
        np.max(np.abs(tick)) + 1e-12)
    return ir


def drum_times(rng: np.random.Generator, strikes: int, rate: float) -> np.ndarray:
    """Strike times (s) of one roll: ``strikes`` strikes at ``rate`` per second on
    average, the first intervals 15 % longer (the bird getting up to speed), the last
    few 10 % longer (slowing down), +-3 % jitter."""
    k = np.arange(strikes - 1)
    shape = 1.0 + 0.15 * np.exp(-k / 2.0) + 0.1 * np.exp(-(strikes - 2 - k) / 2.0)
    steps = shape / rate * np.exp(rng.normal(0.0, 0.03, strikes - 1))
    steps *= (strikes - 1) / rate / steps.sum()  # the roll's mean rate stays ``rate``
    return np.concatenate([[0.0], np.cumsum(steps)])


def woodpecker(p: dict[str, float | str], max_n: int, sr: int,
               rng: np.random.Generator) -> np.ndarray:
    """A woodpecker's drum roll (2, m) on a dead branch: WOODPECKERS strikes for
    ``species`` at its rate (:func:`drum_times`), each a half-sine contact force of
    CONTACT_S into :func:`branch_ir` (one branch per roll), the strikes swelling over
    the first three and fading over the last third, then a forest tail (0.8 s)."""
    (lo, hi), (r_lo, r_hi), (f_lo, f_hi) = WOODPECKERS[str(p["species"])]
    strikes = int(rng.integers(lo, hi + 1))
    times = drum_times(rng, strikes, float(rng.uniform(r_lo, r_hi)))
    ir = branch_ir(rng, sr, float(rng.uniform(f_lo, f_hi)))
    c = max(2, int(CONTACT_S * sr))
    force = np.sin(np.pi * (np.arange(c) + 0.5) / c)
    k = np.arange(strikes)
    level = np.minimum(1.0, 0.6 + 0.4 * k / 2.0) * np.minimum(
        1.0, 0.4 + 0.6 * (strikes - 1 - k) / max(1.0, strikes / 3.0))
    level *= rng.uniform(0.85, 1.0, strikes)
    n = int(times[-1] * sr) + len(ir) + c
    train = np.zeros(n)
    np.add.at(train, np.round(times * sr).astype(int), level)
    x = scipy.signal.fftconvolve(train, scipy.signal.fftconvolve(force, ir))[:n]
    x = x[:max_n]
    return place(rng, x, sr, 0.8, 0.3)


RECIPES: list[Recipe] = [
    make("peepers", "bed", {
        "density": ParamSpec(0.5, 0.0, 1.0, doc="0 a few males .. 1 a deafening chorus "
                                                 "(4..50 males and a far chorus)"),
        "temperature_c": ParamSpec(15.0, 4.0, 26.0,
                                   doc="air temperature in C: each male's call rate "
                                       "(1 per s at 15 C, x2 per 10 C)"),
    }, "Spring peepers: short rising whistles at 2.8-3.2 kHz, about one a second per "
       "male, neighbours alternating, at many distances over a far chorus.", peepers),
    make("bullfrog", "event", {},
         "An American bullfrog's 'jug-o-rum': 2-8 deep harmonic croaks (fundamental "
         "~100 Hz, peaks near 250 Hz and 1.2 kHz), each 0.5-1 s.", bullfrog),
    make("frogs", "bed", {
        "density": ParamSpec(0.5, 0.0, 1.0, doc="0 a few frogs .. 1 a busy pond"),
    }, "A pond frog chorus: green frogs' banjo 'gunks', chorus frogs' rising creaks at "
       "2-3.3 kHz, a far bullfrog now and then, a few far peepers.", frogs),
    make("woodpecker", "event", {
        "species": ParamSpec("great-spotted", choices=WOODPECKER_CHOICES,
                             doc="great-spotted: 10-16 strikes at 15-20/s; black: 30-40 "
                                 "at 14-17/s; lesser-spotted: 14-22 at 12-15/s"),
    }, "A woodpecker drumming on a dead branch: a roll of hollow knocks (branch modes "
       "300 Hz-2.5 kHz) with a forest tail.", woodpecker),
]
