"""``OUT/<force>/figures.xlsx``: the data behind every chart of a force's report, tidy and printable.

The workbook is written with openpyxl from the figure records the notebooks made the report's data
tables from (:func:`peel.analysis.numbered_figure.table_record`, :func:`peel.analysis.trend.trend_record`).
Every sheet is one table whose header row is row 1 and holds nothing else, so
``pandas.read_excel(path, sheet_name=...)`` reads any of them without skipping rows or dropping columns:

* **Contents**: one row per figure (numbered as in the report, linked to its sheet) with what describes
  it: title, period, measure, unit, published decimals, the England and Wales figure, the lines
  (average, standard deviation, lower, upper, forces compared) or the standard, how to read them, the
  source and the notes;
* **All figures** (:data:`ALL_FIGURES`): every figure of every chart in long format, one row per force
  (or, for a trend, per period): figure, measure, period (as printed and as an ISO 8601 interval),
  force id and name, a ``This report`` flag, the value at its published precision and as printed, unit,
  decimals, the comparison words, and the England and Wales figure in columns of its own;
* **Figure N**: the report's data table for figure N (force, value, comparison), with the report's force
  under its plain name and flagged in a ``This report`` column, and England and Wales in a column of
  its own, not a row among the forces; a trend's sheet has the period, the force and England and Wales.

Every sheet prints fitted to the page's width, with its header row repeated on each page, landscape
when it is wide, and the figure's title in the page header. The same figures give the same bytes: the
document's dates and the zip entries' times are fixed.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from peel.files import spreadsheet_safe

#: Each force's workbook, beside its report.
FIGURES_XLSX = "figures.xlsx"

#: The sheet with the list of figures and what describes each.
CONTENTS = "Contents"

#: The long-format sheet of every figure.
ALL_FIGURES = "All figures"

#: The column that flags the report's own force.
FLAG_HEAD = "This report"

#: The long-format sheet's columns, in order.
ALL_FIGURES_COLUMNS = (
    "Figure", "Sheet", "Chart", "Measure", "Title", "Period", "Period (ISO 8601)", "Force id", "Force",
    FLAG_HEAD, "Value", "Value as printed", "Unit", "Decimals", "Comparison", "England and Wales",
    "England and Wales as printed", "England and Wales figure", "Source",
)

#: The contents sheet's columns, in order.
CONTENTS_COLUMNS = (
    "Figure", "Sheet", "Chart", "Title", "Period", "Measure", "Unit", "Decimals", "England and Wales",
    "England and Wales figure", "Average of the forces compared", "Standard deviation", "Lower line",
    "Upper line", "Forces compared", "Expected standard", "How to read the lines", "Source", "Notes",
)

_FIXED = datetime.datetime(2000, 1, 1)


def _number_format(decimals: int) -> str:
    return "0" if decimals <= 0 else "0." + "0" * decimals


def _rounded(number: float | None, decimals: int) -> float | None:
    return None if number is None else round(number, decimals)


def _fixed_zip(data: bytes) -> bytes:
    """The same workbook with every zip entry dated 1 January 1980, so identical inputs give identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _table(ws: Any, heads: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
           formats: dict[int, Sequence[str | None]] | None = None) -> None:
    """``rows`` under a bold header row from A1, with column widths and per-row number formats by column.

    Every cell is data: text a spreadsheet would run as a formula (an inspector's "=..." or "-1 ...",
    which openpyxl would even store as a formula) gets a leading apostrophe (:func:`peel.files.spreadsheet_safe`)
    before it is put in its cell; numbers stay numbers.
    """
    # openpyxl is imported when a workbook is written (here and below), not with the build: it takes a second.
    from openpyxl.styles import Alignment, Font

    ws.append([_safe(value) for value in heads])
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="bottom")
    for cell in ws[1]:
        cell.font, cell.alignment = bold, wrap
    for i, row in enumerate(rows, start=2):
        # Made safe as the row is appended, not by setting each text cell again afterwards: openpyxl
        # checks a text each time it is set, a third of the workbook's time when done twice.
        ws.append([_safe(value) for value in row])
        for col, fmts in (formats or {}).items():
            if fmts[i - 2] is not None:
                ws.cell(row=i, column=col).number_format = fmts[i - 2]
    for letter_index, width in enumerate(widths, start=1):
        ws.column_dimensions[_letter(letter_index)].width = width


def _safe(value: Any) -> Any:
    return spreadsheet_safe(value) if isinstance(value, str) else value


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter  # when a workbook is written (see _table)

    return get_column_letter(index)


def _print_setup(ws: Any, title: str, *, wide: bool) -> None:
    """Fit to the page's width (as many pages down as needed), header row on every page, title above."""
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.freeze_panes = "A2"
    # "&" starts a code in a page header: a literal one is doubled.
    ws.oddHeader.left.text = title.replace("&", "&&")
    ws.oddFooter.right.text = "Page &P of &N"


def _force_sheet(ws: Any, fig: dict[str, Any], title: str) -> None:
    """A chart's data table: force, value, comparison, the flag, and England and Wales in its own column."""
    d = int(fig["decimals"])
    ew = fig.get("england_and_wales")
    heads = ["Force", fig["unit_head"], fig["compare_head"], FLAG_HEAD]
    if ew:
        heads.append(f"England and Wales ({ew['kind']})")
    rows = [[row["name"], _rounded(row["number"], d), row["compared"], bool(row["this_force"])]
            + ([_rounded(ew["number"], d)] if ew else []) for row in fig["rows"]]
    fmt = [_number_format(d)] * len(rows)
    _table(ws, heads, rows, [36, 16, 34, 12, 20], {2: fmt, 5: fmt} if ew else {2: fmt})
    _print_setup(ws, title, wide=False)


