"""Things: a clock, keyboard typing, pages, wind chimes, a singing bowl,
a fan or air-conditioner hum, a purring cat.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).
"""

from __future__ import annotations

from soundscape.procedural._spec import Recipe

RECIPES: list[Recipe] = []
