"""Recipe and parameter descriptions, validation and the render wrapper.

A raw recipe function has the signature ``raw(params, frames, sample_rate, rng)``:
``params`` is complete (defaults filled, numbers as float), ``frames`` is the exact
length for a bed or the maximum length for an event, and it returns float64
(2, m) audio at any level; the wrapper here normalises it to the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from soundscape.procedural import _dsp
from soundscape.seeds import generator

RawRender = Callable[[dict[str, float | str], int, int, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class ParamSpec:
    """One recipe parameter: a number in low..high, or a string from ``choices``."""

    default: float | str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""


@dataclass(frozen=True)
class Recipe:
    """A named sound. ``kind`` is "bed" (continuous texture) or "event" (one-shot).

    ``render(params, *, seconds, sample_rate, seed)`` follows the same contract as
    :func:`soundscape.procedural.render`.
    """

    name: str
    kind: str
    params: dict[str, ParamSpec]
    doc: str
    render: Callable[..., np.ndarray]
    # a bed segment of this recipe is replayed (each time at another speed) at most
    # this many times before fresh material replaces it: few where single moments
    # stand out (a wave's crash, a gust, a pop), more for uniform textures
    reuse: int = 13
    # a bed with a strict rhythm (a clock): seconds of its cycle for given params. Its
    # segments all start the cycle at the same phase, and its plays join on the cycle
    # at normal speed, so the rhythm never jumps at a join
    period: Callable[[Mapping[str, object]], float] | None = None


def problems(name: str, specs: Mapping[str, ParamSpec], params: Mapping[str, object]) -> list[str]:
    """Every problem with ``params`` for recipe ``name`` (empty when valid).

    Total: any value (a 400-digit integer, NaN, a 100,000-character string) gives a
    message, never an exception; values and keys are quoted shortened.
    """
    from reprlib import Repr

    short = Repr()
    short.maxstring = short.maxother = short.maxlong = 40
    short.maxlevel, short.maxlist, short.maxdict = 2, 4, 4

    def q(value: object) -> str:
        if isinstance(value, int) and value.bit_length() > 256:
            return f"an integer of {value.bit_length()} bits"
        try:
            return short.repr(value)
        except (ValueError, RecursionError):
            return f"<a {type(value).__name__}>"

    out: list[str] = []
    known = ", ".join(sorted(specs)) or "none"
    for key, value in params.items():
        spec = specs.get(key)
        if spec is None:
            out.append(f"unknown param {q(key)} for recipe {name!r} (known: {known})")
        elif spec.choices is not None:
            if not isinstance(value, str) or value not in spec.choices:
                out.append(f"param {key!r} = {q(value)} is not one of {', '.join(spec.choices)}")
        else:
            low = -np.inf if spec.low is None else spec.low
            high = np.inf if spec.high is None else spec.high
            if isinstance(value, bool) or not isinstance(value, int | float):
                out.append(f"param {key!r} = {q(value)} is not a number "
                           f"(allowed {low:g}..{high:g})")
            # an int is compared exactly: np.isfinite(10**400) is a TypeError
            elif (isinstance(value, float) and not np.isfinite(value)) or not low <= value <= high:
                out.append(f"param {key!r} = {q(value)} is out of range {low:g}..{high:g}")
    return out


def complete(
    specs: Mapping[str, ParamSpec], params: Mapping[str, object]
) -> dict[str, float | str]:
    """Defaults filled in; numbers as float. Assumes ``params`` is valid."""
    out: dict[str, float | str] = {}
    for key, spec in specs.items():
        v = params.get(key, spec.default)
        out[key] = v if isinstance(v, str) else float(v)  # type: ignore[arg-type]
    return out


def rng_for(name: str, seed: int) -> np.random.Generator:
    """The recipe's generator: seeded from (seed, crc32(name)), so two recipes with the
    same seed are independent."""
    return generator(seed, name)


def run(
    name: str,
    kind: str,
    specs: Mapping[str, ParamSpec],
    raw: RawRender,
    params: Mapping[str, object],
    *,
    seconds: float,
    sample_rate: int,
    seed: int,
) -> np.ndarray:
    """Validate, fill defaults, render and apply the bed or event contract."""
    bad = problems(name, specs, params)
    if bad:
        raise ValueError("; ".join(bad))
    if not (8000 <= int(sample_rate) <= 192000):
        raise ValueError(f"sample_rate = {sample_rate!r} is out of range 8000..192000")
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds = {seconds!r} must be a finite number >= 0")
    sr = int(sample_rate)
    p = complete(specs, params)
    rng = rng_for(name, seed)
    if kind == "bed":
        frames = round(seconds * sr)
        if frames == 0:
            return np.zeros((2, 0), dtype=np.float32)
        x = raw(p, frames, sr, rng)
        assert x.shape == (2, frames), (name, x.shape, frames)
        return _dsp.finish_bed(x)
    max_frames = round(min(seconds, _dsp.MAX_EVENT_S) * sr)
    if max_frames == 0:
        return np.zeros((2, 0), dtype=np.float32)
    return _dsp.finish_event(raw(p, max_frames, sr, rng), sr, max_frames)


def make(name: str, kind: str, params: dict[str, ParamSpec], doc: str, raw: RawRender,
         reuse: int = 13,
         period: Callable[[Mapping[str, object]], float] | None = None) -> Recipe:
    """Build a :class:`Recipe` whose ``render`` applies the contract around ``raw``."""
    return Recipe(name, kind, params, doc, partial(run, name, kind, params, raw), reuse,
                  period)
