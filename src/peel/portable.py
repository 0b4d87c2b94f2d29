"""What differs between operating systems: locking a file, signals, process groups, and the kernel's sockets.

Windows, where most analysts work, has no ``fcntl``, no SIGHUP or SIGKILL, no process groups to
signal (``os.killpg``), no ``signal.pthread_sigmask`` and no ZeroMQ ``ipc`` sockets. Every module of
the package must import there, so the code that needs one of them takes it from here
(tests/test_portability.py imports every module with them taken away). The choices are functions of
the platform's facts, so that both branches are tested on Linux.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys

#: Signals that stop a build as Ctrl-C does, besides SIGINT: SIGTERM, and SIGHUP (the terminal closed)
#: where it exists.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: The signal that ends a process at once: SIGKILL, or on Windows SIGTERM (``os.kill`` with it
#: terminates the process there).
KILL_SIGNAL: signal.Signals = getattr(signal, "SIGKILL", signal.SIGTERM)

#: Whether a signal sent to another process can interrupt it (ipykernel turns SIGINT into
#: KeyboardInterrupt in the running cell). On Windows ``os.kill`` with any signal but the console's
#: events terminates the process, so a notebook past its timeout is killed instead.
CAN_INTERRUPT = os.name == "posix"

#: Windows locks byte ranges: the lock is on one byte far past the holder's note at the start of
#: the file, so another process can still read the note.
_WINDOWS_LOCK_OFFSET = 1 << 30


def lock_exclusive(fd: int) -> bool:
    """Take the exclusive lock on an open file without waiting.

    The operating system releases it when ``fd`` is closed or the process ends, however it ends.

    Parameters
    ----------
    fd
        A file descriptor open for reading and writing.

    Returns
    -------
    bool
        ``True`` when this process now holds the lock; ``False`` when another one holds it.
    """
    if sys.platform == "win32":
        import msvcrt  # here, not at the top: it exists on Windows only

        here = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, here, os.SEEK_SET)
        return True
    import fcntl  # here, not at the top: Windows has none, and the module must import there

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def kernel_transport(posix: bool = os.name == "posix", unix_sockets: bool = hasattr(socket, "AF_UNIX")) -> str:
    """The ZeroMQ transport of a kernel's sockets: ``ipc`` (Unix domain sockets: local only, no network
    port opened) on POSIX with Unix sockets; ``tcp`` on the loopback address otherwise (Windows).

    Parameters
    ----------
    posix, unix_sockets
        The platform's facts (default: this one's).
    """
    return "ipc" if posix and unix_sockets else "tcp"


def kill_quietly(pid: int, sig: int = KILL_SIGNAL) -> None:
    """Send ``sig`` to a process, ignoring one that is already gone (or not ours)."""
    with contextlib.suppress(OSError):  # ProcessLookupError, PermissionError
        os.kill(pid, sig)


def kill_group_quietly(pid: int, sig: int = KILL_SIGNAL) -> bool:
    """Send ``sig`` to the process group ``pid`` leads, where process groups exist (POSIX); whether it could.

    A kernel leads its own group there, so what it started goes with it. Elsewhere nothing is sent and
    the caller kills the process itself (and :func:`peel.pipeline.kernel.stop_strays` what it started).
    """
    killpg = getattr(os, "killpg", None)
    if killpg is None:
        return False
    try:
        killpg(pid, sig)
    except OSError:
        return False
    return True


def block_signals(*signals: int) -> None:
    """Keep ``signals`` from reaching this thread from now on: blocked where POSIX threads can block
    them (a blocked signal does not interrupt a system call half-way), otherwise ignored."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
    else:
        for s in signals:
            signal.signal(s, signal.SIG_IGN)
