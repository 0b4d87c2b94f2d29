"""The PDF of a force report, printed from the report's own HTML by WeasyPrint.

The page furniture (A4, running header, "Page n of N", the demonstration notice on every page,
contents page numbers, bookmarks) is in the report's print stylesheet; this module only prints.
It works offline: the only resources it will load are data URIs, and anything else stops the
build rather than leaving a hole in the PDF. The PDF is tagged (PDF/UA-1) with its title and
language, and it is reproducible: no clock time and a file identifier derived from the content,
so the same HTML always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from peel.errors import BuildError
from peel.files import atomic_write

#: PDF flavour: PDF/UA-1 (tagged PDF 1.7 with the accessibility metadata).
PDF_VARIANT = "pdf/ua-1"

#: Base URL of the document. Without one WeasyPrint silently drops a relative reference such as
#: ``picture.png``; with this one it becomes a ``file:`` URL that the fetcher refuses, so the build
#: fails instead of printing a report with a hole in it. Nothing is ever read from it.
OFFLINE_BASE_URL = "file:///peel-report-offline/"


def _weasyprint() -> Any:
    # Imported on first use: loading WeasyPrint (Pango, fontconfig) costs time that commands which
    # never print a PDF should not pay.
    import weasyprint

    return weasyprint


@lru_cache(maxsize=1)
def font_configuration() -> Any:
    """The process's WeasyPrint font configuration, built once: fontconfig's scan is the slow part."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        """Loads ``data:`` URIs and refuses everything else (files, http, ftp...)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, fail_on_errors=True)

    return DataOnlyFetcher


def offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that only ever reads ``data:`` URIs; any other URL stops the PDF."""
    return _fetcher_class()()


def pdf_identifier(html: str) -> bytes:
    """The PDF's file identifier: the first 16 bytes of the SHA-256 of the HTML, as hex."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")


#: A chart's data table on screen. The print stylesheet hides it (``details.figure-data { display: none }``)
#: because the print annex holds a copy, but WeasyPrint would still parse it and compute the style of each
#: of its cells, about a third of the elements of a report. The element comes from the ``figure`` macros
#: (``peel/analysis/templates/macros.html.j2``) and holds no other ``details``.
_SCREEN_TABLE = re.compile(r'<details class="figure-data">(?:(?!<details[\s>]).)*?</details>', re.DOTALL)


def print_html(html: str) -> str:
    """The report's HTML as the printer reads it: the same page less the charts' on-screen data tables.

    Only elements that the print stylesheet hides are left out, so the PDF is the one WeasyPrint
    prints from the whole page, laid out faster (each table is printed once, in the annex).
    """
    return _SCREEN_TABLE.sub("", html)


