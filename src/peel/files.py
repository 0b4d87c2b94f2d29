"""Writing outputs whole or not at all.

Every file the project writes (reports, PDFs, executed notebooks, the manifest, the index, the
demonstration data) goes through :func:`atomic_write`, so a build stopped half-way, or a failure,
never leaves half a file and never destroys the previous good one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Called right before every rename into place; a build's worker process sets it to refuse writing
#: once the build that started it has ended (it raises), so an orphan never replaces a newer file.
_before_replace: Callable[[Path], None] | None = None


def set_write_guard(guard: Callable[[Path], None] | None) -> None:
    """Call ``guard(path)`` before each file is renamed into place (``None`` removes the guard)."""
    global _before_replace
    _before_replace = guard


def replace_into_place(tmp: Path, path: Path) -> None:
    """``os.replace(tmp, path)``, after the write guard (see :func:`set_write_guard`) allowed it."""
    if _before_replace is not None:
        _before_replace(Path(path))
    os.replace(tmp, path)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write a file as a whole or not at all: a temporary file in the same folder, renamed into place.

    A reader (or a build stopped half-way) never sees a partly written file, and a failed write leaves
    the previous file as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # mkstemp makes private files; outputs are ordinary files
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        replace_into_place(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
