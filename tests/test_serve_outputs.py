"""``soundscape serve --icecast URL --hls DIR``: every channel goes on air too.

A real icecast2 on loopback (tests/icecast_helpers.py) and a real server process:
each scene gets its own pair of mounts under the URL's mount, its own HLS folder
(served at /hls/ by the server itself), and a channel on air never idles.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from icecast_helpers import ICECAST, IcecastServer
from stream_check import (
    decode,
    longest_silence,
    loudness,
    parse_media_playlist,
    read_http,
    wait_until,
)

from test_server_support import ServerProcess, tiny_scene

pytestmark = pytest.mark.skipif(ICECAST is None, reason="icecast2 is not installed")


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def test_serve_puts_every_channel_on_icecast_and_hls(tmp_path):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "tiny.toml").write_text(tiny_scene("tiny"))
    (scenes / "other.toml").write_text(tiny_scene("other", seed=2))
    hls = tmp_path / "hls"
    icecast = IcecastServer()
    icecast.start()
    srv = ServerProcess(scenes, tmp_path / "bank", "--icecast", icecast.url("/radio"),
                        "--icecast-formats", "opus", "--hls", str(hls),
                        "--hls-segment", "2s", "--idle-pause", "1")
    try:
        srv.wait_ready(["tiny", "other"])
        icecast.wait_mounts(["/radio/tiny.opus", "/radio/other.opus"], timeout=60)
        audio = decode(read_http(icecast.http + "/radio/tiny.opus", 6.0))
        assert audio.shape[0] == 2 and audio.shape[1] >= 48000 * 3  # 3 s at least
        assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0
        assert longest_silence(audio[:, 9600:]) < 4800  # continuous (no 100 ms gap)
        assert -40 < loudness(audio) < -10

        playlist = hls / "tiny" / "opus" / "index.m3u8"
        wait_until(lambda: playlist.exists()
              and len(parse_media_playlist(playlist.read_text())["segments"]) >= 2, 60,
              "no HLS segments:\n" + "".join(srv.log))
        status, ctype, body = _get(srv.http + "/hls/tiny/master.m3u8")
        assert status == 200 and ctype == "application/vnd.apple.mpegurl"
        assert 'CODECS="opus"' in body.decode()
        first = parse_media_playlist(playlist.read_text())["segments"][0][2]
        status, ctype, body = _get(srv.http + "/hls/tiny/opus/" + first)
        assert status == 200 and ctype == "video/iso.segment" and len(body) > 1000
        for bad in ("/hls/../tiny.toml", "/hls/tiny/master.txt", "/hls/tiny/%2e%2e/x.m3u8",
                    "/hls/nope/master.m3u8"):
            assert _get(srv.http + bad)[0] == 404, bad

        time.sleep(3)  # well past --idle-pause 1 with no websocket listener
        status_json = srv.get("/api/status")
        for channel in status_json["channels"]:
            assert channel["paused"] is False, channel
            assert channel["encoding"] == []  # no websocket listener: no websocket codec
    finally:
        assert srv.stop() == 0
        icecast.close()
    log = "".join(srv.log)
    assert "channel tiny: on air at" in log and "channel other: on air at" in log
    assert "Traceback" not in log


def test_serve_refuses_bad_output_flags(tmp_path):
    import subprocess
    import sys

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for args, message in [
        (["--icecast", "ftp://x/y"], "--icecast: 'ftp://x/y'"),
        (["--icecast-formats", "aac"], "--icecast-formats: 'aac'"),
        (["--hls", str(tmp_path), "--hls-segment", "9s"], "--hls-segment: '9s' is out of range"),
        (["--stem-bitrate", "1000"], "--stem-bitrate: 1000 is out of range 6000..510000"),
        (["--icecast-bitrate", "8000"], "--icecast-bitrate: 8000 is out of range 32000..320000"),
    ]:
        res = subprocess.run([sys.executable, "-m", "soundscape.cli", "serve", "--scenes",
                              str(scenes), *args], capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, res.stderr
        assert message in res.stderr and "Traceback" not in res.stderr
