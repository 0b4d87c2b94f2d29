"""Tests of peel.render.pdf: the report's HTML typeset by Typst to an A4, tagged, reproducible PDF, offline.

The PDF is built from a synthetic twelve-area report (see test_stitch.synthetic_report) and read
back with pypdf: metadata, page size, bookmarks and where they land, the structure tree, and the
text of the page furniture (running header, "Page n of N", demonstration notice, contents page).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from test_stitch import NOTICE, synthetic_report

from peel.errors import BuildError
from peel.render.page import render_report
from peel.render.pdf import FONTS_DIR, render_pdf, write_pdf

pytestmark = pytest.mark.slow  # prints whole reports

A4 = (595.276, 841.89)  # points
MM = 72 / 25.4
TOP_MARGIN = 24 * MM  # the page's top margin in templates/typst/report.typ
TITLE = "PEEL 2023–2025: Metropolitan Police Service"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    notebooks, context = synthetic_report()
    html = render_report(notebooks, context)
    folder = tmp_path_factory.mktemp("pdf")
    first, second = folder / "first" / "report.pdf", folder / "second" / "report.pdf"
    write_pdf(html, first, title=TITLE)
    write_pdf(html, second, title=TITLE)
    reader = PdfReader(first)
    return {
        "html": html,
        "context": context,
        "paths": (first, second),
        "reader": reader,
        "texts": [page.extract_text() or "" for page in reader.pages],
    }


def _outline(reader: PdfReader) -> list[tuple[str, int, float]]:
    out = []
    for item in reader.outline:
        assert not isinstance(item, list), "bookmarks are one level deep: cover, contents, areas, annex"
        out.append((item.title, reader.get_destination_page_number(item), float(item.get("/Top", 0))))
    return out


def _structure_counts(reader: PdfReader) -> tuple[dict[str, int], list]:
    counts: dict[str, int] = {}
    figures: list = []

    def walk(node) -> None:
        if isinstance(node, IndirectObject):
            node = node.get_object()
        if isinstance(node, ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, DictionaryObject):
            role = node.get("/S")
            if role is not None:
                counts[str(role)] = counts.get(str(role), 0) + 1
                if role == "/Figure":
                    figures.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return counts, figures


def test_two_runs_give_identical_bytes(built):
    first, second = built["paths"]
    assert first.read_bytes() == second.read_bytes()
    # The file identifier comes from the content: another page has another one.
    other = render_pdf(built["html"].replace("Overall summary", "Overall summaries"), title=TITLE)
    assert other != first.read_bytes()


def test_only_the_packaged_fonts_are_used(built):
    """The text is set in the fonts shipped in peel/render/fonts, embedded: the same bytes on every machine."""
    shipped = {p.stem.replace("-", "") for p in FONTS_DIR.glob("*.ttf")}
    used = set()
    for page in built["reader"].pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            name = str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
            used.add(name.replace("-", ""))
    assert used and used <= shipped, used - shipped
    assert (FONTS_DIR / "LICENSE").is_file()


def test_no_temporary_files_left(built):
    for path in built["paths"]:
        assert sorted(p.name for p in path.parent.iterdir()) == ["report.pdf"]


def test_title_language_and_dates(built):
    reader = built["reader"]
    assert reader.metadata.title == TITLE
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]
    # the publication date, never the time of the build
    assert reader.metadata["/CreationDate"].startswith("D:20240809")
    assert reader.metadata["/ModDate"].startswith("D:20240809")


def test_every_page_is_a4(built):
    for page in built["reader"].pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) < 0.5 and abs(height - A4[1]) < 0.5


def test_tagged_pdf_ua(built):
    reader = built["reader"]
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfuaid:part>1</pdfuaid:part>" in xmp
    counts, figures = _structure_counts(reader)
    assert counts["/H1"] == 1
    assert counts["/H2"] >= len(built["context"].areas)
    n_figures = len(re.findall(r'<span class="figure-number">', built["html"]))
    assert len(figures) == n_figures
    html_alts = re.findall(r'<img [^>]*alt="([^"]*)"', built["html"])
    assert [str(f["/Alt"]) for f in figures] == [a.replace("&#x27;", "'").replace("&#39;", "'") for a in html_alts]
    assert counts["/Table"] >= 1 and counts["/TH"] > 0 and counts["/Caption"] > 0


def test_one_bookmark_per_area_each_at_the_top_of_a_new_page(built):
    reader, context = built["reader"], built["context"]
    outline = _outline(reader)
    titles = [t for t, _, _ in outline]
    for area in context.areas:
        assert titles.count(area.title) == 1, area.title
    area_marks = [(t, p, top) for t, p, top in outline if t in {a.title for a in context.areas}]
    assert [t for t, _, _ in area_marks] == [a.title for a in context.areas]
    pages = [p for _, p, _ in area_marks]
    assert pages == sorted(set(pages)), "each area starts on a page of its own"
    for title, _page, top in area_marks:
        # the heading is the first thing under the top margin of its page
        assert top > A4[1] - TOP_MARGIN - 12, (title, top)
    # the contents page first, on page 2 after the cover; the annex last
    assert titles[0] == "Contents" and outline[0][1] == 1
    assert titles[-1] == "Annex: data for the figures"


def test_page_n_of_total_on_every_page(built):
    texts = built["texts"]
    total = len(texts)
    assert total > 12
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {total}" in text, n


def test_running_header_and_demonstration_notice_on_every_page(built):
    texts = built["texts"]
    assert NOTICE in " ".join(texts[0].split())  # the full notice on the cover
    for n, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert "Demonstration data: synthetic figures" in flat, n
        if n > 1:  # the cover shows them in large type instead
            assert "Metropolitan Police Service" in flat and "PEEL 2023–2025" in flat, n


def test_contents_page_gives_each_area_its_page_number(built):
    reader, context = built["reader"], built["context"]
    contents = " ".join(built["texts"][1].split())
    assert contents.startswith("Metropolitan Police Service") or "Contents" in contents
    pages = {t: p + 1 for t, p, _ in _outline(reader)}
    for area in context.areas:
        assert re.search(re.escape(area.title) + r"[ .]*\b" + str(pages[area.title]) + r"\b", contents), area.title


def test_figure_data_annex_has_page_references(built):
    texts = built["texts"]
    joined = " ".join(" ".join(t.split()) for t in texts)
    refs = re.findall(r"data for figure (\d+), page (\d+)", joined)
    n_figures = len(re.findall(r'<span class="figure-number">', built["html"]))
    assert len(refs) == n_figures
    for number, page in refs:
        assert f"Figure {number}:" in " ".join(texts[int(page) - 1].split())


def test_report_without_notice_has_no_notice_in_the_footer(tmp_path):
    notebooks, context = synthetic_report(demonstration=False)
    html = render_report(notebooks[:3], dataclasses.replace(context, areas=context.areas[:3]))
    write_pdf(html, tmp_path / "r.pdf", title="t")
    texts = [p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages]
    assert texts and not any("Demonstration data" in t for t in texts)


SMALL = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>x</title>{head}</head>
<body><h1>Small</h1><p>Text.</p>{body}</body></html>"""


