"""Reading a published file: bounded, sniffed by content, header found by layout.

Spreadsheets (ODS, XLSX, XLS) are read with python-calamine (the engine pandas uses for them), row by
row, keeping only the layout's columns; CSV (and ``.csv.gz``) with pandas. Whatever the format, the
result is one :class:`Sheet` per matching sheet: a frame whose columns are the layout's keys, plus
``_row``, the row number a spreadsheet shows (row 1 is the top).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import os
import re
import zipfile
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineWorkbook

from peel.errors import InputError, Problem, problem
from peel.files import InputFileError, check_zip_expansion, read_input
from peel.ingest.layout import Layout, whole

#: Largest file read (bytes). The biggest official table (stop and search open data) is about 30 MB.
MAX_BYTES = 256 * 1024 * 1024


def file_digest(path: Path) -> str:
    """The SHA-256 of an imported file, as its source entry records it (read within :data:`MAX_BYTES`)."""
    return hashlib.sha256(read_input(path, MAX_BYTES)).hexdigest()


class IngestError(InputError):
    """A published file that cannot be imported; the message names file, sheet, row and column."""

    exit_status = 1


def fail(path: Path | str, message: str, sheet: str | None = None, row: int | None = None,
         column: str | None = None) -> IngestError:
    """An :class:`IngestError` naming where: ``sheet 'X', row 12, column 'Force Name'``."""
    where = ", ".join(p for p in (f"sheet {sheet!r}" if sheet else "", f"row {row}" if row else "",
                                  f"column {column!r}" if column else "") if p)
    return IngestError(problem(path, where, message))


_collected: ContextVar[list[Problem] | None] = ContextVar("peel_ingest_problems", default=None)


@contextmanager
def collecting() -> Iterator[list[Problem]]:
    """Collect the problems :func:`report` is given instead of raising the first, so that an import lists
    every bad cell, duplicate row and total at once; :func:`raise_collected` ends a stage that had any."""
    problems: list[Problem] = []
    token = _collected.set(problems)
    try:
        yield problems
    finally:
        _collected.reset(token)


def report(error: IngestError) -> None:
    """Note ``error``'s problems (inside :func:`collecting`), or raise it (outside)."""
    problems = _collected.get()
    if problems is None:
        raise error
    problems.extend(error.problems)


def raise_collected() -> None:
    """Raise every problem collected so far (a stage whose result the next stage cannot use)."""
    problems = _collected.get()
    if problems:
        raise IngestError(list(problems))


@dataclass(frozen=True)
class Sheet:
    """The rows of one sheet under a layout's header.

    Attributes
    ----------
    name
        The sheet's name (``""`` for a CSV file).
    layout
        The layout its header matched.
    frame
        Columns = the layout keys found, as read (text or numbers), plus ``_row`` and ``_whole`` (a
        fingerprint of all the row's cells, to find a row given twice).
    headers
        Layout key -> the header as spelt in the file (for messages).
    title
        The text of the cells above the header (the table's title, which may give its year).
    """

    name: str
    layout: Layout
    frame: pd.DataFrame
    headers: dict[str, str]
    title: str = ""

    def row_at(self, index: Hashable) -> int:
        """The spreadsheet row number of the frame's row ``index`` (for messages)."""
        return whole(self.frame["_row"].at[index])

    def first_row(self, where: pd.Series) -> int:
        """The spreadsheet row number of the first row where the boolean Series ``where`` holds (the
        first row when it holds nowhere)."""
        return self.row_at(where.idxmax())


