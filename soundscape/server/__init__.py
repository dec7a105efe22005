"""The streaming server: scenes as endless broadcast channels over websockets.

Layout (pure parts first, the I/O edge last):

    clock.py     AudioClock: the absolute schedule every block is produced on
    protocol.py  wire format: JSON header/control/error messages, binary audio messages
    codec.py     Opus (PyAV/libopus) and 16-bit PCM encoders, decoders for tests and tools
    listener.py  bounded per-listener queue (skip ahead, then disconnect)
    stream.py    Stream: a chain of graph nodes (graph/switch.py: crossfade, level,
                 fallback) + encoders producing numbered messages; personal-mix fork
    engine.py    mixer threads: each owns its streams (changed only by messages) and
                 pulls and encodes them on the clock, off the loop; ``step(now)``
    builds.py    scene builds on daemon threads, the one a listener waits for first
    catalog.py   the scenes folder: loading, errors, change detection for hot reload
    hub.py       channels and listeners, fan-out and status (runs on the event loop)
    app.py       the websockets edge: HTTP routes, the /stream handler, signals

Nothing outside app.py imports asyncio or websockets.
"""

from .config import ServerConfig

__all__ = ["ServerConfig"]
