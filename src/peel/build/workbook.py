"""``OUT/<force>/figures.xlsx``: the data behind every chart of a force's report, one sheet a figure.

The workbook is written with openpyxl from the figure records the notebooks made the report's data
tables from (:func:`peel.analysis.figures.table_record`), so each sheet holds what the report's table
for that figure prints. A contents sheet comes first. On each figure's sheet the table starts at A1
(force, value, comparison), with the report's force flagged "(this report)" as in the report and a
``This report`` column for filtering; the figure's title, period, source, lines and notes are beside it
in columns F and G.

The same figures give the same bytes: the document's dates and the zip entries' times are fixed. Text
that a spreadsheet would run as a formula is written with a leading apostrophe
(:func:`peel.files.spreadsheet_safe`).
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

#: The sheet with the list of figures.
CONTENTS = "Contents"

#: Columns of the table on each figure's sheet, after the value and comparison heads.
FLAG_HEAD = "This report"

_FIXED = datetime.datetime(2000, 1, 1)


def force_label(row: dict[str, Any]) -> str:
    """The force's name as the report's table prints it ("... (this report)" for the report's force)."""
    return f"{row['name']} (this report)" if row.get("this_force") else str(row["name"])


def _number_format(decimals: int) -> str:
    return "0" if decimals <= 0 else "0." + "0" * decimals


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


def _trend_sheet(ws: Any, fig: dict[str, Any], number: int, bold: Any) -> None:
    """A trend chart's sheet: period, the force and England and Wales, from A1; what it is beside it."""
    ws.append(["Period", fig["force"], "England and Wales"])
    for cell in ws[1]:
        cell.font = bold
    d = int(fig["decimals"])
    for row in fig["rows"]:
        ws.append([row["period"], None if row["force_number"] is None else round(row["force_number"], d),
                   None if row["ew_number"] is None else round(row["ew_number"], d)])
        for col in (2, 3):
            ws.cell(row=ws.max_row, column=col).number_format = _number_format(d)
    about = [("Figure", f"Figure {number}: {fig['title']}, {fig['force']} and England and Wales, {fig['span']}"),
             ("Measure", fig["measure_id"]), ("Source", fig["source"])]
    for i, (label, value) in enumerate(about, start=1):
        ws.cell(row=i, column=6, value=label).font = bold
        ws.cell(row=i, column=7, value=value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 32


def workbook_bytes(figures: Sequence[dict[str, Any]], force_name: str) -> bytes:
    """The workbook of a report's figures (in report order, numbered from 1) as XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet
    from openpyxl.writer.excel import ExcelWriter

    bold = Font(bold=True)
    wb = Workbook()
    contents = wb.active
    assert isinstance(contents, Worksheet)  # a new workbook opens on one empty worksheet
    contents.title = CONTENTS
    contents.append(["Figure", "Sheet", "Title", "Period", "Source"])
    for cell in contents[1]:
        cell.font = bold
    contents["G1"] = f"The data behind each chart in the report on {force_name}, one sheet a figure."
    for number, fig in enumerate(figures, start=1):
        sheet = f"Figure {number}"
        if fig.get("kind") == "trend":
            title = f"{fig['title']}, {fig['force']} and England and Wales"
            contents.append([number, sheet, title, fig["span"], fig["source"]])
            contents.cell(row=contents.max_row, column=2).hyperlink = f"#'{sheet}'!A1"
            _trend_sheet(wb.create_sheet(sheet), fig, number, bold)
            continue
        contents.append([number, sheet, fig["figure_title"], fig["period"], fig["source"]])
        contents.cell(row=contents.max_row, column=2).hyperlink = f"#'{sheet}'!A1"
        ws = wb.create_sheet(sheet)
        ws.append(["Force", fig["unit_head"], fig["compare_head"], FLAG_HEAD])
        for cell in ws[1]:
            cell.font = bold
        fmt = _number_format(int(fig["decimals"]))
        for row in fig["rows"]:
            ws.append([force_label(row), row["number"] if row["number"] is None else round(row["number"],
                       int(fig["decimals"])), row["compared"], "yes" if row["this_force"] else ""])
            ws.cell(row=ws.max_row, column=2).number_format = fmt
            if row["this_force"]:
                for cell in ws[ws.max_row]:
                    cell.font = bold
        ew = fig.get("england_and_wales")
        if ew:
            ws.append([f"England and Wales ({ew['kind']})", round(ew["number"], int(fig["decimals"])), "", ""])
            ws.cell(row=ws.max_row, column=2).number_format = fmt
        about: list[tuple[str, Any]] = [("Figure", f"Figure {number}: {fig['figure_title']}, {fig['period']}"),
                                        ("Measure", fig["measure_id"]), ("Source", fig["source"])]
        if fig.get("lines"):
            ln = fig["lines"]
            about += [("Average of the forces compared", ln["mean"]), ("Standard deviation", ln["sd"]),
                      ("Lower line", ln["lower"]), ("Upper line", ln["upper"]), ("Forces compared", ln["n"])]
        if fig.get("standard") is not None:
            about.append(("Expected standard", fig["standard"]))
        if fig.get("reading"):
            about.append(("How to read the lines", fig["reading"]))
        about += [(f"Note {i}", note) for i, note in enumerate(fig.get("notes") or [], start=1)]
        for i, (label, value) in enumerate(about, start=1):
            ws.cell(row=i, column=6, value=label).font = bold
            ws.cell(row=i, column=7, value=value)
        ws.column_dimensions["A"].width = 48
        ws.column_dimensions["C"].width = 32
        ws.column_dimensions["F"].width = 30
    contents.column_dimensions["C"].width = 60
    # Every cell is data: text a spreadsheet would run as a formula (an inspector's "=..." or "-1 ...",
    # which openpyxl would even store as a formula) gets a leading apostrophe; numbers stay numbers.
    for each in wb.worksheets:
        for row in each.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = spreadsheet_safe(cell.value)
    wb.properties.creator = "peel-reports"
    wb.properties.created = _FIXED
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        wb.properties.modified = _FIXED
        ExcelWriter(wb, archive).save()
    return _fixed_zip(buf.getvalue())
