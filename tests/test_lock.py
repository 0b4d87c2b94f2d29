"""One build at a time in an output folder, and the build's own temporary folder (:mod:`peel.lock`).

The lock is taken here by two open files in one process (the operating system's lock belongs to the open
file, not the process), so no second build needs to start; ``test_faults.py`` kills a real build."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from peel.errors import OutputFolderError
from peel.lock import (
    LOCK_NAME,
    TEMP_PREFIX,
    OutputFolderBusy,
    OutputLock,
    holder_alive,
    make_build_temp,
    process_start,
)


def _unused_pid() -> int:
    """A process id no process has now."""
    pid = 4_000_000
    while Path(f"/proc/{pid}").exists():
        pid -= 1
    return pid


def test_a_process_is_known_by_its_id_and_its_start_time():
    me = os.getpid()
    start = process_start(me)
    assert start is not None and start.isdigit()
    assert holder_alive(me, start) and holder_alive(me, None)
    assert not holder_alive(me, str(int(start) + 1))  # the id given to a later process
    assert process_start(_unused_pid()) is None and not holder_alive(_unused_pid(), None)


def test_a_second_build_is_refused_naming_the_holder_and_the_lock_is_emptied_at_the_end(tmp_path):
    out = tmp_path / "out"
    with OutputLock(out, io.StringIO()):
        holder = json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(OutputFolderBusy) as e, OutputLock(out, io.StringIO()):
            pass
        assert isinstance(e.value, OutputFolderError)
        assert f"another peel build is writing to this folder (process {os.getpid()} on {socket.gethostname()}" \
            in str(e.value) and "build into another folder with --out" in str(e.value)
    assert (out / LOCK_NAME).read_bytes() == b""
    with OutputLock(out, io.StringIO()):  # free again
        pass


def test_a_wait_is_bounded_and_said(tmp_path):
    with OutputLock(tmp_path, io.StringIO()):
        t0 = time.monotonic()
        with pytest.raises(OutputFolderBusy, match=r"\(waited 0.3 s\)"), \
                OutputLock(tmp_path, io.StringIO(), wait=0.3):
            pass
        assert 0.3 <= time.monotonic() - t0 < 5


def test_a_lock_left_by_a_process_that_is_gone_is_taken_over_with_a_line(tmp_path):
    dead = _unused_pid()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "start": "1", "host": "h1",
                                                  "since": "2026-12-07T06:00:00+00:00"}), encoding="utf-8")
    stream = io.StringIO()
    with OutputLock(tmp_path, stream):
        pass
    assert stream.getvalue() == (f"taking over the output folder from a process that stopped (process {dead} on h1, "
                                 "started 2026-12-07T06:00:00+00:00; that process is no longer running)\n")


def test_a_lock_that_removes_itself_leaves_the_folder_as_it_was(tmp_path):
    with OutputLock(tmp_path, io.StringIO(), name=".import.lock", remove=True, what="dataset folder",
                    option="--data"):
        assert (tmp_path / ".import.lock").is_file()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_cannot_be_written_is_refused_naming_the_option(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="cannot write to the output folder .*choose another with --out"), \
            OutputLock(a_file / "out", io.StringIO()):
        pass


def test_the_temporary_folders_of_builds_that_are_gone_are_removed(monkeypatch):
    # A short temporary folder: a longer one than 40 characters is passed over for /tmp (kernel socket paths).
    short = Path(tempfile.mkdtemp(prefix="pl-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(short))  # tempfile's documented default folder
    try:
        gone = short / f"{TEMP_PREFIX}{_unused_pid()}-1-abc"
        alive = short / f"{TEMP_PREFIX}{os.getpid()}-{process_start(os.getpid())}-abc"
        other = short / f"{TEMP_PREFIX}notapid"
        for folder in (gone, alive, other):
            folder.mkdir()
        mine = make_build_temp()
        assert mine.parent == short and mine.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-")
        assert not gone.exists() and alive.is_dir() and other.is_dir()
    finally:
        shutil.rmtree(short)


def test_a_long_temporary_folder_is_passed_over_for_tmp(tmp_path, monkeypatch):
    assert len(str(tmp_path)) > 40
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mine = make_build_temp()
    try:
        assert mine.parent == Path("/tmp")
    finally:
        mine.rmdir()
