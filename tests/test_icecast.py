"""Icecast output: the source protocol's text (no sockets), then a real icecast2.

The live test starts icecast2 on loopback as its own user (tests/icecast_helpers.py),
runs ``soundscape broadcast`` into it, reads 10 s from the Opus mount with a plain
HTTP client, decodes it and compares it with an offline render of the same scene and
seed; then kills and restarts icecast2 and waits for the source to come back. A
wrong password and a busy mount give clear messages. Skipped without icecast2.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from icecast_helpers import ICECAST, IcecastServer
from stream_check import (
    RATE,
    Broadcast,
    decode,
    find_lag,
    longest_silence,
    loudness,
    read_http,
    reference,
    window_correlations,
)

from soundscape.errors import UsageError
from soundscape.outputs.encode import CODECS
from soundscape.outputs.icecast import (
    IcecastTarget,
    Reply,
    backoff,
    parse_icecast_url,
    parse_reply,
    source_request,
)
from test_server_support import tiny_scene

needs_icecast = pytest.mark.skipif(ICECAST is None, reason="icecast2 is not installed")


# -- the protocol, without sockets ---------------------------------------------------
@pytest.mark.parametrize("url, mount", [
    ("icecast://source:pw@example.org:8010/rain.opus", "/rain"),
    ("http://source:pw@example.org:8010/rain", "/rain"),
    ("icecast://source:pw@example.org:8010/live/rain.mp3", "/live/rain"),
    ("icecast://source:pw@example.org:8010/", ""),
])
def test_url_forms(url, mount):
    target = parse_icecast_url(url)
    assert (target.host, target.port, target.user, target.password, target.mount) == \
        ("example.org", 8010, "source", "pw", mount)
    assert target.for_scene("brook").mount == (mount or "/brook")
    assert target.for_scene("brook").url("mp3") == \
        f"http://example.org:8010{mount or '/brook'}.mp3"


def test_url_defaults_and_escapes():
    target = parse_icecast_url("icecast://:p%40ss%3Aword@[::1]/x")
    assert (target.host, target.port, target.user, target.password) == \
        ("::1", 8000, "source", "p@ss:word")


@pytest.mark.parametrize("url, words", [
    ("rtmp://source:pw@host/x", "not rtmp"),
    ("icecast://host:8000/x", "no source password"),
    ("icecast://source:pw@:8000/x", "no host"),
    ("icecast://source:pw@host:99999/x", "invalid port"),
    ("icecast://source:pw@host/x?y=1", "query"),
    ("icecast://source:pw@host/a b", "letters, digits"),
])
def test_bad_urls_are_named(url, words):
    with pytest.raises(UsageError) as err:
        parse_icecast_url(url)
    assert "--icecast" in str(err.value) and repr(url) in str(err.value)
    assert words in str(err.value)


def test_source_request_is_a_plain_put_with_ice_headers():
    target = IcecastTarget("127.0.0.1", 8000, "source", "hackme", "/rain")
    text = source_request(target, CODECS["opus"], "Rain\r\nX-Evil: 1", "soft rain",
                          128000).decode()
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines[0] == "PUT /rain.opus HTTP/1.1" and body == ""
    assert "Authorization: Basic c291cmNlOmhhY2ttZQ==" in lines  # source:hackme
    assert "Content-Type: audio/ogg" in lines and "Ice-Public: 0" in lines
    assert "Ice-Name: Rain X-Evil: 1" in lines  # a title cannot inject a header
    assert "Ice-Description: soft rain" in lines and "Expect: 100-continue" in lines
    assert not any(line.lower().startswith("transfer-encoding") for line in lines)
    mp3 = source_request(target, CODECS["mp3"], "Rain", "", 128000).decode()
    assert mp3.startswith("PUT /rain.mp3 HTTP/1.1") and "Content-Type: audio/mpeg" in mp3


@pytest.mark.parametrize("head, reply", [
    (b"HTTP/1.1 100 Continue\r\n\r\n", Reply.OK),
    (b"HTTP/1.0 200 OK\r\n\r\n", Reply.OK),
    (b"HTTP/1.0 401 Authentication Required\r\nContent-Type: text/html\r\n\r\n",
     Reply.BAD_PASSWORD),
    (b"HTTP/1.0 403 Forbidden\r\n\r\n<b>Mountpoint in use</b>", Reply.MOUNT_IN_USE),
    (b"HTTP/1.0 403 Forbidden\r\n\r\nContent-type not supported", Reply.REFUSED),
    (b"SSH-2.0-OpenSSH\r\n", Reply.REFUSED),
])
def test_replies(head, reply):
    assert parse_reply(head)[0] is reply


def test_backoff_doubles_to_thirty_seconds():
    assert [backoff(i) for i in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


# -- a real icecast2 -----------------------------------------------------------------
@pytest.fixture
def icecast():
    server = IcecastServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@needs_icecast
def test_broadcast_to_icecast_plays_the_scene_and_survives_a_restart(icecast, tmp_path, bank):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    cast = Broadcast(str(scene), "--seed", "7", "--icecast", icecast.url("/tiny"))
    try:
        cast.wait_for("streaming to http://127.0.0.1", 90)
        icecast.wait_mounts(["/tiny.mp3", "/tiny.opus"])
        data = read_http(f"{icecast.http}/tiny.opus", 11.0)
        mp3 = read_http(f"{icecast.http}/tiny.mp3", 3.0)

        audio = decode(data)
        assert audio.shape[1] >= 10 * RATE, audio.shape  # burst + 11 s of live audio
        ref = reference(scene, 60 + audio.shape[1] / RATE, seed=7)
        assert abs(loudness(audio) - loudness(ref)) < 1.0  # the scene's -23 LUFS target
        assert abs(loudness(audio) + 23) < 1.5
        assert longest_silence(audio[:, RATE // 10:]) < RATE // 100  # no gap of 10 ms
        # one lag for the whole read: no block dropped, repeated or out of order
        lag = find_lag(audio, ref)
        corr = window_correlations(audio, ref, lag)
        assert len(corr) >= 40 and corr.min() > 0.6, corr.round(2)
        # and the check can fail: one block (100 ms) off, the match is lost
        assert np.median(window_correlations(audio, ref, lag + 4800)) < 0.4
        assert decode(mp3, "mp3").shape[1] > RATE  # MP3 at 48 kHz for old players

        # a second source for the same mount is told the mount is busy
        other = Broadcast(str(scene), "--icecast-formats", "opus", "--duration", "3s",
                          "--icecast", icecast.url("/tiny"))
        assert other.proc.wait(60) == 3  # it never delivered audio (broadcast.py)
        assert "mount /tiny.opus is in use by another source; retrying in 1 s" in other.text

        # icecast restarts: the source reconnects within its backoff (1, 2, 4 ... s)
        icecast.stop()
        cast.wait_for("connection lost", 30)
        icecast.start()
        icecast.wait_mounts(["/tiny.mp3", "/tiny.opus"], timeout=60)
        again = decode(read_http(f"{icecast.http}/tiny.opus", 2.0))
        assert again.shape[1] > RATE and loudness(again) > -30
        assert "(reconnected)" in cast.text
        assert cast.proc.poll() is None
    finally:
        code = cast.stop()
    assert code == 0, cast.text
    assert "s of audio" in cast.text


@needs_icecast
def test_wrong_password_is_a_clear_error(icecast, tmp_path, bank):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    cast = Broadcast(str(scene), "--icecast", icecast.url("/tiny", password="wrong"))
    try:
        code = cast.proc.wait(90)
    finally:
        cast.stop()
    assert code == 2, cast.text
    text = cast.text
    assert (f"icecast opus 127.0.0.1:{icecast.port}/tiny.opus: wrong source password for "
            f"127.0.0.1:{icecast.port}") in text
    assert f"icecast mp3 127.0.0.1:{icecast.port}/tiny.mp3: wrong source password" in text
    assert "soundscape: error: every output failed" in text
    assert "Traceback" not in text and "retrying" not in text


def test_no_output_is_a_usage_error(tmp_path):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    cast = Broadcast(str(scene))
    assert cast.proc.wait(60) == 2
    time.sleep(0.2)
    assert "give at least one output: --icecast URL and/or --hls DIR" in cast.text


def test_unreachable_icecast_is_retried_with_backoff(tmp_path, bank):
    from icecast_helpers import free_port

    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    port = free_port()  # nobody listens there
    cast = Broadcast(str(scene), "--icecast-formats", "opus", "--duration", "4s",
                     "--icecast", f"icecast://source:x@127.0.0.1:{port}/t")
    assert cast.proc.wait(90) == 3  # nothing delivered (tests/test_broadcast_failures.py)
    time.sleep(0.2)
    assert (f"icecast opus 127.0.0.1:{port}/t.opus: cannot connect to 127.0.0.1:{port} "
            "(Connection refused); retrying in 1 s") in cast.text
    assert "retrying in 2 s" in cast.text