def layout_pdf(html: str, *, title: str, lang: str = "en-GB") -> Any:
    """WeasyPrint's laid-out document of a report's HTML (the slow half of the PDF).

    Raises
    ------
    BuildError
        When the HTML refers to any resource that is not a data URI.
    """
    wp = _weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    try:
        document = wp.HTML(
            string=print_html(html), base_url=OFFLINE_BASE_URL, url_fetcher=offline_fetcher(), media_type="print"
        ).render(
            font_config=font_configuration(),
            pdf_variant=PDF_VARIANT,
        )
    except FatalURLFetchingError as e:
        cause = e.__cause__ or e
        raise BuildError(f"PDF of {title!r}: the report refers to something outside itself ({cause})") from e
    # The title and language given here win over whatever the HTML says.
    document.metadata.title = title
    document.metadata.lang = lang
    return document


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: IHDR after the width and height: 8 bits a sample, RGB, deflate, the standard filters, not interlaced.
_PLAIN_RGB = b"\x08\x02\x00\x00\x00"
#: Chunks that change how the pixels read (palette, transparency, colour profile): such a PNG is left to
#: WeasyPrint.
_COLOUR_CHUNKS = frozenset({b"PLTE", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"})


def png_rows(data: bytes) -> bytes | None:
    """The compressed pixel rows (the IDAT data) of a plain 8-bit RGB PNG, or ``None`` for any other image.

    These are exactly what a PDF image with ``/FlateDecode`` and PNG predictors holds, so such a PNG
    goes into the PDF as it is, without being decoded and compressed again.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return None
    pos, plain = len(_PNG_SIGNATURE), False
    rows: list[bytes] = []
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            plain = body[8:13] == _PLAIN_RGB
        elif kind == b"IDAT":
            rows.append(body)
        elif kind == b"IEND":
            break
        elif kind in _COLOUR_CHUNKS:
            return None
        pos += 12 + length
    return b"".join(rows) if plain and rows else None


@lru_cache(maxsize=1)
def _pass_plain_pngs_through() -> None:
    """Make WeasyPrint put a plain RGB PNG (the charts) into the PDF without re-encoding it.

    WeasyPrint (``RasterImage._get_png_data``) decodes every PNG and compresses it again only to take
    the compressed rows back out, about 0.04 CPU s a chart. Any image that is not an unchanged plain
    RGB PNG (one with transparency, a palette, a colour profile, or one WeasyPrint converted) still
    goes through WeasyPrint's own code.
    """
    from weasyprint.images import RasterImage

    reencode = getattr(RasterImage, "_get_png_data", None)
    if reencode is None:  # another WeasyPrint: leave it as it is
        return

    def get_png_data(pillow_image: Any) -> bytes:
        fp = getattr(pillow_image, "fp", None)
        if getattr(pillow_image, "format", None) == "PNG" and isinstance(fp, io.BytesIO):
            rows = png_rows(fp.getvalue())
            if rows is not None:
                return rows
        return reencode(pillow_image)

    RasterImage._get_png_data = staticmethod(get_png_data)


def write_document(document: Any, html: str) -> bytes:
    """The PDF bytes of a document laid out by :func:`layout_pdf` from ``html``."""
    _pass_plain_pngs_through()
    return document.write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_identifier=pdf_identifier(html),
        finisher=finish_tags,
    )


def render_pdf(html: str, *, title: str, lang: str = "en-GB") -> bytes:
    """The PDF of a report's HTML, as bytes (see :func:`write_pdf`)."""
    return write_document(layout_pdf(html, title=title, lang=lang), html)


#: A header cell's ``scope`` in the HTML -> its ``/Scope`` in the PDF's table attributes. A ``<th>`` without
#: a scope is a column header, as WeasyPrint links it to the cells below it.
SCOPES = {"row": "Row", "rowgroup": "Row", "col": "Column", "colgroup": "Column"}


def _cell_boxes(box: Any) -> Any:
    """Every laid-out box under ``box`` (depth first)."""
    for child in getattr(box, "children", ()):
        yield child
        yield from _cell_boxes(child)


def scope_header_cells(document: Any, pdf: Any) -> None:
    """Give every TH structure element the ``/Scope`` of its ``<th>`` (PDF/UA, 7.5: headers determinable).

    WeasyPrint 70 links each data cell to its headers (``/Headers``) but writes no ``/Scope`` on the
    header cells themselves, so a PDF/UA checker cannot tell a row header from a column header.
    WeasyPrint keeps each cell's structure element on the cell's box (``box.mark``) while tagging;
    the scope comes from the HTML attribute, so the PDF says exactly what the HTML says.
    """
    import pydyf

    for page in document.pages:
        for box in _cell_boxes(page._page_box):
            element = getattr(box, "mark", None)
            if element is None or getattr(box, "element_tag", None) != "th":
                continue
            scope = SCOPES.get(str(box.element.attrib.get("scope", "col")).lower(), "Column")
            attributes = element.get("A")
            if not isinstance(attributes, pydyf.Dictionary):
                attributes = element["A"] = pydyf.Dictionary({"O": "/Table"})
            attributes["Scope"] = f"/{scope}"


def finish_tags(document: Any, pdf: Any) -> None:
    """What WeasyPrint's tagging leaves out: header cells' scope and links' descriptions."""
    scope_header_cells(document, pdf)
    describe_links(document, pdf)


def describe_links(document: Any, pdf: Any) -> None:
    """Describe each link annotation by the link's own text (PDF/UA wants a description).

    WeasyPrint describes a tagged link by its target (``"#police_powers"`` becomes ``police_powers``);
    a screen reader reading the annotation should hear "Police powers and treating the public..."
    instead, as in the HTML.
    """
    import pydyf

    for page in document.pages:
        for _kind, _target, _rect, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            element = getattr(box, "element", None)
            # The link's text in the HTML, not the laid-out box (which has the contents' leader dots).
            text = " ".join("".join(element.itertext()).split()) if element is not None else ""
            if annotation is not None and text:
                annotation["Contents"] = pydyf.String(text)


def write_pdf(html: str, path: Path, *, title: str, lang: str = "en-GB") -> None:
    """Print a report's HTML to an A4, tagged, reproducible PDF at ``path``.

    Parameters
    ----------
    html
        The report from :func:`peel.render.page.render_report`.
    path
        Where the PDF goes. It is written to a temporary file in the same folder and renamed, so
        a reader never sees half a file and a failure leaves any previous PDF in place.
    title
        The document title stored in the PDF (shown by PDF readers instead of the file name).
    lang
        The document language stored in the PDF.

    Raises
    ------
    BuildError
        When the HTML refers to any resource that is not a data URI.
    """
    atomic_write(Path(path), render_pdf(html, title=title, lang=lang))
