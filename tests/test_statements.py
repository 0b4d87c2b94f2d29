"""The statements table: records made where the sentences are made, collected by the build."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from peel.analysis import present
from peel.analysis.statements import STATEMENTS_MIME, Part, notebook_statements
from peel.pipeline.statements_table import CSV_COLUMNS, NUMBER_COLUMNS, statements_csv, statements_parquet
from peel.render.assemble import report_outputs

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_part_carries_records_beside_its_html():
    records = [{"force_id": "gwent", "sentence": "A sentence."}]
    part = Part("<p>A sentence.</p>", records)
    assert part._repr_html_() == "<p>A sentence.</p>"
    data, metadata = part._repr_mimebundle_()
    assert data[STATEMENTS_MIME] == {"statements": records, "figures": []}
    assert data["text/html"] == "<p>A sentence.</p>"
    assert metadata == {"peel": {"report": True}}  # marked for the report (peel.analysis.reportable)
    assert STATEMENTS_MIME not in Part("<p>x</p>")._repr_mimebundle_()[0]


def test_stitcher_drops_the_records_and_the_build_collects_them():
    records = [{"force_id": "gwent", "sentence": "A sentence."}]
    output = nbformat.v4.new_output("display_data", data={"text/html": "<p>A sentence.</p>",
                                                           STATEMENTS_MIME: {"statements": records}},
                                    metadata={"peel": {"report": True}})  # as a Part displays it
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])])
    nbformat.validate(nb)  # a +json MIME type is stored as data, as nbformat requires
    assert report_outputs(nb) == ["<p>A sentence.</p>"]
    assert notebook_statements(nb) == records


def test_csv_writes_numbers_in_full_and_missing_as_empty():
    text = statements_csv([{"force_id": "kent", "value": 0.1 + 0.2, "mean": None, "sentence": 'He said "x", y.'}])
    rows = list(csv.DictReader(text.splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert float(rows[0]["value"]) == 0.1 + 0.2 and rows[0]["mean"] == ""
    assert rows[0]["sentence"] == 'He said "x", y.'


def test_text_a_spreadsheet_would_run_is_neutralised_and_numbers_stay_numbers():
    import io

    import pandas as pd

    records = [{"force_id": "kent", "kind": "inspection_text", "sentence": "=SUM(A1)", "value": -2.5},
               {"force_id": "kent", "kind": "inspection_text", "sentence": "-1 officers were on duty.", "value": 3.0},
               {"force_id": "kent", "kind": "inspection_text", "sentence": "@cmd|' /C calc'!A0", "value_text": "-4",
                "grade": "+x", "source": "\tinspection", "value": None}]
    table = pd.read_csv(io.StringIO(statements_csv(records)))
    assert list(table["sentence"]) == ["'=SUM(A1)", "'-1 officers were on duty.", "'@cmd|' /C calc'!A0"]
    assert table.loc[2, "grade"] == "'+x" and table.loc[2, "source"] == "'\tinspection"
    assert str(table["value"].dtype) == "float64" and table.loc[0, "value"] == -2.5  # a negative number stays one
    assert table.loc[2, "value_text"] == "'-4"  # text, even a number's, is text
    # The Parquet file is not a spreadsheet format: it keeps the text as stated.
    assert list(pd.read_parquet(io.BytesIO(statements_parquet(records)))["sentence"]) == \
        [r["sentence"] for r in records]


def test_the_workbook_holds_formula_like_text_as_text_and_numbers_as_numbers():
    import io

    from openpyxl import load_workbook

    from peel.pipeline.workbook import workbook_bytes

    trend = {"kind": "trend", "measure_id": "m", "title": "=SUM(A1)", "force": "Kent Police", "force_id": "kent",
             "span": "2022 to 2023", "unit": "count", "decimals": 1, "source": "-1 officers counted",
             "rows": [{"period": "2022", "period_id": "2021-04-01/2022-03-31", "force": "-5.0", "ew": "8.0",
                       "force_number": -5.0, "ew_number": 8.0}]}
    wb = load_workbook(io.BytesIO(workbook_bytes([trend], "Kent Police")))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "@", "-"))]
    assert any(t.startswith("'=SUM(A1)") for t in texts) and "'-1 officers counted" in texts
    assert -5.0 in [c.value for c in cells if c.data_type == "n"]  # a negative number stays a number


def test_parquet_holds_the_csv_rows_typed_and_its_bytes_are_stable():
    import io

    import pandas as pd

    records = [{"force_id": "kent", "value": 0.1 + 0.2, "decimals": 1, "sentence": 'He said "x", y.'},
               {"force_id": "gwent", "value": None, "mean": 12.5, "grade": "Good", "sentence": "b"}]
    data = statements_parquet(records)
    assert data == statements_parquet(records)
    table = pd.read_parquet(io.BytesIO(data))
    assert list(table.columns) == list(CSV_COLUMNS)
    assert all(str(table[c].dtype) == "float64" for c in NUMBER_COLUMNS)
    assert table.loc[0, "value"] == 0.1 + 0.2 and pd.isna(table.loc[1, "value"]) and table.loc[1, "mean"] == 12.5
    as_csv = pd.read_csv(io.StringIO(statements_csv(records)), dtype=str, keep_default_na=False)
    text_columns = [c for c in CSV_COLUMNS if c not in NUMBER_COLUMNS and c != "decimals"]
    assert table[text_columns].fillna("").astype(str).equals(as_csv[text_columns])


def test_html_of_a_measure_is_made_from_its_records():
    ctx = present.load("metropolitan")
    html = present.area(ctx, "police_powers")
    assert isinstance(html, Part)
    assert {r["kind"] for r in html.records} == {"grade", "inspection_figure", "measure"}
    soup = BeautifulSoup(html.data, "html.parser")
    by_measure: dict[str, list[str]] = {}
    for r in html.records:
        assert r["force_id"] == "metropolitan" and r["area"] == "police_powers"
        if r["kind"] != "measure":
            continue
        by_measure.setdefault(r["measure"], []).append(r["sentence"])
    printed = [" ".join(p.get_text().split()) for p in soup.select("p.measure-statement")]
    assert printed and printed == [" ".join(s) for s in by_measure.values()]


@pytest.mark.slow
def test_every_generated_sentence_in_the_reports_is_a_statement(built_reports: Path):
    import pandas as pd

    rows = _read(built_reports / "statements.csv")
    assert rows, "statements.csv is empty"
    typed = pd.read_parquet(built_reports / "statements.parquet")
    assert len(typed) == len(rows) and list(typed["sentence"].fillna("")) == [r["sentence"] for r in rows]
    assert {r["build_id"] for r in rows} != {""} and len({r["build_id"] for r in rows}) == 1
    for force in ("metropolitan", "gwent"):
        mine = [r for r in rows if r["force_id"] == force]
        sentences = {r["sentence"] for r in mine}
        numbers = {n for s in sentences for n in NUMBER.findall(s)}
        soup = BeautifulSoup((built_reports / force / "report.html").read_text(encoding="utf-8"), "html.parser")
        checked = 0
        for p in soup.select("p.measure-statement, p.grade-sentence, p.inspection-figure"):
            text = " ".join(p.get_text().split())
            parts = [s for s in sentences if s in text]
            assert parts, f"{force}: {text!r} is not in statements.csv"
            for n in NUMBER.findall(text):
                assert n in numbers, f"{force}: the number {n} in {text!r} is not in statements.csv"
            checked += 1
        assert checked == len({(r["statement_id"], r["area"]) for r in mine if r["kind"] != "inspection_text"})
        # The inspectors' own text: every number it prints is stated by a record (its own, from the inspection,
        # when no figure or measure states it).
        blocks = inspector_text_blocks(soup)
        assert blocks, f"{force}: no inspectors' text found in the report"
        for text in blocks:
            for n in NUMBER.findall(text):
                assert n in numbers, \
                    f"{force}: the number {n} in the inspectors' text {text!r} is not in statements.csv"
        from_text = [r for r in mine if r["kind"] == "inspection_text"]
        assert all(r["source"] == "inspection" and r["sentence"] in " ".join(blocks) for r in from_text)


def inspector_text_blocks(soup: BeautifulSoup) -> list[str]:
    """The text of each heading, paragraph and list item the inspectors typed (findings, notes, the summary)."""
    blocks = list(soup.select("section.finding > h3"))
    for container in soup.select("div.finding-text, section.cause-of-concern, section.area-for-improvement, "
                                 "div.summary"):
        # a list item's own paragraphs are part of the item
        blocks += [b for b in container.find_all(["p", "li", "h4", "h5", "h6"]) if b.find_parent("li") is None]
    return [" ".join(b.get_text().split()) for b in blocks]


@pytest.mark.parametrize("force", ["metropolitan", "gwent", "kent"])
def test_every_number_in_the_inspectors_text_is_a_statement(force: str):
    """Rendered without a build: each number the inspectors' Markdown prints is in a record of the same
    output, and a number a figure of the same finding states gets no second record."""
    ctx = present.load(force)
    outputs = [present.overview(ctx)] + [present.area(ctx, a.id) for a in ctx.report.areas
                                         if ctx.area_inputs(a.id) is not None]
    parts = [o for o in outputs if isinstance(o, Part)]
    records = [r for o in parts for r in o.records]
    numbers = {n for r in records for n in NUMBER.findall(r["sentence"])}
    soup = BeautifulSoup("".join(o.data for o in parts), "html.parser")
    blocks = inspector_text_blocks(soup)
    assert blocks
    for text in blocks:
        for n in NUMBER.findall(text):
            assert n in numbers, f"{force}: the number {n} in {text!r} is in no statement record"
    ids = [(r["statement_id"], r["sentence_kind"]) for r in records]
    assert len(ids) == len(set(ids)), "statement keys repeat"
    for r in records:
        if r["kind"] != "inspection_text":
            continue
        assert r["source"] == "inspection" and r["value_text"]
        # Only numbers no figure of the same finding states get a record of their own.
        finding = r["statement_id"].rsplit(":", 1)[0].replace("text:", "figure:").replace(":finding-", ":")
        figures = {n for f in records if f["statement_id"].startswith(finding + ":") for n in
                   NUMBER.findall(f["sentence"])}
        assert not set(r["value_text"].split("; ")) & figures


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["grade", "inspection_figure", "measure"])
def test_met_statements_have_each_kind(built_reports: Path, kind: str):
    rows = [r for r in _read(built_reports / "statements.csv") if r["force_id"] == "metropolitan"]
    assert any(r["kind"] == kind for r in rows)
    if kind == "measure":
        compared = [r for r in rows if r["kind"] == "measure" and r["comparison"] in
                    ("higher than expected", "lower than expected", "in line")]
        assert compared and all(r["mean"] and r["lower"] and r["upper"] for r in compared)


@pytest.mark.slow
def test_figures_workbook_equals_the_reports_data_tables(built_reports: Path):
    import pandas as pd

    from peel.inputs.dataset import load_dataset
    from peel.numbers import format_value
    from peel.pipeline.workbook import ALL_FIGURES, CONTENTS, FLAG_HEAD

    catalogue = load_dataset(Path(__file__).resolve().parents[1] / "data").catalogue
    for force in ("metropolitan", "gwent"):
        sheets = pd.read_excel(built_reports / force / "figures.xlsx", sheet_name=None, engine="openpyxl")
        soup = BeautifulSoup((built_reports / force / "report.html").read_text(encoding="utf-8"), "html.parser")
        charts = soup.select("main figure.chart") or soup.select("figure.chart")
        contents = sheets.pop(CONTENTS)
        sheets.pop(ALL_FIGURES)
        assert list(contents["Sheet"]) == list(sheets) == [f"Figure {n}" for n in range(1, len(charts) + 1)]
        for (name, sheet), chart, (_, about) in zip(sheets.items(), charts, contents.iterrows(), strict=True):
            # Each sheet is its table alone: no column without a head, no row outside the table.
            assert not [c for c in sheet.columns if str(c).startswith("Unnamed")], (force, name, list(sheet.columns))
            measure = catalogue[about["Measure"]]
            assert chart.select_one("p.source").get_text() == f"Source: {about['Source']}"
            table = chart.select_one("table.figure-table")
            html_rows = [[" ".join(c.get_text().split()) for c in tr.find_all(["th", "td"])]
                         for tr in table.select("tbody tr")]
            def fmt(x, measure=measure):
                return format_value(None if pd.isna(x) else float(x), measure.unit, measure.decimals)

            if "trend-chart" in chart.get("class", []):
                assert list(sheet.columns) == ["Period", measure_force_name(force), "England and Wales"]
                xl_rows = [[str(r.iloc[0]), fmt(r.iloc[1]), fmt(r.iloc[2])] for _, r in sheet.iterrows()]
                assert xl_rows == html_rows, f"{force}: {name} differs from the report's table"
                continue
            # England and Wales is a column of its own, not a row among the forces.
            if html_rows[-1][0].startswith("England and Wales ("):
                ew_head, ew_value, _ = html_rows.pop()
                assert sheet.columns[-1] == ew_head and {fmt(v) for v in sheet.iloc[:, -1]} == {ew_value}
            else:
                assert list(sheet.columns) == ["Force", *sheet.columns[1:3], FLAG_HEAD]
            xl_rows = [[str(r.iloc[0]) + (" (this report)" if r[FLAG_HEAD] else ""), fmt(r.iloc[1]),
                        "" if pd.isna(r.iloc[2]) else str(r.iloc[2])] for _, r in sheet.iterrows()]
            assert xl_rows == html_rows, f"{force}: {name} differs from the report's table"
            # The report's force under its plain name, found by it.
            assert list(sheet.loc[sheet[FLAG_HEAD], "Force"]) == [measure_force_name(force)]


@pytest.mark.slow
def test_tidy_sheet_holds_every_measure_figure_the_statements_state(built_reports: Path):
    """Every figure of a national measure that statements.csv holds is a row of the long sheet: found by
    force id, measure and period, with the value as published and the England and Wales figure."""
    import pandas as pd

    from peel.inputs.forces import force_ids
    from peel.pipeline.workbook import ALL_FIGURES, ALL_FIGURES_COLUMNS

    statements = pd.read_csv(built_reports / "statements.csv", dtype=str, keep_default_na=False)
    for force in ("metropolitan", "gwent"):
        tidy = pd.read_excel(built_reports / force / "figures.xlsx", sheet_name=ALL_FIGURES, engine="openpyxl")
        assert tuple(tidy.columns) == ALL_FIGURES_COLUMNS
        assert set(tidy["Force id"]) <= set(force_ids()), "a row that is not a force (England and Wales?)"
        charts = tidy[tidy["Chart"] == "all forces"]
        mine = statements[(statements["kind"] == "measure") & (statements["force_id"] == force)]
        assert len(mine) > 5
        for _, st in mine.drop_duplicates(["measure", "period"]).iterrows():
            found = charts[(charts["Force id"] == force) & (charts["Measure"] == st["measure"])
                           & (charts["Period (ISO 8601)"] == st["period"])]
            assert len(found) == 1, f"{force}: {st['measure']} {st['period']} is in the long sheet {len(found)} times"
            row = found.iloc[0]
            assert bool(row["This report"]) and row["Force"] == measure_force_name(force)
            assert row["Value as printed"] == st["value_text"]
            d = int(st["decimals"])
            if st["value"]:
                assert row["Value"] == round(float(st["value"]), d) and row["Decimals"] == d
            if st["england_and_wales"]:
                assert row["England and Wales"] == round(float(st["england_and_wales"]), d)
            assert row["Unit"] == st["unit"]


def measure_force_name(force_id: str) -> str:
    from peel.inputs.forces import get_force

    return get_force(force_id).name


def test_a_trend_measure_gets_a_line_chart_with_alt_text_and_a_data_table():
    ctx = present.load("metropolitan")
    html = present.measure_html(ctx, "stop_search_rate")
    soup = BeautifulSoup(html, "html.parser")
    trend = soup.select_one("figure.trend-chart")
    assert trend is not None
    assert trend.img["alt"].startswith("Line chart of stop and searches per 1,000 population")
    rows = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in trend.select("tbody tr")]
    assert rows[-1] == ["The year ending 31 March 2023", "19.8", "8.6"]
    # The trend comes right after the sentences, before the all-forces chart.
    assert soup.select("figure")[0] is trend and "trend-chart" not in soup.select("figure")[1]["class"]
    assert ctx._figures[0]["kind"] == "trend" and ctx._figures[1]["measure_id"] == "stop_search_rate"


def test_a_built_statements_csv_neutralises_formulas_in_the_inspectors_text(met_with_typed_findings: Path):
    """An inspector's finding beginning with ``=SUM(A1)`` and one with ``-1 officers`` (:data:`conftest.FORMULA_TEXTS`),
    through a real build."""
    import pandas as pd

    out = met_with_typed_findings
    table = pd.read_csv(out / "statements.csv")
    sentences = [s for s in table["sentence"].dropna() if "SUM(A1)" in s or "officers were on duty" in s]
    assert sorted(sentences) == ["'-1 officers were on duty at 3 stations.",
                                 "'=SUM(A1) is what an analyst typed into 2 cells."]
    assert str(table["value"].dtype) == "float64"  # numbers are still numbers
    assert not any(str(s).startswith(("=", "+", "@")) for col in table.columns if table[col].dtype == object
                   for s in table[col].dropna())
