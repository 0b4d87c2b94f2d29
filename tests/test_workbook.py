"""figures.xlsx: tidy sheets pandas reads as they are, the same bytes for the same figures, and print setup.

The workbook of real reports is checked against their HTML and statements in ``tests/test_statements.py``;
these build it from one chart's record (:func:`peel.analysis.numbered_figure.table_record` of a made-up
comparison) and one trend's.
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from test_charts import ENGLAND_AND_WALES, made_up_comparison, made_up_measure

from peel.analysis.numbered_figure import table_record
from peel.inputs.forces import force_ids
from peel.pipeline.workbook import (
    ALL_FIGURES,
    ALL_FIGURES_COLUMNS,
    CONTENTS,
    CONTENTS_COLUMNS,
    FLAG_HEAD,
    workbook_bytes,
)

TREND = {
    "kind": "trend", "measure_id": "made_up_rate", "title": "Made-up events & more per 1,000 population",
    "force": "Metropolitan Police Service", "force_id": "metropolitan", "span": "2022 to 2023",
    "unit": "per_1000_population", "decimals": 1, "source": "A made-up source",
    "rows": [{"period": "The year ending 31 March 2022", "period_id": "2021-04-01/2022-03-31", "force": "17.0",
              "ew": "8.0", "force_number": 17.04, "ew_number": 8.0},
             {"period": "The year ending 31 March 2023", "period_id": "2022-04-01/2023-03-31", "force": "18.0",
              "ew": "", "force_number": 18.0, "ew_number": None}],
}


@pytest.fixture(scope="module")
def figures() -> list[dict]:
    return [TREND, table_record(made_up_comparison(made_up_measure()), "metropolitan")]


@pytest.fixture(scope="module")
def workbook(figures) -> bytes:
    return workbook_bytes(figures, "Metropolitan Police Service")


def test_same_figures_same_bytes(figures, workbook):
    assert workbook_bytes(figures, "Metropolitan Police Service") == workbook


def test_every_sheet_is_one_table_from_a1(workbook):
    sheets = pd.read_excel(io.BytesIO(workbook), sheet_name=None, engine="openpyxl")
    assert list(sheets) == [CONTENTS, ALL_FIGURES, "Figure 1", "Figure 2"]
    for name, sheet in sheets.items():
        assert not [c for c in sheet.columns if str(c).startswith("Unnamed")], (name, list(sheet.columns))
        assert not sheet.isna().all(axis=1).any(), f"{name} has an empty row"
    assert tuple(sheets[CONTENTS].columns) == CONTENTS_COLUMNS
    assert list(sheets[CONTENTS]["Sheet"]) == ["Figure 1", "Figure 2"]


def test_long_sheet_has_every_force_by_id_and_england_and_wales_in_its_own_columns(workbook):
    tidy = pd.read_excel(io.BytesIO(workbook), sheet_name=ALL_FIGURES, engine="openpyxl")
    assert tuple(tidy.columns) == ALL_FIGURES_COLUMNS
    chart = tidy[tidy["Figure"] == 2]
    # Every force of the chart's table (drawn, left out, not available), and nothing else.
    assert sorted(chart["Force id"]) == sorted(["cumbria", "lancashire", "merseyside", "cheshire", "durham",
                                                "metropolitan", "city-of-london", "gwent"])
    assert set(tidy["Force id"]) <= set(force_ids())
    me = chart[chart["Force id"] == "metropolitan"].iloc[0]
    assert (me["Force"], bool(me["This report"]), me["Value"], me["Value as printed"]) == (
        "Metropolitan Police Service", True, 18.0, "18.0")
    assert chart[FLAG_HEAD].sum() == 1
    assert set(chart["England and Wales"]) == {ENGLAND_AND_WALES}
    assert set(chart["Period (ISO 8601)"]) == {"2022-04-01/2023-03-31"}
    gwent = chart[chart["Force id"] == "gwent"].iloc[0]
    assert pd.isna(gwent["Value"]) and gwent["Value as printed"] == "not available"
    trend = tidy[tidy["Figure"] == 1]
    assert list(trend["Value"]) == [17.0, 18.0]  # at the published precision
    assert list(trend["Period (ISO 8601)"]) == ["2021-04-01/2022-03-31", "2022-04-01/2023-03-31"]


def test_figure_sheet_is_the_reports_table_with_plain_names(workbook):
    sheet = pd.read_excel(io.BytesIO(workbook), sheet_name="Figure 2", engine="openpyxl")
    assert list(sheet.columns) == ["Force", "Per 1,000 population", "Compared with other forces", FLAG_HEAD,
                                   "England and Wales (all forces)"]
    assert list(sheet.loc[sheet[FLAG_HEAD], "Force"]) == ["Metropolitan Police Service"]
    assert not sheet["Force"].str.contains("this report|England and Wales").any()


def test_every_sheet_prints_fitted_to_width_with_its_header_row_repeated(workbook):
    wb = openpyxl.load_workbook(io.BytesIO(workbook))
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        wide = ws.title in (CONTENTS, ALL_FIGURES)
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), ws.title
    # "&" in a title is doubled, or the page header would read it as a code.
    assert wb["Figure 1"].oddHeader.left.text.startswith("Figure 1: Made-up events && more")
