"""The PDF of a published page (a force report, the overview), typeset by Typst from the page itself.

:func:`peel.render.typst_markup.page_to_typst` turns the page's HTML into Typst markup (the same
words in the same order, every value escaped) and this module compiles it in this process with the
``typst`` package: no subprocess, no network, no system fonts. The page furniture (A4, running
header, "Page n of N", the notice on every page, contents page numbers, bookmarks) is in the print
template ``templates/typst/report.typ``. The text is set in DejaVu Sans, shipped with the package in
``fonts/`` under its licence, so the same page gives the same bytes on every machine.

The PDF is tagged to PDF/UA-1 with its title and language, every chart carries its alt text, and
nothing in it depends on the clock: the document has no date and Typst derives the file
identifier from the content.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import typst

from peel.errors import BuildError
from peel.files import atomic_write
from peel.render.typst_markup import TEMPLATE_PATH, page_to_typst

#: PDF flavour: PDF/UA-1 (tagged, with the accessibility metadata); Typst checks it while writing.
PDF_STANDARD: Literal["ua-1"] = "ua-1"

#: The only fonts the PDF uses (DejaVu Sans, the charts' font too), with their licence.
FONTS_DIR = Path(__file__).resolve().parent / "fonts"

#: The Typst document's file name inside the compiler's root folder (the images sit beside it).
MAIN = "main.typ"


@lru_cache(maxsize=1)
def compiler_fonts() -> Any:
    """The fonts of :data:`FONTS_DIR` and no other, loaded once a process (the slow part of a first PDF)."""
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS_DIR)])


def render_pdf(html: str, *, title: str, lang: str = "en-GB") -> bytes:
    """The PDF of a published page's HTML, as bytes (see :func:`write_pdf`).

    Raises
    ------
    BuildError
        When the page has an image that is not embedded, or Typst cannot typeset it (its message).
    """
    page = page_to_typst(html, title=title, lang=lang)
    # The compiler reads the document and its images from files, so they go to a private folder
    # that is removed afterwards, whatever happens.
    with tempfile.TemporaryDirectory(prefix="peel-pdf-") as tmp:
        root = Path(tmp)
        (root / MAIN).write_text(page.source, encoding="utf-8")
        (root / TEMPLATE_PATH.name).write_bytes(TEMPLATE_PATH.read_bytes())
        for name, data in page.images.items():
            (root / name).write_bytes(data)
        try:
            pdf = typst.compile(str(root / MAIN), root=str(root), font_paths=compiler_fonts(),
                                ignore_system_fonts=True, pdf_standards=PDF_STANDARD)
        except typst.TypstError as e:
            hints = "; ".join(getattr(e, "hints", []) or [])
            raise BuildError(f"PDF of {title!r}: Typst could not typeset it: {e.message}"
                             + (f" ({hints})" if hints else "")) from e
    if not isinstance(pdf, bytes):  # cannot happen without an output path
        raise BuildError(f"PDF of {title!r}: Typst returned no PDF")
    return pdf


def write_pdf(html: str, path: Path, *, title: str, lang: str = "en-GB") -> None:
    """Print a published page's HTML to an A4, tagged, reproducible PDF at ``path``.

    Parameters
    ----------
    html
        The report from :func:`peel.render.page.render_report` (or the overview page).
    path
        Where the PDF goes. It is written to a temporary file in the same folder and renamed, so
        a reader never sees half a file and a failure leaves any previous PDF in place.
    title
        The document title stored in the PDF (shown by PDF readers instead of the file name).
    lang
        The document language (BCP 47, ``"en-GB"``): Typst's ``lang`` and ``region``.

    Raises
    ------
    BuildError
        When the page has an image that is not embedded, or Typst cannot typeset it.
    """
    atomic_write(Path(path), render_pdf(html, title=title, lang=lang))
