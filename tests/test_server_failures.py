"""Failure paths of the commands that bind a port, run as real processes.

- a taken port: ``python server.py``, ``soundscape serve`` and ``soundscape studio``
  exit non-zero with one line naming the port, no traceback, and never hang;
- SIGINT and SIGTERM stop every command cleanly (exit 0, no traceback) while it
  starts (its folder scan or its bind wedged), while a scene builds (the build
  wedged) and while it serves.

Every wait has a generous timeout and fails the test rather than hang it; nothing
here asserts how long anything took.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from child_process import CLI, ROOT, Child

from test_server_support import tiny_scene

EXIT_GUARD_S = 60  # a process that has not exited by then has hung: the test fails
SERVER = [str(ROOT / "server.py")]

# the scan never returns: the server is starting (its port bound, not yet serving)
WEDGED_SCAN = """\
import sys, threading
from soundscape.server import catalog

def scan(self):
    print("scan started", flush=True)
    threading.Event().wait()
catalog.Catalog.scan = scan
from soundscape.cli import main
sys.exit(main(sys.argv[1:]))
"""

# the bind never returns: the studio is starting
WEDGED_BIND = """\
import asyncio, sys
from soundscape.server import app

async def serve(*args, **kwargs):
    print("bind started", flush=True)
    await asyncio.Event().wait()
app.serve = serve
from soundscape.cli import main
sys.exit(main(sys.argv[1:]))
"""

# the scene's build never returns: the server serves, its channel is being built
WEDGED_BUILD = """\
import sys, threading
from soundscape.server import director

def build_channel(scene, bank):
    print("build started", flush=True)
    threading.Event().wait()
director.build_channel = build_channel
from soundscape.cli import main
sys.exit(main(sys.argv[1:]))
"""


def launch(argv: list[str], bank: Path) -> Child:
    return Child([sys.executable, *argv], env={"SOUNDSCAPE_BANK": str(bank)}, what="command")


def exit_code(proc: Child) -> int:
    """Its exit status; fails (and kills it) if it does not exit in EXIT_GUARD_S."""
    try:
        return proc.wait(EXIT_GUARD_S)
    except subprocess.TimeoutExpired:
        proc.proc.kill()
        proc.wait()
        pytest.fail(f"still running {EXIT_GUARD_S} s later (hung):\n" + proc.text)


def kill(proc: Child) -> None:
    if proc.proc.poll() is None:
        proc.proc.kill()
        proc.proc.wait()


@pytest.fixture
def scenes(tmp_path: Path) -> Path:
    folder = tmp_path / "scenes"
    folder.mkdir()
    (folder / "tiny.toml").write_text(tiny_scene())
    return folder


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def command(kind: str, scenes: Path, port: int, code: str | None = None) -> list[str]:
    """The argument list of ``kind`` (server.py, serve or studio) on ``port``; ``code``
    (one of the WEDGED_ scripts) runs the CLI with a step that never returns."""
    head = ["-c", code] if code else SERVER if kind == "server.py" else ["-c", CLI]
    if kind == "studio":
        return [*head, "studio", str(scenes), "--no-browser", "--port", str(port)]
    sub = [] if kind == "server.py" and code is None else ["serve"]
    return [*head, *sub, "--host", "127.0.0.1", "--port", str(port), "--scenes", str(scenes)]


@pytest.mark.parametrize("kind", ["server.py", "serve", "studio"])
def test_a_taken_port_is_one_line_naming_it_and_a_failing_exit(kind, scenes, taken_port,
                                                               tmp_path):
    proc = launch(command(kind, scenes, taken_port), tmp_path / "bank")
    try:
        code = exit_code(proc)
    finally:
        kill(proc)
    lines = [line for line in proc.log if line.strip()]
    assert code == 2, proc.text
    assert len(lines) == 1, proc.text
    assert f"127.0.0.1:{taken_port}" in lines[0] and "already in use" in lines[0], lines
    assert lines[0].startswith("soundscape: error: --port:"), lines


SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]
# state: (command, the step wedged or None, the lines that show the state,
#         a line that must not come: the command was stopped before it)
STATES = {
    "serve-starting": ("serve", WEDGED_SCAN, ["scan started"], "serving http"),
    "serve-building": ("serve", WEDGED_BUILD,
                       [r"serving http://127\.0\.0\.1:\d+/", "build started"], None),
    "serve-serving": ("serve", None, ["channel tiny: on air"], None),
    "server.py-serving": ("server.py", None, ["channel tiny: on air"], None),
    "studio-starting": ("studio", WEDGED_BIND, ["bind started"], "studio: http"),
    "studio-serving": ("studio", None, [r"^studio: http://127\.0\.0\.1:\d+/studio"], None),
}


@pytest.mark.parametrize("sig", SIGNALS)
@pytest.mark.parametrize("state", list(STATES))
def test_a_signal_stops_the_command_cleanly_in_every_state(state, sig, scenes, tmp_path):
    kind, code, shown_by, never = STATES[state]
    proc = launch(command(kind, scenes, 0, code), tmp_path / "bank")
    try:
        for pattern in shown_by:
            proc.wait_for_line(pattern, timeout=240)
        proc.proc.send_signal(sig)
        assert exit_code(proc) == 0, proc.text
        assert "Traceback" not in proc.text, proc.text
        assert "shutting down" in proc.text, proc.text
        if never is not None:
            assert never not in proc.text  # it was stopped before that
        if state.endswith("serving"):
            assert "server stopped" in proc.text, proc.text
    finally:
        kill(proc)
