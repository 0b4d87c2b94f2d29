"""End-to-end guarantees of a built report: the same inputs give the same bytes, and hostile text in
the inspection inputs never becomes script, a form, a frame or a network load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from peel.demo.inspection import grade_sources, published_grades

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def build(out: Path, *forces: str, to: str = "html,pdf") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "peel.cli", "build", *forces, "--to", to, "--out", str(out)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)


def test_two_builds_from_the_same_inputs_are_byte_identical(built_reports, tmp_path):
    """A second, independent build of the Met (fresh output folder, fresh processes) matches the first."""
    done = build(tmp_path / "again", "metropolitan")
    assert done.returncode == 0, done.stderr
    for name in ("report.html", "report.pdf"):
        first = (built_reports / "metropolitan" / name).read_bytes()
        second = (tmp_path / "again" / "metropolitan" / name).read_bytes()
        assert first == second, f"{name} differs between two builds of the same inputs"
    for nb in sorted((built_reports / "metropolitan" / "notebooks").glob("*.ipynb")):
        again = tmp_path / "again" / "metropolitan" / "notebooks" / nb.name
        assert nb.read_bytes() == again.read_bytes(), f"executed notebook {nb.name} differs"


def test_hostile_findings_never_reach_the_report(met_with_typed_findings):
    """Script, frames, forms and network loads typed into the Met's summary and findings
    (:data:`conftest.HOSTILE_PAYLOADS`) reach neither the HTML nor the PDF."""
    out = met_with_typed_findings
    html = (out / "metropolitan" / "report.html").read_text(encoding="utf-8")
    assert "alert(" in html  # what was typed is there, as text

    soup = BeautifulSoup(html, "html.parser")
    forbidden = soup.find_all(["script", "iframe", "frame", "form", "input", "object", "embed", "link", "svg",
                               "base", "meta"], recursive=True)
    # The only meta elements allowed are the page's own (charset, policy, viewport, description...).
    forbidden = [t for t in forbidden if t.name != "meta" or t.find_parent("body") is not None]
    assert not forbidden, f"elements that must never reach a report: {forbidden[:3]}"
    for tag in soup.find_all(True):
        for attr in tag.attrs:
            assert not attr.lower().startswith("on"), f"event handler {attr} on <{tag.name}>"
            assert attr.lower() != "style", f"style attribute on <{tag.name}>"
        for attr in ("href", "src"):
            url = str(tag.get(attr, ""))
            assert not url.strip().lower().startswith("javascript:"), f"{attr}={url!r}"
            if attr == "src" and url:
                assert url.startswith("data:"), f"<{tag.name}> loads from {url}"
    # What was typed survives as visible text, so a reader sees it, harmlessly.
    assert "onmouseover=alert(6)" in soup.get_text()
    # The content security policy forbids script and any network load.
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp is not None and csp.find_parent("head") is not None, "no content security policy"
    policy = csp["content"]
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "img-src data:" in policy
    # The PDF was made from the same sanitised HTML, so it carries no link to a javascript: URL.
    assert b"javascript:" not in (out / "metropolitan" / "report.pdf").read_bytes().lower()


def test_index_gives_each_force_its_grades_and_says_which_areas_were_not_inspected(built_reports):
    soup = BeautifulSoup((built_reports / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("table", class_="grades-by-force")
    columns = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th")]
    published = published_grades("metropolitan")
    row = next(tr for tr in table.find("tbody").find_all("tr")
               if tr.find("th").get_text(strip=True) == "Metropolitan Police Service")
    cells = dict(zip(columns[1:], (td.get_text(" ", strip=True) for td in row.find_all("td")), strict=False))
    assert cells["Recording data about crime"] == "not inspected"
    # each of the Met's grades is the published one, and says so in words
    assert cells["Police powers and treating the public fairly and respectfully"] == \
        f"{published['police_powers']} (published)"
    assert cells["Investigating crime"] == f"{published['investigating_crime']} (published)"
    links = [a["href"] for a in row.find_all("a")]
    assert links == ["metropolitan/report.html", "metropolitan/report.pdf"]


def test_report_says_where_its_grades_and_population_come_from(built_reports):
    """The Met's grades are published: the judgments table marks each, lists the source, and each area names
    it; the notice does not call them written for the demonstration. About the data discloses the change of
    population method, and statements.csv gives each grade's source."""
    from peel.analysis.provenance import POPULATION_BREAK_NOTE

    page = (built_reports / "metropolitan" / "report.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    sources = grade_sources("metropolitan")
    url = next(iter(sources.values()))["url"]
    judgments = [td.get_text(" ", strip=True) for td in soup.select("table.judgments tbody td")]
    graded = [t for t in judgments if t != "Not graded"]
    assert graded and all(t.endswith(" (published)") for t in graded)
    assert [a["href"] for a in soup.select(".grade-sources a")] == [url]
    bases = soup.select("p.grade-basis")
    assert len(bases) == len(sources) and all(b.a["href"] == url for b in bases)
    text = " ".join(soup.get_text(" ").split())
    assert "findings and grades in this report were written for the demonstration" not in text
    assert "Its grades are those published for the force" in text
    assert " ".join(POPULATION_BREAK_NOTE.split()) in " ".join(
        soup.find(id="about_the_data").get_text(" ").split())
    import csv

    with (built_reports / "statements.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "grade"]
    assert {r["source"] for r in rows if r["force_id"] == "metropolitan"} == {f"published: {url}"}
    assert len([r for r in rows if r["force_id"] == "metropolitan"]) == len(sources)


def test_notebook_introductions_stay_in_the_notebooks(built_reports):
    """The analyst's Markdown introduction of each notebook never reaches the report."""
    html = (built_reports / "metropolitan" / "report.html").read_text(encoding="utf-8")
    executed = sorted((built_reports / "metropolitan" / "notebooks").glob("*.ipynb"))
    assert executed, "the build kept no executed notebooks"
    assert "Run it for another force" in executed[0].read_text(encoding="utf-8")
    assert "Run it for another force" not in html and "This notebook writes the area" not in html
