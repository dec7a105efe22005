"""Helpers for the studio tests: a commented test scene and a ``soundscape studio`` process
(a child_process.Child).

(No tests here; imported by tests/test_studio.py and tests/test_studio_browser.py.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from child_process import CLI, Child

STUDIO_SCENE = """\
# Studio test scene: two beds and a rare event.
title = "Studio test"
description = "Two noise beds and a drip for the studio tests."

[master]
segment_seconds = "4s"   # short: prepares fast
fade_in = "0s"
seed = 3

# the main bed
[[layers]]
name = "hiss"
type = "bed"
recipe = "noise"
params = { color = "pink" }
variants = 2
crossfade = "0.5s"
gain_db = 0.0   # reference level

# a darker bed underneath
[[layers]]
name = "hum"
type = "bed"
recipe = "noise"
params = { color = "brown" }
variants = 2
crossfade = "0.5s"
gain_db = -6.0  # under the hiss

# never on its own: triggered from the studio
[[layers]]
name = "drip"
type = "event"
recipe = "drip"
variants = 2
rate_per_min = 0.0
gain_db = [0.0, 0.0]
"""


def comment_lines(text: str) -> list[str]:
    """Every comment of ``text`` (whole-line and trailing), as written."""
    out = []
    for line in text.splitlines():
        at = line.find("#")
        if at >= 0:
            out.append(line[at:])
    return out


class StudioProcess(Child):
    """``soundscape studio PATH --no-browser --port 0`` with its own bank."""

    def __init__(self, path: Path, bank: Path, *args: str):
        super().__init__(
            [sys.executable, "-c", CLI, "studio", str(path), "--no-browser", "--port", "0",
             "--bank", str(bank), *args],
            env={"SOUNDSCAPE_BANK": str(bank)}, what="studio")
        try:
            m = self.wait_for_line(r"^studio: (http://127\.0\.0\.1:(\d+)/studio\S*)", 60)
        except BaseException:
            self.stop()
            raise
        self.url, self.port = m.group(1), int(m.group(2))
        self.ws = f"ws://127.0.0.1:{self.port}/studio/ws"