def _trend_sheet(ws: Any, fig: dict[str, Any], title: str) -> None:
    """A trend chart's data table: period, the force and England and Wales."""
    d = int(fig["decimals"])
    rows = [[row["period"], _rounded(row["force_number"], d), _rounded(row["ew_number"], d)] for row in fig["rows"]]
    fmt = [_number_format(d)] * len(rows)
    _table(ws, ["Period", fig["force"], "England and Wales"], rows, [34, 30, 20], {2: fmt, 3: fmt})
    _print_setup(ws, title, wide=False)


def _contents_row(number: int, fig: dict[str, Any]) -> list[Any]:
    """The figure's row of the contents sheet (:data:`CONTENTS_COLUMNS`)."""
    d = int(fig["decimals"])
    if fig.get("kind") == "trend":
        return [number, f"Figure {number}", "trend", f"{fig['title']}, {fig['force']} and England and Wales",
                fig["span"], fig["measure_id"], fig["unit"], d, None, None, None, None, None, None, None, None,
                None, fig["source"], None]
    ew = fig.get("england_and_wales") or {}
    ln = fig.get("lines") or {}
    return [number, f"Figure {number}", "all forces", fig["figure_title"], fig["period"], fig["measure_id"],
            fig["unit"], d, _rounded(ew.get("number"), d), ew.get("kind"), ln.get("mean"), ln.get("sd"),
            ln.get("lower"), ln.get("upper"), ln.get("n"), fig.get("standard"), fig.get("reading"), fig["source"],
            "\n".join(fig.get("notes") or []) or None]


def _long_rows(number: int, fig: dict[str, Any]) -> list[list[Any]]:
    """The figure's rows of the long-format sheet (:data:`ALL_FIGURES_COLUMNS`)."""
    d = int(fig["decimals"])
    sheet = f"Figure {number}"
    if fig.get("kind") == "trend":
        return [[number, sheet, "trend", fig["measure_id"], fig["title"], row["period"], row["period_id"],
                 fig["force_id"], fig["force"], True, _rounded(row["force_number"], d), row["force"], fig["unit"], d,
                 None, _rounded(row["ew_number"], d), row["ew"] if row["ew_number"] is not None else None, None,
                 fig["source"]] for row in fig["rows"]]
    ew = fig.get("england_and_wales") or {}
    return [[number, sheet, "all forces", fig["measure_id"], fig["figure_title"], fig["period"], fig["period_id"],
             row["force_id"], row["name"], bool(row["this_force"]), _rounded(row["number"], d), row["value"],
             fig["unit"], d, row["compared"], _rounded(ew.get("number"), d), ew.get("value"), ew.get("kind"),
             fig["source"]] for row in fig["rows"]]


def workbook_bytes(figures: Sequence[dict[str, Any]], force_name: str) -> bytes:
    """The workbook of a report's figures (in report order, numbered from 1) as XLSX bytes."""
    # When a workbook is written (see _table).
    from openpyxl import Workbook
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.worksheet import Worksheet
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    contents = wb.active
    assert isinstance(contents, Worksheet)  # a new workbook opens on one empty worksheet
    contents.title = CONTENTS
    everything = wb.create_sheet(ALL_FIGURES)
    contents_rows: list[list[Any]] = []
    long_rows: list[list[Any]] = []
    for number, fig in enumerate(figures, start=1):
        contents_rows.append(_contents_row(number, fig))
        long_rows += _long_rows(number, fig)
        row = contents_rows[-1]
        title = f"Figure {number}: {row[3]}, {row[4]}"
        if fig.get("kind") == "trend":
            _trend_sheet(wb.create_sheet(f"Figure {number}"), fig, title)
        else:
            _force_sheet(wb.create_sheet(f"Figure {number}"), fig, title)

    _table(contents, CONTENTS_COLUMNS, contents_rows, [8, 11, 11, 48, 30, 24, 22, 9, 12, 18, 12, 12, 12, 12, 10,
                                                       10, 48, 48, 60])
    wrap = Alignment(wrap_text=True, vertical="top")
    for i in range(2, contents.max_row + 1):
        contents.cell(row=i, column=2).hyperlink = f"#'{contents.cell(row=i, column=2).value}'!A1"
        for col in (4, 17, 18, 19):
            contents.cell(row=i, column=col).alignment = wrap
    _print_setup(contents, f"The data behind each chart in the report on {force_name}", wide=True)

    decimals = [_number_format(int(r[13])) for r in long_rows]
    _table(everything, ALL_FIGURES_COLUMNS, long_rows, [8, 11, 11, 24, 40, 30, 24, 16, 32, 11, 10, 16, 22, 9, 28,
                                                        12, 16, 18, 48],
           {11: decimals, 16: decimals})
    everything.auto_filter.ref = everything.dimensions
    _print_setup(everything, f"Every figure in the report on {force_name}", wide=True)

    wb.properties.title = f"The data behind each chart in the report on {force_name}"
    wb.properties.creator = "peel-reports"
    wb.properties.created = _FIXED
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        wb.properties.modified = _FIXED
        ExcelWriter(wb, archive).save()
    return _fixed_zip(buf.getvalue())
