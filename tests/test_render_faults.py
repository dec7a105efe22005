"""Render faults: a read-only or missing folder, a full disk and the partial files of
killed renders each give one clear message, and nothing already written is lost."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from soundscape import cli, render
from soundscape.errors import RenderError
from soundscape.render import remove_stale_partials, render_file

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000


def silence(n: int) -> np.ndarray:
    return np.zeros((2, n), dtype=np.float32)


def _os_open_failing(code: int, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make creating files in ``folder`` fail with ``code`` (as root, chmod cannot)."""
    real_open = os.open

    def failing(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == folder and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(render.os, "open", failing)


def test_read_only_folder_is_one_clear_error(tmp_path, monkeypatch):
    _os_open_failing(errno.EROFS, monkeypatch, tmp_path)
    with pytest.raises(RenderError) as info:
        render_file(silence, RATE, RATE, tmp_path / "x.flac")
    assert str(info.value) == f"cannot write to {tmp_path}: read-only file system"
    assert list(tmp_path.iterdir()) == []


def _without_root_overrides() -> None:
    """(preexec_fn) Drop root's CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the
    bounding set, so the exec'd child obeys file modes as any user does. As a normal
    user there is nothing to drop."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for cap in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _run_without_overrides(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a child that cannot write where its modes forbid, root or not."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, preexec_fn=_without_root_overrides)


@pytest.fixture
def locked(tmp_path: Path):
    """A folder of mode 0o555: nobody (root without its overrides included) may write."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_folder_without_write_permission(locked):
    code = (f"from soundscape.render import render_file\n"
            f"import numpy as np\n"
            f"from soundscape.errors import RenderError\n"
            f"try:\n"
            f"    render_file(lambda n: np.zeros((2, n), np.float32), {RATE}, {RATE},\n"
            f"                {str(locked / 'x.wav')!r})\n"
            f"except RenderError as exc:\n"
            f"    print(exc)\n")
    res = _run_without_overrides("-c", code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"cannot write to {locked}: permission denied"
    assert list(locked.iterdir()) == []


def test_folder_without_write_permission_from_the_command_line(locked, small_scene, tmp_path):
    res = _run_without_overrides("-m", "soundscape.cli", "render", str(small_scene), "-d", "1s",
                                 "-o", str(locked / "x.wav"), "--bank", str(tmp_path / "bank"),
                                 "-q")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert res.stderr.strip() == (
        f"soundscape: error: cannot write to {locked}: permission denied"), res.stderr
    assert list(locked.iterdir()) == []
    assert not (tmp_path / "bank").exists()  # failed before any synthesis


def test_read_only_folder_from_the_command_line(tmp_path, small_scene, monkeypatch, capsys):
    out_dir = tmp_path / "ro"
    out_dir.mkdir()
    _os_open_failing(errno.EROFS, monkeypatch, out_dir)
    code = cli.main(["render", str(small_scene), "-d", "1s", "-o", str(out_dir / "x.wav"),
                     "--bank", str(tmp_path / "bank"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"soundscape: error: cannot write to {out_dir}: read-only file system" in err
    assert not (tmp_path / "bank").exists()  # failed before any synthesis


def test_missing_folder_fails_before_synthesis(tmp_path, small_scene):
    out = tmp_path / "nowhere" / "x.wav"
    res = subprocess.run([sys.executable, "-m", "soundscape.cli", "render", str(small_scene),
                          "-d", "1s", "-o", str(out), "--bank", str(tmp_path / "bank")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"cannot write to {out.parent}: no such folder" in res.stderr
    assert not (tmp_path / "bank").exists()


def _full_disk(monkeypatch: pytest.MonkeyPatch, error: BaseException, free: int) -> None:
    writes = [0]
    real_write = sf.SoundFile.write

    def failing_write(self: sf.SoundFile, data: np.ndarray) -> None:
        writes[0] += 1
        if writes[0] == 3:
            raise error
        real_write(self, data)

    usage = shutil.disk_usage("/")
    monkeypatch.setattr(sf.SoundFile, "write", failing_write)
    monkeypatch.setattr(render.shutil, "disk_usage",
                        lambda path: usage._replace(free=free))


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   sf.LibsndfileError(2, "Error writing: ")],
                         ids=["ENOSPC", "libsndfile"])
def test_full_disk_says_so_and_keeps_the_old_file(tmp_path, monkeypatch, error):
    out = tmp_path / "night.flac"
    sf.write(str(out), np.zeros((100, 2)), RATE)
    before = out.read_bytes()
    _full_disk(monkeypatch, error, free=3 * 2**20)
    with pytest.raises(RenderError) as info:
        render_file(silence, 20 * RATE, RATE, out, force=True)
    assert str(info.value).startswith(
        f"no space left on {tmp_path} (3 MB free): nothing was written to {out}")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["night.flac"]


def test_system_error_with_space_left_is_not_called_a_full_disk(tmp_path, monkeypatch):
    _full_disk(monkeypatch, sf.LibsndfileError(2, "Error writing: "), free=50 * 2**30)
    with pytest.raises(RenderError, match="writing failed: Error writing: System error"):
        render_file(silence, 20 * RATE, RATE, tmp_path / "x.flac")
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "x.wav"
    out.write_bytes(b"precious")

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(render.os, "replace", refuse)
    with pytest.raises(RenderError, match=f"cannot write to {tmp_path}: read-only"):
        render_file(silence, RATE, RATE, out, force=True)
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no such process (until the pid is reused)


def test_partials_of_killed_renders_are_removed(tmp_path):
    dead = _dead_pid()
    old = time.time() - 3600
    stale = tmp_path / f".night.flac.{dead}.partial"
    young = tmp_path / f".day.flac.{dead}.partial"
    alive = tmp_path / f".dusk.flac.{os.getppid()}.partial"
    other = tmp_path / ".notes.txt.partial"
    for path in (stale, young, alive, other):
        path.write_bytes(b"x" * 100)
    for path in (stale, alive, other):
        os.utime(path, (old, old))
    assert remove_stale_partials(tmp_path) == [stale]
    assert not stale.exists() and young.exists() and alive.exists() and other.exists()


def test_temporary_files_of_killed_renders_are_removed_once_stale(tmp_path):
    old = time.time() - 2 * render.STALE_TEMP_SECONDS
    stale = tmp_path / ".night.flac.ab12_xyz.tmp.flac"
    young = tmp_path / ".day.wav.cd34efgh.tmp.wav"
    foreign = tmp_path / ".notes.txt.ab12wxyz.tmp.txt"  # not an audio output: not ours
    for path in (stale, young, foreign):
        path.write_bytes(b"x" * 100)
    for path in (stale, foreign):
        os.utime(path, (old, old))
    assert remove_stale_partials(tmp_path) == [stale]
    assert young.exists() and foreign.exists()


def test_rendered_file_has_the_mode_of_a_new_file(tmp_path):
    umask = os.umask(0o022)
    try:
        render_file(silence, RATE, RATE, tmp_path / "x.wav")
    finally:
        os.umask(umask)
    assert (tmp_path / "x.wav").stat().st_mode & 0o777 == 0o644


def test_a_new_render_clears_partials_of_killed_ones(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".night.flac.{dead}.partial"
    stale.write_bytes(b"x" * 100)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    render_file(silence, RATE, RATE, tmp_path / "other.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.wav"]


def test_sigkilled_render_leaves_a_partial_that_the_next_render_removes(tmp_path, monkeypatch):
    out = tmp_path / "long.flac"
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, numpy as np\n"
         "from soundscape.render import render_file\n"
         "def pull(n):\n    time.sleep(0.05)\n    return np.zeros((2, n), np.float32)\n"
         f"render_file(pull, 48000 * 3600, 48000, __import__('pathlib').Path({str(out)!r}))\n"],
        cwd=ROOT,
    )
    deadline = time.time() + 60
    partial: list[Path] = []
    while time.time() < deadline and not partial:
        partial = list(tmp_path.glob(".long.flac.*.tmp.flac"))
        time.sleep(0.1)
    assert partial, "the render never started writing"
    proc.kill()
    proc.wait()
    assert partial[0].exists()  # SIGKILL: nobody cleaned up
    monkeypatch.setattr(render, "STALE_TEMP_SECONDS", 0.0)
    render_file(silence, RATE, RATE, tmp_path / "next.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.wav"]
