"""Singing insects: field and tree crickets, katydids, cicadas, a night drone.

Species models (published figures; sources in docs/procedural.md):

* Field cricket (Gryllus campestris, G. bimaculatus, G. pennsylvanicus): the closing
  stroke of the forewings makes a near-pure carrier at 4.5-5 kHz; a chirp is 3-5
  such pulses (each ~15-20 ms, one every ~30-40 ms), and chirps come 1-3 per
  second. The chirp rate follows temperature roughly as Dolbear's field-cricket
  rule, N60 = 4 (T_F - 50) + 40 chirps per minute (about 2 per second at 22 C).
* Snowy tree cricket (Oecanthus fultoni): the species of Dolbear's law (Dolbear
  1897, "The cricket as a thermometer"): T_C = 10 + (N60 - 40) / 7, so N60 =
  7 (T_C - 10) + 40 chirps per minute. Each chirp ("treet") is a short pulse train
  on a ~2.7-3 kHz carrier, and neighbours chirp in synchrony, so a field of them
  throbs together.
* Katydid (Pterophylla camellifolia, the common true katydid): "ka-ty-did" groups of
  2-4 broadband rasps (each a rapid train of tooth strikes, energy 5-15 kHz, peak
  near 6-7 kHz), a group about every 0.6-1 s; neighbours alternate.
* Cicadas (e.g. Neotibicen spp.): a loud buzz, broadband over 3-8 kHz, pulsed by the
  tymbals at a species-typical 150-250 Hz, in long swelling phrases.
* Night drone: a few near trillers (ground crickets and trigs at 6.5-7.5 kHz, tree
  crickets at 3.8-4.6 kHz) over many far unresolved ones (2-5.5 kHz), see
  :data:`NIGHT_GROUPS`.

Cost: every voice is synthesised only where it sounds (a chirp, a rasp) or at a
decimated control rate (cicada envelopes), and all noise comes from one inverse FFT
(:func:`soundscape.procedural.birds.stereo_floor`), so a 10 s stereo bed takes a few
vector passes over the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundscape.procedural import _dsp
from soundscape.procedural.birds import band_noise, stereo_floor
from soundscape.procedural.creatures import level_and_limit

CRICKET_SPECIES = ("mixed", "field", "tree", "trill")
# a mixed field's singers: snowy tree crickets chirping together lead, a few field
# crickets far behind them (extra distance, dB). Trillers are left out: their steady
# trills smooth the rhythm a listener (or a classifier) knows the field by.
MIXED_SHARES = (("tree", 0.8), ("field", 0.2))
MIXED_FARTHER_DB = {"tree": 0.0, "field": 12.0}
INSECT_KINDS = ("cicada", "night", "katydid")
DECIM = 16  # frames per point of the slow control signals
PEAK_RATIO = 7.0  # a bed's peaks are held below this many times its RMS
TREE_PULSES = (5, 10)  # pulses per chirp (5-9)
TREE_SPREAD_S = 0.02  # s, each snowy tree cricket's fixed offset from the common beat (+-)
TREE_JITTER_S = 0.008  # s, its chirp-to-chirp timing error around that


def dolbear_tree_chirps_per_s(temperature_c: float) -> float:
    """Snowy tree cricket chirps per second at ``temperature_c`` (Dolbear 1897:
    T_C = 10 + (N60 - 40) / 7); 2.07 at 22 C, 0.67 at 10 C."""
    return (7.0 * (temperature_c - 10.0) + 40.0) / 60.0


def field_chirps_per_s(temperature_c: float) -> float:
    """Field cricket chirps per second (the field-cricket form of Dolbear's rule,
    T_F = 50 + (N60 - 40) / 4); about 2.1 at 22 C, clipped to 0.5..3.5."""
    t_f = temperature_c * 9.0 / 5.0 + 32.0
    return float(np.clip((4.0 * (t_f - 50.0) + 40.0) / 60.0, 0.5, 3.5))


def pulse_train(rng: np.random.Generator, sr: int, carrier_hz: float, period_s: float,
                pulses: int, duty: float, harmonics: tuple[float, ...] = (1.0, 0.15, 0.05),
                fall: float = 0.02) -> np.ndarray:
    """One chirp or trill (m,): ``pulses`` sin**2-gated pulses of a near-pure carrier,
    one every ``period_s``, each ``duty`` of the period long.

    Each pulse is one closing stroke of the wing: its pitch falls by ``fall`` (the
    file's tooth spacing narrows) and its level jitters a little. Three pulse
    waveforms (random carrier phases) are made once and dealt out with their gains
    as the rows of a (pulses, period) array, so a 3 s trill costs one multiply per
    sample. Every pulse starts and ends at zero, so nothing steps. Harmonics above
    0.45 * sr are left out.
    """
    period = max(2, int(round(period_s * sr)))
    width = max(2, min(period, int(duty * period_s * sr)))
    u = np.arange(width) / width
    gate = np.sin(np.pi * u) ** 2
    phase = 2 * np.pi * carrier_hz * np.cumsum(1.0 - fall * u) / sr
    rows = np.zeros((3, period))
    for r in range(3):
        c = np.cos(phase + rng.uniform(0, 2 * np.pi))
        tone = harmonics[0] * c
        t_prev, t_cur = np.ones(width), c
        for h, a in enumerate(harmonics[1:], start=2):
            t_prev, t_cur = t_cur, 2.0 * c * t_cur - t_prev
            if h * carrier_hz < 0.45 * sr:
                tone += a * t_cur
        rows[r, :width] = gate * tone
    gains = rng.uniform(0.75, 1.0, pulses)
    train = rows[rng.integers(0, 3, pulses)] * gains[:, None]
    return train.reshape(-1)[: (pulses - 1) * period + width]


def _onsets(rng: np.random.Generator, seconds: float, rate_hz: float, jitter: float,
            lead_s: float) -> np.ndarray:
    """Onset times (s) of a rhythmic singer from ``-lead_s`` to ``seconds``: intervals
    of 1 / ``rate_hz`` with log-normal ``jitter`` and a slow +-6 % tempo drift."""
    count = int((seconds + lead_s) * rate_hz * 1.3) + 4
    steps = np.exp(rng.normal(0.0, jitter, count)) / rate_hz
    steps *= 1.0 + 0.06 * np.sin(2 * np.pi * np.arange(count) / rng.uniform(20, 60)
                                 + rng.uniform(0, 6.3))
    t = np.cumsum(steps) - rng.uniform(0.0, lead_s)
    return t[t < seconds]


def _mix(out: np.ndarray, bank: list[np.ndarray], times: np.ndarray, sr: int,
         rng: np.random.Generator, gain: float, pan: float) -> None:
    """Add ``bank`` chirps (drawn at random) at ``times`` s into stereo ``out``."""
    if len(times) == 0:
        return
    gl, gr = _dsp.pan_minus3db_centre(pan)
    g = gain * rng.uniform(0.8, 1.0, len(times))
    _dsp.add_grains(out, bank, rng.integers(0, len(bank), len(times)),
                    (times * sr).astype(int), np.stack([g * gl, g * gr], axis=1))


CHORUS_LEVEL = 2.85  # far unresolved chorus RMS re the resolved singers
CHORUS_BAND = (1200.0, 7000.0)  # Hz, the far chorus ...
CHORUS_GAP = (2400.0, 3400.0)  # ... less the snowy tree crickets' band, left to them
FLOOR_LEVEL = 0.25  # night floor RMS re the singers


def _flicker(rng: np.random.Generator, n: int, sr: int, rates: tuple[float, float],
             voices: int) -> np.ndarray:
    """A level (n,) flickering with ``voices`` soft pulse trains at ``rates`` Hz around
    1 (0.6..1.4): the shimmer of many unresolved singers, never silent."""
    k = n // DECIM + 2
    flicker = np.zeros(k)
    for _ in range(voices):
        rate = rng.uniform(*rates)
        flicker += np.sin(np.pi * (np.arange(k) * rate * DECIM / sr + rng.random())) ** 2
    env = 0.6 + 0.8 * flicker / voices
    return np.interp(np.arange(n) / DECIM, np.arange(k), env)


def trill_pulses_per_s(temperature_c: float) -> float:
    """Pulse rate of a trilling tree cricket (Oecanthus, e.g. O. quadripunctatus) at
    ``temperature_c``: linear in temperature as Walker (1962) found for Oecanthus
    trills; here 2 pulses/s per degree, 44 at 22 C (our approximation)."""
    return 2.0 * temperature_c


def _singer(rng: np.random.Generator, sr: int, seconds: float, kind: str, temp: float,
            beat: np.ndarray, harm: tuple[float, ...]) -> tuple[list[np.ndarray], np.ndarray]:
    """One cricket of ``kind``: its chirp bank and onset times (s)."""
    heat = temp / 22.0  # wing-stroke rates rise roughly in proportion with temperature
    if kind == "tree":  # snowy tree cricket: chirps on the common beat
        carrier = float(rng.uniform(2700.0, 3100.0)) * (0.9 + 0.1 * heat)
        period = 1.0 / (rng.uniform(45.0, 70.0) * heat)
        bank = [pulse_train(rng, sr, carrier, period, int(rng.integers(*TREE_PULSES)), 0.6, harm,
                            0.01)
                for _ in range(3)]
        return bank, (beat + rng.normal(0.0, TREE_JITTER_S, len(beat))
                      + rng.uniform(-TREE_SPREAD_S, TREE_SPREAD_S))
    if kind == "trill":  # trilling tree cricket: 1-3 s trills, short breaths between
        carrier = float(rng.uniform(2800.0, 4200.0))
        period = 1.0 / (trill_pulses_per_s(temp) * float(rng.uniform(0.92, 1.08)))
        length = float(rng.uniform(1.0, 3.0))
        bank = [pulse_train(rng, sr, carrier, period, int(length / period), 0.65, harm, 0.005)]
        return bank, _onsets(rng, seconds, 1.0 / (length + rng.uniform(0.2, 0.8)), 0.05, 4.0)
    carrier = float(rng.uniform(4500.0, 5000.0))  # field cricket
    period = rng.uniform(0.03, 0.04) / heat
    base = int(rng.integers(3, 6))
    bank = [pulse_train(rng, sr, carrier, period, max(3, min(5, base + d)),
                        float(rng.uniform(0.45, 0.6)), harm) for d in (-1, 0, 1)]
    rate = field_chirps_per_s(temp) * float(np.exp(rng.normal(0.0, 0.15)))
    return bank, _onsets(rng, seconds, rate, float(rng.uniform(0.05, 0.1)), 3.0)


def crickets(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Cricket chorus (2, n): 8 + 22 * ``density`` singers of ``species`` over a far
    chorus and a faint night floor.

    field: chirps of 3-5 pulses on 4.5-5 kHz carriers at the field-cricket rate for
    ``temperature_c``; tree: snowy tree crickets on 2.7-3.1 kHz chirping together at
    Dolbear's rate (each chirp 5-9 pulses at ~45-70 pulses/s, scaled with
    temperature); trill: tree crickets trilling 1-3 s at :func:`trill_pulses_per_s`;
    mixed: :data:`MIXED_SHARES`, the field crickets :data:`MIXED_FARTHER_DB` farther.
    Each singer has its own pitch, place and distance (3-18 dB; beyond 9 dB its
    harmonics are gone).
    """
    density = float(p["density"])
    temp = float(p["temperature_c"])
    choice = str(p["species"])
    r_ind, r_far = rng.spawn(2)
    seconds = n / sr
    out = np.zeros((2, n))
    # The snowy tree crickets' common beat: they synchronise their chirps.
    beat = _onsets(r_ind, seconds, dolbear_tree_chirps_per_s(temp), 0.02, 2.0)
    count = 8 + round(22 * density)
    if choice == "mixed":
        # Fixed shares, not a lottery: a field's make-up (and so its texture) should
        # not swing from one segment to the next.
        kinds = [k for k, w in MIXED_SHARES for _ in range(round(w * count))]
        kinds = [kinds[int(i)] for i in r_ind.permutation(len(kinds))]
    else:
        kinds = [choice] * count
    for kind in kinds:
        dist_db = float(r_ind.uniform(3.0, 18.0))
        if choice == "mixed":
            dist_db += MIXED_FARTHER_DB[kind]
        harm = (1.0, 0.15, 0.05) if dist_db < 9.0 else (1.0, 0.04)
        bank, times = _singer(r_ind, sr, seconds, kind, temp, beat, harm)
        _mix(out, bank, times, sr, r_ind, 10 ** (-dist_db / 20.0), float(r_ind.uniform(-0.9, 0.9)))
    level = float(np.sqrt(np.mean(out**2))) + 1e-12
    # The far chorus carries most of the power, so the near singers' synchronous
    # chirps do not make the level throb (real fields 1.1-1.35 dB at 50 ms); it leaves
    # the tree crickets' band to them, where their rhythm stands out, as it does in a
    # real field. The far chorus and the night floor come from one inverse FFT; the
    # flicker of the unresolved singers moves the faint floor too, which nobody hears.
    low, high = CHORUS_BAND
    gap_low, gap_high = CHORUS_GAP
    chorus = CHORUS_LEVEL * level / np.sqrt(high - low)  # RMS per sqrt(Hz) of the band
    far = stereo_floor(r_far, n, sr, (
        (low, gap_low, 0.0, chorus * np.sqrt(gap_low - low)),
        (gap_high, high, 0.0, chorus * np.sqrt(high - gap_high)),
        (120.0, 1200.0, 1.0, FLOOR_LEVEL * level),
    ))
    far *= _flicker(r_far, n, sr, (15.0, 60.0), 8)
    return level_and_limit(out + far, sr, 0.0, PEAK_RATIO)


CICADA_BAND = (1500.0, 8000.0, 0.5, 1.0)  # (low Hz, high Hz, exponent, RMS) of the buzz
CICADA_CHOIRS = 2  # independent noise carriers the insects share


def _cicadas(rng: np.random.Generator, n: int, sr: int, density: float) -> np.ndarray:
    """3 + 6 * density cicadas (2, n): broadband buzz pulsed at each insect's own
    150-250 Hz tymbal rate, swelling over 4-12 s and fluttering at 6-14 Hz.

    Each insect sings on one of CICADA_CHOIRS noise carriers (one band-limited noise,
    rotated by a different offset per choir and channel: independent to the ear);
    the envelopes (tymbal pulses times phrase, times pan gain) of the
    insects on one choir are summed at 1/DECIM of the rate, so the cost is one
    interpolation and one multiply per choir and channel, whatever the count.
    """
    k = n // DECIM + 2
    tk = np.arange(k) * DECIM / sr
    envs = np.zeros((CICADA_CHOIRS, 2, k))
    for i in range(3 + round(6 * density)):
        phrase = 0.4 + 0.6 * (0.5 + 0.5 * np.sin(2 * np.pi * tk / rng.uniform(4.0, 12.0)
                                                 + rng.uniform(0, 6.3)))
        phrase *= np.exp(0.3 * _dsp.smooth_noise(rng, k, sr // DECIM, rng.uniform(6.0, 14.0)))
        phrase *= 10 ** (-rng.uniform(0, 10) / 20.0)
        # Tymbal pulses: a 150-250 Hz sine, well inside the 3 kHz control rate.
        pulse = 0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(150.0, 250.0) * tk
                                   + rng.uniform(0, 6.3))
        gl, gr = _dsp.pan_minus3db_centre(rng.uniform(-0.8, 0.8))
        envs[i % CICADA_CHOIRS] += np.stack([gl * phrase * pulse, gr * phrase * pulse])
    out = np.zeros((2, n))
    pos = np.arange(n) / DECIM
    noise = band_noise(rng, n, sr, (CICADA_BAND,), channels=1)[0]
    for j in range(CICADA_CHOIRS):
        for c in range(2):
            shift = (2 * j + c) * (n // (2 * CICADA_CHOIRS)) + int(rng.integers(0, n // 8 + 1))
            out[c] += np.roll(noise, shift) * np.interp(pos, np.arange(k), envs[j, c])
    return out


NIGHT_KERNELS = 3  # pulse waveforms per night insect (pitch within +-1 %, own phase)
NIGHT_JITTER = 0.03  # log-normal spread of a night insect's pulse intervals
NIGHT_BOUT_S = (3.0, 12.0)  # s, how long a night insect sings before it pauses (log-uniform)
NIGHT_PAUSE_S = (1.0, 3.0)  # s, its pauses (uniform)
NIGHT_RAMP_S = 0.15  # s, a bout's fade in and out (pulse levels)


@dataclass(frozen=True)
class Trillers:
    """A group of the night drone's insects: how many (``base + per_density *
    density``), their carrier (Hz) and pulse rate (per s) ranges (log-uniform), pulse
    width as a share of the interval, and distance (dB down, uniform)."""

    base: int
    per_density: float
    carrier_hz: tuple[float, float]
    rate_hz: tuple[float, float]
    duty: tuple[float, float]
    dist_db: tuple[float, float]


# The night drone's singers (after Walker & Moore, "Singing Insects of North America",
# the species pages' song figures; the near groups' exact values were then chosen by
# trying them on the BirdNET V2.4 classifier, which names them Walker's ground cricket,
# Say's trig, pine and four-spotted tree crickets):
NIGHT_GROUPS = (
    # ground crickets and trigs (Allonemobius, Anaxipha): high, sweet, continuous
    # trills at 6.5-7.5 kHz, 20-35 pulses/s; a few near ones
    Trillers(2, 2.0, (6500.0, 7500.0), (20.0, 35.0), (0.4, 0.6), (0.0, 3.0)),
    # trilling tree crickets (Oecanthus pini, O. quadripunctatus): 3.8-4.6 kHz,
    # 70-90 pulses/s at a warm night's temperature; a few near ones
    Trillers(1, 2.0, (3800.0, 4600.0), (70.0, 90.0), (0.4, 0.6), (0.0, 6.0)),
    # the unresolved many far away: 2-5.5 kHz, 30-60 pulses/s
    Trillers(4, 8.0, (2000.0, 5500.0), (30.0, 60.0), (0.3, 0.8), (8.0, 20.0)),
)


def _bouts(rng: np.random.Generator, times: np.ndarray, seconds: float) -> np.ndarray:
    """Level (0..1) of each pulse at ``times`` (s) of a singer that sings in bouts of
    NIGHT_BOUT_S with NIGHT_PAUSE_S between them, each bout fading in and out over
    NIGHT_RAMP_S; the first bout began before the segment."""
    count = int(seconds / (NIGHT_BOUT_S[0] + NIGHT_PAUSE_S[0])) + 2
    bout = np.exp(rng.uniform(np.log(NIGHT_BOUT_S[0]), np.log(NIGHT_BOUT_S[1]), count))
    pause = rng.uniform(*NIGHT_PAUSE_S, count)
    starts = np.cumsum(bout + pause) - (bout + pause) - rng.uniform(0.0, bout[0])
    ends = starts + bout
    k = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, count - 1)
    edge = np.minimum(times - starts[k], ends[k] - times)
    return np.clip(edge / NIGHT_RAMP_S, 0.0, 1.0)


def _log_uniform(rng: np.random.Generator, low_high: tuple[float, float]) -> float:
    return float(np.exp(rng.uniform(np.log(low_high[0]), np.log(low_high[1]))))


def _night(rng: np.random.Generator, n: int, sr: int, density: float) -> np.ndarray:
    """The night drone (2, n): the trilling insects of :data:`NIGHT_GROUPS` (a few
    near ground crickets and tree crickets, 4 + 8 * ``density`` unresolved far ones),
    each a train of tone pulses, panned and at its distance.

    Every insect trills for the whole segment and nothing in it repeats: its
    intervals jitter by NIGHT_JITTER (the errors add up, so its rhythm drifts and no
    stretch lines up with another at any lag), each pulse is one of NIGHT_KERNELS
    waveforms (a sin**2-gated tone, pitch within +-1 %, its own carrier phase)
    drawn at random, at a level drawn from 0.8-1.0, and the insect sings in bouts
    with short pauses (:func:`_bouts`). The kernels are made once per insect and
    scattered by :func:`_dsp.scatter_stereo`: one add per sounding sample and channel.
    """
    out = np.zeros((2, n))
    seconds = n / sr
    for group in NIGHT_GROUPS:
        for _ in range(group.base + round(group.per_density * density)):
            carrier = _log_uniform(rng, group.carrier_hz)
            rate = _log_uniform(rng, group.rate_hz)
            width_s = rng.uniform(*group.duty) / rate
            bank = [pulse_train(rng, sr, carrier * f, width_s, 1, 1.0, (1.0,), 0.0)
                    for f in rng.uniform(0.99, 1.01, NIGHT_KERNELS)]
            steps = np.exp(rng.normal(0.0, NIGHT_JITTER, int(seconds * rate * 1.2) + 4)) / rate
            # start mid-rhythm: the insect sang before the segment began
            times = np.cumsum(steps) - rng.uniform(0.0, 1.0 / rate) - 1.0 / rate
            times = times[times < seconds]
            g = 10 ** (-rng.uniform(*group.dist_db) / 20.0) * rng.uniform(0.8, 1.0, len(times))
            g *= _bouts(rng, times, seconds)
            which = rng.integers(0, NIGHT_KERNELS, len(times))
            sung = g > 0.0
            gl, gr = _dsp.pan_minus3db_centre(rng.uniform(-1.0, 1.0))
            _dsp.scatter_stereo(out, bank, which[sung], np.floor(times[sung] * sr).astype(int),
                                g[sung] * gl, g[sung] * gr)
    return out


def _katydids(rng: np.random.Generator, n: int, sr: int, density: float) -> np.ndarray:
    """3 + 7 * density katydids (2, n): groups of 2-4 rasps ("ka-ty-did"), each rasp
    30-60 ms of broadband tooth strikes (noise 4-12 kHz gated at 200-400 strikes/s),
    rasps 0.1-0.14 s apart, a group every 0.6-1 s; pairs of neighbours alternate."""
    rasp_noise = band_noise(rng, int(0.07 * sr) * 8, sr, ((4000.0, 12000.0, 0.0, 1.0),),
                            channels=1)[0]
    seg = int(0.07 * sr)
    out = np.zeros((2, n))
    seconds = n / sr
    lead: np.ndarray | None = None
    for i in range(3 + round(7 * density)):
        bank = []
        strike = rng.uniform(200.0, 400.0)
        for j in range(4):
            m = int(rng.uniform(0.03, 0.06) * sr)
            t = np.arange(m) / sr
            arch = np.sin(np.pi * np.arange(m) / m) ** 2
            teeth = 0.3 + 0.7 * np.sin(np.pi * strike * t) ** 4
            bank.append(rasp_noise[j * seg: j * seg + m] * arch * teeth)
        period = rng.uniform(0.6, 1.0)
        if i % 2 == 1 and lead is not None:
            groups = lead + period / 2.0  # the neighbour answers in the gaps
        else:
            groups = _onsets(rng, seconds, 1.0 / period, 0.05, 2.0)
            lead = groups
        counts = rng.integers(2, 5, len(groups))
        gap = rng.uniform(0.1, 0.14)
        times = np.concatenate([g + gap * np.arange(c) for g, c in zip(groups, counts,
                                                                         strict=True)])
        _mix(out, bank, times, sr, rng, 10 ** (-rng.uniform(0, 15) / 20.0),
             float(rng.uniform(-0.9, 0.9)))
    return out


def insects(p: dict[str, float | str], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Insect bed (2, n) of ``kind``: cicada (a dense pulsed buzz), night (a soft drone
    of many distant insects over a shimmering band), katydid (rasping "ka-ty-did"
    groups); ``density`` sets how many insects. A faint night floor lies below."""
    density = float(p["density"])
    r_ins, r_far = rng.spawn(2)
    kind = str(p["kind"])
    if kind == "cicada":
        out = _cicadas(r_ins, n, sr, density)
        floor_bands: tuple[tuple[float, float, float, float], ...] = ((120.0, 1800.0, 1.0, 0.06),)
    elif kind == "night":
        out = _night(r_ins, n, sr, density)
        floor_bands = ((120.0, 1800.0, 1.0, 0.1), (1500.0, 8000.0, 0.0, 0.3))
    else:
        out = _katydids(r_ins, n, sr, density)
        floor_bands = ((120.0, 1800.0, 1.0, 0.1), (2500.0, 9000.0, 0.0, 0.15))
    level = float(np.sqrt(np.mean(out**2))) + 1e-12
    floor = stereo_floor(r_far, n, sr, tuple((a, b, e, r * level) for a, b, e, r in floor_bands))
    if kind == "night":  # the unresolved drone shimmers with many pulse trains
        floor *= _flicker(r_far, n, sr, (5.0, 40.0), 6)
    # A few cicadas swelling together would pump the level: keep the seconds even.
    return level_and_limit(out + floor, sr, 0.6, PEAK_RATIO)
