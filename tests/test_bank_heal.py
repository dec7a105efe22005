"""A bank that heals: checksums catch damage in place, a size cap evicts the least
recently used entries, and ``soundscape bank info|verify|prune`` look after it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from audio_helpers import SMALL_SCENE, pull_all
from soundscape import bank as bank_module
from soundscape.bank import SegmentBank, parse_size
from soundscape.errors import BankError
from soundscape.graph import build_graph
from soundscape.scene import load_scene
from soundscape.segment import Segment, digest
from soundscape.sources import ProceduralSource, layer_material, layer_seed, prompt_group

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000

BED_SCENE = """
[master]
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


def _noise(seconds: float, seed: int = 0, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal((channels, int(seconds * RATE)))).astype(np.float32)


def _corrupt(wav: Path, how: str) -> None:
    """Overwrite 4000 bytes of samples in place (same size, same header)."""
    raw = bytearray(wav.read_bytes())
    count = 1000
    if how == "garbage":  # decodes to plausible noise: only the checksum can tell
        values = np.random.default_rng(9).uniform(-0.1, 0.1, count).astype("<f4")
    elif how == "nan":
        values = np.full(count, np.nan, dtype="<f4")
    else:
        values = np.full(count, 3e38, dtype="<f4")
    start = len(raw) - 4 * count - 400
    raw[start:start + 4 * count] = values.tobytes()
    before = wav.stat().st_size
    wav.write_bytes(bytes(raw))
    assert wav.stat().st_size == before


def _scene(tmp_path: Path, text: str = BED_SCENE):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return load_scene(path)


# -- checksums -----------------------------------------------------------------------
@pytest.mark.parametrize("how", ["garbage", "nan", "huge"])
def test_damaged_procedural_entry_is_made_again(tmp_path, how):
    scene = _scene(tmp_path)
    bank = SegmentBank(tmp_path / "bank")
    clean = layer_material(scene, scene.layers[0], bank).segments
    stored = bank.segment_paths()
    _corrupt(stored[0], how)
    fresh = SegmentBank(tmp_path / "bank")
    healed = layer_material(scene, scene.layers[0], fresh)
    assert any("damaged" in n and "checksum" in n for n in healed.notes), healed.notes
    for a, b in zip(clean, healed.segments):
        np.testing.assert_array_equal(a.audio, b.audio)
    assert fresh.verify(stored[0].stem) == (None, True)  # rewritten whole


@pytest.mark.parametrize("how", ["garbage", "nan", "huge"])
def test_damaged_generated_entry_is_rejected_by_name(tmp_path, how, caplog):
    scene = _scene(tmp_path)
    layer = scene.layers[0]
    bank = SegmentBank(tmp_path / "bank")
    group = prompt_group(layer)
    for i in range(2):
        bank.put({"gen": i}, Segment(_noise(3.0, seed=i), RATE,
                                     {"model": "audioldm2", "variant": i}), group=group)
    bad = digest({"gen": 0})
    wav = next(p for p in bank.segment_paths() if p.stem == bad)
    _corrupt(wav, how)
    with caplog.at_level(logging.WARNING, logger="soundscape.bank"):
        material = layer_material(scene, layer, SegmentBank(tmp_path / "bank"))
    assert material.source == "generated" and len(material.segments) == 1
    assert material.segments[0].meta["variant"] == 1
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "soundscape.bank")
    assert bad in text and str(wav) in text and "checksum" in text
    assert bank.group_size(group) == 1  # dropped from its group
    assert not bank.contains({"gen": 0})  # and deleted, so that generate makes it again


def test_entry_without_checksum_still_loads(tmp_path):
    bank = SegmentBank(tmp_path)
    seg = Segment(_noise(0.5), RATE, {"old": True})
    bank.put({"k": 1}, seg)
    sidecar = bank.segment_paths()[0].with_suffix(".json")
    record = json.loads(sidecar.read_text())
    del record["checksum"]
    sidecar.write_text(json.dumps(record))
    got = SegmentBank(tmp_path).get({"k": 1})
    assert got is not None and got.meta == {"old": True}
    np.testing.assert_array_equal(got.audio, seg.audio)
    assert bank.verify(sidecar.stem) == (None, False)


def test_mono_segment_in_the_bank_plays(tmp_path):
    scene = _scene(tmp_path, SMALL_SCENE)
    bank = SegmentBank(tmp_path / "bank")
    layer = scene.layers[0]
    src = ProceduralSource(RATE, scene.master.segment_seconds)
    seed = layer_seed(scene.master.seed, layer, 0)
    made = src.segment(layer, 0, seed)
    bank.put(src.key(layer, 0, seed), Segment(made.audio[:1].copy(), RATE, made.meta))
    out = pull_all(build_graph(scene, bank), RATE * 3, RATE)
    assert out.shape == (2, RATE * 3) and np.isfinite(out).all()


# -- size cap --------------------------------------------------------------------------
def test_parse_size():
    assert parse_size("500MB") == 500 * 10**6 and parse_size("2GB") == 2 * 10**9
    assert parse_size("800MiB") == 800 * 2**20 and parse_size("0") == 0
    with pytest.raises(ValueError, match="'5XB' is not a size"):
        parse_size("5XB")


def test_cap_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDSCAPE_BANK_MAX", "500MB")
    assert SegmentBank(tmp_path).max_bytes == 500 * 10**6
    monkeypatch.setenv("SOUNDSCAPE_BANK_MAX", "lots")
    with pytest.raises(BankError, match="SOUNDSCAPE_BANK_MAX: 'lots' is not a size"):
        SegmentBank(tmp_path)
    monkeypatch.delenv("SOUNDSCAPE_BANK_MAX")
    assert SegmentBank(tmp_path).max_bytes == 2 * 10**9


