"""What the project's worker threads share (outputs, the bank refresher).

A worker is stopped by a message from its owner (a stop item on its queue, or a
``threading.Event``); the code that notices it raises :class:`Stopped`, which the
worker's loop catches to finish cleanly. No other module defines its own.
"""

from __future__ import annotations


class Stopped(Exception):
    """The thread's owner asked it to stop (raised inside the worker, caught by its
    loop)."""
