"""Memory of long-running processes (the server, ``broadcast``): freed audio goes back.

Audio buffers are large (a 20 s stereo segment is 7.7 MB) and made and freed all
night by worker threads. glibc's allocator raises its mmap threshold each time such
a block is freed (up to 32 MB), after which new buffers come from the threads' heap
arenas, whose holes it rarely gives back: a server's RSS then climbs for the first
half hour to a high-water mark about half again over what it uses (a 7-minute soak
with hot reloads: 1.28 GB by default, 0.81-0.93 GB with the threshold fixed). A
fixed threshold keeps every buffer of 128 KiB or more in its own mapping, returned
to the system when freed. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD = 128 * 1024


def return_freed_audio() -> bool:
    """Fix glibc's mmap threshold (see the module docstring); True when it took."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; the allocator keeps its default")
    return done
