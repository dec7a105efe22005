"""The allocator setting of long-running processes (soundscape/memory.py)."""

import platform

import pytest

from soundscape.memory import return_freed_audio


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_glibc_takes_the_fixed_mmap_threshold() -> None:
    assert return_freed_audio() is True
