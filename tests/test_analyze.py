"""``soundscape analyze``: warnings, figures, JSON, the plot, determinism, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio_helpers import SMALL_SCENE
from soundscape.analyze import (
    DOMINANT_SHARE,
    _ClickScan,
    _EnvelopeScan,
    analyze,
    default_seconds,
    format_analysis,
    repetition,
    split_clicks,
)
from soundscape.report import INAUDIBLE_LU
from soundscape.scene import load_scene

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000

PHASED = SMALL_SCENE + """
[[phases]]
name = "calm"
duration = "25s"
ramp = "1s"
[[phases]]
name = "busy"
duration = "20s"
ramp = "1s"
layers.drops.rate_per_min = 80
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "soundscape.cli", *args],
                          capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def phased(tmp_path_factory: pytest.TempPathFactory, bank) -> tuple[Path, dict]:
    """PHASED analysed for 60 s (shared by the figure, JSON and plot tests)."""
    path = write(tmp_path_factory.mktemp("phased"), PHASED)
    return path, analyze(load_scene(path), 60.0, bank)


def layer(analysis: dict, name: str) -> dict:
    return next(e for e in analysis["layers"] if e["name"] == name)


def test_layer_40_db_under_is_inaudible_and_the_other_dominant(tmp_path: Path, bank) -> None:
    base = analyze(load_scene(write(tmp_path, SMALL_SCENE, "a.toml")), 60.0, bank)
    quiet_text = SMALL_SCENE.replace("gain_db = -6", "gain_db = -46")
    quiet = analyze(load_scene(write(tmp_path, quiet_text, "b.toml")), 60.0, bank)
    before, after = layer(base, "rumble")["below_mix_lu"], layer(quiet, "rumble")["below_mix_lu"]
    assert before < 15  # audible in the original scene
    # 40 dB of gain is 40 LU in the mix (the mix itself stays at the target)
    assert after - before == pytest.approx(40.0, abs=1.0)
    assert after > INAUDIBLE_LU
    line = next(w for w in quiet["warnings"] if "'rumble' is inaudible" in w)
    assert f"{after:.1f} LU below it" in line
    assert not any("inaudible" in w for w in base["warnings"])
    # with the rumble gone, the hiss carries nearly all the energy
    assert layer(quiet, "hiss")["share"] > DOMINANT_SHARE
    assert any(w.startswith("layer 'hiss' is dominant") for w in quiet["warnings"])
    assert not any("dominant" in w for w in base["warnings"])
    assert "warning: layer 'rumble' is inaudible" in format_analysis(quiet)


@pytest.mark.parametrize("rate, phases, why", [
    # an effectively-never rate: 0.001 per minute is 0.06 events an hour
    ("0.001", "", "rate_per_min 0.001"),
    # phases that zero it: the only phase takes the rate to 0 within 0.1 s
    ("2", '[[phases]]\nname = "hush"\nduration = "10m"\nramp = "0.1s"\n'
          "layers.drops.rate_per_min = 0\n", "phases' rate_per_min: hush 0"),
])
def test_event_layer_that_never_fires_is_flagged(tmp_path: Path, bank, rate: str,
                                                 phases: str, why: str) -> None:
    text = SMALL_SCENE.replace("rate_per_min = 40", f"rate_per_min = {rate}") + phases
    a = analyze(load_scene(write(tmp_path, text)), 60.0, bank)
    stats = layer(a, "drops")["event_stats"]
    assert stats["count"] == 0 and stats["expected_per_cycle"] < 1.0
    line = next(w for w in a["warnings"] if w.startswith("layer 'drops' never fires"))
    assert why in line and "expected events per" in line
    # the render report's vaguer line is replaced, not repeated
    assert not any("played no events" in w for w in a["warnings"])