@pytest.mark.parametrize("head, body", [
    ("", '<img src="https://example.org/tracker.png" alt="x">'),
    ("", '<img src="file:///etc/hostname" alt="x">'),
    ("", '<img src="picture.png" alt="x">'),
])
def test_refuses_an_image_outside_the_page(tmp_path, head, body):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"previous good PDF")
    with pytest.raises(BuildError, match="not an embedded image"):
        write_pdf(SMALL.format(head=head, body=body), target, title="x")
    assert target.read_bytes() == b"previous good PDF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


@pytest.mark.parametrize("head", [
    '<link rel="stylesheet" href="https://example.org/s.css">',
    "<style>body { background: url(http://example.org/b.png) }</style>",
    "<style>@import url(https://example.org/more.css);</style>",
])
def test_reads_nothing_from_the_head_of_the_page(tmp_path, head):
    """The PDF is typeset from the page's body and the print template only: a stylesheet is never read."""
    write_pdf(SMALL.format(head=head, body=""), tmp_path / "r.pdf", title="x")
    plain = tmp_path / "plain.pdf"
    write_pdf(SMALL.format(head="", body=""), plain, title="x")
    assert (tmp_path / "r.pdf").read_bytes() == plain.read_bytes()


def test_data_uri_images_are_printed(tmp_path):
    svg = ("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxMCIg"
           "aGVpZ2h0PSIxMCI+PHJlY3Qgd2lkdGg9IjEwIiBoZWlnaHQ9IjEwIi8+PC9zdmc+")
    write_pdf(SMALL.format(head="", body=f'<img src="{svg}" alt="a square">'), tmp_path / "r.pdf", title="Small")
    reader = PdfReader(tmp_path / "r.pdf")
    assert reader.metadata.title == "Small"
    assert _structure_counts(reader)[1][0]["/Alt"] == "a square"


