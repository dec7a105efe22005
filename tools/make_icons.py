"""The app icons of the web manifest (soundscape/web/icon-192.png, icon-512.png),
drawn from soundscape/web/favicon.svg by headless Chromium. Run once after the SVG
changes and commit the PNGs: python tools/make_icons.py soundscape/web"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZES = (192, 512)


def main(web: Path) -> None:
    svg = (web / "favicon.svg").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--no-sandbox"])
        for n in SIZES:
            page = browser.new_page(viewport={"width": n, "height": n})
            sized = svg.replace("<svg ", f"<svg width={n} height={n} ", 1)
            page.set_content(f'<body style="margin:0;background:transparent">{sized}</body>')
            page.screenshot(path=str(web / f"icon-{n}.png"), omit_background=True,
                            clip={"x": 0, "y": 0, "width": n, "height": n})
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
