"""The scene model: what a ``scenes/*.toml`` file describes, validated.

``load_scene(path)`` returns a :class:`Scene` or raises one :class:`SceneError`
that lists every problem in the file, each naming its line, its TOML path with the
layer's name (``scene.toml:31: layers[2] "cups".gain_db``), the bad value and what is
allowed; ``SceneError.issues`` holds the same as structured :class:`Problem` values.
``scene_from_text(text, path)`` does the same for text held in memory. The fields
themselves (types, ranges, defaults, descriptions) are the tables of
:mod:`soundscape.scenefields`, which also make the JSON Schema; the format is
documented in ``docs/scenes.md``.

The package, one job per module (this module only gathers their public names):

* :mod:`~soundscape.scene.model` -- the frozen dataclasses (defaults read from the
  field tables);
* :mod:`~soundscape.scene.check` -- :class:`~soundscape.scene.check.Checker`, the
  checks of single values by their field;
* :mod:`~soundscape.scene.parse` -- the per-table rules and :func:`parse_scene`;
* :mod:`~soundscape.scene.lines` -- :func:`quote` and the key-line scanner
  :func:`key_lines` that gives problems their line numbers;
* :mod:`~soundscape.scene.load` -- :func:`load_scene` and :func:`scene_from_text`;
* :mod:`~soundscape.scene.labels` -- what the player calls a layer and its icon
  (:func:`layer_label`, :func:`layer_icon`), given or derived.

Messages do not cascade: a key with a bad value is reported once, and rules that
depend on it (an event needs ``rate_per_min`` or ``interval``, a layer needs a source,
phases name existing layers) are only checked when the keys they need are present.
Values are quoted as TOML writes them (``true``, ``'text'``, ``[1, 2]``), shortened.

Total: whatever the file holds, loading ends quickly in a Scene or a SceneError,
never another exception. Every value, string and count is bounded (the ``MAX_*``
limits, listed in the docs' "Limits" table). Pure: no audio is made here.
"""

from __future__ import annotations

from ..errors import Problem, SceneError
from ..scenefields import (
    MAX_FILES,
    MAX_LAYERS,
    MAX_NAME_CHARS,
    MAX_PATH_CHARS,
    MAX_PHASES,
    MAX_SCENE_BYTES,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    SAMPLE_RATES,
)
from .check import MAX_PROBLEMS
from .labels import ICONS, layer_icon, layer_label
from .lines import QUOTE_CHARS, key_lines, quote
from .load import INTERNAL_ERROR, load_scene, scene_from_text
from .model import Bed, Breathing, Event, Layer, Master, Phase, Scene
from .parse import AUDIO_EXTENSIONS, NOT_AUDIO_EXTENSIONS, parse_scene

__all__ = [
    "AUDIO_EXTENSIONS", "ICONS", "INTERNAL_ERROR", "MAX_FILES", "MAX_LAYERS", "MAX_NAME_CHARS",
    "MAX_PATH_CHARS", "MAX_PHASES", "MAX_PROBLEMS", "MAX_SCENE_BYTES", "MAX_TAGS",
    "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "NOT_AUDIO_EXTENSIONS", "QUOTE_CHARS",
    "SAMPLE_RATES", "Bed", "Breathing", "Event", "Layer", "Master", "Phase", "Problem",
    "Scene", "SceneError", "key_lines", "layer_icon", "layer_label", "load_scene",
    "parse_scene", "quote", "scene_from_text",
]
