"""The all-forces chart for a narrow screen: one bar across the width per force, its name in full above it.

On a phone the all-forces chart (:mod:`peel.analysis.charts`, 16 cm wide with 43 rotated names)
shrinks to a strip nobody can read. The report's HTML therefore offers a second picture of the same
chart, chosen by the browser without script (``<picture><source media=...>``,
:data:`peel.analysis.numbered_figure.NARROW_MEDIA`): the same forces in the same order, each on a row of its
own with its name in full and its value as the data table prints it (a percentage without the word,
which heads the column), then its bar; the same kinds of bar (dark blue and striped above the upper
line, light blue and dotted below the lower one or below the standard, grey within, outlined outside
the force's group), the report's force outlined in black and named in bold, and the same lines (the
dotted red lines, the dashed standard, the England and Wales line), named in a legend above with the
same words as the wide chart's legend. The alt text and the source line are the figure's own, shared
by both pictures. The print edition keeps the wide chart.

It is an SVG written from a template (``templates/narrow_chart.svg.j2``): text stays text (sharp at
any size, in the reader's font), it costs about a millisecond to make (no drawing, no rasterising),
and the same bars give the same bytes (every coordinate is written to a tenth).
"""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peel.analysis.charts import (
    BLACK,
    DARK_BLUE,
    GREY,
    LEGEND_ABOVE,
    LEGEND_BELOW,
    LEGEND_BELOW_STANDARD,
    LEGEND_GROUP_LINES,
    LEGEND_LINES,
    LEGEND_MEETS,
    LEGEND_OTHER,
    LEGEND_WITHIN,
    LIGHT_BLUE,
    RED,
    Bar,
    decimals_for,
)
from peel.analysis.templating import render
from peel.method import is_missing
from peel.numbers import format_number, format_value

#: The picture's width in CSS px (its viewBox): a phone's text column. It is shown at the column's
#: width, so its 12 px text stays about 12 px on a phone.
WIDTH = 340
#: Text size and line height, in the picture's px.
FONT_PX = 12
LINE_PX = 15
#: A force's row: its name and value on one line, its bar below, then a gap.
BAR_PX = 10
ROW_PX = LINE_PX + BAR_PX + 7
#: The legend's swatch column and how many characters of a legend entry fit on a line beside it.
SWATCH_PX = 26
LEGEND_CHARS = 44

#: Each kind of bar: fill (a colour or a pattern of the picture) and outline, as in the wide chart.
FILL = {
    "above": ("url(#above)", DARK_BLUE),
    "below": ("url(#below)", DARK_BLUE),
    "below_standard": ("url(#below)", DARK_BLUE),
    "within": (GREY, GREY),
    "meets_standard": (GREY, GREY),
    "other": ("#FFFFFF", "#6F777B"),
}