def test_rare_layer_in_a_short_span_is_a_note_not_a_warning(tmp_path: Path, bank) -> None:
    text = SMALL_SCENE.replace("rate_per_min = 40", "rate_per_min = 0.05")
    a = analyze(load_scene(write(tmp_path, text)), 20.0, bank)
    assert layer(a, "drops")["event_stats"]["count"] == 0
    assert not any("drops" in w for w in a["warnings"])
    assert any(n.startswith("layer 'drops' had no event in these 20 s") for n in a["notes"])


def test_figures_events_and_phases(phased) -> None:
    path, a = phased
    assert a["seconds"] == 60.0 and a["scene"] == str(path)
    json.dumps(a, allow_nan=False)  # strict JSON: no NaN or Infinity anywhere
    mix = a["mix"]
    assert mix["integrated_lufs"] == pytest.approx(-23.0, abs=2.0)
    assert mix["vs_target_lu"] == pytest.approx(mix["integrated_lufs"] + 23.0, abs=0.01)
    assert mix["true_peak_dbtp"] <= -0.9  # the master's -1 dBTP limiter
    assert mix["true_peak_dbtp"] >= mix["sample_peak_dbfs"] - 0.01
    st = mix["short_term"]
    assert st["min"] <= st["p10"] <= st["median"] <= st["p90"] <= st["max"]
    assert 0.0 <= mix["lra_lu"] < 20.0
    # one short-term value per second from the end of the first 3 s window
    times = a["curves"]["times"]
    assert times[0] == 3.0 and times[-1] == 60.0 and len(times) == 58
    assert set(a["curves"]["layers"]) == {"hiss", "rumble", "drops"}
    assert all(len(v) == len(times) for v in a["curves"]["layers"].values())
    assert sum(e["share"] for e in a["layers"]) == pytest.approx(1.0, abs=1e-3)
    # events: the busy phase (25-45 s) brings 80 per minute, calm 40
    stats = layer(a, "drops")["event_stats"]
    onsets = a["events"]["drops"]
    assert stats["count"] == len(onsets) == layer(a, "drops")["events"] > 20
    assert onsets == sorted(onsets) and 0 <= onsets[0] and onsets[-1] < 60
    gaps = np.diff(onsets)
    assert stats["gap_min"] == pytest.approx(gaps.min(), abs=1e-3) and gaps.min() >= 0.5
    assert stats["gap_max"] == pytest.approx(gaps.max(), abs=1e-3)
    assert stats["gap_median"] == pytest.approx(np.median(gaps), abs=1e-3)
    assert stats["gaps_at_min_gap"] == 0.0  # min_gap is a rest, never a fixed beat
    assert stats["per_min"] == pytest.approx(stats["count"], abs=1e-3)
    # expected: 40/min for 25 s, ramping to 80 for 20 s, back towards 40 for 15 s
    assert 50 < stats["expected"] < 62
    assert abs(stats["count"] - stats["expected"]) < 4 * np.sqrt(stats["expected"])
    busy = sum(25 <= t < 45 for t in onsets) / 20
    calm = sum(t < 25 for t in onsets) / 25
    assert busy > calm
    assert [(p["time"], p["phase"]) for p in a["phases"]] == [
        (0.0, "calm"), (25.0, "busy"), (45.0, "calm")]
    assert a["clicks"]["count"] == 0 and a["clicks"]["per_min"] == 0
    r = a["repetition"]
    assert r["score"] is not None and 0 <= r["score"] <= 1
    assert r["second"] - r["first"] >= r["window_seconds"] + r["apart_seconds"] - 0.1


def test_repetition_of_each_bed_and_of_the_mix(phased) -> None:
    _, a = phased
    for name in ("hiss", "rumble"):
        r = layer(a, name)["repetition"]
        assert r["windows"] == 12 and r["window_seconds"] == 5.0 and r["threshold"] == 0.9
        assert r["repeating"] == len(r["repeats"]) <= 5
        assert r["share"] == pytest.approx(r["repeating"] / 12, abs=1e-4)
    assert "repetition" not in layer(a, "drops")  # events: not a bed
    assert a["repetition"]["waveform"]["windows"] == 12
    text = format_analysis(a)
    assert text.count(" 5 s windows (") == 3  # two beds and the mix
    assert "replay earlier output" in text


