"""Server settings (command-line flags map one to one onto these fields)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..outputs.icecast import IcecastTarget


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``soundscape serve`` can be told.

    Limits are hard caps: a listener beyond ``max_listeners`` (lowered at start to fit
    the open-file limit) is refused with HTTP 503 ``listener_limit``, a personal mix
    beyond ``max_personal`` gets an error message and keeps the broadcast.
    ``allow_origins`` and ``token`` feed the access checks (server/gate.py).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    scenes: Path = Path("scenes")
    bank: Path | None = None
    max_listeners: int = 2000
    max_personal: int = 64
    max_personal_per_client: int = 16  # personal mixes one client address may run
    max_message_bytes: int = 4096  # control messages larger than this get an error
    bitrate: int = 96000
    stem_bitrate: int = 64000  # Opus per stem: a listener takes one per layer
    frames_per_message: int = 5  # 20 ms Opus frames per websocket message
    burst_ms: int = 300  # audio sent at once to a new listener, from the ring
    idle_pause_s: float = 10.0  # pause a channel nobody has heard for this long (0: never)
    queue_ms: int = 2000  # per-listener queue; a listener this far behind skips ahead
    max_skips: int = 10  # skips within skip_window_s before a listener is dropped
    skip_window_s: float = 30.0
    mixers: int = 2  # mixer threads
    reload_interval_s: float = 1.0  # scene folder polling period (0 disables reload)
    crossfade_s: float = 3.0  # hot-reload crossfade
    idle_timeout_s: float = 2.0  # shutdown grace for closing connections
    refresh_model: str | None = None  # keep generating fresh variants with this model
    refresh_interval_s: float = 120.0  # seconds between refresh rounds
    refresh_max_variants: int = 16  # generated variants kept per layer while refreshing
    allow_origins: tuple[str, ...] = ()  # extra web origins allowed besides the player's own
    token: str | None = None  # control token; None: random when bound beyond loopback
    studio: Path | None = None  # studio mode: the scene file opened first (soundscape studio)
    # every channel also goes to these Icecast servers (mount MOUNT/SCENE.opus|.mp3) ...
    icecast: tuple[IcecastTarget, ...] = ()
    icecast_formats: tuple[str, ...] = ("opus", "mp3")
    icecast_bitrate: int | None = None  # None: the outputs' default (128 kbit/s)
    # ... and/or is written as live HLS to hls/SCENE/master.m3u8 (served at /hls/)
    hls: Path | None = None
    hls_segment_s: float = 4.0
