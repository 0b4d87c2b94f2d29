"""Reading a published file: bounded, sniffed by content, header found by layout.

Spreadsheets (ODS, XLSX, XLS) are read with pandas and python-calamine; CSV (and ``.csv.gz``) with
pandas. Whatever the format, the result is one :class:`Sheet` per matching sheet: a frame whose
columns are the layout's keys, plus ``_row``, the row number a spreadsheet shows (row 1 is the top).
"""

from __future__ import annotations

import gzip
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peel.errors import InputError, problem
from peel.ingest.layout import Layout

#: Largest file read (bytes). The biggest official table (stop and search open data) is about 30 MB.
MAX_BYTES = 256 * 1024 * 1024


class IngestError(InputError):
    """A published file that cannot be imported; the message names file, sheet, row and column."""

    exit_status = 1


def fail(path: Path | str, message: str, sheet: str | None = None, row: int | None = None,
         column: str | None = None) -> IngestError:
    """An :class:`IngestError` naming where: ``sheet 'X', row 12, column 'Force Name'``."""
    where = ", ".join(p for p in (f"sheet {sheet!r}" if sheet else "", f"row {row}" if row else "",
                                  f"column {column!r}" if column else "") if p)
    return IngestError(problem(path, where, message))


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
        Columns = the layout keys found, as read (text or numbers), plus ``_row``.
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


def sniff(path: Path) -> str:
    """``ods``, ``xlsx``, ``xls``, ``csv`` or ``csv.gz`` from the file's first bytes (not its name).

    Raises
    ------
    IngestError
        Missing file, not a regular file (a FIFO, a folder), too large, or neither spreadsheet nor text.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise fail(path, "file not found: expected a published table (ODS, XLSX, XLS or CSV)") from None
    except OSError as e:
        raise fail(path, f"cannot be read ({e.strerror}): expected a published table") from None
    if not stat.S_ISREG(st.st_mode):
        raise fail(path, "not a regular file (a folder, pipe or device): expected a published table file")
    if st.st_size == 0:
        raise fail(path, "empty file (0 bytes): expected a published table")
    if st.st_size > MAX_BYTES:
        raise fail(path, f"{st.st_size:,} bytes is over the limit of {MAX_BYTES:,} bytes: expected a published "
                         "table (the largest, stop and search open data, is about 30 MB)")
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in z.read("mimetype"):
                    return "ods"
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    return "xlsx"
        except (zipfile.BadZipFile, OSError, KeyError):
            raise fail(path, "a damaged zip archive: expected an ODS or XLSX spreadsheet") from None
        raise fail(path, "a zip archive but not a spreadsheet: expected ODS, XLSX, XLS or CSV")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"\x1f\x8b"):
        return "csv.gz"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8")):
        raise fail(path, "not a spreadsheet or CSV file (binary content): expected ODS, XLSX, XLS or CSV")
    return "csv"


def _text(path: Path, kind: str) -> str:
    raw = gzip.open(path).read(MAX_BYTES + 1) if kind == "csv.gz" else path.read_bytes()
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


def _grid(path: Path, kind: str, sheet: str) -> pd.DataFrame:
    """A whole sheet (or CSV file) as cells, no header; index 0 is spreadsheet row 1."""
    if kind.startswith("csv"):
        import io
        text = _text(path, kind)
        try:
            return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                               skip_blank_lines=False, engine="python" if len(text) < 1_000_000 else "c")
        except pd.errors.ParserError as e:
            raise fail(path, f"cannot be read as CSV ({' '.join(str(e).split())}): expected one header row "
                             "and rows of the same number of cells") from None
        except pd.errors.EmptyDataError:
            return pd.DataFrame()
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None, engine="calamine")
    except Exception as e:  # calamine's errors are plain exceptions of several types
        raise fail(path, f"cannot be read as {kind.upper()} ({' '.join(str(e).split())[:200]}): expected an "
                         "undamaged spreadsheet", sheet=sheet) from None


def sheet_names(path: Path, kind: str) -> list[str]:
    """The sheets of a spreadsheet (``[""]`` for CSV)."""
    if kind.startswith("csv"):
        return [""]
    from python_calamine import CalamineWorkbook
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as e:
        raise fail(path, f"cannot be read as {kind.upper()} ({' '.join(str(e).split())[:200]}): expected an "
                         "undamaged spreadsheet") from None


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
    kind = sniff(path)
    names = sheet_names(path, kind)
    candidates = [(n, [lo for lo in layouts if kind.startswith("csv") or lo.sheets is None
                       or lo.sheet_matches(n)]) for n in names]
    candidates = [(n, los) for n, los in candidates if los]
    if not candidates:
        wanted = " or ".join(sorted({lo.sheets for lo in layouts if lo.sheets}))
        raise fail(path, f"no sheet named like {wanted} for the {table} table: the sheets are "
                         f"{', '.join(repr(n) for n in names)}")
    out: list[Sheet] = []
    best: tuple[int, str, Layout, list[object], int] | None = None
    for name, los in candidates:
        grid = _grid(path, kind, name)
        got = None
        for lo in los:
            for r in range(min(lo.header_scan, len(grid))):
                cells = list(grid.iloc[r])
                pos = lo.match_header(cells)
                if pos is not None:
                    got = (lo, r, pos, cells)
                    break
                score = lo.score(cells)
                if best is None or score > best[0]:
                    best = (score, name, lo, cells, r + 1)
            if got:
                break
        if got is None:
            if any(lo.sheets for lo in los):  # a sheet that should hold the table but does not
                break
            continue
        lo, r, pos, cells = got
        body = grid.iloc[r + 1:, list(pos.values())]
        body.columns = list(pos)
        body = body.assign(_row=body.index + 1)
        blank = body[list(pos)].apply(lambda c: c.isna() | c.astype(str).str.strip().eq("")).all(axis=1)
        body = body[~blank].reset_index(drop=True)
        title = " ".join(str(c) for c in grid.iloc[:r].to_numpy().ravel() if c is not None and str(c) not in ("", "nan"))
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
    score, name, lo, cells, row = best
    found = ", ".join(repr(str(c).strip()) for c in cells if c is not None and str(c).strip() not in ("", "nan"))
    raise fail(path, f"not the {table} table's header: {lo.explain_missing(cells)}; columns found: "
                     f"{found or 'none'}", sheet=name or None, row=row)
