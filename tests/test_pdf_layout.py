"""The Met's PDF keeps its shape: page count within one page and every chart where it was.

Work on the print edition (the Typst template, chart resolution) must not move what a reader sees by
accident. The golden file ``tests/golden/met_pdf_layout.json`` holds the page count and, for each chart
image in reading order, its page and its position on the page (millimetres from the top, width and
height), as Typst typesets it. ``pytest tests/test_pdf_layout.py --update-golden`` rewrites it after a
change to the report that is meant to move figures (say which in the commit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow  # needs a real build

GOLDEN = Path(__file__).parent / "golden" / "met_pdf_layout.json"
PT_TO_MM = 25.4 / 72
#: Smaller than any change a reader would notice; larger than rounding.
TOLERANCE_MM = 3.0


def chart_positions(pdf: Path) -> dict:
    """Page count, and each drawn image's page (1-based), top, width and height in mm, in page order."""
    reader = PdfReader(pdf)
    figures = []
    for number, page in enumerate(reader.pages, start=1):
        height_mm = float(page.mediabox.height) * PT_TO_MM

        def visit(op: bytes, args: list, cm: list, tm: list, number: int = number,
                  height_mm: float = height_mm) -> None:
            if op == b"Do":
                w, h = cm[0] * PT_TO_MM, cm[3] * PT_TO_MM
                # An image fills the unit square under cm, which may flip it: the top is cm's y or y + h.
                y0 = cm[5] * PT_TO_MM
                top = height_mm - max(y0, y0 + h)
                if abs(w) > 20:  # charts, not rules or tiny marks
                    figures.append({"page": number, "top_mm": round(top, 1), "width_mm": round(abs(w), 1),
                                    "height_mm": round(abs(h), 1)})

        page.extract_text(visitor_operand_before=visit)
    return {"pages": len(reader.pages), "figures": figures}


def test_page_count_and_figure_positions_as_before(built_reports, update_golden):
    now = chart_positions(built_reports / "metropolitan" / "report.pdf")
    if update_golden or not GOLDEN.exists():
        GOLDEN.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
    before = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert abs(now["pages"] - before["pages"]) <= 1, f"{now['pages']} pages, {before['pages']} before"
    assert len(now["figures"]) == len(before["figures"]), "not the same number of charts"
    for i, (a, b) in enumerate(zip(now["figures"], before["figures"], strict=True), start=1):
        assert a["page"] == b["page"], f"chart {i} moved from page {b['page']} to {a['page']}"
        for key in ("top_mm", "width_mm", "height_mm"):
            assert abs(a[key] - b[key]) <= TOLERANCE_MM, f"chart {i}: {key} {a[key]} now, {b[key]} before"


def test_charts_print_sharp_at_their_printed_size(built_reports):
    """Every chart has at least 200 pixels an inch at the size the PDF prints it (and so at 200% zoom)."""
    pdf = built_reports / "metropolitan" / "report.pdf"
    placed = chart_positions(pdf)["figures"]
    reader = PdfReader(pdf)
    # A page's resources may list more images than it draws. Charts of one kind share a shape (the
    # all-forces bar charts, the smaller trend charts): match each printed chart with the images of
    # its shape and check the least of their pixels against its size.
    pixels = {image.image.size for number in sorted({f["page"] for f in placed})
              for image in reader.pages[number - 1].images}
    assert placed and pixels
    for f in placed:
        shape = f["width_mm"] / f["height_mm"]
        alike = [(w, h) for w, h in pixels if abs(w / h - shape) <= 0.02 * shape]
        assert alike, f"no image has the shape of the chart printed at {f['width_mm']} x {f['height_mm']} mm"
        w_px, h_px = min(w for w, _ in alike), min(h for _, h in alike)
        assert w_px / (f["width_mm"] / 25.4) >= 199.5, f"{w_px} pixels across for {f['width_mm']} mm"
        assert h_px / (f["height_mm"] / 25.4) >= 199.5, f"{h_px} pixels down for {f['height_mm']} mm"
