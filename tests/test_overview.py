"""The national overview (peel.render.overview) on the real dataset: charts, tables, trends, grades, reuse.

The page is rendered from ``data/real`` (four measures, all with a trend) and made-up build records, and
checked against what the analysis functions give for the same dataset: the chart is the reports' chart
(byte for byte), the table holds every force, and the grades table counts the records' grades.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path

import pytest

from peel.analysis.charts import all_forces_chart, figure_png
from peel.analysis.comparison import compare
from peel.inputs.areas import GRADES, load_report
from peel.inputs.dataset import load_dataset, read_info
from peel.inputs.forces import all_forces
from peel.inputs.provenance import report_notice
from peel.pipeline.records import ForceRecord
from peel.render.overview import (
    GRADE_COLUMNS,
    OVERVIEW_NAME,
    OVERVIEW_PDF,
    OVERVIEW_RECORD,
    grade_counts,
    render_overview,
    write_overview,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "real"


@pytest.fixture(scope="module")
def report():
    return load_report(REPO / "notebooks")


def made_up_records(report, n: int = 5) -> dict[str, ForceRecord]:
    """``n`` forces with a report: the first has every graded area Good, the second is not yet graded in
    the first area and not inspected in the second, the rest alternate Outstanding and Inadequate."""
    graded = [a.id for a in report.areas if a.graded]
    records = {}
    for i, force in enumerate(all_forces()[:n]):
        if i == 0:
            grades = dict.fromkeys(graded, "Good")
        elif i == 1:
            grades = {a: "Adequate" for a in graded[2:]} | {graded[0]: None}
        else:
            grades = dict.fromkeys(graded, "Outstanding" if i % 2 else "Inadequate")
        records[force.id] = ForceRecord(force_id=force.id, status="built", grades=grades,
                                        files={"report.html": "0" * 64})
    # A force whose only build failed has no report: it is not counted.
    failed = all_forces()[n].id
    records[failed] = ForceRecord(force_id=failed, status="failed", grades={a: "Good" for a in graded})
    return records


@pytest.fixture(scope="module")
def page(report) -> str:
    dataset = load_dataset(DATA)
    return render_overview(dataset, report, made_up_records(report), report_notice(dataset.info, True))


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_every_measure_has_the_reports_chart_and_every_force_in_its_table(page):
    dataset = load_dataset(DATA)
    images = _images(page)
    assert list(dataset.catalogue)
    for measure_id, measure in dataset.catalogue.items():
        c = compare(dataset, measure_id)
        start = f'<section class="overview-measure" id="measure-{measure_id}"'
        section = page.split(start, 1)[1].split("</section>")[0]
        # The same chart as the reports draw, with no force marked.
        fig = all_forces_chart(c, "")
        assert figure_png(fig) in images
        assert not any(b.is_force for b in fig.peel_bars)  # type: ignore[attr-defined]
        table = section.split('<table class="figure-table">', 1)[1].split("</table>")[0]
        names = [html_lib.unescape(n) for n in re.findall(r'<th scope="row">([^<]*)</th>', table)]
        assert sorted(n for n in names if not n.startswith("England and Wales")) == sorted(f.name for f in all_forces())
        assert f"Source: {html_lib.escape(measure.source, quote=True)}" in section
        if c.england_and_wales is not None:
            assert any(n.startswith("England and Wales") for n in names)


def test_a_trend_chart_of_the_england_and_wales_figure_where_the_measure_has_periods(page):
    dataset = load_dataset(DATA)
    for measure_id, measure in dataset.catalogue.items():
        c = compare(dataset, measure_id)
        section = page.split(f'id="measure-{measure_id}"', 1)[1].split("</section>")[0]
        have = [v for v in c.history_england_and_wales if v is not None]
        if measure.trend and len(have) >= 2:
            assert f'id="trend-{measure_id}"' in section
            rows = re.findall(r'<tr><th scope="row">[^<]*</th><td class="number">([^<]*)</td></tr>', section)
            assert len(rows) == len(c.history_periods)
        else:
            assert "trend-" not in section


def test_grades_table_counts_the_forces_with_a_report(report, page):
    records = made_up_records(report)
    rows = grade_counts(report, records)
    graded = [a for a in report.areas if a.graded]
    assert [r["area_id"] for r in rows] == [a.id for a in graded]
    for row in rows:
        assert sum(row["counts"]) == 5, "the force with no report is not counted"
    first, second = rows[0]["counts"], rows[1]["counts"]
    col = {c: i for i, c in enumerate(GRADE_COLUMNS)}
    assert first[col["Good"]] == 1 and first[col["Not yet graded"]] == 1 and first[col["Not inspected"]] == 0
    assert second[col["Not inspected"]] == 1 and second[col["Adequate"]] == 0
    assert first[col["Outstanding"]] == 1 and first[col["Inadequate"]] == 2
    table = page.split('<table class="grades-by-area">', 1)[1].split("</table>")[0]
    printed = re.findall(r'<tr><th scope="row">[^<]*</th>((?:<td class="number">\d+</td>)+)</tr>', table)
    assert [[int(n) for n in re.findall(r"\d+", cells)] for cells in printed] == [r["counts"] for r in rows]
    assert set(GRADES) <= set(GRADE_COLUMNS)


def test_notice_alt_text_and_one_h1(page):
    assert page.count("<h1>") == 1
    assert 'class="demo-notice"' in page  # illustrative inspection inputs beside published figures
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', page)
    assert len(alts) == len(_images(page)) and all(len(a) > 60 for a in alts)
    assert 'href="index.html"' in page


def test_same_inputs_give_the_same_bytes(report, page):
    dataset = load_dataset(DATA)
    again = render_overview(dataset, report, made_up_records(report), report_notice(dataset.info, True))
    assert again == page


def test_made_again_only_when_data_grades_or_package_change(report, tmp_path, monkeypatch):
    import peel.render.overview as overview

    # What is made is checked above; here only when. The page stands in for itself, by its grades.
    monkeypatch.setattr(overview, "render_overview",
                        lambda dataset, report, records, notice, older=(): f"{sorted(records)} {records}\n")
    records = made_up_records(report, 3)
    notice = report_notice(read_info(DATA), True)

    def write(recs=records, data=None, package="p1"):
        return write_overview(tmp_path, DATA, report, recs, formats=["html"], notice=notice,
                              data=data or {"national.csv": "a"}, package=package)[1]

    assert write() == "not built before"
    page = (tmp_path / OVERVIEW_NAME).read_bytes()
    assert (tmp_path / OVERVIEW_RECORD).is_file() and not (tmp_path / OVERVIEW_PDF).exists()
    assert write() == "unchanged"
    assert write(data={"national.csv": "b"}) == "data changed"
    assert write(data={"national.csv": "b"}, package="p2") == "package changed"
    changed = dict(records)
    first = next(iter(changed))
    changed[first] = ForceRecord(force_id=first, status="built",
                                 grades={a.id: "Inadequate" for a in report.areas if a.graded},
                                 files={"report.html": "1" * 64})
    assert write(changed, {"national.csv": "b"}, "p2") == "grades changed"
    assert (tmp_path / OVERVIEW_NAME).read_bytes() != page
    (tmp_path / OVERVIEW_NAME).write_text("edited", encoding="utf-8")
    assert write(changed, {"national.csv": "b"}, "p2") == "overview.html missing or edited"
    assert (tmp_path / OVERVIEW_NAME).read_text(encoding="utf-8") != "edited"
    assert write(changed, {"national.csv": "b"}, "p2") == "unchanged"
    assert sorted(p.name for p in tmp_path.iterdir()) == [OVERVIEW_RECORD, OVERVIEW_NAME]


def test_index_links_to_the_overview_when_it_is_there(report, tmp_path):
    from peel.render.index import render_index

    records = made_up_records(report, 2)
    without = render_index(report, records, tmp_path, demonstration=False, notice="")
    assert 'href="overview.html"' not in without
    (tmp_path / OVERVIEW_NAME).write_text("x", encoding="utf-8")
    assert 'href="overview.html"' in render_index(report, records, tmp_path, demonstration=False, notice="")


def test_a_demonstration_overview_says_its_charts_are_synthetic_where_they_are_shown(report):
    # The real dataset's source lines are the catalogue's own (above); the demonstration's say, under
    # every chart and trend, that the figures are synthetic and where the page explains them.
    from peel.render.overview import SEE_PAGE_NOTICE

    dataset = load_dataset(REPO / "data")
    page = render_overview(dataset, report, made_up_records(report), report_notice(dataset.info, True))
    sources = [html_lib.unescape(s) for s in re.findall(r'<p class="source">Source: ([^<]*)', page)]
    charts = len(re.findall(r'<figure class="chart[ "]', page))
    assert charts >= len(dataset.catalogue) and len(sources) == charts
    grades_source, *sources = sources  # the grades chart comes first; its source is the reports
    assert grades_source.startswith("the grade in each graded area of each force")
    for source in sources:
        assert source.startswith(f"synthetic demonstration figures ({SEE_PAGE_NOTICE}) in place of ")
    assert "see About the data" not in page  # the pointer must lead somewhere on this page


def test_trend_charts_of_rates_per_1000_say_the_population_changes_method(page):
    """Rates per 1,000 population whose periods use the mid-2020 and the mid-2021 estimates (2011- and Census
    2021-based) carry the note under their trend chart; other trends do not."""
    from peel.analysis.provenance import POPULATION_BREAK_NOTE
    from peel.inputs.catalogue import POPULATION_UNITS

    dataset = load_dataset(DATA)
    note = f'<p class="note">{html_lib.escape(POPULATION_BREAK_NOTE, quote=True)}</p>'
    noted = 0
    for measure_id, measure in dataset.catalogue.items():
        section = page.split(f'id="measure-{measure_id}"', 1)[1].split("</section>")[0]
        if f'id="trend-{measure_id}"' not in section:
            assert note not in section
            continue
        years = {p.midpoint_year for p in compare(dataset, measure_id).history_periods}
        crosses = measure.unit in POPULATION_UNITS and min(years) <= 2020 < max(years)
        assert (note in section.split(f'id="trend-{measure_id}"', 1)[1]) == crosses, measure_id
        noted += crosses
    assert noted >= 1  # the real dataset's rates run from before mid-2020 to after mid-2021


def with_bases(records: dict[str, ForceRecord]) -> dict[str, ForceRecord]:
    """The made-up records, the first force's grades published and the third's illustrative."""
    out = dict(records)
    ids = list(records)
    for fid, basis in ((ids[0], "published"), (ids[2], "illustrative")):
        r = records[fid]
        out[fid] = ForceRecord(force_id=fid, status=r.status, grades=r.grades, files=r.files,
                               grade_basis={a: basis for a, g in r.grades.items() if g})
    return out


def test_grade_counts_say_how_many_grades_are_published(report):
    records = with_bases(made_up_records(report))
    rows = grade_counts(report, records)
    graded = len([a for a in report.areas if a.graded])
    assert [r["published"] for r in rows] == [1] * graded and [r["illustrative"] for r in rows] == [1] * graded
    dataset = load_dataset(DATA)
    page = render_overview(dataset, report, records, report_notice(dataset.info, True))
    total = sum(r["graded"] for r in rows)
    text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert (f"Of the {total} grades counted, {graded} are published for the force (each report names the source) "
            f"and {graded} are illustrative, chosen for the demonstration; {total - 2 * graded} are the "
            f"inspection's own.") in text
    table = page.split('<table class="grade-bases-by-area">', 1)[1].split("</table>")[0]
    printed = re.findall(r'<tr><th scope="row">[^<]*</th>((?:<td class="number">\d+</td>)+)</tr>', table)
    assert [[int(n) for n in re.findall(r"\d+", c)] for c in printed] == \
        [[r["graded"], r["published"], r["illustrative"]] for r in rows]
    # without bases (an inspection's own grades) the page says nothing about them
    plain = render_overview(dataset, report, made_up_records(report), report_notice(dataset.info, True))
    assert 'class="grade-bases' not in plain and "illustrative, chosen" not in plain


def test_overview_made_again_when_only_what_the_grades_rest_on_changes(report, tmp_path, monkeypatch):
    import peel.render.overview as overview

    monkeypatch.setattr(overview, "render_overview",
                        lambda dataset, report, records, notice, older=(): f"{sorted(records)} {records}\n")
    records = made_up_records(report, 3)
    notice = report_notice(read_info(DATA), True)

    def write(recs):
        return write_overview(tmp_path, DATA, report, recs, formats=["html"], notice=notice,
                              data={"national.csv": "a"}, package="p")[1]

    assert write(records) == "not built before"
    assert write(records) == "unchanged"
    assert write(with_bases(records)) == "grades changed"


def test_index_says_which_grades_are_published_and_which_illustrative(report, tmp_path):
    from bs4 import BeautifulSoup

    from peel.render.index import render_index

    records = with_bases(made_up_records(report))
    soup = BeautifulSoup(render_index(report, records, tmp_path, demonstration=True, notice="n"), "html.parser")
    rows = {tr.find("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")[:-1]]
            for tr in soup.select("table.grades-by-force tbody tr")}
    first, _, third = (f.name for f in all_forces()[:3])
    assert set(rows[first]) == {"Good (published)"}
    assert all(c.endswith("(illustrative)") for c in rows[third])
    assert "marked “(published)” was published for the force" in soup.get_text()
    plain = render_index(report, made_up_records(report), tmp_path, demonstration=True, notice="n")
    assert 'class="grade-basis"' not in plain and "(published)" not in plain
