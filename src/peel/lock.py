"""What one build owns: its output folder (a lock) and its temporary folder.

One build at a time writes to an output folder. The lock is on ``OUT/.build.lock`` (``flock``, or
:func:`msvcrt.locking` on Windows; :func:`peel.portable.lock_exclusive`),
which the operating system releases when its holder dies however it dies; the file also names the
holder (process id, its start time and host) so that a second build can say who holds the folder,
and a build that takes over after a killed one can say so. The file is emptied when the build ends.

The kernels' sockets and connection files live in a temporary folder of the build, removed when it
ends; folders left by builds that were killed are removed by the next build.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import psutil

from peel.errors import OutputFolderError, WriteFailed, display_path
from peel.portable import lock_exclusive

LOCK_NAME = ".build.lock"


class OutputFolderBusy(OutputFolderError):
    """Another build holds the output folder (``peel watch`` waits for it, with a bound)."""

TEMP_PREFIX = "peel-build-"


def process_start(pid: int, proc: Path = Path("/proc")) -> str | None:
    """When a process started, or ``None`` when it is gone: clock ticks since boot from Linux's ``/proc``;
    elsewhere, where there is no ``/proc``, hundredths of a second since the epoch from psutil.

    Every build on a machine must write the same form (another build's folder is removed when its start
    differs), so Linux keeps the one builds have always written there.
    """
    try:
        stat = (proc / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of stat, counted after the command name
    except FileNotFoundError:
        if (proc / "self" / "stat").exists():  # Linux, and the process is gone
            return None
    except OSError:
        return None
    try:
        return str(round(psutil.Process(pid).create_time() * 100))
    except psutil.Error:
        return None


def holder_alive(pid: int, start: str | None) -> bool:
    """Whether ``pid`` still runs and is the same process (not a later one given the same number)."""
    now = process_start(pid)
    return now is not None and (start is None or now == start)


class OutputLock:
    """Hold ``DIR/.build.lock`` for the life of a build (a context manager).

    The same lock guards a dataset folder during ``peel import`` (``name=".import.lock"``, with its own
    words for messages and a bounded ``wait`` for the holder to finish).

    Parameters
    ----------
    out_dir
        The folder to hold.
    stream
        Where to say that a lock left by a stopped process is taken over.
    name
        The lock file's name in ``out_dir``.
    busy, advice
        What a refusal says: "DIR: {busy} ({holder}); {advice}".
    what, option
        What the folder is, and the option that chooses another (for the other messages).
    remove
        Remove the lock file when done (a dataset folder is left as it was), instead of emptying it.
    wait
        Seconds to wait for the holder to let go before refusing (0: refuse at once).

    Raises
    ------
    OutputFolderError
        When the folder cannot be created or written, or another process holds it (naming that process).
    """

    def __init__(self, out_dir: Path, stream: TextIO, *, name: str = LOCK_NAME,
                 busy: str = "another peel build is writing to this folder",
                 advice: str = "wait for it to finish, or build into another folder with --out",
                 wait: float = 0.0, what: str = "output folder", option: str = "--out", remove: bool = False):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / name
        self.stream = stream
        self.busy, self.advice, self.wait, self.what, self.option = busy, advice, wait, what, option
        self.remove = remove
        self._fd: int | None = None

    def __enter__(self) -> OutputLock:
        shown = display_path(self.out_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as e:
            raise OutputFolderError(f"{shown}: cannot write to the {self.what} ({e.strerror or e}); "
                                    f"choose another with {self.option}") from None
        deadline = time.monotonic() + self.wait
        while True:
            if lock_exclusive(fd):
                if self._same_file(fd):
                    break
                # The holder removed the file as it let go (remove=True): lock the one now at the path.
                os.close(fd)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
                continue
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            holder = _describe(_read(fd))
            os.close(fd)
            waited = f" (waited {self.wait:g} s)" if self.wait else ""
            raise OutputFolderBusy(f"{shown}: {self.busy} ({holder}){waited}; {self.advice}") from None
        previous = _read(fd)
        if previous.get("pid"):
            gone = "is no longer running" if process_start(int(previous["pid"])) is None else \
                "now belongs to another process" if not holder_alive(int(previous["pid"]), previous.get("start")) \
                else "ended without releasing it"
            print(f"taking over the {self.what} from a process that stopped ({_describe(previous)}; "
                  f"that process {gone})", file=self.stream)
        info = {"pid": os.getpid(), "start": process_start(os.getpid()), "host": socket.gethostname(),
                "since": datetime.now(UTC).replace(microsecond=0).isoformat()}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info, sort_keys=True) + "\n").encode("utf-8"))
        except OSError as e:  # a full disk
            os.close(fd)
            raise WriteFailed(self.path, e) from None
        self._fd = fd
        return self

    def _same_file(self, fd: int) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (st.st_dev, st.st_ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino)

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self.remove:
                # Removed while still held: a process waiting on this file finds it gone and locks anew.
                self.path.unlink(missing_ok=True)
            else:
                os.ftruncate(fd, 0)  # an empty lock file: the last build ended normally
        finally:
            os.close(fd)  # releases the lock


def _read(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        doc = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _describe(info: dict) -> str:
    if not info.get("pid"):
        return "holder unknown"
    return f"process {info['pid']} on {info.get('host', 'an unknown host')}, started {info.get('since', '?')}"


def make_build_temp() -> Path:
    """A private temporary folder for this build's kernels, after removing those of dead builds.

    Kernel sockets live in it, and a socket's path may not exceed about 100 characters; when the
    system's temporary folder has a long path (``TMPDIR``), ``/tmp`` is used instead.
    """
    root = Path(tempfile.gettempdir())
    if len(str(root)) > 40 and os.access("/tmp", os.W_OK):
        root = Path("/tmp")
    for old in root.glob(f"{TEMP_PREFIX}*"):
        parts = old.name[len(TEMP_PREFIX):].split("-")
        if len(parts) >= 2 and parts[0].isdigit() and not holder_alive(int(parts[0]), parts[1]):
            shutil.rmtree(old, ignore_errors=True)
    me = os.getpid()
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{me}-{process_start(me)}-", dir=root))