def _age_everything(root: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (stamp, stamp))


def _whole_entries(root: Path) -> tuple[set[str], set[str]]:
    wavs = {p.stem for p in root.glob("segments/*/*.wav")}
    sidecars = {p.stem for p in root.glob("segments/*/*.json")}
    return wavs, sidecars


def test_eviction_keeps_the_bank_under_its_cap_and_keeps_pinned(tmp_path):
    root = tmp_path / "bank"
    old = SegmentBank(root, max_bytes=0)  # an earlier run, without a cap
    for i in range(20):
        old.put({"old": i}, Segment(_noise(0.25, seed=i), RATE), group="g" if i < 4 else None)
    (root / "calibration").mkdir()
    (root / "calibration" / "c.json").write_text('{"lufs": -30.0}')
    _age_everything(root, 3600)
    two_hours = time.time() - 7200
    os.utime(root / "calibration" / "c.json", (two_hours, two_hours))
    entry = old.scan().total_bytes // 20
    bank = SegmentBank(root, max_bytes=12 * entry)
    assert bank.get({"old": 0}) is not None and bank.get({"old": 1}) is not None  # pinned
    for i in range(5):
        bank.put({"new": i}, Segment(_noise(0.25, seed=100 + i), RATE))
    assert bank.scan().total_bytes <= 12 * entry
    assert bank.evicted > 0
    for key in [{"old": 0}, {"old": 1}] + [{"new": i} for i in range(5)]:
        assert bank.contains(key), key
    assert not (root / "calibration" / "c.json").exists()  # the oldest of all
    wavs, sidecars = _whole_entries(root)
    assert wavs == sidecars  # never half an entry
    assert set(bank.scan().groups["g"]) <= wavs  # group links follow their entries
    assert {digest({"old": 0}), digest({"old": 1})} <= set(bank.scan().groups["g"])


def test_recently_used_entries_of_other_processes_stay(tmp_path):
    root = tmp_path / "bank"
    other = SegmentBank(root, max_bytes=0)
    for i in range(6):
        other.put({"other": i}, Segment(_noise(0.25, seed=i), RATE))
    entry = other.scan().total_bytes // 6
    bank = SegmentBank(root, max_bytes=2 * entry)
    bank.put({"mine": 0}, Segment(_noise(0.25, seed=50), RATE))
    assert bank.evicted == 0 and len(bank.segment_paths()) == 7  # all used this minute


def test_eviction_is_amortised(tmp_path, monkeypatch):
    scans = []
    real_scan = SegmentBank.scan

    def counting(self):
        scans.append(1)
        return real_scan(self)

    monkeypatch.setattr(SegmentBank, "scan", counting)
    bank = SegmentBank(tmp_path, max_bytes="1GB")
    seg = Segment(_noise(0.05), RATE)
    for i in range(200):
        bank.put({"i": i}, seg)
    assert len(scans) <= 1 + 200 // bank_module.SCAN_EVERY


def test_leftover_temporary_files_of_dead_writers_go(tmp_path):
    bank = SegmentBank(tmp_path, max_bytes=0)
    bank.put({"k": 1}, Segment(_noise(0.1), RATE))
    folder = bank.segment_paths()[0].parent
    stale = folder / ".abc.wav.x1y2.tmp"
    stale.write_bytes(b"\0" * 1000)
    fresh = folder / ".def.wav.z3.tmp"
    fresh.write_bytes(b"\0" * 1000)
    hour = time.time() - 2 * 3600
    os.utime(stale, (hour, hour))
    bank.prune()
    assert not stale.exists() and fresh.exists() and bank.contains({"k": 1})


# -- the bank command -----------------------------------------------------------------
def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SOUNDSCAPE_BANK_MAX"}
    res = subprocess.run([sys.executable, "-m", "soundscape.cli", *args], cwd=ROOT,
                         capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def test_bank_commands(tmp_path):
    root = tmp_path / "bank"
    bank = SegmentBank(root, max_bytes=0)
    for i in range(6):
        bank.put({"k": i}, Segment(_noise(0.25, seed=i), RATE), group="g" if i < 2 else None)
    _age_everything(root, 3 * 86400)
    recent = time.time() - 3600
    for path in root.glob(f"segments/*/{digest({'k': 5})}.*"):
        os.utime(path, (recent, recent))

    info = cli("bank", "info", "--bank", str(root)).stdout
    assert "segments:    6" in info and "groups:      1 (2 generated segments)" in info
    assert "3 days ago" in info

    assert "0 damaged" in cli("bank", "verify", "--bank", str(root), "-q").stdout
    wav = next(p for p in bank.segment_paths() if p.stem == digest({"k": 0}))
    _corrupt(wav, "garbage")
    res = cli("bank", "verify", "--bank", str(root), "-q", check=False)
    assert res.returncode == 1
    assert f"damaged: {wav.stem} {wav} (group g): checksum mismatch" in res.stdout
    assert "1 damaged" in res.stdout
    res = cli("bank", "verify", "--bank", str(root), "--fix", "-q")
    assert "deleted" in res.stdout and not wav.exists()
    assert not (root / "groups" / "g" / wav.stem).exists()

    size = bank.scan().total_bytes
    dry = cli("bank", "prune", "--bank", str(root), "--max", "1", "--dry-run").stdout
    assert "would remove 5 entries" in dry and bank.scan().total_bytes == size
    res = cli("bank", "prune", "--bank", str(root), "--older-than", "2d").stdout
    assert "removed 4 entries" in res
    assert [p.stem for p in bank.segment_paths()] == [digest({"k": 5})]
    bad = cli("bank", "prune", "--bank", str(root), "--max", "lots", check=False)
    assert bad.returncode == 2 and "--max: 'lots' is not a size" in bad.stderr
