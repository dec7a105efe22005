"""The studio's document (studio_doc.py), uploads (studio_upload.py), messages and
badges: the loop owns the doc, workers only read and write files.

The race tests put a worker-side read or write that waits on an Event in place of
the real one, apply edits on the loop while it waits, then let it finish: no text
that did not validate reaches the disk, and no edit is lost to a save or a reload.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from studio_support import STUDIO_SCENE

from soundscape.errors import Problem, SceneError
from soundscape.scene import scene_from_text
from soundscape.server.protocol import ProtocolError
from soundscape.server.studio_doc import (
    DiskStamp,
    Loaded,
    SaveConflict,
    Saved,
    SaveJob,
    StudioDoc,
    disk_changed,
    problem_dict,
    read_if_changed,
    read_scene,
    validate,
    write_scene,
)
from soundscape.server.studio_edits import set_value
from soundscape.server.studio_messages import READERS, STUDIO_TYPES, parse_studio
from soundscape.server.studio_stream import Overrides, apply_overrides, badges
from soundscape.server.studio_upload import store_upload, upload_name
from soundscape.thresholds import DOMINANT_SHARE, INAUDIBLE_LU, MUTE_DB, SILENT_LUFS

WAIT_S = 30.0  # generous: a stuck worker fails the test instead of hanging it


def _good(n: float) -> str:
    return set_value(STUDIO_SCENE, "layers[1].gain_db", -float(n))


def _bad(n: int) -> str:
    return set_value(STUDIO_SCENE, "layers[1].gain_db", f"loud {n}")


def _valid(text: str, path: Path) -> bool:
    try:
        validate(text, path)
    except SceneError:
        return False
    return True


def _edit(doc: StudioDoc, text: str) -> None:
    """What the session does on the loop for an edit: the text at once, and, once it
    validates (the build is left out here), the good text and scene."""
    doc.text = text
    try:
        doc.scene = validate(text, doc.path)
    except SceneError as exc:
        doc.problems = list(exc.issues)
        return
    doc.good_text, doc.problems = text, []


class Gate:
    """Wraps a worker-side function: the call signals ``entered`` and then waits for
    ``release`` before doing the real work."""

    def __init__(self, real: Callable[..., Any]):
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.entered.set()
        assert self.release.wait(WAIT_S), "the test never released the worker"
        return self.real(*args)

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, WAIT_S), "the worker never ran"


async def _open(path: Path) -> StudioDoc:
    doc = StudioDoc(path)
    await doc.load()
    _edit(doc, doc.text)
    return doc


# -- saves -------------------------------------------------------------------------------
def test_save_is_atomic_keeps_mode_and_refuses_conflicts(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)
    os.chmod(path, 0o640)

    async def run() -> None:
        doc = StudioDoc(path)
        await doc.load()
        assert doc.text == STUDIO_SCENE and not doc.dirty
        doc.text = _good(9.5)
        with pytest.raises(SceneError, match="not saved"):  # never validated: not written
            await doc.save()
        _edit(doc, doc.text)
        assert doc.dirty
        saved = await doc.save()
        assert saved.size == len(doc.text.encode()) and saved.text == doc.text
        assert path.read_text() == doc.text and not doc.dirty
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]  # no temp file
        # another editor writes the file: a save is refused until forced
        path.write_text(STUDIO_SCENE + "# from elsewhere\n")
        assert disk_changed(path, doc.disk)
        _edit(doc, _good(1))
        with pytest.raises(SaveConflict, match="changed on disk"):
            await doc.save()
        assert path.read_text().endswith("# from elsewhere\n")
        await doc.save(force=True)
        assert path.read_text() == doc.text and not disk_changed(path, doc.disk)
        # an invalid text is never written, forced or not
        _edit(doc, _bad(0))
        with pytest.raises(SceneError, match="not saved"):
            await doc.save(force=True)
        assert "loud" not in path.read_text()

    asyncio.run(run())


def test_disk_stamps_ignore_a_touch_and_see_a_change(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)
    loaded = read_scene(path)
    assert not disk_changed(path, loaded.stamp)
    os.utime(path, ns=(loaded.stamp.mtime_ns + 10**9, loaded.stamp.mtime_ns + 10**9))
    assert not disk_changed(path, loaded.stamp)  # new mtime, same bytes
    assert read_if_changed(path, loaded.stamp) is None
    path.write_text(STUDIO_SCENE + "# x\n")
    again = read_if_changed(path, loaded.stamp)
    assert again is not None and again.text.endswith("# x\n")
    path.unlink()
    assert disk_changed(path, loaded.stamp) and not disk_changed(path, None)
    with pytest.raises(SceneError, match="cannot read"):
        read_scene(path)
    path.write_bytes(b"title = \"\xff\"\n")
    with pytest.raises(SceneError, match="not UTF-8"):
        read_scene(path)


def test_edits_racing_a_save_never_reach_the_disk_unvalidated(tmp_path):
    """A save's write waits on a worker while the loop applies invalid and valid edits
    (in a seeded random order, 150 times): the file is always the text validated when
    the save began, the newest edit is still the document's text, and a second save
    queued behind the first is not taken for another editor."""
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)
    rng = random.Random(15)
    on_disk: list[str] = []
    saves = 0

    def record(job: SaveJob) -> Saved:
        assert _valid(job.text, job.path), "an unvalidated text was handed to a write"
        result = write_scene(job)
        on_disk.append(path.read_text())
        return result

    async def one(i: int, doc: StudioDoc) -> None:
        nonlocal saves
        base = _good(i % 40)
        _edit(doc, base)
        gate = Gate(record)
        first = asyncio.create_task(doc.save(write=gate))
        await gate.wait_entered()
        edits = [_bad(i), _good(i % 40 + 0.5), _bad(i + 1), _good(i % 40 + 0.25)]
        rng.shuffle(edits)
        second = None
        for n, text in enumerate(edits):
            _edit(doc, text)
            await asyncio.sleep(0)
            if n == 1 and rng.random() < 0.5 and doc.text == doc.good_text:
                asked = doc.text  # a second save, asked for now, queued behind the first
                second = asyncio.create_task(doc.save(write=record))
                await asyncio.sleep(0)  # it starts (and takes its text) before the next edit
        gate.release.set()
        saved = await first
        saves += 1
        assert saved.text == base and path.read_text() == base
        if second is not None:
            again = await second  # serialised: no conflict with our own first save
            assert again.text == asked == path.read_text()
            saves += 1
        assert doc.text == edits[-1], "an edit was lost to the save"
        assert doc.dirty == (doc.text != path.read_text())
        assert doc.saved_text == path.read_text()
        assert _valid(path.read_text(), path)
        # the newest edit, if valid, is what the next save writes; if not, it is refused
        if _valid(doc.text, path):
            assert (await doc.save(write=record)).text == doc.text
            saves += 1
        else:
            with pytest.raises(SceneError, match="not saved"):
                await doc.save(write=record)
        assert _valid(path.read_text(), path)

    async def run() -> None:
        doc = await _open(path)
        for i in range(150):
            await one(i, doc)

    asyncio.run(run())
    assert len(on_disk) == saves > 150  # every write checked in record()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_a_failed_write_changes_nothing(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)

    def full_disk(job: SaveJob) -> Saved:
        raise OSError(28, "No space left on device")

    async def run() -> None:
        doc = await _open(path)
        _edit(doc, _good(3))
        before = (doc.saved_text, doc.disk)
        with pytest.raises(OSError, match="No space"):
            await doc.save(write=full_disk)
        assert (doc.saved_text, doc.disk) == before and doc.dirty
        assert (await doc.save()).text == _good(3)  # the lock was released

    asyncio.run(run())


# -- reloads -----------------------------------------------------------------------------
def test_an_edit_is_never_lost_to_another_editors_change(tmp_path):
    """The disk watcher reads a changed file on a worker while an edit arrives on the
    loop: the edit is kept (and a save conflicts until forced); with no edit, the
    file is taken. 100 seeded rounds, edits valid or not."""
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)
    rng = random.Random(7)

    async def run() -> None:
        doc = await _open(path)
        for i in range(100):
            outside = _good(i % 30) + f"# outside {i}\n"
            path.write_text(outside)
            gate = Gate(read_if_changed)
            poll = asyncio.create_task(doc.poll_disk(read=gate))
            await gate.wait_entered()
            edit = rng.random() < 0.6
            mine = (_good(i % 30 + 0.5) if rng.random() < 0.5 else _bad(i))
            if edit:
                _edit(doc, mine)
            gate.release.set()
            polled = await poll
            assert polled is not None
            if edit:
                assert not polled.taken and doc.text == mine and doc.dirty
                assert polled.stamp == read_scene(path).stamp
                if doc.text == doc.good_text:
                    with pytest.raises(SaveConflict):
                        await doc.save()
                    assert path.read_text() == outside
                # the author takes the file after all (as "reload" does)
                assert await doc.reload()
            else:
                assert polled.taken
            assert doc.text == outside and not doc.dirty
            assert await doc.poll_disk() is None  # taken: nothing new
            _edit(doc, doc.text)

    asyncio.run(run())


def test_a_reload_keeps_an_edit_that_arrives_while_it_reads(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)

    async def run() -> None:
        doc = await _open(path)
        _edit(doc, _good(4))
        path.write_text(_good(8))
        gate = Gate(read_scene)
        reload = asyncio.create_task(doc.reload(read=gate))
        await gate.wait_entered()
        _edit(doc, _good(5))
        gate.release.set()
        assert await reload is False
        assert doc.text == _good(5) and doc.saved_text == STUDIO_SCENE
        assert await doc.reload() is True  # asked again, nothing arriving: taken
        assert doc.text == doc.saved_text == _good(8) and not doc.dirty

    asyncio.run(run())


def test_a_poll_while_saving_is_not_another_editor(tmp_path):
    """The watcher's poll waits for a save in flight (one disk job at a time), so the
    studio's own write is never announced as someone else's."""
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)

    async def run() -> None:
        doc = await _open(path)
        _edit(doc, _good(2))
        gate = Gate(write_scene)
        save = asyncio.create_task(doc.save(write=gate))
        await gate.wait_entered()
        _edit(doc, _bad(2))  # unsaved edits while the write is pending
        poll = asyncio.create_task(doc.poll_disk())
        gate.release.set()
        await save
        assert await poll is None
        assert doc.text == _bad(2) and path.read_text() == _good(2)

    asyncio.run(run())


# -- uploads ------------------------------------------------------------------------------
def _wav(seconds: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    sf.write(buf, (rng.standard_normal((int(48000 * seconds), 2)) * 0.1).astype(np.float32),
             48000, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _store_at_once(folder: Path, name: str, blobs: list[bytes]) -> list[str]:
    """``store_upload`` of each blob under ``name``, from one thread each, released
    together; the names they were stored under."""
    start = threading.Barrier(len(blobs))
    stored = [""] * len(blobs)

    def store(n: int) -> None:
        start.wait(WAIT_S)
        stored[n] = store_upload(folder, name, blobs[n])

    threads = [threading.Thread(target=store, args=(n,)) for n in range(len(blobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
        assert not t.is_alive()
    return stored


def test_two_uploads_of_one_name_never_clobber(tmp_path):
    """Both uploads chose "rain.wav" while it was free; stored at once from two
    threads, each lands under its own name, whole, and a file written under the
    chosen name meanwhile is never replaced."""
    for round_ in range(20):
        folder = tmp_path / f"r{round_}"
        folder.mkdir()
        name = upload_name("rain.wav", folder)
        assert name == "rain.wav"
        blobs = [_wav(0.05, round_ * 2), _wav(0.05, round_ * 2 + 1)]
        stored = _store_at_once(folder, name, blobs)
        assert sorted(stored) == ["rain-2.wav", "rain.wav"], stored
        for n in (0, 1):
            assert (folder / stored[n]).read_bytes() == blobs[n]
        assert sorted(p.name for p in folder.iterdir()) == ["rain-2.wav", "rain.wav"]
    # another program writes the chosen name after it was chosen: kept, not replaced
    folder = tmp_path / "late"
    folder.mkdir()
    name = upload_name("rain.wav", folder)
    (folder / "rain.wav").write_bytes(b"theirs")
    assert store_upload(folder, name, _wav(0.05, 9)) == "rain-2.wav"
    assert (folder / "rain.wav").read_bytes() == b"theirs"


def test_a_bad_upload_leaves_nothing(tmp_path):
    with pytest.raises(ProtocolError) as exc:
        store_upload(tmp_path, "rain.wav", b"RIFF not really a wave file")
    assert exc.value.code == "bad_audio" and "rain.wav" in exc.value.message
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file


# -- messages ------------------------------------------------------------------------------
def test_every_message_type_has_a_reader_and_unknown_fields_are_dropped():
    assert STUDIO_TYPES == tuple(READERS)
    assert parse_studio('{"type": "reload", "evil": 1}') == {"type": "reload"}
    assert parse_studio('{"type": "save"}') == {"type": "save", "force": False}
    assert parse_studio('{"type": "ping", "id": 7}') == {"type": "ping", "id": 7}
    assert parse_studio('{"type": "upload", "name": "a.wav", "size": 10}') == {
        "type": "upload", "name": "a.wav", "size": 10}
    with pytest.raises(ProtocolError) as exc:
        parse_studio('{"type": "ping", "id": [1]}')
    assert exc.value.code == "bad_value"
    # limits are UTF-8 bytes, as the wire counts them
    with pytest.raises(ProtocolError) as exc:
        parse_studio('{"type": "edit", "text": "' + "é" * 30 + '"}', max_bytes=60)
    assert exc.value.code == "too_big"
    # values are quoted the player's way: cut to 40 characters
    with pytest.raises(ProtocolError) as exc:
        parse_studio('{"type": "seek", "time": "' + "x" * 100 + '"}')
    assert "..." in exc.value.message and len(exc.value.message) < 100


def test_problems_go_to_the_page_as_path_line_message(tmp_path):
    text = _bad(1)
    with pytest.raises(SceneError) as exc:
        validate(text, tmp_path / "s.toml")
    from soundscape.server.studio_doc import problems_of

    (problem,) = problems_of(exc.value, text)
    assert isinstance(problem, Problem)
    assert problem_dict(problem) == {"path": "layers[1].gain_db", "line": problem.line,
                                     "message": problem.message}
    assert problem.line == text.splitlines().index('gain_db = "loud 1"  # under the hiss') + 1


# -- badges and overrides: the shared thresholds ---------------------------------------------
def test_badges_use_the_report_thresholds():
    """The studio once flagged 20 LU as inaudible and "within 1 LU of the mix" as
    dominating; it now uses soundscape.thresholds like the render report and analyze
    (25 LU; over 97 % of the sounding layers' energy; nothing under -70 LUFS)."""
    mix = -23.0
    assert INAUDIBLE_LU == 25.0 and DOMINANT_SHARE == 0.97 and SILENT_LUFS == -70.0
    assert badges({"a": -23.0, "b": mix - 24.0}, mix) == {"a": "dominates"}  # b: 24 LU: heard
    assert badges({"a": -23.0, "b": mix - 26.0}, mix) == {"a": "dominates", "b": "inaudible"}
    # 10 LU apart: the louder has 91 % of the energy; the old 1 LU rule called it dominant
    assert badges({"a": -23.4, "b": -33.4}, mix) == {}
    # 16 LU apart: 97.5 % of the energy
    assert badges({"a": -23.1, "b": -39.1}, mix) == {"a": "dominates"}
    # silent layers (muted, an event between strikes) get nothing and count for nothing
    assert badges({"a": -23.0, "c": -75.0, "d": -120.0}, mix) == {}
    assert badges({"a": -80.0}, -80.0) == {}  # a silent mix: no badges


def test_overrides_mute_at_the_shared_mute_level(tmp_path):
    from soundscape.graph import build_graph

    o = Overrides(gains={"hiss": -10.0}, muted={"hum"}, solo=set())
    assert (o.gain_db("hiss"), o.gain_db("hum"), o.gain_db("drip")) == (-10.0, MUTE_DB, 0.0)
    o.solo.add("drip")
    assert (o.gain_db("hiss"), o.gain_db("drip")) == (MUTE_DB, 0.0)
    path = tmp_path / "s.toml"
    path.write_text(STUDIO_SCENE)
    graph = build_graph(scene_from_text(STUDIO_SCENE, path), bank=None)
    apply_overrides(graph, Overrides(gains={"hiss": -20.0}, muted={"hum"}), glide=False)
    hiss, hum = graph.strips["hiss"], graph.strips["hum"]
    assert hiss.user_gain == pytest.approx(0.1) and hum.user_gain == 0.0  # at once
    hiss_out = hiss.pull(480)
    assert hum.pull(480).max() == 0.0 and np.abs(hiss_out).max() > 0


def test_set_user_gain_glides_or_not():
    from soundscape.graph.core import Strip

    class Ones:
        def pull(self, frames: int) -> np.ndarray:
            return np.ones((2, frames), np.float32)

    glide = Strip(Ones(), None, ramp=100)  # type: ignore[arg-type]
    glide.set_user_gain(0.5)
    out = glide.pull(100)[0]
    assert out[0] > 0.99 and out[-1] == pytest.approx(0.5) and glide.user_gain == 0.5
    now = Strip(Ones(), None, ramp=100)  # type: ignore[arg-type]
    now.set_user_gain(0.25, glide=False)
    assert np.all(now.pull(10) == np.float32(0.25))
    now.set_user_gain(1.0, glide=True)  # a glide from where it is
    assert now.pull(100)[0][0] < 0.26


def test_loaded_and_saved_carry_plain_values():
    """What crosses to and from a worker is frozen data, never the document."""
    for cls in (Loaded, Saved, SaveJob, DiskStamp):
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
