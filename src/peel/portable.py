"""What differs between operating systems: locking a file, and the signals that stop or end a process.

Windows, where most analysts work, has no ``fcntl`` and no SIGHUP or SIGKILL. Every module of the
package must import there, so the code that needs one of them takes it from here
(tests/test_portability.py imports every module with them taken away).
"""

from __future__ import annotations

import os
import signal
import sys

#: Signals that stop a build as Ctrl-C does, besides SIGINT: SIGTERM, and SIGHUP (the terminal closed)
#: where it exists.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: The signal that ends a process at once: SIGKILL, or on Windows SIGTERM (``os.kill`` with it
#: terminates the process there).
KILL_SIGNAL: signal.Signals = getattr(signal, "SIGKILL", signal.SIGTERM)

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
