"""Places: a cafe's murmur and cups, room tone, traffic, a train,
an airplane cabin, rain on a tent or car.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).
"""

from __future__ import annotations

from soundscape.procedural._spec import Recipe

RECIPES: list[Recipe] = []