def test_a_bed_that_loops_gets_a_repetition_note(tmp_path: Path, bank, monkeypatch) -> None:
    # one 12 s variant, short crossfades: every play is a stretch of the same 12 s
    looping = SMALL_SCENE.replace("segment_seconds = 4", "segment_seconds = 12").replace(
        'variants = 3\ncrossfade = "1s"\nbreathing = { depth_db = 3, period = ["5s", "9s"] }',
        'variants = 1\ncrossfade = "0.5s"')
    scene = load_scene(write(tmp_path, looping))
    # the bed player never loops (fresh material, a new speed for every reuse) ...
    fresh = analyze(scene, 90.0, bank)
    assert layer(fresh, "hiss")["repetition"]["share"] == 0.0
    assert not any("repeats itself" in n for n in fresh["notes"])
    # ... so make it loop as it did before issue 14: one speed, no renewal
    import soundscape.graph.bed as bed
    import soundscape.graph.build as build

    monkeypatch.setattr(bed, "RATES", (1.0,))
    monkeypatch.setattr(build, "renewal", lambda scene, layer: None)
    a = analyze(scene, 90.0, bank)
    r = layer(a, "hiss")["repetition"]
    assert r["windows"] == 18
    assert r["share"] > 0.3
    assert 0.5 < r["smallest_lag"] < 90.0
    assert all(x["correlation"] >= 0.9 for x in r["repeats"])
    line = next(n for n in a["notes"] if n.startswith("layer 'hiss' repeats itself"))
    assert not any("repeats itself" in w for w in a["warnings"])  # a note, for now
    assert f"{100 * r['share']:.0f} % of its 5 s windows" in line


def test_same_seed_same_analysis_other_seed_other_events(tmp_path: Path, bank) -> None:
    scene = load_scene(write(tmp_path, SMALL_SCENE))
    one = analyze(scene, 30.0, bank, seed=11)
    two = analyze(scene, 30.0, bank, seed=11)
    assert json.dumps(one) == json.dumps(two)
    other = analyze(scene, 30.0, bank, seed=12)
    assert other["events"]["drops"] != one["events"]["drops"]
    assert other["seed"] == 12


def test_a_healthy_shipped_scene_has_no_warnings(bank) -> None:
    a = analyze(load_scene(ROOT / "scenes" / "brook.toml"), 60.0, bank)
    assert a["warnings"] == []
    assert a["mix"]["integrated_lufs"] == pytest.approx(-23.0, abs=2.0)
    assert all(e["below_mix_lu"] < INAUDIBLE_LU for e in a["layers"])


def test_default_duration_is_a_cycle_or_five_minutes_at_most_an_hour(tmp_path: Path) -> None:
    assert default_seconds(load_scene(write(tmp_path, SMALL_SCENE))) == 300.0
    assert default_seconds(load_scene(ROOT / "scenes" / "thunderstorm.toml")) == 1800.0
    long = PHASED.replace('duration = "20s"', 'duration = "2h"')
    assert default_seconds(load_scene(write(tmp_path, long, "long.toml"))) == 3600.0


