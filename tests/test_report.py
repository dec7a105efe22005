"""The render report (--report), its warnings, and the event cue sheet (--events)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from audio_helpers import SMALL_SCENE

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "soundscape.cli", *args],
                          capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())


PHASED = SMALL_SCENE + """
[[phases]]
name = "calm"
duration = "8s"
ramp = "1s"
[[phases]]
name = "busy"
duration = "7s"
ramp = "1s"
layers.drops.rate_per_min = 80
"""


def test_report_and_cue_sheet(tmp_path: Path, bank) -> None:
    scene = tmp_path / "s.toml"
    scene.write_text(PHASED)
    out, rep, cues = tmp_path / "o.flac", tmp_path / "r.json", tmp_path / "c.jsonl"
    res = cli("render", str(scene), "-d", "40s", "-o", str(out), "--report", str(rep),
              "--events", str(cues))
    assert res.returncode == 0, res.stderr
    report = json.loads(rep.read_text())
    assert report["ok"] is True and report["silent"] is False
    assert report["seconds"] == 40 and report["output"] == str(out)
    assert report["sample_peak_dbfs"] <= -1.0
    names = [e["name"] for e in report["layers"]]
    assert names == ["hiss", "rumble", "drops"]
    for e in report["layers"]:
        assert e["source"] == "procedural"
        assert e["lufs_in_mix"] is not None and e["below_mix_lu"] is not None
    assert report["layers"][0]["detail"] == "recipe 'noise' (color=pink)"
    # the terminal report names every layer and its source
    assert "hiss" in res.stderr and "recipe 'noise'" in res.stderr
    records = [json.loads(line) for line in cues.read_text().splitlines()]
    times = [r["time"] for r in records]
    assert times == sorted(times) and max(times) < 40.0
    events = [r for r in records if r["type"] == "event"]
    assert len(events) == report["layers"][2]["events"] > 5
    assert {r["layer"] for r in events} == {"drops"}
    for r in events:
        assert set(r) == {"time", "type", "layer", "variant", "seconds", "gain_db", "pan",
                          "distance"}
        assert r["variant"] >= 0 and -12 <= r["gain_db"] <= -3 and -1 <= r["pan"] <= 1
        assert 0 < r["seconds"] <= 20
    # a procedural layer makes every event afresh: the cue sheet never repeats one
    assert len({r["variant"] for r in events}) == len(events)
    phases = [(r["time"], r["phase"], r["cycle"]) for r in records if r["type"] == "phase"]
    assert phases == [(0.0, "calm", 0), (8.0, "busy", 0), (15.0, "calm", 1),
                      (23.0, "busy", 1), (30.0, "calm", 2), (38.0, "busy", 2)]
    # the cue sheet is the render's: the same seed gives the same events
    again = tmp_path / "c2.jsonl"
    res = cli("render", str(scene), "-d", "40s", "-o", str(tmp_path / "o2.wav"), "-q",
              "--events", str(again))
    assert res.returncode == 0, res.stderr
    assert again.read_text() == cues.read_text()


def test_inaudible_layer_is_named(tmp_path: Path, bank) -> None:
    scene = tmp_path / "s.toml"
    scene.write_text(SMALL_SCENE.replace("gain_db = -6", "gain_db = -60"))
    rep = tmp_path / "r.json"
    res = cli("render", str(scene), "-d", "20s", "-o", str(tmp_path / "o.wav"), "-q",
              "--report", str(rep))
    assert res.returncode == 0, res.stderr
    assert "layer 'rumble' is inaudible" in res.stderr  # printed even with -q
    report = json.loads(rep.read_text())
    [warning] = [w for w in report["warnings"] if "rumble" in w]
    assert "LU below it" in warning
    rumble = report["layers"][1]
    assert rumble["below_mix_lu"] > 25


def test_silent_render_is_not_a_success(tmp_path: Path, bank) -> None:
    scene = tmp_path / "s.toml"
    scene.write_text(PHASED.replace("rate_per_min = 40", "rate_per_min = 0"))
    out, rep = tmp_path / "o.wav", tmp_path / "r.json"
    res = cli("render", str(scene), "-d", "6s", "-o", str(out), "--only", "drops",
              "--report", str(rep))
    assert res.returncode == 3
    assert "layer 'drops' played no events" in res.stderr
    assert "the output is silent" in res.stderr
    assert "was written but is silent" in res.stderr
    assert "wrote " not in res.stderr
    report = json.loads(rep.read_text())
    assert report["ok"] is False and report["integrated_lufs"] is None
    assert sf.info(str(out)).frames == 6 * 48000  # what was asked for is still there


def test_report_to_missing_folder_fails_before_rendering(tmp_path: Path, bank) -> None:
    scene = tmp_path / "s.toml"
    scene.write_text(SMALL_SCENE)
    out = tmp_path / "o.wav"
    res = cli("render", str(scene), "-d", "2s", "-o", str(out),
              "--events", str(tmp_path / "nope" / "c.jsonl"))
    assert res.returncode == 2
    assert "--events" in res.stderr and "nope" in res.stderr
    assert not out.exists()