def test_title_argument_wins_over_html_title(tmp_path):
    write_pdf(SMALL.format(head="", body=""), tmp_path / "r.pdf", title="Given title", lang="cy")
    reader = PdfReader(tmp_path / "r.pdf")
    assert reader.metadata.title == "Given title"
    assert reader.trailer["/Root"]["/Lang"] == "cy"


def _header_cells(reader: PdfReader) -> list[DictionaryObject]:
    """Every TH structure element of the PDF, in reading order."""
    found: list[DictionaryObject] = []

    def walk(node) -> None:
        node = node.get_object() if isinstance(node, IndirectObject) else node
        if isinstance(node, ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, DictionaryObject) and "/S" in node:
            if node["/S"] == "/TH":
                found.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def test_header_rows_are_header_cells_with_column_scope(tmp_path):
    """A table's header row is tagged TH with /Scope /Column (PDF/UA 7.5).

    A row header (``<th scope="row">``) is set in bold but tagged TD: Typst marks a row header only
    with ``pdf.header-cell``, which the typst package does not enable (it needs a feature flag).
    """
    table = ('<table><caption>Grades</caption><thead><tr><th scope="col">Force</th><th scope="col">Grade</th>'
             '<th>Note</th></tr></thead><tbody><tr><th scope="row">Kent</th><td>Good</td><td>-</td></tr>'
             '<tr><th scope="row">Gwent</th><td>Adequate</td><td>-</td></tr></tbody></table>')
    write_pdf(SMALL.format(head="", body=table), tmp_path / "r.pdf", title="Small")
    cells = _header_cells(PdfReader(tmp_path / "r.pdf"))
    attributes = [c["/A"][0] if isinstance(c["/A"], ArrayObject) else c["/A"] for c in cells]
    assert [str(a.get("/Scope")) for a in attributes] == ["/Column", "/Column", "/Column"]
    assert all(a["/O"] == "/Table" for a in attributes)


def test_a_long_table_repeats_its_header_row_on_every_page(tmp_path):
    rows = "".join(f'<tr><th scope="row">Row {i}</th><td class="number">{i}</td></tr>' for i in range(150))
    table = (f'<table><caption>Long</caption><thead><tr><th scope="col">Name</th><th scope="col">Value</th></tr>'
             f'</thead><tbody>{rows}</tbody></table>')
    write_pdf(SMALL.format(head="", body=table), tmp_path / "r.pdf", title="Small")
    texts = [p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages]
    assert len(texts) >= 2
    for text in texts:
        assert re.search(r"^Name\s*Value", text, re.MULTILINE), text[:200]


def _png(mode: str, size: tuple[int, int] = (37, 23)) -> bytes:
    import io

    from PIL import Image

    image = Image.new(mode, size)
    # Every pixel different, so that a row or channel out of place shows.
    pixels = [tuple((x * 7 + y * 13 + c * 50) % 256 for c in range(len(mode))) for y in range(size[1])
              for x in range(size[0])]
    image.putdata([p[0] for p in pixels] if mode == "L" else pixels)
    out = io.BytesIO()
    image.save(out, format="png", compress_level=3)
    return out.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_images_in_the_pdf_have_the_pixels_of_the_pngs(tmp_path, mode):
    """Whatever the PNG's colour type, the image in the PDF has its pixels."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    png = _png(mode)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    write_pdf(SMALL.format(head="", body=f'<img src="{uri}" alt="pixels">'), tmp_path / "r.pdf", title="Small")
    [image] = PdfReader(tmp_path / "r.pdf").pages[0].images
    expected = np.asarray(Image.open(io.BytesIO(png)))  # pypdf applies the soft mask of an RGBA image
    assert (np.asarray(image.image) == expected).all()