def test_plot_figure_has_a_line_per_layer_phases_and_events(phased) -> None:
    from soundscape.analyzeplot import plot_analysis

    _, a = phased
    fig = plot_analysis(a)
    top, bottom = fig.axes[:2]
    labels = [line.get_label() for line in top.get_lines()]
    for name in ("hiss", "rumble", "drops", "mix", "drops events"):
        assert name in labels
    lines = {line.get_label(): line for line in top.get_lines()}
    x, y = lines["hiss"].get_data()
    assert len(x) == len(a["curves"]["times"])
    assert np.allclose(np.asarray(x) * 60, a["curves"]["times"])
    assert np.allclose(np.asarray(y, dtype=float), a["curves"]["layers"]["hiss"])
    ex, _ = lines["drops events"].get_data()
    assert np.allclose(np.asarray(ex) * 60, a["events"]["drops"])
    # one dotted vertical line per phase start on each axes
    for ax in (top, bottom):
        vlines = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert sorted(ln.get_xdata()[0] * 60 for ln in vlines) == [0.0, 25.0, 45.0]
    assert [t.get_text().strip() for t in top.texts] == ["calm", "busy", "calm"]
    assert fig._suptitle.get_text().startswith("s: loudness over time")
    assert "LUFS" in top.get_ylabel() and bottom.get_xlabel() == "time (minutes)"
    target = [ln for ln in bottom.get_lines() if ln.get_label().startswith("target")]
    assert target and target[0].get_ydata()[0] == -23.0


def test_cli_json_plot_and_exit_status(tmp_path: Path, bank) -> None:
    import matplotlib.image

    scene = write(tmp_path, SMALL_SCENE.replace("gain_db = -6", "gain_db = -46"))
    png, out = tmp_path / "a.png", tmp_path / "a.json"
    res = cli("analyze", str(scene), "-d", "30s", "--plot", str(png), "--json", str(out))
    assert res.returncode == 0, res.stderr  # warnings alone do not fail...
    assert "warning: layer 'rumble' is inaudible" in res.stdout
    assert "hiss" in res.stdout and "LRA" in res.stdout
    assert "analysing s" in res.stderr  # the progress bar
    a = json.loads(out.read_text())
    for key in ("scene", "seconds", "seed", "mix", "layers", "curves", "events", "phases",
                "clicks", "repetition", "warnings", "notes"):
        assert key in a
    assert a["seconds"] == 30.0
    assert set(a["mix"]) >= {"integrated_lufs", "target_lufs", "lra_lu", "short_term",
                             "true_peak_dbtp"}
    assert set(layer(a, "drops")["event_stats"]) >= {
        "count", "per_min", "expected_per_min", "gap_min", "gap_median", "gap_max",
        "gaps_at_min_gap"}
    assert layer(a, "rumble")["below_mix_lu"] > 35
    # the PNG itself: size, not blank, the layers' colours and the mix's black
    img = matplotlib.image.imread(str(png))
    assert img.shape[:2] == (700, 1200)
    rgb = img[..., :3]
    assert rgb.std() > 0.05
    for colour in ("#1f77b4", "#ff7f0e", "#2ca02c"):  # hiss, rumble, drops (tab10)
        want = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        assert np.sum(np.all(np.abs(rgb - want) < 0.04, axis=-1)) > 200, colour
    assert np.sum(np.all(rgb < 0.05, axis=-1)) > 2000  # black mix line, text, ticks
    # ...unless --strict; --json - prints JSON on stdout (and warnings on stderr)
    res = cli("analyze", str(scene), "-d", "30s", "--strict", "--json", "-", "-q")
    assert res.returncode == 1
    assert json.loads(res.stdout)["warnings"] == a["warnings"]
    assert "warning: layer 'rumble' is inaudible" in res.stderr
    assert "analysing" not in res.stderr