@dataclass(frozen=True)
class NarrowChart:
    """The narrow picture as SVG text, with its size in CSS px."""

    svg: str
    width: int
    height: int

    def data_uri(self) -> str:
        """The picture as a ``data:image/svg+xml;base64,...`` URI (no space or comma a ``srcset`` would split on)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")


def _n(x: float) -> str:
    """A coordinate to a tenth of a px, without a trailing ".0": the same bars give the same text."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def narrow_chart(comparison: Any, bars: Sequence[Bar], unit_head: str) -> NarrowChart:
    """The narrow picture of an all-forces chart.

    Parameters
    ----------
    comparison
        The comparison the wide chart was drawn from, as the force's report sees it (its ``measure``,
        ``lines`` and ``england_and_wales``).
    bars
        The wide chart's bars in drawing order (:func:`peel.analysis.charts.chart_bars`).
    unit_head
        What the values are ("Percent", "Per 1,000 population"), as the data table's column head: it
        heads the column of values, as the wide chart's axis label does.
    """
    m = comparison.measure
    unit, decimals = m.unit, m.decimals
    lines = comparison.lines
    standard = m.standard if m.compare == "standard" and m.standard is not None else None
    ew = comparison.england_and_wales
    ew = None if ew is None or is_missing(ew) else float(ew)

    names = {r.force_id: r.force_name for r in comparison.rows}

    def shown(v: float) -> str:
        # As the data table prints it, less the word "percent" (the column's head says it), so that the
        # longest force name and its value fit on one line.
        return format_number(v, decimals) if unit == "percent" else format_value(v, unit, decimals)

    legend: list[tuple[str, str]] = []  # (swatch, text)
    if standard is not None:
        legend += [("standard", f"Expected standard: {format_value(standard, unit, decimals_for(standard))}"),
                   ("below_standard", LEGEND_BELOW_STANDARD), ("meets_standard", LEGEND_MEETS)]
    elif lines is not None:
        grouped = any(b.kind == "other" for b in bars)
        legend += [("lines", LEGEND_GROUP_LINES if grouped else LEGEND_LINES), ("above", LEGEND_ABOVE),
                   ("below", LEGEND_BELOW), ("within", LEGEND_WITHIN)]
        if grouped:
            legend.append(("other", LEGEND_OTHER))
    if ew is not None:
        legend.append(("england_and_wales", f"England and Wales: {format_value(ew, unit, decimals)}"))
    legend += [("force", f"{names.get(b.force_id, b.label)} (this report's force), outlined")
               for b in bars if b.is_force]

    entries = []
    y = 0.0
    for swatch, text in legend:
        wrapped = textwrap.wrap(text, LEGEND_CHARS)
        entries.append({"swatch": swatch, "y": _n(y), "mid": _n(y + LINE_PX / 2 + 1),
                        "lines": [(_n(y + (i + 1) * LINE_PX - 3), t) for i, t in enumerate(wrapped)]})
        y += len(wrapped) * LINE_PX + 3
    head_y = _n(y + 6 + LINE_PX - 3)
    top = y + 6 + LINE_PX + 4

    marks = [v for v in (ew, standard, lines.upper if lines is not None else None) if v is not None]
    most = max([b.value for b in bars] + marks + [0.0]) or 1.0
    scale = (WIDTH - 2) / most  # a bar of the largest value spans the width, less its outline

    def x(v: float) -> str:
        return _n(1 + max(v, 0.0) * scale)

    def length(v: float) -> str:
        return _n(max(v, 0.0) * scale)

    rows = []
    for i, b in enumerate(bars):
        row_top = top + i * ROW_PX
        fill, edge = FILL[b.kind]
        rows.append({"name": names.get(b.force_id, b.label), "value": shown(b.value),
                     "is_force": b.is_force,
                     "text_y": _n(row_top + LINE_PX - 3), "bar_y": _n(row_top + LINE_PX), "width": length(b.value),
                     "fill": fill, "edge": BLACK if b.is_force else edge, "stroke": "1.6" if b.is_force else "0.5"})
    height = round(top + len(bars) * ROW_PX + 2)

    def segments(v: float | None) -> str:
        """A vertical line at ``v`` through every bar's band (not through the names)."""
        if v is None:
            return ""
        return " ".join(f"M{x(v)} {_n(top + i * ROW_PX + LINE_PX - 1)}v{BAR_PX + 2}" for i in range(len(bars)))

    svg = render("narrow_chart.svg.j2", width=WIDTH, height=height, font_px=FONT_PX, swatch_px=SWATCH_PX,
                 colours={"dark_blue": DARK_BLUE, "light_blue": LIGHT_BLUE, "grey": GREY, "red": RED,
                          "black": BLACK},
                 legend=entries, rows=rows, bar_px=BAR_PX, head_y=head_y, unit_head=unit_head,
                 lines_path=segments(lines.lower if lines is not None and standard is None else None) + " "
                 + segments(lines.upper if lines is not None and standard is None else None),
                 standard_path=segments(standard), ew_path=segments(ew))
    return NarrowChart(str(svg) + "\n", WIDTH, height)
