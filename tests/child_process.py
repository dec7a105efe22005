"""One child process for the tests: started, its output drained, waited on, stopped.

(No tests here.) ``Child`` owns the ``Popen``: a daemon thread is the only reader of
its output and the only writer of ``log`` (one line per item, appended under a
condition so ``wait_for_line`` wakes on each new line); ``stop()`` sends SIGTERM,
waits, and kills only if the process has not exited. ServerProcess, StudioProcess
(and stream_check.Broadcast) are this with the line that tells where they serve.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from soundscape.cli import main; sys.exit(main(sys.argv[1:]))"


class ChildExited(RuntimeError):
    """The child ended before the line a test waited for."""


class Child:
    """``argv`` as a subprocess in the repository root, ``PYTHONUNBUFFERED`` set.

    ``merge``: stdout and stderr together in ``log`` (a server's log); otherwise
    stdout is discarded and ``log`` holds stderr (a command's messages).
    """

    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None,
                 merge: bool = True, what: str = "process"):
        self.what = what
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
            stdout=subprocess.PIPE if merge else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE, text=True)
        self.log: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        out = self.proc.stdout if merge else self.proc.stderr
        assert out is not None
        threading.Thread(target=self._drain, args=(out,), daemon=True).start()

    @classmethod
    def cli(cls, *args: str, **kwargs) -> Child:
        """``soundscape ARGS`` (the CLI's ``main``) as a child."""
        return cls([sys.executable, "-c", CLI, *args], **kwargs)

    def _drain(self, out) -> None:
        for line in out:
            with self._changed:
                self.log.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return "".join(self.log)

    def wait_for_line(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """The first line of the output so far or to come that ``pattern`` matches
        (``re.search``). ChildExited if the output ends first (the child exited),
        TimeoutError after ``timeout`` s; both quote the output."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.log[seen:]:
                    if m := re.search(pattern, line):
                        return m
                seen = len(self.log)
                if self._ended:
                    code = self.proc.wait()
                    raise ChildExited(f"{self.what} exited ({code}) before a line matching "
                                      f"{pattern!r}:\n{self.text}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no line of the {self.what}'s output matches "
                                       f"{pattern!r} in {timeout:g} s:\n{self.text}")
                self._changed.wait(left)

    def wait_for_output_end(self, timeout: float = 5) -> None:
        """Until the drain thread has read the last line (after the child exited)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended, timeout)

    def wait(self, timeout: float = 60) -> int:
        """The exit code once the child has exited and its last line is in ``log``."""
        code = self.proc.wait(timeout)
        self.wait_for_output_end()
        return code

    def stop(self, timeout: float = 5) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` s; the exit code (negative: a signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.wait_for_output_end()
        return self.proc.returncode
