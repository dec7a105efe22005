"""The guarded signal path: segment checks, bank healing, rejected sources, the master's
last-resort sanitising, and encoders that never see a NaN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from hypothesis.extra.numpy import arrays

from audio_helpers import pull_all
from soundscape.bank import SegmentBank
from soundscape.errors import SourceError
from soundscape.graph import build_graph
from soundscape.graph.master import Limiter, MasterGain
from soundscape.guard import check_segment, find_clicks
from soundscape.procedural import render
from soundscape.render import render_file
from soundscape.scene import load_scene
from soundscape.segment import Segment
from soundscape.sources import layer_material, prompt_group

RATE = 48000


def pink(seconds: float = 4.0, seed: int = 1) -> np.ndarray:
    return render("noise", {"color": "pink"}, seconds=seconds, sample_rate=RATE, seed=seed)


def kinds(problems) -> list[str]:
    return [p.kind for p in problems]


def test_clean_noise_passes() -> None:
    assert check_segment(pink(), RATE, "bed", strict=True) == []


def test_each_fault_is_named() -> None:
    x = pink()
    nan = x.copy()
    nan[1, 48000] = np.nan
    [p] = check_segment(nan, RATE)
    assert p.kind == "nonfinite" and p.at == pytest.approx(1.0)
    inf = x.copy()
    inf[0, 10] = np.inf
    assert kinds(check_segment(inf, RATE)) == ["nonfinite"]
    assert kinds(check_segment(x * 1e-5, RATE)) == ["silent"]
    assert kinds(check_segment(x + 0.2, RATE)) == ["dc"]
    clipped = x.copy()
    clipped[0, 1000:1003] = 1.0
    assert kinds(check_segment(clipped, RATE, strict=True)) == ["clipping"]
    assert check_segment(clipped, RATE) == []  # 3 samples: fine for a user's recording
    assert kinds(check_segment(np.clip(x * 30, -1, 1), RATE)) == ["clipping"]


def test_step_and_spike_are_clicks_but_not_in_events() -> None:
    # a dark texture (surf, roar, wind): where a step is heard as a thump
    x = render("noise", {"color": "brown"}, seconds=4.0, sample_rate=RATE, seed=1)
    assert find_clicks(x, RATE) == []
    step = x.copy()
    step[:, 2 * RATE:] += 0.25  # a 0.25 full-scale step at 2 s
    step[:, 2 * RATE + 4800:] -= 0.25
    clicks = find_clicks(step, RATE)
    assert clicks and abs(clicks[0] - 2.0) < 0.001
    assert "click" in kinds(check_segment(step, RATE, "bed"))
    assert "click" not in kinds(check_segment(step, RATE, "event"))
    spike = x.copy()
    spike[0, 3 * RATE] += 0.5
    assert [round(t, 3) for t in find_clicks(spike, RATE)] == [3.0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.float32, hst.tuples(hst.integers(1, 2), hst.integers(0, 3000)),
              elements=hst.floats(width=32, allow_nan=True, allow_infinity=True)),
       hst.sampled_from(["bed", "event"]))
def test_check_never_raises(audio: np.ndarray, kind: str) -> None:
    problems = check_segment(audio, 8000, kind, strict=True)
    if audio.size and not np.isfinite(audio).all():
        assert kinds(problems) == ["nonfinite"]


BED_SCENE = """
title = "Guard"
[master]
seed = 5
fade_in = "1s"
segment_seconds = 3
[[layers]]
name = "hiss"
type = "bed"
recipe = "noise"
params = { color = "pink" }
prompt = "soft hiss"
variants = 2
crossfade = "1s"
"""


FILE_SCENE = BED_SCENE.replace('recipe = "noise"\nparams = { color = "pink" }',
                               "files = [FILES]")


def test_damaged_bank_copy_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BED_SCENE)
    scene = load_scene(path)
    bank = SegmentBank(tmp_path / "bank")
    clean = layer_material(scene, scene.layers[0], bank).segments
    stored = bank.segment_paths()
    assert len(stored) == 2
    data, rate = sf.read(str(stored[0]), dtype="float32")
    data[1000:1010] = np.nan  # same size, same header: only the samples lie
    sf.write(str(stored[0]), data, rate, subtype="FLOAT", format="WAV")
    healed = layer_material(scene, scene.layers[0], bank)
    assert any("damaged" in n for n in healed.notes)
    for a, b in zip(clean, healed.segments):
        np.testing.assert_array_equal(a.audio, b.audio)
    assert np.isfinite(sf.read(str(stored[0]))[0]).all()  # rewritten whole


def test_failed_or_broken_generated_segments_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BED_SCENE)
    scene = load_scene(path)
    layer = scene.layers[0]
    bank = SegmentBank(tmp_path / "bank")
    group = prompt_group(layer)
    quiet = Segment(pink(3.0) * 1e-7, RATE, {"model": "audioldm2", "variant": 0, "scores": {
        "quality": {"passed": False, "failed": ["silent"]}}})
    bank.put({"gen": 0}, quiet, group=group)
    broken = pink(3.0, seed=2)
    broken[0, 100] = np.nan
    bank.put({"gen": 1}, Segment(broken, RATE, {"model": "audioldm2", "variant": 1}),
             group=group)
    material = layer_material(scene, layer, bank)
    assert material.source == "procedural"  # fell back to the recipe
    text = "\n".join(material.warnings)
    assert "layer 'hiss'" in text and "audioldm2" in text
    assert "quality gates (silent)" in text and "nonfinite" in text
    assert "every generated segment was rejected; using its recipe instead" in text
    good = pink(3.0, seed=3)
    bank.put({"gen": 2}, Segment(good, RATE, {"model": "audioldm2", "variant": 2}),
             group=group)
    material = layer_material(scene, layer, bank)
    assert material.source == "generated" and len(material.segments) == 1
    assert len(material.warnings) == 2


def test_bad_file_is_rejected_by_name(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.wav", tmp_path / "nan.wav"
    sf.write(str(good), pink(3.0).T, RATE, subtype="FLOAT")
    poisoned = pink(3.0, seed=4)
    poisoned[:, 500:600] = np.nan
    sf.write(str(bad), poisoned.T, RATE, subtype="FLOAT")
    path = tmp_path / "s.toml"
    path.write_text(FILE_SCENE.replace("FILES", '"good.wav", "nan.wav"'))
    scene = load_scene(path)
    material = layer_material(scene, scene.layers[0], SegmentBank(tmp_path / "bank"))
    assert material.source == "files" and len(material.segments) >= 1
    assert any("nan.wav" in w and "NaN or infinite" in w for w in material.warnings)
    path.write_text(FILE_SCENE.replace("FILES", '"nan.wav"'))
    scene = load_scene(path)
    with pytest.raises(SourceError, match=r"layer 'hiss'.*nan\.wav"):
        layer_material(scene, scene.layers[0], SegmentBank(tmp_path / "bank2"))


class Poison:
    """A node that emits NaN, inf and a huge spike among loud noise."""

    def __init__(self) -> None:
        self.position = 0
        self.rng = np.random.default_rng(0)

    def pull(self, frames: int) -> np.ndarray:
        out = self.rng.normal(0, 0.5, (2, frames)).astype(np.float32)
        n = np.arange(self.position, self.position + frames)
        out[0, n % 9000 == 17] = np.nan
        out[1, n % 7000 == 3] = np.inf
        out[0, n % 5000 == 1] = -3e38
        self.position += frames
        return out


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "opus", "mp3"])
def test_master_output_is_finite_and_under_the_ceiling_in_every_format(
        tmp_path: Path, ext: str) -> None:
    limiter = Limiter(MasterGain(Poison(), 0.0, RATE, 0.0), ceiling_db=-1.0)
    out = tmp_path / f"x.{ext}"
    render_file(limiter.pull, 3 * RATE, RATE, out)
    assert limiter.nonfinite > 0
    data, _ = sf.read(str(out), dtype="float32")
    assert np.isfinite(data).all()
    limit = 10 ** (-1 / 20)
    if ext in ("wav", "flac"):
        assert np.abs(data).max() <= limit + 1e-4
    else:  # lossy codecs add their own overshoot; still far from full scale
        assert np.abs(data).max() < 1.0
    assert not list(tmp_path.glob(".*partial"))


def test_build_graph_keeps_materials(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BED_SCENE)
    graph = build_graph(load_scene(path), SegmentBank(tmp_path / "bank"), meter=True)
    audio = pull_all(graph, 4 * RATE, 4800)
    assert graph.materials["hiss"].source == "procedural"
    assert np.isfinite(graph.meters["hiss"].lufs())
    assert np.isfinite(audio).all()
    json.dumps(graph.materials["hiss"].notes)


HOT_SCENE = """
[master]
loudness_lufs = -8.0
seed = 3
[[layers]]
name = "t"
type = "event"
recipe = "thunder"
rate_per_min = 6
min_gap = "5s"
[[layers]]
name = "r"
type = "bed"
recipe = "rain"
"""


def true_peak_db(audio: np.ndarray) -> float:
    from scipy.signal import resample_poly

    over = resample_poly(audio.astype(np.float64), 4, 1, axis=0)  # BS.1770 4x oversampling
    return float(20 * np.log10(np.abs(over).max()))


@pytest.mark.parametrize("ext", ["mp3", "opus", "ogg"])
def test_a_lossy_render_stays_under_the_ceiling_after_decoding(tmp_path: Path, ext: str) -> None:
    """A scene driven into its -1 dBTP limiter: the decoded lossy file overshot to
    +0.6 dBTP before lossy outputs got LOSSY_HEADROOM_DB more headroom."""
    import subprocess
    import sys

    scene = tmp_path / "hot.toml"
    scene.write_text(HOT_SCENE)
    out = tmp_path / f"hot.{ext}"
    res = subprocess.run([sys.executable, "-m", "soundscape.cli", "render", str(scene), "-d",
                          "40s", "-o", str(out), "-q", "--bank", str(tmp_path / "bank")],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    data, rate = sf.read(str(out), dtype="float32")
    assert rate == RATE and np.isfinite(data).all()
    peak = true_peak_db(data)
    assert -4.0 < peak <= -1.0 + 0.1, peak  # driven hard, yet under the scene's ceiling


def test_a_generated_segment_with_a_click_never_plays(tmp_path: Path) -> None:
    """A click baked into a stored segment (a valid bank entry: its checksum matches)
    is caught when the segment is loaded, named, and the layer plays without it."""
    path = tmp_path / "s.toml"
    path.write_text(BED_SCENE)
    scene = load_scene(path)
    layer = scene.layers[0]
    bank = SegmentBank(tmp_path / "bank")
    group = prompt_group(layer)
    dark = render("noise", {"color": "brown"}, seconds=3.0, sample_rate=RATE, seed=1)
    clicked = dark.copy()
    clicked[:, RATE:] += 0.25  # a 0.25 full-scale step at 1 s, held for 100 ms
    clicked[:, RATE + 4800:] -= 0.25
    bank.put({"gen": 0}, Segment(clicked, RATE, {"model": "audioldm2", "variant": 0}),
             group=group)
    bank.put({"gen": 1}, Segment(dark, RATE, {"model": "audioldm2", "variant": 1}),
             group=group)
    material = layer_material(scene, layer, bank)
    assert material.source == "generated" and len(material.segments) == 1
    np.testing.assert_array_equal(material.segments[0].audio, dark)  # the clean one only
    text = "\n".join(material.warnings)
    assert "layer 'hiss'" in text and "audioldm2" in text and "click" in text