@pytest.mark.parametrize("args, expected", [
    (["missing.toml"], ["missing.toml", "file not found"]),
    (["{bad}"], ["bad.toml:29", 'layers[2] "drops".rate_per_min', "'often'"]),
    (["{good}", "-d", "ten"], ["--duration", "'ten'"]),
    (["{good}", "-d", "0s"], ["--duration", "'0s'", "too short"]),
    (["{good}", "-d", "2h"], ["--duration", "'2h'", "1h00m00s"]),
    (["{good}", "--plot", "/nonexistent-folder/a.png"], ["--plot", "/nonexistent-folder/a.png"]),
    (["{good}", "--plot", "{tmp}/folder.png"], ["--plot", "folder.png", "cannot write"]),
    (["{good}", "--plot", "a.jpg"], ["--plot", "'a.jpg'", ".png"]),
    (["{good}", "--json", "/nonexistent-folder/a.json"], ["--json", "/nonexistent-folder"]),
    (["{good}", "--seed", "-1"], ["--seed", "-1"]),
])
def test_bad_inputs_are_one_clear_error(tmp_path: Path, args: list[str],
                                        expected: list[str]) -> None:
    good = write(tmp_path, SMALL_SCENE, "good.toml")
    bad = write(tmp_path, SMALL_SCENE.replace("rate_per_min = 40", 'rate_per_min = "often"'),
                "bad.toml")
    (tmp_path / "folder.png").mkdir()
    argv = [a.format(good=good, bad=bad, tmp=tmp_path) for a in args]
    res = cli("analyze", *argv)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("soundscape: error: ")
    for text in expected:
        assert text in res.stderr
    assert not [p for p in tmp_path.glob("*.png") if p.is_file()] and res.stdout == ""


def test_click_scan_finds_a_step_across_block_boundaries() -> None:
    rng = np.random.default_rng(5)
    audio = (rng.standard_normal((2, 5 * RATE)) * 0.001).astype(np.float32)
    audio = np.cumsum(audio, axis=1) * 0.05  # a dark, smooth texture
    audio[:, int(2.0 * RATE) + 7 :] += 0.1  # a step 7 samples after a block boundary
    audio[:, int(3.5 * RATE) :] -= 0.1  # and one mid-block
    scan = _ClickScan(RATE)
    for i in range(5):
        scan.feed(audio[:, i * RATE : (i + 1) * RATE])
    assert len(scan.times) == 2
    assert scan.times[0] == pytest.approx(2.0 + 7 / RATE, abs=0.002)
    assert scan.times[1] == pytest.approx(3.5, abs=0.002)


def test_clicks_while_an_event_sounds_are_the_event_s() -> None:
    spans = [("thunder", 10.0, 18.5), ("drops", 30.0, 30.2)]
    seam, during = split_clicks([5.0, 10.0, 18.49, 18.5, 30.1, 40.0], spans)
    assert seam == [5.0, 18.5, 40.0]
    assert during == [{"time": 10.0, "layer": "thunder"}, {"time": 18.49, "layer": "thunder"},
                      {"time": 30.1, "layer": "drops"}]


def test_repetition_finds_a_replayed_stretch_and_not_fresh_noise() -> None:
    rng = np.random.default_rng(9)
    seconds = 60
    # noise whose level wanders at random every 100 ms (a texture with a pattern)
    n = seconds * RATE
    audio = rng.standard_normal((2, n)).astype(np.float32) * 0.05
    knots = rng.uniform(0.1, 1.0, size=n // 4800 + 2)
    audio *= np.interp(np.arange(n), np.arange(knots.size) * 4800, knots).astype(np.float32)
    fresh = _EnvelopeScan(RATE)
    for i in range(seconds):
        fresh.feed(audio[:, i * RATE : (i + 1) * RATE])
    clean = repetition(fresh.envelope())
    assert clean["score"] is not None and clean["score"] < 0.4
    # replay 14 s from 5 s at 38.037 s (not on the 100 ms frame grid)
    copy = audio.copy()
    src, dst = 5 * RATE, int(38.037 * RATE)
    copy[:, dst : dst + 14 * RATE] = audio[:, src : src + 14 * RATE]
    scan = _EnvelopeScan(RATE)
    for i in range(seconds):
        scan.feed(copy[:, i * RATE : (i + 1) * RATE])
    r = repetition(scan.envelope())
    assert r["score"] > 0.8
    assert r["first"] == 10.0  # the query window most inside the copied 5-19 s
    assert r["second"] - r["first"] == pytest.approx(33.037, abs=0.15)
    # too short for two windows 10 s apart
    assert repetition(scan.envelope()[:250])["score"] is None
