"""Shared fixtures: one segment bank per test session, small scenes written on the fly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audio_helpers import SMALL_SCENE
from soundscape.bank import SegmentBank

ROOT = Path(__file__).resolve().parent.parent
SCENES = ROOT / "scenes"


@pytest.fixture(scope="session")
def bank(tmp_path_factory: pytest.TempPathFactory) -> SegmentBank:
    """A bank shared by the session so each recipe variant is synthesised once."""
    root = tmp_path_factory.mktemp("bank")
    os.environ["SOUNDSCAPE_BANK"] = str(root)
    return SegmentBank(root)


@pytest.fixture
def small_scene(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SCENE)
    return path
