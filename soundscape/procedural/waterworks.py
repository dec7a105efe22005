"""Water and weather: a waterfall, river rapids, water lapping at a boat,
underwater, snow-muffled wind, hail.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).
"""

from __future__ import annotations

from soundscape.procedural._spec import Recipe

RECIPES: list[Recipe] = []
