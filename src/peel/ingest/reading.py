"""Reading a published file: bounded, sniffed by content, header found by layout.

Spreadsheets (ODS, XLSX, XLS) are read with python-calamine (the engine pandas uses for them), row by
row, keeping only the layout's columns; CSV (and ``.csv.gz``) with pandas. Whatever the format, the
result is one :class:`Sheet` per matching sheet: a frame whose columns are the layout's keys, plus
``_row``, the row number a spreadsheet shows (row 1 is the top).
"""

from __future__ import annotations

import gzip
import itertools
import stat
import zipfile
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peel.errors import InputError, problem
from peel.ingest.layout import Layout, whole

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

    def row_at(self, index: Hashable) -> int:
        """The spreadsheet row number of the frame's row ``index`` (for messages)."""
        return whole(self.frame["_row"].at[index])

    def first_row(self, where: pd.Series) -> int:
        """The spreadsheet row number of the first row where the boolean Series ``where`` holds (the
        first row when it holds nowhere)."""
        return self.row_at(where.idxmax())


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
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise fail(path, f"cannot be read ({e.strerror}): expected a published table you may read") from None
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
    try:
        if kind == "csv.gz":
            with gzip.open(path) as f:
                raw = f.read(MAX_BYTES + 1)
        else:
            raw = path.read_bytes()
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


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and cell != cell) or (isinstance(cell, str) and not cell.strip())


def _csv_grid(path: Path, kind: str) -> pd.DataFrame:
    """A CSV file as text cells, no header; index 0 is row 1."""
    import io
    text = _text(path, kind)
    try:
        return pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                           skip_blank_lines=False, engine="python" if len(text) < 1_000_000 else "c")
    except pd.errors.ParserError as e:
        import re
        line = re.search(r"line (\d+)", str(e))
        raise fail(path, f"cannot be read as CSV ({' '.join(str(e).split())}): expected one header row "
                         "and rows of the same number of cells", row=int(line.group(1)) if line else None) from None
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _rows(path: Path, kind: str, sheet: str) -> tuple[int, Iterator[Sequence[object]]]:
    """The rows of a sheet (or CSV file) as lists of cells, and the row number before the first one.

    Spreadsheets are read with python-calamine row by row, so that only the columns a layout needs are
    ever held as Python objects.
    """
    if kind.startswith("csv"):
        return 0, iter(_csv_grid(path, kind).to_numpy().tolist())
    from python_calamine import CalamineWorkbook
    try:
        sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        # iter_rows starts at row 1 even when the used area starts lower (empty rows come as empty cells).
        return 0, iter(sh.iter_rows())
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
    is_csv = kind.startswith("csv")
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
        offset, rows = _rows(path, kind, name)
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
        for n, row in enumerate(itertools.chain(top[r + 1:], rows), start=offset + r + 2):
            vals = [row[i] if i < len(row) else None for i in idx]
            if all(_blank(v) for v in vals):
                continue
            for c, v in zip(cols, vals, strict=True):
                c.append(v)
            numbers.append(n)
        body = pd.DataFrame({**dict(zip(keys, cols, strict=True)), "_row": numbers})
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
