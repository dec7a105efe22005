"""The server's mixer threads: every stream is pulled and encoded here, on the audio clock.

An :class:`Engine` is the project's one real-time loop (:class:`soundscape.mixer.Mixer`:
its docstring states the threading rule and the one rule for falling behind) over the
server's :class:`~soundscape.server.stream.Stream` objects. Broadcast channels go
first in each round: they serve many listeners. ``publish`` receives each
:class:`~soundscape.server.stream.Produced` block and must be thread-safe (the server
passes a ``call_soon_threadsafe`` wrapper). Tests drive ``step(now)`` with a fake
clock.
"""

from __future__ import annotations

from collections.abc import Callable

from ..clock import AudioClock
from ..mixer import MAX_LATE, Mixer
from .stream import Kind, Produced, Stream

Publish = Callable[[Stream, Produced], None]


def is_channel(stream: Stream) -> bool:
    return stream.kind is Kind.CHANNEL


class Engine(Mixer[Stream]):
    """One mixer thread of the server. Every public method except ``step`` is
    thread-safe."""

    def __init__(self, name: str, clock: AudioClock, publish: Publish,
                 max_late: int = MAX_LATE):
        super().__init__(name, clock, publish, max_late, first=is_channel)
