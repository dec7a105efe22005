"""``soundscape broadcast`` when outputs fail and when it is stopped by a signal.

Real runs of the command as a subprocess: an Icecast URL on a closed loopback port
(nothing ever delivered: exit 3, each output named), the same next to an HLS folder
(partial success: exit 0, the dead output still named), and SIGINT / SIGTERM in each
state (preparing layers, connecting to an Icecast server that never answers,
streaming): a clean stop, the documented exit status, never a traceback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from icecast_helpers import free_port

from test_server_support import tiny_scene

ROOT = Path(__file__).resolve().parent.parent
WAIT = 120  # generous: the machine may be busy; no test asserts a duration

# a scene whose layers take seconds to prepare in an empty bank (60 s segments of two
# rich recipes): time to signal it while it prepares
SLOW_SCENE = """\
title = "Slow"
[master]
segment_seconds = "60s"
fade_in = "0s"
seed = 3
[[layers]]
name = "birds"
type = "bed"
recipe = "birds"
variants = 4
crossfade = "2s"
[[layers]]
name = "crickets"
type = "bed"
recipe = "crickets"
variants = 4
crossfade = "2s"
"""


class Run:
    """``soundscape broadcast ARGS`` with its stderr collected line by line."""

    def __init__(self, bank: Path, *args: str):
        env = dict(os.environ, SOUNDSCAPE_BANK=str(bank), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "soundscape.cli", "broadcast", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.chunks: list[str] = []
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        while chunk := self.proc.stderr.read(1):
            self.chunks.append(chunk)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def wait_for(self, needle: str) -> None:
        deadline = time.monotonic() + WAIT
        while needle not in self.text:
            if self.proc.poll() is not None:
                self._drain.join(5)
                if needle in self.text:
                    return
                raise AssertionError(f"broadcast exited ({self.proc.returncode}) before "
                                     f"{needle!r}:\n{self.text}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {needle!r} in:\n{self.text}")
            time.sleep(0.05)

    def finish(self, sig: int | None = None) -> tuple[int, str]:
        """Send ``sig`` (if any), wait for the exit; (status, stderr)."""
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"broadcast did not stop:\n{self.text}") from None
        self._drain.join(10)
        return code, self.text


@pytest.fixture
def scene(tmp_path: Path, bank) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    return path


def closed_url() -> tuple[str, str]:
    """An Icecast URL on a loopback port nobody listens on, and its host:port."""
    port = free_port()
    return f"icecast://source:pw@127.0.0.1:{port}/tiny", f"127.0.0.1:{port}"


def test_an_unreachable_icecast_for_the_whole_run_exits_3_naming_each_mount(scene, bank):
    url, where = closed_url()
    code, err = Run(bank.root, str(scene), "--quiet", "--icecast", url, "-d", "3s").finish()
    assert code == 3, err
    lines = err.splitlines()
    for mount in ("opus", "mp3"):
        dead = [line for line in lines if line.startswith(
            f"soundscape: broadcast tiny: icecast {mount} {where}/tiny.{mount} never "
            "delivered audio")]
        assert len(dead) == 1, err
        assert f"(last: cannot connect to {where} (Connection refused)" in dead[0]
    assert lines[-1] == "soundscape: broadcast tiny: no output delivered any audio"
    assert "broadcast tiny: 3.0 s of audio" in lines
    assert "Traceback" not in err


def test_one_dead_output_of_two_exits_0_and_is_still_named(scene, bank, tmp_path):
    url, where = closed_url()
    code, err = Run(bank.root, str(scene), "--quiet", "--icecast", url,
                    "--icecast-formats", "opus", "--hls", str(tmp_path / "hls"),
                    "--hls-segment", "2s", "-d", "3s").finish()
    assert code == 0, err
    dead = [line for line in err.splitlines() if "never delivered audio" in line]
    assert len(dead) == 1 and f"icecast opus {where}/tiny.opus" in dead[0], err
    assert "no output delivered" not in err and "Traceback" not in err
    assert (tmp_path / "hls" / "tiny" / "master.m3u8").is_file()
    assert list((tmp_path / "hls" / "tiny" / "aac").glob("seg*.m4s"))


EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_streaming_stops_cleanly_with_status_0(scene, bank, tmp_path, sig):
    cast = Run(bank.root, str(scene), "--quiet", "--hls", str(tmp_path / "hls"),
               "--hls-segment", "2s")
    cast.wait_for("writing ")  # the first segments are out: it is streaming
    code, err = cast.finish(sig)
    assert code == 0, err
    name = signal.Signals(sig).name
    assert any(line.startswith("broadcast tiny: ") and line.endswith(f"(stopped by {name})")
               for line in err.splitlines()), err
    assert "never delivered" not in err and "Traceback" not in err
    playlist = (tmp_path / "hls" / "tiny" / "aac" / "index.m3u8").read_text()
    assert "#EXT-X-ENDLIST" in playlist  # flushed and closed, not cut off


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_connecting_stops_cleanly_and_names_the_output(scene, bank, sig):
    """An Icecast server that accepts the connection and never answers: the output
    waits for its reply when the signal comes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        server.settimeout(WAIT)
        port = server.getsockname()[1]
        cast = Run(bank.root, str(scene), "--quiet", "--icecast-formats", "opus",
                   "--icecast", f"icecast://source:pw@127.0.0.1:{port}/tiny")
        conn, _ = server.accept()  # the output is connected and waits for a reply
        with conn:
            assert conn.recv(4096).startswith(b"PUT /tiny.opus HTTP/1.1")
            code, err = cast.finish(sig)
    assert code == 3, err
    name = signal.Signals(sig).name
    assert f"(stopped by {name})" in err
    assert f"soundscape: broadcast tiny: icecast opus 127.0.0.1:{port}/tiny.opus never " \
           "delivered audio" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_preparing_stops_at_once_with_128_plus_the_signal(tmp_path, sig):
    scene = tmp_path / "slow.toml"
    scene.write_text(SLOW_SCENE)
    cast = Run(tmp_path / "empty-bank", str(scene), "--hls", str(tmp_path / "hls"))
    cast.wait_for("preparing")  # the progress line: building the first layer
    code, err = cast.finish(sig)
    name = signal.Signals(sig).name
    assert code == EXIT[sig], err
    assert err.rstrip().endswith(
        f"soundscape: broadcast slow: stopped by {name} while preparing layers; "
        "nothing was sent"), err
    assert "Traceback" not in err
