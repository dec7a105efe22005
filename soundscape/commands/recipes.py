"""``soundscape recipes [--json] [NAME]``: the procedural recipes and their parameters.

One line per recipe (name, kind, description), then each parameter with its default
and range (or choices). ``NAME`` shows one recipe; an unknown name is a UsageError
that suggests the nearest. ``--json`` prints the same as JSON, for tools.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import Any

from ..errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "recipes", help="list the procedural recipes and their parameters",
        description="List every procedural recipe (a layer's 'recipe') with its kind, "
                    "description and parameters (a layer's 'params'): default and range.")
    p.add_argument("name", nargs="?", help="show this recipe only")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def recipe_table(name: str | None = None) -> list[dict[str, Any]]:
    """Every recipe (or ``name`` only) as plain data: name, kind, doc and params
    (name -> default, low, high, choices, doc). UsageError for an unknown name."""
    from ..procedural import RECIPES

    if name is not None and name not in RECIPES:
        close = difflib.get_close_matches(name, list(RECIPES), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(RECIPES))}"
        raise UsageError(f"unknown recipe {name!r} ({hint})")
    names = [name] if name is not None else sorted(RECIPES, key=lambda n: (
        RECIPES[n].kind != "bed", n))
    out = []
    for key in names:
        recipe = RECIPES[key]
        params = {
            pname: {"default": spec.default, "low": spec.low, "high": spec.high,
                    "choices": list(spec.choices) if spec.choices is not None else None,
                    "doc": spec.doc}
            for pname, spec in recipe.params.items()
        }
        out.append({"name": key, "kind": recipe.kind, "doc": recipe.doc, "params": params})
    return out


def _allowed(param: dict[str, Any]) -> str:
    if param["choices"] is not None:
        return "one of " + ", ".join(param["choices"])
    low = "" if param["low"] is None else f"{param['low']:g}"
    high = "" if param["high"] is None else f"{param['high']:g}"
    return f"{low}..{high}"


def format_recipes(table: list[dict[str, Any]]) -> str:
    """The text ``soundscape recipes`` prints for ``table`` (see :func:`recipe_table`)."""
    lines = []
    for recipe in table:
        lines.append(f"{recipe['name']:10} {recipe['kind']:5}  {recipe['doc']}")
        for pname, param in recipe["params"].items():
            default = param["default"]
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            lines.append(f"    {pname} = {shown}  ({_allowed(param)})  {param['doc']}")
        if not recipe["params"]:
            lines.append("    (no parameters)")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    table = recipe_table(args.name)
    if args.json:
        sys.stdout.write(json.dumps(table, indent=2) + "\n")
    else:
        sys.stdout.write(format_recipes(table))
    return 0
