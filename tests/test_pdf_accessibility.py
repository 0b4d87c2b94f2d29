"""Accessibility of the Met's PDF as ``peel build`` writes it: tags, language, title, bookmarks, text.

Read back with pypdf from the session's real build (see ``built_reports`` in conftest.py). The
expected bookmarks and cover come from the report structure (notebooks/report.yaml) and the Met's
inspection inputs, not from the PDF or the HTML it was printed from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from peel.inputs.areas import load_report
from peel.inputs.forces import get_force
from peel.inputs.inspection import load_force_inputs

pytestmark = pytest.mark.slow  # needs a real build

REPO = Path(__file__).resolve().parents[1]
FORCE = "metropolitan"


@pytest.fixture(scope="module")
def met(built_reports) -> dict:
    report = load_report(REPO / "notebooks")
    inputs = load_force_inputs(REPO / "params", FORCE, report)
    reader = PdfReader(built_reports / FORCE / "report.pdf")
    return {
        "report": report,
        "areas": [a for a in report.areas if a.always or a.id in inputs.areas],
        "force": get_force(FORCE),
        "reader": reader,
        "root": reader.trailer["/Root"],
        "html": (built_reports / FORCE / "report.html").read_text(encoding="utf-8"),
    }


def _resolve(node):
    return node.get_object() if isinstance(node, IndirectObject) else node


def _children(node) -> list[DictionaryObject]:
    """The structure elements directly under ``node`` (marked-content ids and references skipped)."""
    kids = _resolve(node.get("/K")) if "/K" in node else None
    if kids is None:
        return []
    if not isinstance(kids, ArrayObject):
        kids = [kids]
    out = []
    for kid in kids:
        kid = _resolve(kid)
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            out.append(kid)
    return out


def _descendants(node) -> list[DictionaryObject]:
    """Every structure element under ``node``, depth first in reading order."""
    found: list[DictionaryObject] = []

    def walk(parent) -> None:
        for child in _children(parent):
            found.append(child)
            walk(child)

    walk(node)
    return found


def _elements(root) -> list[DictionaryObject]:
    """Every structure element of the document."""
    return _descendants(_resolve(root["/StructTreeRoot"]))


def test_tagged_with_a_structure_tree(met):
    root = met["root"]
    assert bool(root["/MarkInfo"]["/Marked"]), "/MarkInfo /Marked is not true"
    tree = _resolve(root["/StructTreeRoot"])
    assert "/ParentTree" in tree, "a structure tree without a parent tree cannot map content to tags"
    roles = [str(e["/S"]) for e in _elements(root)]
    assert roles.count("/Document") == 1
    assert roles.count("/H1") == 1, "one title heading, as in the HTML"
    assert roles.count("/H2") >= len(met["areas"]), "each area starts with a level-two heading"


def test_language_title_and_viewer_shows_the_title(met):
    root, reader = met["root"], met["reader"]
    assert root["/Lang"] == "en-GB"
    title = reader.metadata.title
    assert title, "the document has no title"
    assert met["force"].name in title and met["report"].title in title
    # PDF/UA: the viewer's window shows the title, not the file name.
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]


def test_pdf_ua_identification_in_xmp(met):
    xmp = _resolve(met["root"]["/Metadata"]).get_data().decode("utf-8")
    assert re.search(r'pdfuaid:part(="1"|>1<)', xmp), "no PDF/UA identification in the XMP metadata"
    # the XMP title agrees with the document information title
    assert met["reader"].metadata.title in xmp


def test_every_page_orders_tab_stops_by_structure(met):
    # PDF/UA requires /Tabs /S on every page that has annotations (the report's links).
    for number, page in enumerate(met["reader"].pages, start=1):
        if "/Annots" in page:
            assert page.get("/Tabs") == "/S", f"page {number}"


def test_one_bookmark_per_area_in_report_order(met):
    reader = met["reader"]
    titles = []
    for item in reader.outline:
        assert not isinstance(item, list), "bookmarks are one level deep"
        titles.append(item.title)
    expected = [a.title for a in met["areas"]]
    in_outline = [t for t in titles if t in expected]
    assert in_outline == expected, "each area has one bookmark, in report order"
    for item in reader.outline:
        if item.title in expected:
            page = reader.pages[reader.get_destination_page_number(item)]
            text = re.sub(r"\s+", " ", page.extract_text() or "")
            assert item.title in text, f"bookmark {item.title!r} does not land on its area's page"


def test_cover_text_is_selectable_in_reading_order(met):
    text = re.sub(r"\s+", " ", met["reader"].pages[0].extract_text() or "")
    report, force = met["report"], met["force"]
    assert report.inspectorate in text
    title_at = text.find(report.title)
    force_at = text.find(force.name)
    assert title_at >= 0, f"cover title {report.title!r} is not extractable from page 1"
    assert force_at >= 0, f"force name {force.name!r} is not extractable from page 1"
    assert title_at < force_at, "the cover title is read before the force's name"
    assert text.find(report.inspectorate) < title_at


def test_every_chart_is_a_figure_with_its_alternative_text(met):
    figures = [e for e in _elements(met["root"]) if e["/S"] == "/Figure"]
    html_alts = [
        a.replace("&#x27;", "'").replace("&#39;", "'").replace("&amp;", "&").replace("&quot;", '"')
        for a in re.findall(r'<img [^>]*?alt="([^"]*)"', met["html"])
    ]
    assert html_alts, "the Met's report has charts"
    assert [str(f.get("/Alt", "")) for f in figures] == html_alts


def _header_row_width(table) -> int:
    heads = [c for c in _children(table) if c["/S"] == "/THead"]
    rows = [r for h in heads for r in _children(h) if r["/S"] == "/TR"]
    return len([c for c in _children(rows[0]) if c["/S"] == "/TH"]) if rows else 0


def test_every_table_has_its_caption_and_header_cells(met):
    tables = [e for e in _elements(met["root"]) if e["/S"] == "/Table"]
    captioned = [any(c["/S"] == "/Caption" for c in _children(t)) for t in tables]
    # On screen each chart's data sits in a table under the chart; in print the same tables are in
    # the annex instead, so the PDF holds each distinct table once.
    html_captions = {re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<caption>(.*?)</caption>", met["html"], re.S)}
    assert sum(captioned) == len(html_captions)
    assert captioned[0], "the first table has no caption"
    widths = [_header_row_width(t) for t in tables]
    assert all(widths), "a table (or a page's part of one) without a row of header cells"
    for i, has_caption in enumerate(captioned):
        if not has_caption:
            # A table running over a page break is tagged as one /Table per page, the caption on the
            # first part and the header row repeated on each: the part continues the table before it.
            assert widths[i] == widths[i - 1], f"table {i + 1} has no caption and does not continue table {i}"


def _scope(cell: DictionaryObject) -> str:
    attributes = _resolve(cell.get("/A", DictionaryObject()))
    if isinstance(attributes, ArrayObject):  # Typst writes a list of attribute dictionaries
        attributes = next((_resolve(a) for a in attributes if "/Scope" in _resolve(a)), DictionaryObject())
    return str(attributes.get("/Scope"))


def test_every_header_cell_carries_its_scope(met):
    """PDF/UA 7.5: each TH says what it heads. The column headers are TH with /Scope /Column.

    The report's row headers (``<th scope="row">``) are set in bold but tagged TD: Typst tags a row
    header only through ``pdf.header-cell``, which the typst package does not enable.
    """
    cells = [e for e in _elements(met["root"]) if e["/S"] == "/TH"]
    assert cells, "the Met's report has tables"
    scopes = [_scope(c) for c in cells]
    assert set(scopes) == {"/Column"}, f"{len(scopes)} header cells, scopes {set(scopes)}"


def test_every_link_is_described(met):
    """Each link annotation has a description (PDF/UA): a contents entry by its area's title and page."""
    reader, html = met["reader"], met["html"]
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    described = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            text = str(annot.get("/Contents") or "")
            assert text.strip() and text not in ids, f"link described by its target {text!r}"
            described.append(text)
    for title in (a.title for a in met["areas"]):
        assert any(title in d for d in described), f"no contents link is described by {title!r}"


def test_overview_pdf_is_tagged_with_header_cells_and_prints_its_data(built_reports):
    """The national overview's PDF: tagged, every header cell scoped, each measure's data table printed."""
    reader = PdfReader(built_reports / "overview.pdf")
    root = reader.trailer["/Root"]
    elements = _elements(root)
    cells = [e for e in elements if e["/S"] == "/TH"]
    assert cells and all(_scope(c) == "/Column" for c in cells)
    assert any(e["/S"] == "/Figure" and str(e.get("/Alt", "")).startswith("Bar chart:") for e in elements)
    text = " ".join(page.extract_text() for page in reader.pages)
    html = (built_reports / "overview.html").read_text(encoding="utf-8")
    for caption in re.findall(r'<caption id="table-[^"]+">([^<]*)</caption>', html):
        first_words = " ".join(caption.replace("&#39;", "'").split()[:3])
        assert first_words in " ".join(text.split()), f"the PDF does not print the table {caption!r}"
