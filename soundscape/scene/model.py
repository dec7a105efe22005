"""The scene model: the frozen values a validated scene file becomes.

Plain data, made only by :mod:`soundscape.scene.parse` (and by tests). Every default
here is read from the field tables of :mod:`soundscape.scenefields`, the one place a
default is stated (tests/test_scene_defaults.py checks that each dataclass default is
its field's), so the validator, the JSON Schema, the docs and the model agree.

Durations are seconds (floats) because that is what the file says; the mixer converts
them to integer frames once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenefields import BREATHING_FIELDS, LAYER_FIELDS, MASTER_FIELDS, Field, fields_for


def defaults(fields: tuple[Field, ...], layer_type: str | None = None) -> dict[str, Any]:
    """Field name -> its default, for ``fields`` (of ``layer_type`` for layer fields)."""
    return {name: f.default for name, f in fields_for(fields, layer_type).items()}


MASTER_DEFAULTS = defaults(MASTER_FIELDS)
BREATHING_DEFAULTS = defaults(BREATHING_FIELDS)
LAYER_DEFAULTS = defaults(LAYER_FIELDS)
BED_DEFAULTS = defaults(LAYER_FIELDS, "bed")
EVENT_DEFAULTS = defaults(LAYER_FIELDS, "event")


@dataclass(frozen=True)
class Breathing:
    """Slow level modulation: +-depth_db/2 around the layer gain, periods in seconds."""

    depth_db: float = BREATHING_DEFAULTS["depth_db"]
    period: tuple[float, float] = BREATHING_DEFAULTS["period"]


@dataclass(frozen=True)
class Layer:
    """Fields shared by beds and events. Sources: files, then prompt (bank), then recipe."""

    name: str
    index: int
    prompt: str | None
    recipe: str | None
    params: dict[str, Any]
    files: tuple[Path, ...]
    variants: int
    lowcut_hz: float | None
    highcut_hz: float | None
    generator: dict[str, Any]
    label: str | None = LAYER_DEFAULTS["label"]  # None: derived (scene/labels.py)
    icon: str | None = LAYER_DEFAULTS["icon"]

    @property
    def kind(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Bed(Layer):
    """A continuous texture made of crossfaded segments."""

    gain_db: float = BED_DEFAULTS["gain_db"]
    pan: float = BED_DEFAULTS["pan"]
    width: float = BED_DEFAULTS["width"]
    crossfade: float = BED_DEFAULTS["crossfade"]
    breathing: Breathing | None = BED_DEFAULTS["breathing"]

    @property
    def kind(self) -> str:
        return "bed"


@dataclass(frozen=True)
class Event(Layer):
    """Sporadic one-shots placed by a Poisson process with a minimum gap."""

    rate_per_min: float | None = EVENT_DEFAULTS["rate_per_min"]
    interval: tuple[float, float] | None = EVENT_DEFAULTS["interval"]
    min_gap: float = EVENT_DEFAULTS["min_gap"]
    gain_db: tuple[float, float] = EVENT_DEFAULTS["gain_db"]
    pan: tuple[float, float] = EVENT_DEFAULTS["pan"]
    distance: tuple[float, float] | None = EVENT_DEFAULTS["distance"]

    @property
    def kind(self) -> str:
        return "event"

    @property
    def base_rate(self) -> float:
        """Events per second without automation (an interval range's mean rate)."""
        if self.interval is not None:
            return 2.0 / (self.interval[0] + self.interval[1])
        return (self.rate_per_min or 0.0) / 60.0


@dataclass(frozen=True)
class Phase:
    """A stretch of the timeline; ``targets[layer][param]`` reached after ``ramp``."""

    name: str
    duration: float
    ramp: float
    targets: dict[str, dict[str, float]]


@dataclass(frozen=True)
class Master:
    """Output settings (the ``[master]`` table)."""

    sample_rate: int = MASTER_DEFAULTS["sample_rate"]
    loudness_lufs: float = MASTER_DEFAULTS["loudness_lufs"]
    seed: int = MASTER_DEFAULTS["seed"]
    fade_in: float = MASTER_DEFAULTS["fade_in"]
    segment_seconds: float = MASTER_DEFAULTS["segment_seconds"]
    loop_phases: bool = MASTER_DEFAULTS["loop_phases"]
    ceiling_dbtp: float = MASTER_DEFAULTS["ceiling_dbtp"]
    steady_loudness: bool = MASTER_DEFAULTS["steady_loudness"]


@dataclass(frozen=True)
class Scene:
    """A whole scene file, validated: ``name`` is the file's stem."""

    path: Path
    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    master: Master
    layers: tuple[Layer, ...]
    phases: tuple[Phase, ...] = ()
    generator: dict[str, Any] = field(default_factory=dict)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    @property
    def beds(self) -> list[Bed]:
        return [layer for layer in self.layers if isinstance(layer, Bed)]

    @property
    def events(self) -> list[Event]:
        return [layer for layer in self.layers if isinstance(layer, Event)]

    @property
    def cycle_seconds(self) -> float:
        return sum(p.duration for p in self.phases)
