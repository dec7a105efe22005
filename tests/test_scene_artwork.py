"""soundscape/web/icons.js under node: every shipped scene has its own artwork.

The scenes' names (file stems, as the server names them) and tags are read here from
scenes/*.toml and handed to icons.js's own `iconKey` and `iconUrl`, so a new scene
that no picture fits fails here. Every picture must parse as an SVG document.
Needs `node` on the PATH; skipped without it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "soundscape" / "web" / "icons.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no node")
SVG = "{http://www.w3.org/2000/svg}svg"

# icons.js is an ES module in a folder with no package.json: import it as a data: URL.
# stdin: a JSON list of {name, tags}; stdout: each one's key and its data URL, and
# every picture by key.
PROBE = """
import fs from 'fs';
const src = fs.readFileSync(process.argv[1], 'utf8');
const icons = await import('data:text/javascript;base64,' + Buffer.from(src).toString('base64'));
const scenes = JSON.parse(fs.readFileSync(0, 'utf8'));
console.log(JSON.stringify({
  scenes: scenes.map((s) => ({ key: icons.iconKey(s), url: icons.iconUrl(s) })),
  artwork: icons.ARTWORK,
}));
"""


def run_icons(scenes: list[dict[str, object]]) -> dict:
    assert NODE is not None
    done = subprocess.run([NODE, "--input-type=module", "-e", PROBE, str(ICONS)],
                          input=json.dumps(scenes), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def shipped_scenes() -> list[dict[str, object]]:
    scenes = []
    for path in sorted((ROOT / "scenes").glob("*.toml")):
        tags = tomllib.loads(path.read_text()).get("tags", [])
        scenes.append({"name": path.stem, "tags": list(tags)})
    return scenes


def svg_of(url: str) -> str:
    head, _, body = url.partition(",")
    assert head == "data:image/svg+xml;charset=utf-8", head
    return urllib.parse.unquote(body)


def test_every_shipped_scene_has_artwork_of_its_own() -> None:
    scenes = shipped_scenes()
    assert len(scenes) >= 8
    got = run_icons(scenes)
    keys = {s["name"]: g["key"] for s, g in zip(scenes, got["scenes"], strict=True)}
    assert not [name for name, key in keys.items() if key == "generic"], keys
    for scene, g in zip(scenes, got["scenes"], strict=True):
        assert svg_of(g["url"]) == got["artwork"][g["key"]], scene["name"]


def test_the_new_scenes_get_their_pictures_by_name() -> None:
    wanted = {"coffee-shop": "cafe", "night-train": "train", "city-rain": "city",
              "library": "library", "porch-chimes": "porch", "focus-room": "focus",
              "pond-dusk": "pond", "waterfall-valley": "waterfall", "winter-cabin": "snow",
              "woodland": "woodland"}
    got = run_icons([{"name": name, "tags": []} for name in wanted])
    assert [g["key"] for g in got["scenes"]] == list(wanted.values())


TAGGED = {"coffee": "cafe", "Cafe": "cafe", "train": "train", "traffic": "city",
          "city": "city", "study": "library", "library": "library", "indoor": "library",
          "chimes": "porch", "porch": "porch", "office": "focus", "focus": "focus",
          "frogs": "pond", "pond": "pond", "waterfall": "waterfall", "snow": "snow",
          "winter": "snow", "woodland": "woodland", "woodpecker": "woodland",
          "forest": "forest"}


def test_a_users_scene_gets_the_picture_of_its_first_known_tag() -> None:
    scenes = [{"name": "my-own", "tags": ["unheard-of", tag]} for tag in TAGGED]
    got = run_icons(scenes + [{"name": "my-own", "tags": ["unheard-of"]}])
    assert [g["key"] for g in got["scenes"]] == [*TAGGED.values(), "generic"]


def test_every_picture_is_a_small_64_by_64_svg() -> None:
    artwork = run_icons([])["artwork"]
    assert len(artwork) >= 19
    for key, text in artwork.items():
        root = ET.fromstring(text)
        assert root.tag == SVG, key
        assert root.get("viewBox") == "0 0 64 64", key
        assert len(text.encode()) < 1400, (key, len(text.encode()))
        paths = root.findall("{http://www.w3.org/2000/svg}path")
        assert paths, key
        assert all(p.get("d") and "undefined" not in p.get("d", "") for p in paths), key
