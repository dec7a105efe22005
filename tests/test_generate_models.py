"""The real ``soundscape generate`` against tiny AudioLDM2 and Stable Audio pipelines.

The pipelines are built here from small configs with random weights and local
tokenizers (tests/tiny_pipelines.py), saved with ``save_pretrained`` to a temporary
folder and loaded back through the production path. Offline, CPU, one thread.
Random weights make meaningless audio: these tests check shapes, rates, finiteness,
metadata, bank behaviour and errors, not how anything sounds.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from soundscape.bank import SegmentBank  # noqa: E402
from soundscape.cli import main  # noqa: E402
from soundscape.generators import diffusion  # noqa: E402
from soundscape.scene import load_scene  # noqa: E402
from soundscape.sources import prompt_group  # noqa: E402
from tiny_pipelines import build_tiny_audioldm2, build_tiny_stable_audio  # noqa: E402

SCENE = """
title = "tiny"
[master]
segment_seconds = 2
seed = 11
[generator]
steps = 2
candidates = 2
[[layers]]
type = "bed"
name = "rain"
prompt = "rain on a window"
crossfade = 0.5
variants = 2
[layers.generator]
high_band = true
[[layers]]
type = "event"
name = "thunder"
prompt = "distant thunder rolling"
rate_per_min = 1
variants = 2
[layers.generator]
seconds = 1.5
"""


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    # with 2 threads timings on a 2-core CI machine vary from 1 s to 20 s
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("models")
    return {
        "audioldm2": build_tiny_audioldm2(root / "audioldm2"),
        "stable-audio": build_tiny_stable_audio(root / "stable-audio"),
    }


def scene_file(tmp_path: Path, text: str = SCENE) -> Path:
    path = tmp_path / "scene.toml"
    path.write_text(textwrap.dedent(text))
    return path


def generate(*argv: str) -> int:
    return main(["generate", *map(str, argv), "--quiet", "--device", "cpu"])


def check_segments(bank: SegmentBank, scene_path: Path, model: Path, counts: dict[str, int]):
    scene = load_scene(scene_path)
    for name, count in counts.items():
        layer = scene.layer(name)
        segs = bank.group(prompt_group(layer))
        assert len(segs) == count, name
        for seg in segs:
            assert seg.sample_rate == 48000 and seg.channels == 2
            assert seg.frames > 0 and np.all(np.isfinite(seg.audio))
            assert np.abs(seg.audio).max() <= 1.0
            m = seg.meta
            assert m["model"] == str(model.resolve())
            assert m["prompt"] == f"high quality recording of {layer.prompt}"
            assert m["steps"] == 2 and m["guidance"] == 6.0
            assert isinstance(m["seed"], int)
            assert "quality" in m["scores"] and len(m["scores"]["candidates"]) == 2
            assert m["timings"]["generate_s"] >= 0
        if name == "rain":
            assert all(s.frames == 96000 for s in segs)
    return scene


def test_audioldm2_fills_bank_and_rerun_does_not_load_model(tiny_models, tmp_path, monkeypatch):
    model = tiny_models["audioldm2"]
    path, bank_dir = scene_file(tmp_path), tmp_path / "bank"
    assert generate(path, "--model", model, "--bank", bank_dir) == 0
    bank = SegmentBank(bank_dir)
    check_segments(bank, path, model, {"rain": 2, "thunder": 2})
    rain = bank.group(prompt_group(load_scene(path).layer("rain")))
    assert rain[0].meta["scores"]["ranked_by"] == "clap"
    assert rain[0].meta["negative_prompt"] == "music, voices, low quality, distorted"
    assert rain[0].meta["high_band"] is True

    def no_model(*a, **k):
        raise AssertionError("the model was loaded on a rerun")

    monkeypatch.setattr(diffusion.DiffusersBackend, "__init__", no_model)
    assert generate(path, "--model", model, "--bank", bank_dir) == 0
    assert len(bank.segment_paths()) == 4


def test_stable_audio_cuts_each_call_into_segments(tiny_models, tmp_path):
    model = tiny_models["stable-audio"]
    path, bank_dir = scene_file(tmp_path), tmp_path / "bank"
    assert generate(path, "--model", model, "--bank", bank_dir, "--only", "rain",
                    "--variants", "3") == 0
    bank = SegmentBank(bank_dir)
    scene = check_segments(bank, path, model, {"rain": 3})
    segs = bank.group(prompt_group(scene.layer("rain")))
    # 6 s per call, 2.24 s windows: two pieces per take, so 6 candidates need 3 takes
    assert max(s.meta["take"] for s in segs) <= 2
    assert {s.meta["piece"] for s in segs} <= {0, 1}
    assert all(s.meta["scores"]["ranked_by"] == "quality" for s in segs)


def test_failing_pipeline_reports_and_leaves_bank_consistent(tiny_models, tmp_path, monkeypatch,
                                                             capsys):
    model = tiny_models["audioldm2"]
    path, bank_dir = scene_file(tmp_path), tmp_path / "bank"
    from diffusers import AudioLDM2Pipeline

    real_call = AudioLDM2Pipeline.__call__
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("CUDA error: device-side assert triggered (simulated)")
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(AudioLDM2Pipeline, "__call__", flaky)
    assert generate(path, "--model", model, "--bank", bank_dir) == 2
    err = capsys.readouterr().err
    assert "failed on a batch" in err and "simulated" in err and str(model) in err
    bank = SegmentBank(bank_dir)
    written = bank.segment_paths()
    assert len(written) == 2  # the first call's layer, complete
    assert all(bank.get(__import__("json").loads(p.with_suffix(".json").read_text())["key"])
               is not None for p in written)
    assert not [p for p in bank_dir.rglob("*.tmp")]
    monkeypatch.setattr(AudioLDM2Pipeline, "__call__", real_call)
    assert generate(path, "--model", model, "--bank", bank_dir) == 0
    assert len(bank.segment_paths()) == 4


def test_missing_weights_and_bad_names_are_clear(tiny_models, tmp_path, monkeypatch, capsys):
    path, bank_dir = scene_file(tmp_path), tmp_path / "bank"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    assert generate(path, "--model", "audioldm2-large", "--bank", bank_dir) == 2
    err = capsys.readouterr().err
    assert "cvssp/audioldm2-large" in err and "hf download" in err
    assert generate(path, "--model", "audiolm9", "--bank", bank_dir) == 2
    assert "unknown model 'audiolm9'" in capsys.readouterr().err
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in tiny_models["audioldm2"].iterdir():
        if f.name != "unet":
            (broken / f.name).symlink_to(f)
    assert generate(path, "--model", broken, "--bank", bank_dir) == 2
    assert "cannot load model" in capsys.readouterr().err
    assert not bank_dir.exists() or SegmentBank(bank_dir).segment_paths() == []
