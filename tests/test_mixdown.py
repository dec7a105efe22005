"""Personal-mix downloads (soundscape/mixdown.py): exact lengths, per-layer gains,
parameter errors, and the job table (one render per client, progress, cancel, expiry)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest
import soundfile as sf

from soundscape.mixdown import (
    DownloadError,
    Downloads,
    MixRequest,
    check_layers,
    parse_mix_query,
    render_mix,
)
from soundscape.scene import Scene, load_scene
from test_server_support import tiny_scene

RATE = 48000


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    path = tmp_path / "tiny.toml"
    path.write_text(tiny_scene())
    return load_scene(path)


def _rms_db(path: Path) -> float:
    data, rate = sf.read(str(path), dtype="float64")
    assert rate == RATE
    return 10 * np.log10(max(float(np.mean(data**2)), 1e-30))


@pytest.mark.parametrize("duration, frames", [("2.5s", 120000), ("1.23456", 59259),
                                              ("1s", 48000)])
def test_length_is_exact_to_the_sample(tmp_path, scene, bank, duration, frames):
    request = parse_mix_query({"scene": "tiny", "duration": duration, "format": "flac"})
    seen: list[tuple[int, int]] = []
    out = tmp_path / request.filename()
    written = render_mix(scene, request, out, bank, lambda d, t: seen.append((d, t)))
    assert written == frames
    assert sf.info(str(out)).frames == frames
    assert seen[-1] == (frames, frames) and all(t == frames for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not list(tmp_path.glob(".*partial"))


def test_gain_overrides_change_each_layer_by_the_asked_db(tmp_path, scene, bank):
    def render(name: str, **query: str) -> float:
        request = parse_mix_query({"scene": "tiny", "duration": "3s", **query})
        out = tmp_path / f"{name}.wav"
        render_mix(scene, request, out, bank)
        return _rms_db(out)

    hiss = render("hiss0", mute="hum")
    hiss_down = render("hiss-9.5", mute="hum", gains="hiss:-9.5")
    hum = render("hum0", mute="hiss")
    hum_up = render("hum+4", mute="hiss", gains="hum:4,hiss:3")
    both = render("both")
    half = render("half", volume="0.5")
    silent = render("silent", mute="hiss,hum")
    assert hiss_down - hiss == pytest.approx(-9.5, abs=0.5)
    assert hum_up - hum == pytest.approx(4.0, abs=0.5)
    assert half - both == pytest.approx(20 * np.log10(0.5), abs=0.5)
    assert abs(hum - hiss) > 1  # each render really was one layer alone
    assert silent < -120


def test_same_request_same_samples(tmp_path, scene, bank):
    request = parse_mix_query({"scene": "tiny", "duration": "2s", "gains": "hiss:-3"})
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    render_mix(scene, request, a, bank)
    render_mix(scene, request, b, bank)
    assert np.array_equal(sf.read(str(a))[0], sf.read(str(b))[0])


@pytest.mark.parametrize("query, message", [
    ({"duration": "1h"}, "scene: missing"),
    ({"scene": "tiny"}, "duration: missing"),
    ({"scene": "tiny", "duration": "soon"}, "duration: 'soon'"),
    ({"scene": "tiny", "duration": "11h"}, "duration: '11h' is out of range 1 s..10 h for opus"),
    ({"scene": "tiny", "duration": "3h", "format": "flac"}, "duration: '3h' is out of range"),
    ({"scene": "tiny", "duration": "0.5s"}, "duration: '0.5s' is out of range"),
    ({"scene": "tiny", "duration": "1h", "format": "wav"}, "format: 'wav' is not one of"),
    ({"scene": "tiny", "duration": "1h", "gains": "hiss:99"},
     "gains (hiss): '99' is out of range -80..12"),
    ({"scene": "tiny", "duration": "1h", "gains": "hiss:nan"}, "gains (hiss): 'nan' is out of"),
    ({"scene": "tiny", "duration": "1h", "gains": "hiss"}, "gains: 'hiss' is not LAYER:DB"),
    ({"scene": "tiny", "duration": "1h", "gains": "hiss:loud"}, "gains (hiss): 'loud' is not a"),
    ({"scene": "tiny", "duration": "1h", "volume": "2"}, "volume: '2' is out of range 0..1"),
    ({"scene": "tiny", "duration": "1h", "volume": "1e999"}, "volume: '1e999' is out of range"),
    ({"scene": "tiny", "duration": "1h", "seed": "-1"}, "seed: '-1' is not an integer"),
    ({"scene": "tiny", "duration": "1h", "seed": "4294967296"}, "seed: '4294967296'"),
    ({"scene": "tiny", "duration": "1h", "mute": ",".join(["a"] * 65)}, "mute: 65 layers"),
    ({"scene": "tiny", "duration": "x" * 5000}, "duration: longer than 4096 characters"),
])
def test_bad_parameters_name_the_parameter_and_value(query, message):
    with pytest.raises(DownloadError) as info:
        parse_mix_query(query)
    assert message in str(info.value)
    assert info.value.status == 400 and info.value.code == "bad_value"


def test_unknown_layer_is_named(scene):
    request = parse_mix_query({"scene": "tiny", "duration": "1m", "gains": "rain:-3"})
    with pytest.raises(DownloadError, match=r"gains: no layer named 'rain' in scene 'tiny' "
                                            r"\(layers: hiss, hum\)"):
        check_layers(request, scene)
    request = parse_mix_query({"scene": "tiny", "duration": "1m", "mute": "thunder"})
    with pytest.raises(DownloadError, match="mute: no layer named 'thunder'"):
        check_layers(request, scene)


def test_query_round_trip_with_awkward_layer_names():
    request = MixRequest("tiny", 5400.0, "mp3", {"a:b,c": -6.5, "wind": 3.0},
                         frozenset({"x y", "50%"}), 0.25, 7)
    query = {k: v[0] for k, v in parse_qs(request.query()).items()}
    assert parse_mix_query(query) == request
    assert request.filename() == "tiny-90m.mp3"
    assert MixRequest("../x", 3600).filename() == "_x-1h.opus"


# ---- the job table: real render processes -------------------------------------------

def _wait_state(downloads: Downloads, job_id: str, client: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = downloads.status(job_id, client)
        if status["state"] != "rendering":
            return status
        time.sleep(0.1)
    raise TimeoutError(f"download {job_id} still rendering: {status}")


def test_download_job_renders_reports_and_expires(tmp_path, scene, bank):
    now = [1000.0]
    downloads = Downloads(tmp_path / "cache", {"tiny": scene}.get, bank.root,
                          keep_s=60, clock=lambda: now[0])
    try:
        status = downloads.start("10.0.0.1", {"scene": "tiny", "duration": "3s",
                                              "format": "flac", "gains": "hiss:-6"})
        assert status["state"] == "rendering" and status["total_frames"] == 3 * RATE
        assert status["filename"] == "tiny-3s.flac"
        with pytest.raises(DownloadError) as info:  # somebody else's id
            downloads.status(status["id"], "10.0.0.2")
        assert info.value.status == 404
        done = _wait_state(downloads, status["id"], "10.0.0.1")
        assert done["state"] == "done" and done["progress"] == 1.0, done
        path, name, ctype = downloads.file(status["id"], "10.0.0.1")
        assert name == "tiny-3s.flac" and ctype == "audio/flac"
        assert sf.info(str(path)).frames == 3 * RATE
        assert done["bytes"] == path.stat().st_size
        # finished files are kept keep_s, then removed with their job
        now[0] += 61
        downloads.sweep()
        assert not path.exists() and not list((tmp_path / "cache").iterdir())
        with pytest.raises(DownloadError, match="id: no download"):
            downloads.status(status["id"], "10.0.0.1")
    finally:
        downloads.close()


def test_one_render_per_client_limits_and_cancel(tmp_path, scene, bank):
    downloads = Downloads(tmp_path / "cache", {"tiny": scene}.get, bank.root, max_jobs=1)
    try:
        with pytest.raises(DownloadError) as info:
            downloads.start("a", {"scene": "rainy", "duration": "1h"})
        assert (info.value.status, info.value.code) == (404, "unknown_scene")
        with pytest.raises(DownloadError) as info:
            downloads.start("a", {"scene": "tiny", "duration": "1h", "gains": "rain:1"})
        assert info.value.code == "unknown_layer"
        long = downloads.start("a", {"scene": "tiny", "duration": "10h", "format": "opus"})
        with pytest.raises(DownloadError) as info:
            downloads.start("a", {"scene": "tiny", "duration": "1m"})
        assert (info.value.status, info.value.code) == (409, "busy")
        with pytest.raises(DownloadError) as info:
            downloads.start("b", {"scene": "tiny", "duration": "1m"})
        assert (info.value.status, info.value.code) == (503, "download_limit")
        with pytest.raises(DownloadError) as info:
            downloads.file(long["id"], "a")
        assert info.value.code == "not_ready"
        deadline = time.monotonic() + 60  # progress moves while it renders
        while downloads.status(long["id"], "a")["done_frames"] == 0:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.1)
        cancelled = downloads.cancel(long["id"], "a")
        assert cancelled["state"] == "cancelled"
        # frames, not "progress": one block of 10 h rounds to a progress of 0.0
        assert 0 < cancelled["done_frames"] < cancelled["total_frames"]
        assert not list((tmp_path / "cache").iterdir())  # its partial file is gone too
        again = downloads.start("b", {"scene": "tiny", "duration": "1s"})
        assert _wait_state(downloads, again["id"], "b")["state"] == "done"
    finally:
        downloads.close()
    assert not list((tmp_path / "cache").iterdir())


def test_stale_job_folders_are_removed_at_start(tmp_path, scene):
    cache = tmp_path / "cache"
    (cache / "dl-0123456789abcdef").mkdir(parents=True)
    (cache / "keep-me").mkdir()
    Downloads(cache, {"tiny": scene}.get).close()
    assert sorted(p.name for p in cache.iterdir()) == ["keep-me"]
