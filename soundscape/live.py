"""A scene as every live output plays it: the server's channels, ``broadcast`` and
the studio. Defined once here so they never differ.

Live audio runs at LIVE_RATE (Opus, the browser players and the audio clock work at
48 kHz). A listener joins mid-stream, so nobody hears the scene's fade-in; and every
live stream is encoded lossily (Opus, MP3, AAC), which overshoots the limiter, so it
gets the same extra true-peak headroom a lossy ``render`` gets.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import UsageError
from .render import lossy_headroom
from .scene import Scene

LIVE_RATE = 48000


def check_live_rate(scene: Scene) -> None:
    """UsageError naming the scene file, the field and its value unless it plays at
    LIVE_RATE."""
    rate = scene.master.sample_rate
    if rate != LIVE_RATE:
        raise UsageError(f"{scene.path}: live output needs master.sample_rate = {LIVE_RATE}, "
                         f"not {rate}")


def live_scene(scene: Scene) -> Scene:
    """``scene`` as a live output plays it: checked for LIVE_RATE, no fade-in, lossy
    headroom. Raises UsageError when the rate is not LIVE_RATE."""
    check_live_rate(scene)
    quiet = lossy_headroom(scene)
    return replace(quiet, master=replace(quiet.master, fade_in=0.0))
