"""Helpers for the studio tests: a commented test scene and a ``soundscape studio`` process.

(No tests here; imported by tests/test_studio.py and tests/test_studio_browser.py.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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


class StudioProcess:
    """``soundscape studio PATH --no-browser --port 0`` with its own bank."""

    def __init__(self, path: Path, bank: Path, *args: str):
        env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from soundscape.cli import main; "
             "sys.exit(main(sys.argv[1:]))", "studio", str(path), "--no-browser",
             "--port", "0", "--bank", str(bank), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.log: list[str] = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        url = None
        while url is None:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("studio exited early:\n" + "".join(self.log))
            self.log.append(line)
            m = re.match(r"studio: (http://127\.0\.0\.1:(\d+)/studio\S*)", line)
            if m:
                url, self.port = m.group(1), int(m.group(2))
            if time.monotonic() > deadline:
                raise RuntimeError("studio did not start:\n" + "".join(self.log))
        self.url = url
        self.ws = f"ws://127.0.0.1:{self.port}/studio/ws"
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)

    def stop(self, timeout: float = 5) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
