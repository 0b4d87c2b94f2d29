"""The PDF says what the HTML says: every heading, sentence, finding and table value, in the same order.

For the Met (a finished report) and Gwent (a draft: its params say ``draft: true``) from the session's
real build (``built_reports`` in conftest.py). The HTML's text is read as the print edition shows
it: what print hides is left out (the skip link, the contents' grade labels, each chart's on-screen
data table, whose values the annex repeats), and what print adds is expected (an outside link's
address after its words, the page of each chart's data in the annex). The PDF's text comes from
``pdftotext`` in content order, without the running header and footer. White space is left out on
both sides, since a PDF's lines break where the HTML's do not.

``tests/golden/met_pdf.txt`` is a snapshot of the Met's PDF text, page by page, so an unintended
change of the print edition shows as a diff. ``pytest tests/test_pdf_text.py --update-golden``
rewrites it.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

pytestmark = pytest.mark.slow  # reads the session's real build

GOLDEN = Path(__file__).resolve().parent / "golden" / "met_pdf.txt"
#: Elements whose text is one unit of the report; an element inside another of them is read with it.
UNIT_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "caption", "figcaption", "th", "td", "dt", "dd",
             "summary")
#: What the print edition leaves out (report.css, @media print; peel.render.typst_markup).
PRINT_HIDDEN = ("skip-link", "contents-grade", "figure-data")
#: The body of an A4 page in points, between the running header and footer (templates/typst/report.typ).
BODY_TOP, BODY_HEIGHT = 66, 704
_PAGE = "\x00"  # where the page of a chart's data goes in an expected unit


def _units(html: str) -> list[str]:
    """The report's text units as the print edition shows them, in reading order."""
    soup = BeautifulSoup(html, "html.parser")
    body = soup.body
    assert body is not None
    for el in body.find_all(class_=list(PRINT_HIDDEN)):
        el.decompose()
    for link in body.find_all("a", href=True):
        href = str(link["href"])
        if href.startswith(("http://", "https://", "mailto:")):
            shown = href.removeprefix("mailto:")
            if link.get_text().strip() != shown:
                link.insert_after(f" ({shown})")
        elif isinstance(link.parent, Tag) and "figure-data-ref" in (link.parent.get("class") or []):
            link.insert_after(f", page {_PAGE}")
    units = []
    for el in body.find_all(UNIT_TAGS):
        if el.find_parent(UNIT_TAGS) is not None:
            continue
        text = "".join(el.get_text().split())
        if text:
            units.append(text)
    return units


def _pdf_text(pdf: Path, *, body_only: bool) -> list[str]:
    """Each page's text in content order (``pdftotext -raw``), optionally without header and footer."""
    pages = []
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                         check=True, timeout=60).stdout).group(1))
    for number in range(1, n + 1):
        crop = ["-x", "0", "-y", str(BODY_TOP), "-W", "600", "-H", str(BODY_HEIGHT)] if body_only else []
        done = subprocess.run(["pdftotext", "-raw", "-f", str(number), "-l", str(number), *crop, str(pdf), "-"],
                              capture_output=True, text=True, check=True, timeout=60)
        pages.append(done.stdout)
    return pages


def _missing_in_order(units: list[str], text: str) -> list[str]:
    """The units not found in ``text`` after the one before them (each searched from where the last ended)."""
    at, missing = 0, []
    for unit in units:
        pattern = re.compile(re.escape(unit).replace(re.escape(_PAGE), r"\d+"))
        m = pattern.search(text, at)
        if m is None:
            missing.append(unit)
        else:
            at = m.end()
    return missing


@pytest.mark.parametrize("force", ["metropolitan", "gwent"])
def test_every_unit_of_the_html_is_in_the_pdf_in_order(built_reports, force):
    html = (built_reports / force / "report.html").read_text(encoding="utf-8")
    units = _units(html)
    text = "".join("".join(page.split()) for page in _pdf_text(built_reports / force / "report.pdf",
                                                                 body_only=True))
    assert len(units) > 200
    missing = _missing_in_order(units, text)
    assert not missing, f"{len(missing)} of {len(units)} units not found in order, first: {missing[:3]}"


def test_the_draft_says_so_on_its_pages(built_reports):
    pages = _pdf_text(built_reports / "gwent" / "report.pdf", body_only=False)
    assert "Draft" in pages[0]
    assert all("Draft: not published" in page for page in pages[1:])


def test_a_unit_out_of_order_is_found_missing():
    """The order check is real: the same units in another order do not all match."""
    assert _missing_in_order(["Contents", "Overview"], "ContentsOverview") == []
    assert _missing_in_order(["Overview", "Contents"], "ContentsOverview") == ["Contents"]
    assert _missing_in_order([f"page{_PAGE}."], "page12.") == []


def _snapshot(pdf: Path) -> str:
    pages = _pdf_text(pdf, body_only=False)
    text = "".join(f"=== page {n}\n{page}" for n, page in enumerate(pages, start=1))
    # The build identity (version and commit) is not the report's content.
    return re.sub(r"(Report built with peel )[^\n]*", r"\1(version)", text)


def test_met_pdf_text_as_golden(built_reports, update_golden):
    now = _snapshot(built_reports / "metropolitan" / "report.pdf")
    if update_golden or not GOLDEN.exists():
        GOLDEN.write_text(now, encoding="utf-8")
    before = GOLDEN.read_text(encoding="utf-8")
    if now != before:
        diff = "".join(list(difflib.unified_diff(before.splitlines(True), now.splitlines(True), "golden", "now"))[:80])
        pytest.fail(f"the Met's PDF text changed (rerun with --update-golden if intended):\n{diff}")
