"""The README's screenshots of the player and the studio (docs/img/*.png), taken in
headless Chromium from a real server on the shipped scenes. Run after the page
changes and commit the PNGs: python tools/screenshots.py docs/img

The first run builds rainy-night's bank (a few seconds); pass --bank DIR to reuse one.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SCENE = "rainy-night"
ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]


def start(command: list[str], pattern: str, bank: Path) -> tuple[subprocess.Popen[str], str]:
    """A child that prints a URL matching ``pattern``; the child and the URL."""
    env = {"SOUNDSCAPE_BANK": str(bank), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(pattern, line)
        if m:
            return proc, m.group(1)
    raise SystemExit(f"screenshots: {command[1]} exited before serving")


def wait_ready(base: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/api/scenes", timeout=10) as r:
            if any(s["name"] == SCENE and s["ready"] for s in json.loads(r.read())):
                return
        time.sleep(0.5)
    raise SystemExit(f"screenshots: {SCENE} not ready after {timeout:.0f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--bank", type=Path, default=None)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    bank = args.bank or Path(tempfile.mkdtemp(prefix="soundscape-shots-"))
    py = sys.executable
    server, base = start([py, "server.py", "--port", "0", "--scenes", "scenes"],
                         r"serving (http://[\d.]+:\d+)/", bank)
    studio, studio_url = start(
        [py, "-m", "soundscape.cli", "studio", f"scenes/{SCENE}.toml", "--no-browser",
         "--port", "0"], r"studio: (http://\S+)", bank)
    try:
        wait_ready(base)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            for name, size in (("player", (1280, 800)), ("player-phone", (390, 844))):
                page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                page.goto(f"{base}/?scene={SCENE}")
                page.wait_for_selector("#layers [data-layer]")
                page.click("#play")
                page.wait_for_function("document.querySelector('#play').getAttribute("
                                       "'aria-pressed') === 'true'", timeout=60_000)
                time.sleep(3)
                page.screenshot(path=str(args.out / f"{name}.png"))
                page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(studio_url)
            page.wait_for_selector("#strips > *", timeout=60_000)
            page.click("#play")
            time.sleep(6)
            page.screenshot(path=str(args.out / "studio.png"))
            browser.close()
    finally:
        for proc in (server, studio):
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
