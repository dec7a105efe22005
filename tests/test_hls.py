"""HLS output: playlists and segments in-process (exact), then a live broadcast read
through a plain static web server for 20 s, decoded and matched to an offline render.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import lfilter
from stream_check import (
    RATE,
    Broadcast,
    StaticServer,
    decode,
    find_lag,
    longest_silence,
    loudness,
    parse_media_playlist,
    reference,
    window_correlations,
)

from soundscape.errors import RenderError
from soundscape.outputs.hls import RENDITIONS, HlsOutput, master_playlist, prepare_folder
from test_server_support import tiny_scene


def test_master_playlist_names_both_codecs():
    text = master_playlist([RENDITIONS["aac"], RENDITIONS["opus"]])
    assert text.splitlines() == [
        "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=140800,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"',
        "aac/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=105600,AVERAGE-BANDWIDTH=96000,CODECS="opus"',
        "opus/index.m3u8",
    ]


def test_prepare_folder_clears_an_earlier_run_only(tmp_path):
    old = tmp_path / "rain" / "opus"
    old.mkdir(parents=True)
    for name in ("seg12.m4s", "init.mp4", "index.m3u8", "seg13.m4s.tmp", "notes.txt"):
        (old / name).write_text("x")
    (tmp_path / "rain" / "master.m3u8").write_text("#EXTM3U\nopus/index.m3u8\n")
    prepare_folder(tmp_path / "rain", [RENDITIONS["opus"]])
    assert sorted(p.name for p in old.iterdir()) == ["notes.txt"]
    # no master playlist until every rendition has one (a player would get 404s)
    assert sorted(p.name for p in (tmp_path / "rain").iterdir()) == ["opus"]


def test_unwritable_folder_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RenderError) as err:
        HlsOutput(tmp_path / "file" / "rain")
    assert str(err.value).startswith(f"--hls: cannot write to {tmp_path / 'file' / 'rain'}: ")


def test_segments_are_whole_frames_rolling_and_lossless_in_time(tmp_path):
    """30 s pushed as fast as possible: 2 s segments, the newest 6 listed, older ones
    deleted, every sample accounted for, and the decoded audio is the input."""
    rng = np.random.default_rng(5)
    total = 30 * RATE
    # noise below ~1 kHz: what a perceptual codec keeps close to the waveform
    audio = lfilter([0.1], [1, -0.9], rng.standard_normal((2, total)) * 0.1).astype(np.float32)
    out = HlsOutput(tmp_path / "noise", segment_seconds=2.0, list_size=6)
    out.start()
    for i in range(0, total, 4800):
        while not out.push(audio[:, i:i + 4800]):
            time.sleep(0.01)  # the queue is full: this test waits, a station drops
    out.close(60)
    assert not out.failed and out.frames_in == total
    for name, frame in (("aac", 1024), ("opus", 960)):
        folder = tmp_path / "noise" / name
        playlist = parse_media_playlist((folder / "index.m3u8").read_text())
        assert playlist["ended"] and playlist["target"] == 2 and playlist["map"] == "init.mp4"
        segments = playlist["segments"]
        assert len(segments) == 6
        assert [s[0] for s in segments] == list(range(segments[0][0], segments[0][0] + 6))
        on_disk = sorted(p.name for p in folder.glob("seg*.m4s"))
        assert len(on_disk) <= 7 and {s[2] for s in segments} <= set(on_disk)
        assert not list(folder.glob("*.tmp"))
        for _, seconds, uri in segments[:-1]:
            frames = round(seconds * RATE)
            assert frames % frame == 0 and 1.9 < seconds < 2.1, (name, seconds)
            assert decode((folder / "init.mp4").read_bytes() + (folder / uri).read_bytes()
                          ).shape[1] >= frames - frame
        # the listed segments, decoded in order, are the input at one lag
        data = (folder / "init.mp4").read_bytes() + b"".join(
            (folder / s[2]).read_bytes() for s in segments)
        decoded = decode(data)
        listed = round(sum(s[1] for s in segments) * RATE)
        assert abs(decoded.shape[1] - listed) <= 2 * frame, (decoded.shape, listed)
        lag = find_lag(decoded, audio)
        assert abs(total - (lag + decoded.shape[1])) <= 2 * frame  # the newest audio
        corr = window_correlations(decoded[:, frame:], audio, lag + frame)
        assert corr.min() > 0.9, (name, corr.round(2))
        assert np.median(window_correlations(decoded, audio, lag + 4800)) < 0.1


def test_live_hls_is_continuous_through_a_static_server(tmp_path, bank):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    root = tmp_path / "hls"
    cast = Broadcast(str(scene), "--seed", "7", "--hls", str(root), "--hls-segment", "2s")
    web = StaticServer(root)
    try:
        cast.wait_for("writing ", 90)
        master = web.get("/tiny/master.m3u8").decode()
        assert 'CODECS="mp4a.40.2"' in master and 'CODECS="opus"' in master
        fetched: dict[str, list[tuple[int, float, bytes]]] = {"aac": [], "opus": []}
        inits: dict[str, bytes] = {}
        most_on_disk = 0
        deadline = None
        while deadline is None or time.monotonic() < deadline:
            for name in fetched:
                try:
                    playlist = parse_media_playlist(web.get(f"/tiny/{name}/index.m3u8").decode())
                except OSError:
                    continue  # not written yet
                if not playlist["segments"]:
                    continue
                deadline = deadline or time.monotonic() + 20.0
                assert playlist["target"] == 2 and not playlist["ended"]
                if name not in inits:
                    inits[name] = web.get(f"/tiny/{name}/{playlist['map']}")
                have = fetched[name]
                for seq, seconds, uri in playlist["segments"]:
                    if have and seq <= have[-1][0]:
                        continue
                    if have:  # no sequence number skipped between two polls
                        assert seq == have[-1][0] + 1, (name, seq, have[-1][0])
                    have.append((seq, seconds, web.get(f"/tiny/{name}/{uri}")))
                most_on_disk = max(most_on_disk,
                                   len(list((root / "tiny" / name).glob("seg*.m4s"))))
            time.sleep(0.5)
    finally:
        web.close()
        code = cast.stop()
    assert code == 0, cast.text
    assert most_on_disk <= 8  # 6 listed + the one being written + FFmpeg's one spare
    ref = reference(scene, 40, seed=7)
    for name, frame in (("aac", 1024), ("opus", 960)):
        have = fetched[name]
        assert len(have) >= 9, (name, [h[:2] for h in have])
        decoded = decode(inits[name] + b"".join(h[2] for h in have))
        listed = round(sum(h[1] for h in have) * RATE)
        assert abs(decoded.shape[1] - listed) <= 2 * frame, (name, decoded.shape, listed)
        assert decoded.shape[1] >= 18 * RATE
        lag = find_lag(decoded, ref)
        assert -2 * frame <= lag <= 2 * frame  # segment 1 starts at the scene's frame 0
        corr = window_correlations(decoded[:, frame:], ref, lag + frame)
        assert corr.min() > 0.6, (name, corr.round(2))
        assert longest_silence(decoded[:, frame:]) < RATE // 100
        start = 2 * frame  # past the encoder's priming (lag >= -2 frames)
        assert abs(loudness(decoded[:, start:])
                   - loudness(ref[:, lag + start:lag + decoded.shape[1]])) < 1.0


def test_hls_segment_flag_is_checked(tmp_path):
    scene = tmp_path / "tiny.toml"
    scene.write_text(tiny_scene())
    cast = Broadcast(str(scene), "--hls", str(tmp_path / "h"), "--hls-segment", "10s")
    assert cast.proc.wait(60) == 2
    time.sleep(0.2)
    assert "--hls-segment: '10s' is out of range 2s..6s" in cast.text
    assert not Path(tmp_path / "h").exists()
