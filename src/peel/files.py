"""Writing outputs whole or not at all.

Every file the project writes (reports, PDFs, executed notebooks, the manifest, the index, the
demonstration data) goes through :func:`atomic_write`, so a build stopped half-way, or a failure,
never leaves half a file and never destroys the previous good one.
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from peel.errors import InputError, Problem, WriteFailed, problem

#: The largest input file (YAML, CSV) read: far above any real one (the national file of 43 forces over
#: twenty years is under 1 MiB), low enough that a wrong path cannot exhaust memory.
INPUT_LIMIT = 64 * 1024 * 1024


class InputFileError(OSError):
    """An input path that is not a regular file of a readable size (a FIFO, a device, a huge file)."""


def read_input(path: Path, limit: int = INPUT_LIMIT) -> bytes:
    """The bytes of an input file, refusing anything but a regular file of at most ``limit`` bytes.

    A FIFO would block a plain ``open`` for ever and a symlink to ``/dev/zero`` would read without end;
    opening without blocking and checking the opened file's kind and size bounds every read.

    Raises
    ------
    FileNotFoundError
        When the path does not exist.
    InputFileError
        When it is not a regular file, or is larger than ``limit``; the message says which.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode)
                    else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
            raise InputFileError(f"is {kind}, not a regular file")
        mib = 1024 * 1024
        too_big = (f"is larger than {limit // mib} MiB" if limit % mib == 0 else f"is larger than {limit:,} bytes") + \
            ", the limit for an input file"
        if st.st_size > limit:
            raise InputFileError(too_big)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise InputFileError(too_big)
        return data
    finally:
        os.close(fd)


#: What a compressed spreadsheet (XLSX and ODS are zip archives) may expand to: all members together, one
#: member, and the ratio of a large member's expanded to compressed size. A stop and search open data table
#: of half a million rows (benchmarks/bench_import.py: 9.8 MiB of ODS) has a content.xml of 629 MB, 64 times
#: its compressed size; the ONS workbooks' members are under 30 times theirs. A "zip bomb" (a 3.5 MB
#: workbook whose shared strings expand to 1.5 GB, 430 times) is refused from the archive's directory,
#: before anything is expanded.
ZIP_EXPANDED_LIMIT = 2 * 1024 * 1024 * 1024
ZIP_MEMBER_LIMIT = 1024 * 1024 * 1024
ZIP_RATIO_LIMIT = 200
#: Members smaller than this are not held to the ratio (a small, very regular XML part may compress 1000:1).
ZIP_RATIO_FROM = 1024 * 1024


def check_zip_expansion(archive: zipfile.ZipFile, *, total: int = ZIP_EXPANDED_LIMIT, member: int = ZIP_MEMBER_LIMIT,
                        ratio: int = ZIP_RATIO_LIMIT) -> None:
    """Refuse a zip archive that would expand beyond the limits, from its directory (nothing is expanded).

    Parameters
    ----------
    archive
        The open archive (an XLSX or ODS spreadsheet).
    total, member, ratio
        The limits on the sum of the members' expanded sizes, on one member's, and on the ratio of a member's
        expanded to compressed size (members of at least :data:`ZIP_RATIO_FROM` bytes).

    Raises
    ------
    InputFileError
        Naming the member and the limit it is over.
    """
    mib = 1024 * 1024
    expanded = 0
    for info in archive.infolist():
        expanded += info.file_size
        if info.file_size > member:
            raise InputFileError(f"member {info.filename} expands to {info.file_size:,} bytes, over the limit of "
                                 f"{member // mib} MiB for one member of a compressed spreadsheet")
        if info.file_size >= ZIP_RATIO_FROM and info.file_size > ratio * max(info.compress_size, 1):
            raise InputFileError(f"member {info.filename} expands {info.file_size / max(info.compress_size, 1):,.0f} "
                                 f"times ({info.compress_size:,} to {info.file_size:,} bytes), over the limit of "
                                 f"{ratio} times for a compressed spreadsheet")
    if expanded > total:
        raise InputFileError(f"expands to {expanded:,} bytes in all, over the limit of {total // mib} MiB for a "
                             "compressed spreadsheet")


def read_input_or_problem(path: Path, problems: list[Problem], expected: str) -> bytes | None:
    """The bytes of an input file (as :func:`read_input`), or ``None`` with a problem appended when it is
    missing, not a regular file, too large or unreadable; ``expected`` says what the file should hold.

    The one place where every input format (YAML, CSV) turns an unreadable file into a message.
    """
    try:
        return read_input(path)
    except FileNotFoundError:
        problems.append(problem(path, "", f"file not found: expected {expected}"))
    except InputFileError as e:
        problems.append(problem(path, "", f"{e}: expected {expected}"))
    except OSError as e:
        problems.append(problem(path, "", f"could not be read ({e.strerror or e}): expected {expected}"))
    return None


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell that a spreadsheet shows as text, never runs as a formula.

    A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe,
    as OWASP's guidance on CSV injection says: a sentence typed as ``=HYPERLINK(...)`` opens as those
    words, not as a link. Other text is returned as it is.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


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

    Raises
    ------
    WriteFailed
        When the file cannot be written (a full disk, a read-only folder), naming it; nothing is left behind.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise WriteFailed(path, e) from None
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # mkstemp makes private files; outputs are ordinary files
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        replace_into_place(Path(tmp), path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, WriteFailed):  # a full disk: one message naming the file
            raise WriteFailed(path, e) from None
        raise


@dataclass(frozen=True)
class Written:
    """What :func:`write_files` did: the files it wrote and those already as they would be written."""

    written: tuple[Path, ...]
    unchanged: tuple[Path, ...]


def write_files(contents: Mapping[Path, str | bytes], *, force: bool = False, what: str = "this command",
                limit: int = 10) -> Written:
    """Write several generated files, refusing to replace any that differs unless ``force`` is given.

    A file that differs from what would be written may hold an analyst's edits (a new measure's rows,
    a reworded finding), so by default nothing is written at all when any existing file differs: the
    error names those files (the first ``limit`` of them and how many more) and says how to proceed.
    Files that already hold exactly the generated bytes are left untouched (their times are kept).

    Raises
    ------
    InputError
        When an existing file differs and ``force`` is false. Nothing has been written.
    """
    payloads = {Path(p): (d.encode("utf-8") if isinstance(d, str) else d) for p, d in contents.items()}
    differ: list[Path] = []
    unchanged: list[Path] = []
    for path, payload in payloads.items():
        if path.is_file():
            (unchanged if path.read_bytes() == payload else differ).append(path)
    if differ and not force:
        shown = [problem(p, "", f"differs from what {what} would write") for p in differ[:limit]]
        if len(differ) > limit:
            shown.append(Problem("…", "", f"and {len(differ) - limit} more files that differ"))
        shown.append(Problem("--force", "", f"not given: nothing was written. Keep a copy of your edits, then run "
                                            f"{what} again with --force to replace these files"))
        raise InputError(shown)
    written = []
    for path, payload in payloads.items():
        if path not in unchanged:
            atomic_write(path, payload)
            written.append(path)
    return Written(tuple(written), tuple(unchanged))

