"""Generation without torch: settings, model lookup, gates, post-processing, engine, refresher.

A fake backend stands in for the model, so these run everywhere in milliseconds; the
real pipelines are exercised in test_generate_models.py.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from soundscape.bank import SegmentBank
from soundscape.errors import GeneratorError, UsageError
from soundscape.generators import (
    BankGenerator,
    BankRefresher,
    make_backend_factory,
    plan,
    post,
    quality,
)
from soundscape.generators.models import ModelRef, resolve_model
from soundscape.generators.settings import (
    DEFAULT_QUALITY_PREFIX,
    resolve_settings,
)
from soundscape.scene import load_scene
from soundscape.sources import layer_segments, prompt_group

SCENE = """
title = "gen"
[master]
segment_seconds = 2
seed = 3
[generator]
steps = 4
candidates = 2
[[layers]]
type = "bed"
name = "rain"
prompt = "rain on a window"
crossfade = 0.5
variants = 3
[[layers]]
type = "event"
name = "thunder"
prompt = "distant thunder"
rate_per_min = 1
variants = 2
[layers.generator]
seconds = 1.5
guidance = 4.5
negative_prompt = "music"
[[layers]]
type = "bed"
name = "hum"
recipe = "noise"
crossfade = 0.5
"""


def write_scene(tmp_path: Path, text: str = SCENE) -> Path:
    path = tmp_path / "scene.toml"
    path.write_text(textwrap.dedent(text))
    return path


def fake_ref(family: str = "audioldm2") -> ModelRef:
    if family == "audioldm2":
        return ModelRef("fake", "fake/audioldm2", Path("/nonexistent"), family, 16000, 1, None)
    return ModelRef("fake-sao", "fake/sao", Path("/nonexistent"), "stable-audio", 44100, 2, 47.55)


class FakeBackend:
    """Noise whose level follows the seed; records every call."""

    def __init__(self, ref: ModelRef, max_batch: int = 64, fail_on_call: int | None = None):
        self.ref = ref
        self.max_batch = max_batch
        self.calls: list[dict] = []
        self.fail_on_call = fail_on_call

    def generate(self, prompts, negatives, seeds, *, steps, guidance, seconds, scheduler="default"):
        self.calls.append(dict(prompts=list(prompts), negatives=list(negatives), seeds=list(seeds),
                               steps=steps, guidance=guidance, seconds=seconds))
        if self.fail_on_call is not None and len(self.calls) - 1 >= self.fail_on_call:
            raise GeneratorError(f"model {self.ref.name!r} failed (fake)")
        frames = int(round(seconds * self.ref.sample_rate))
        out = []
        for s in seeds:
            rng = np.random.default_rng(s)
            out.append((0.1 * rng.standard_normal((self.ref.channels, frames))).astype(np.float32))
        return out

    def clap_scores(self, texts, audios):
        return [float(np.std(a)) for a in audios]


def run_fake(scene_path: Path, bank: SegmentBank, backend: FakeBackend, variants=None):
    scene = load_scene(scene_path)
    gen = BankGenerator(bank, lambda ref: backend, progress=False)
    jobs = []
    for layer in scene.layers:
        if layer.prompt is None:
            continue
        s = resolve_settings(scene, layer)
        jobs += plan(scene, layer, s, backend.ref, range(variants or layer.variants))
    return scene, gen.run(jobs)


# -- settings -----------------------------------------------------------------------
def test_settings_defaults_come_from_product_findings(tmp_path):
    scene = load_scene(write_scene(tmp_path, SCENE.replace("steps = 4\n", "")))
    s = resolve_settings(scene, scene.layer("rain"))
    assert s.prompt == f"{DEFAULT_QUALITY_PREFIX} rain on a window"
    # the resolved settings carry the values PRODUCT.md's prompt findings give
    assert s.negative_prompt == "music, voices, low quality, distorted"
    assert (s.guidance, s.steps) == (6.0, 50)
    assert s.candidates == 2 and s.seconds == 2.0 and s.kind == "bed"


def test_settings_layer_beats_scene_and_cli_beats_layer(tmp_path):
    scene = load_scene(write_scene(tmp_path))
    s = resolve_settings(scene, scene.layer("thunder"))
    assert (s.guidance, s.negative_prompt, s.seconds, s.steps) == (4.5, "music", 1.5, 4)
    s = resolve_settings(scene, scene.layer("thunder"), {"guidance": 7.0, "steps": None})
    assert s.guidance == 7.0 and s.steps == 4


# -- model lookup ---------------------------------------------------------------------
def test_bad_model_name_lists_choices():
    with pytest.raises(GeneratorError, match="unknown model 'nonsense'.*audioldm2"):
        resolve_model("nonsense")


def test_missing_folder_and_folder_without_pipeline(tmp_path):
    with pytest.raises(GeneratorError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"))
    with pytest.raises(GeneratorError, match="no model_index.json"):
        resolve_model(str(tmp_path))


def test_hub_id_not_in_cache_says_how_to_fetch(tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GeneratorError) as err:
        resolve_model("audioldm2")
    text = str(err.value)
    assert "cvssp/audioldm2" in text and "hf download cvssp/audioldm2" in text
    assert str(tmp_path / "hf") in text


def test_folder_of_an_unsupported_pipeline(tmp_path):
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "FluxPipeline"}))
    with pytest.raises(GeneratorError, match="FluxPipeline"):
        resolve_model(str(tmp_path))


def test_missing_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "soundscape.generators.diffusion", raising=False)
    with pytest.raises(GeneratorError, match=r"pip install 'soundscape\[gen\]'"):
        make_backend_factory()(fake_ref())


# -- gates and post-processing ---------------------------------------------------------
RATE = 16000


def noise(seconds=3.0, level=0.1, seed=0):
    return (level * np.random.default_rng(seed).standard_normal((1, int(seconds * RATE)))).astype(
        np.float32
    )


def test_gates_pass_noise_and_catch_each_fault():
    assert quality.assess(noise(), RATE, bed=True).passed
    assert "silent" in quality.assess(noise(level=1e-6), RATE, bed=True).failed
    assert "clipped" in quality.assess(np.clip(noise(level=2.0), -1, 1), RATE, True).failed
    assert "dc_offset" in quality.assess(noise() + 0.2, RATE, bed=True).failed
    ramp = noise() * np.linspace(0.01, 1.0, 3 * RATE, dtype=np.float32)
    assert "level_drift" in quality.assess(ramp, RATE, bed=True).failed
    assert "level_drift" not in quality.assess(ramp, RATE, bed=False).failed  # events decay
    t = np.arange(3 * RATE) / RATE
    tone = (noise(level=0.01) + 0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    assert "tonal" in quality.assess(tone, RATE, bed=True).failed
    assert "tonal" not in quality.assess(tone, RATE, bed=False).failed


def test_finish_bed_is_48k_stereo_exact_length_decorrelated_and_levelled():
    raw = noise(2.24, level=0.01) + 0.05
    rng = np.random.default_rng(1)
    audio, done = post.finish(raw, RATE, 48000, bed=True, seconds=2.0, rng=rng, high_band=True)
    assert audio.shape == (2, 96000) and audio.dtype == np.float32
    assert np.all(np.isfinite(audio))
    assert abs(float(audio.mean())) < 1e-3  # DC removed
    corr = np.corrcoef(audio[0], audio[1])[0, 1]
    assert 0.2 < corr < 0.8  # decorrelated, still coherent
    rms_db = 20 * np.log10(np.sqrt(np.mean(audio**2)))
    assert abs(rms_db - post.BED_RMS_DB) < 1.0
    spec = np.abs(np.fft.rfft(audio[0]))
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / 48000)
    assert spec[(freqs > 9000) & (freqs < 14000)].mean() > 0.05 * spec[freqs < 7000].mean()
    assert abs(done["gain_db"]) > 0


def test_flatten_edges_lifts_faded_ends():
    rate = 8000
    x = np.random.default_rng(0).standard_normal((2, 8 * rate)).astype(np.float32)
    env = np.ones(8 * rate, dtype=np.float32)
    env[:rate] = 0.5
    flat = post.flatten_edges(x * env, rate)
    first = np.sqrt(np.mean(flat[:, rate // 2 : rate] ** 2))
    middle = np.sqrt(np.mean(flat[:, 3 * rate : 5 * rate] ** 2))
    assert abs(20 * np.log10(first / middle)) < 2.5


def test_finish_event_trims_silence_and_peaks():
    x = np.zeros((1, 3 * RATE), dtype=np.float32)
    x[0, RATE : RATE + 2000] = noise(2000 / RATE, level=0.2)[0]
    audio, _ = post.finish(x, RATE, 48000, bed=False, seconds=3.0, rng=np.random.default_rng(0))
    assert audio.shape[0] == 2 and audio.shape[1] < 0.5 * 48000
    assert abs(20 * np.log10(np.abs(audio).max()) - post.EVENT_PEAK_DB) < 0.5


# -- engine ------------------------------------------------------------------------
def test_engine_batches_layers_and_variants_and_writes_complete_metadata(tmp_path):
    bank = SegmentBank(tmp_path / "bank")
    backend = FakeBackend(fake_ref())
    scene, report = run_fake(write_scene(tmp_path), bank, backend)
    # rain 3 variants x 2 candidates and thunder 2 x 2: two call settings, one call each
    assert len(backend.calls) == 2 and report.takes == 10 and report.written == 5
    rain = bank.group(prompt_group(scene.layer("rain")))
    assert len(rain) == 3
    for seg in rain:
        assert seg.sample_rate == 48000 and seg.channels == 2 and seg.frames == 96000
        m = seg.meta
        for field in ("model", "prompt", "negative_prompt", "steps", "guidance", "seed",
                      "scores", "timings", "variant"):
            assert field in m, field
        assert m["scores"]["ranked_by"] == "clap" and len(m["scores"]["candidates"]) == 2
        assert m["seed"] in [c["seed"] for c in m["scores"]["candidates"]]
    thunder = bank.group(prompt_group(scene.layer("thunder")))
    assert {s.meta["negative_prompt"] for s in thunder} == {"music"}
    # the mixer's reader sees them, and keeps the procedural layer procedural
    assert len(layer_segments(scene, scene.layer("rain"), bank)) == 3


def test_engine_rerun_hits_bank_without_calling_model(tmp_path):
    bank = SegmentBank(tmp_path / "bank")
    run_fake(write_scene(tmp_path), bank, FakeBackend(fake_ref()))
    again = FakeBackend(fake_ref())
    _, report = run_fake(write_scene(tmp_path), bank, again)
    assert again.calls == [] and report.written == 0 and report.in_bank == 5
    # one more variant makes only what is missing
    more = FakeBackend(fake_ref())
    _, report = run_fake(write_scene(tmp_path), bank, more, variants=4)
    assert report.written == 3 and sum(len(c["seeds"]) for c in more.calls) == 6


def test_engine_respects_batch_size(tmp_path):
    backend = FakeBackend(fake_ref(), max_batch=3)
    _, report = run_fake(write_scene(tmp_path), SegmentBank(tmp_path / "b"), backend)
    assert all(len(c["seeds"]) <= 3 for c in backend.calls) and report.written == 5


def test_stable_audio_takes_are_cut_into_several_segments(tmp_path):
    bank = SegmentBank(tmp_path / "bank")
    backend = FakeBackend(fake_ref("stable-audio"))
    text = SCENE.replace("segment_seconds = 2", "segment_seconds = 10").replace(
        "crossfade = 0.5", "crossfade = 2")
    scene, report = run_fake(write_scene(tmp_path, text), bank, backend)
    rain_call = next(c for c in backend.calls if c["seconds"] > 40)
    # 3 variants x 2 candidates = 6 pieces of 10.24 s: 2 takes of 47.55 s, not 6
    assert len(rain_call["seeds"]) == 2
    rain = bank.group(prompt_group(scene.layer("rain")))
    assert len(rain) == 3 and all(s.frames == 480000 for s in rain)
    assert {s.meta["piece"] for s in rain} <= {0, 1, 2, 3}


def test_failing_model_keeps_bank_consistent(tmp_path):
    bank = SegmentBank(tmp_path / "bank")
    backend = FakeBackend(fake_ref(), fail_on_call=1)
    with pytest.raises(GeneratorError, match="fake"):
        run_fake(write_scene(tmp_path), bank, backend)
    paths = bank.segment_paths()
    assert len(paths) == 3  # the first call's layer, whole
    for p in paths:
        assert p.with_suffix(".json").exists()
    leftovers = [p for p in (tmp_path / "bank").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    again = FakeBackend(fake_ref())
    _, report = run_fake(write_scene(tmp_path), bank, again)
    assert report.in_bank == 3 and report.written == 2


# -- refresher ----------------------------------------------------------------------
def test_refresher_adds_new_variants_and_prunes_oldest(tmp_path):
    bank = SegmentBank(tmp_path / "bank")
    scene, _ = run_fake(write_scene(tmp_path), bank, FakeBackend(fake_ref()))
    backend = FakeBackend(fake_ref())
    gen = BankGenerator(bank, lambda ref: backend, progress=False)
    refresher = BankRefresher(scene, bank, gen, interval_s=0.01, max_variants=3,
                              resolve=lambda name: backend.ref)
    assert refresher.refresh_once() == 2
    rain = bank.group(prompt_group(scene.layer("rain")))
    assert len(rain) == 3 and 3 in {s.meta["variant"] for s in rain}
    assert 0 not in {s.meta["variant"] for s in rain}  # the oldest left the group
    refresher.start()
    try:
        import time

        deadline = time.time() + 10
        while refresher.rounds < 3 and time.time() < deadline:
            time.sleep(0.01)
    finally:
        refresher.stop(timeout=10)
    assert not refresher.running and refresher.rounds >= 3 and refresher.last_error is None
    assert bank.group_size(prompt_group(scene.layer("thunder"))) == 3


def test_refresher_survives_generator_errors(tmp_path):
    scene = load_scene(write_scene(tmp_path))
    backend = FakeBackend(fake_ref(), fail_on_call=0)
    gen = BankGenerator(SegmentBank(tmp_path / "b"), lambda ref: backend, progress=False)
    refresher = BankRefresher(scene, gen.bank, gen, interval_s=0.01, backoff_s=0.01,
                              resolve=lambda name: backend.ref).start()
    try:
        import time

        deadline = time.time() + 10
        while len(backend.calls) < 2 and time.time() < deadline:
            time.sleep(0.01)
    finally:
        refresher.stop(timeout=10)
    assert len(backend.calls) >= 2 and "fake" in (refresher.last_error or "")


# -- command line ------------------------------------------------------------------
def _args(scene: Path, bank: Path, *extra: str):
    import argparse

    from soundscape.commands import generate

    parser = argparse.ArgumentParser()
    generate.add_parser(parser.add_subparsers())
    return parser.parse_args(["generate", str(scene), "--bank", str(bank), "--quiet", *extra])


def test_cli_rejects_unknown_layer_and_bad_values(tmp_path):
    from soundscape.commands import generate

    scene = write_scene(tmp_path)
    with pytest.raises(UsageError, match="no layer 'snow'.*rain, thunder, hum"):
        generate.run(_args(scene, tmp_path / "b", "--only", "snow"))
    with pytest.raises(UsageError, match="'hum' .* has no prompt"):
        generate.run(_args(scene, tmp_path / "b", "--only", "hum"))
    with pytest.raises(UsageError, match="--variants 0"):
        generate.run(_args(scene, tmp_path / "b", "--variants", "0"))
    with pytest.raises(GeneratorError, match="unknown model 'nope'"):
        generate.run(_args(scene, tmp_path / "b", "--model", "nope"))
    assert not (tmp_path / "b").exists()
