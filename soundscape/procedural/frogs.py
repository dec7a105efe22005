"""Frogs and the woodpecker: spring peepers, a bullfrog chorus, a woodpecker's drumming.

Each recipe is registered in :data:`RECIPES` (collected by
:mod:`soundscape.procedural`).
"""

from __future__ import annotations

from soundscape.procedural._spec import Recipe

RECIPES: list[Recipe] = []
