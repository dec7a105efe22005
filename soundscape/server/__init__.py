"""The streaming server: scenes as endless broadcast channels over websockets.

Layout (pure parts first, the I/O edge last):

    protocol.py  wire format: JSON header/control/error messages, binary audio messages
    codec.py     Opus (PyAV/libopus) and 16-bit PCM encoders, decoders for tests and tools
    listener.py  bounded per-listener queue (skip ahead, then disconnect)
    stems.py     per-layer stems of a channel, for players that mix themselves
    stream.py    Stream: a chain of graph nodes (graph/switch.py: crossfade, level,
                 fallback) + encoders producing numbered messages; personal-mix fork;
                 StreamKey: a stream's typed kind and owner (how the hub routes it)
    engine.py    mixer threads: each owns its streams (changed only by messages) and
                 pulls and encodes them on the clock (soundscape/clock.py), off the loop
    builds.py    jobs on daemon threads (scene builds, the one a listener waits for
                 first; folder scans): they take values and return values
    catalog.py   the scenes folder (owned by the files thread): loading, errors,
                 change detection; each scan returns an immutable snapshot
    config.py    ServerConfig; gate.py: Host/Origin/token checks, the listener cap
    hub.py       channels and listeners, fan-out, placement on mixers, status
    director.py  scan, build, bank watch, on air: applies the jobs' results on the loop
    studio*.py   the studio: its document, edits, messages, stream and uploads;
                 studio_session.py is one page's session behind a StudioContext
    http.py      the HTTP edge: a table of route handlers, websocket upgrade checks
    ws.py        the websocket edge: a listener's send and receive loops
    app.py       StreamServer: the life cycle (start, bind, stop) and signals

Threads: the event loop owns everything from hub.py down; mixer, build, files and
output threads are reached by messages and futures only. Only the loop's modules
(app.py, http.py, ws.py, director.py, studio_session.py, studio_doc.py) import
asyncio; only app.py, http.py, ws.py and studio_session.py import websockets.
"""

from .config import ServerConfig

__all__ = ["ServerConfig"]