def load(path: Path) -> tuple[str, bytes]:
    """The file's kind (``ods``, ``xlsx``, ``xls``, ``csv`` or ``csv.gz``, from its content, not its name)
    and its bytes, read once through the bounded reader (:func:`peel.files.read_input`).

    A zip archive (XLSX, ODS) is checked from its directory before anything expands it: the sum of its
    members' sizes, each member's size and their compression ratio (:func:`peel.files.check_zip_expansion`).

    Raises
    ------
    IngestError
        Missing file, not a regular file (a FIFO, a folder, a device), too large (compressed or
        expanded), or neither spreadsheet nor text.
    """
    try:
        data = read_input(path, MAX_BYTES)
    except FileNotFoundError:
        raise fail(path, "file not found: expected a published table (ODS, XLSX, XLS or CSV)") from None
    except InputFileError as e:
        raise fail(path, f"{e}: expected a published table file (the largest, stop and search open data, is "
                         "about 30 MB)") from None
    except OSError as e:
        raise fail(path, f"cannot be read ({e.strerror or e}): expected a published table you may read") from None
    if not data:
        raise fail(path, "empty file (0 bytes): expected a published table")
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                check_zip_expansion(z)
                names = set(z.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype")[:200]:
                    return "ods", data
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    return "xlsx", data
        except InputFileError as e:
            raise fail(path, f"{e}: expected a published spreadsheet") from None
        except (zipfile.BadZipFile, OSError, KeyError):
            raise fail(path, "a damaged zip archive: expected an ODS or XLSX spreadsheet") from None
        raise fail(path, "a zip archive but not a spreadsheet: expected ODS, XLSX, XLS or CSV")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls", data
    if head.startswith(b"\x1f\x8b"):
        return "csv.gz", data
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8")):
        raise fail(path, "not a spreadsheet or CSV file (binary content): expected ODS, XLSX, XLS or CSV")
    return "csv", data


def _text(path: Path, kind: str, data: bytes) -> str:
    raw = data
    if kind == "csv.gz":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                raw = f.read(MAX_BYTES + 1)
        except (OSError, EOFError) as e:
            raise fail(path, f"cannot be read ({' '.join(str(e).split())}): expected an undamaged CSV or CSV.GZ "
                             "file") from None
    if len(raw) > MAX_BYTES:
        raise fail(path, f"decompresses to over {MAX_BYTES:,} bytes: expected a published table")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Home Office CSV files were saved from Excel in Windows-1252.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as e:
            raise fail(path, f"not text (byte {e.start}): expected a CSV file in UTF-8 or Windows-1252") from None


def _workbook(path: Path, kind: str, data: bytes) -> Any:
    """A spreadsheet opened from its bytes: calamine tells the format from the content, not the name."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # calamine's errors are plain exceptions of several types
        raise fail(path, f"cannot be read as {kind.upper()} ({' '.join(str(e).split())[:200]}): expected an "
                         "undamaged spreadsheet") from None


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and cell != cell) or (isinstance(cell, str) and not cell.strip())


def _csv_grid(path: Path, kind: str, data: bytes) -> pd.DataFrame:
    """A CSV file as text cells, no header; index 0 is row 1."""
    text = _text(path, kind, data)
    try:
        return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, engine="python" if len(text) < 1_000_000 else "c")
    except pd.errors.ParserError as e:
        line = re.search(r"line (\d+)", str(e))
        raise fail(path, f"cannot be read as CSV ({' '.join(str(e).split())}): expected one header row "
                         "and rows of the same number of cells", row=int(line.group(1)) if line else None) from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _rows(path: Path, kind: str, book: Any, sheet: str) -> tuple[int, Iterator[Sequence[object]]]:
    """The rows of a sheet (or CSV file: ``book`` is then its bytes) as lists of cells, and the row number
    before the first one.

    Spreadsheets are read with python-calamine row by row, so that only the columns a layout needs are
    ever held as Python objects.
    """
    if kind.startswith("csv"):
        return 0, iter(_csv_grid(path, kind, book).to_numpy().tolist())
    try:
        sh = book.get_sheet_by_name(sheet)
        # iter_rows starts at row 1 even when the used area starts lower (empty rows come as empty cells).
        return 0, iter(sh.iter_rows())
    except Exception as e:  # calamine's errors are plain exceptions of several types
        raise fail(path, f"cannot be read as {kind.upper()} ({' '.join(str(e).split())[:200]}): expected an "
                         "undamaged spreadsheet", sheet=sheet) from None


def read_sheets(path: Path | str, layouts: Sequence[Layout], table: str) -> list[Sheet]:
    """Every sheet of ``path`` that one of ``layouts`` describes, with its rows under the header.

    The first layout whose sheet name and header both match wins; all sheets must share it.

    Raises
    ------
    IngestError
        No sheet of the expected name (listing the sheets there are), a header without the expected
        columns (listing the accepted spellings, the columns found and the closest), or no data rows.
    """
    path = Path(path)
    kind, data = load(path)
    is_csv = kind.startswith("csv")
    book: Any = data if is_csv else _workbook(path, kind, data)
    names = [""] if is_csv else list(book.sheet_names)
    layouts = [lo for lo in layouts if lo.csv is None or lo.csv == is_csv]
    candidates = [(n, [lo for lo in layouts if is_csv or lo.sheet_matches(n)]) for n in names]
    candidates = [(n, los) for n, los in candidates if los]
    if not candidates:
        wanted = " or ".join(sorted({repr(lo.sheet_label or lo.sheets) for lo in layouts if lo.sheets}))
        raise fail(path, f"no sheet named like {wanted} for the {table} table: the sheets are "
                         f"{', '.join(repr(n) for n in names)}")
    out: list[Sheet] = []
    best: tuple[int, str, Layout, Sequence[object], int] | None = None
    for name, los in candidates:
        offset, rows = _rows(path, kind, book, name)
        top = list(itertools.islice(rows, max(lo.header_scan for lo in los)))
        got = None
        for lo in los:
            for r, cells in enumerate(top[: lo.header_scan]):
                pos = lo.match_header(cells)
                if pos is not None:
                    got = (lo, r, pos, cells)
                    break
                score = lo.score(cells)
                if best is None or score > best[0]:
                    best = (score, name, lo, cells, offset + r + 1)
            if got:
                break
        if got is None:
            if any(lo.sheets for lo in los):  # a sheet that should hold the table but does not
                break
            continue
        lo, r, pos, cells = got
        # Only the layout's columns are kept, row by row: the largest table has half a million rows.
        keys, idx = list(pos), list(pos.values())
        cols: list[list[object]] = [[] for _ in keys]
        numbers: list[int] = []
        wholes: list[int] = []
        for n, row in enumerate(itertools.chain(top[r + 1:], rows), start=offset + r + 2):
            vals = [row[i] if i < len(row) else None for i in idx]
            if all(_blank(v) for v in vals):
                continue
            for c, v in zip(cols, vals, strict=True):
                c.append(v)
            numbers.append(n)
            # The whole row's fingerprint (all its cells, not only the layout's): a row given twice is an error.
            wholes.append(hash(tuple(str(c) for c in row)))
        body = pd.DataFrame({**dict(zip(keys, cols, strict=True)), "_row": numbers, "_whole": wholes})
        title = " ".join(str(c) for row in top[:r] for c in row if not _blank(c))
        out.append(Sheet(name, lo, body, {k: str(cells[i]).strip() for k, i in pos.items()}, title))
    if out:
        if len({s.layout.id for s in out}) > 1:
            raise fail(path, f"sheets in different layouts ({', '.join(f'{s.name}: {s.layout.id}' for s in out)}): "
                             "expected one edition of one table")
        if all(s.frame.empty for s in out):
            raise fail(path, f"no data rows under the header: expected the {table} table's rows",
                       sheet=out[0].name or None, row=None)
        return out
    if best is None:
        raise fail(path, f"empty: expected the {table} table with a header row", sheet=candidates[0][0] or None)
    score, name, lo, cells, header_row = best
    found = ", ".join(repr(str(c).strip()) for c in cells if not _blank(c))
    raise fail(path, f"not the {table} table's header: {lo.explain_missing(cells)}; columns found: "
                     f"{found or 'none'}", sheet=name or None, row=header_row)


def read_dataset_file(path: Path) -> str | None:
    """A file of the dataset folder as text (``None`` when there is none), through the bounded reader:
    a FIFO, a device or a huge file in its place is refused, not waited on or read without end."""
    if not os.path.lexists(path):
        return None
    expected = "expected the dataset's own file, a UTF-8 text file of at most 64 MiB (run 'peel validate')"
    try:
        return read_input(path).decode("utf-8-sig")
    except InputFileError as e:
        raise fail(path, f"{e}: {expected}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise fail(path, f"cannot be read ({' '.join(str(e).split())[:200]}): {expected}") from None
