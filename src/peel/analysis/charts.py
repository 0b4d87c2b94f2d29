"""The all-forces chart: one function draws every national comparison in a report.

A PEEL report shows how a force compares with the others as a bar chart of every force compared,
sorted by value, with dotted red lines one standard deviation above and below the unweighted
average. Forces outside the lines are dark blue (above) or light blue (below); the rest are grey.
Here the bars outside the lines are also hatched (stripes above, dots below) so that the meaning
never rests on colour alone, the report's force has a heavy outline and is named on the chart, and
the England and Wales figure is drawn as a black line, named with its value in the legend. For a
measure judged against a fixed national standard (999 calls answered within 10 seconds) the standard
is drawn instead of the lines and the forces below it are highlighted.

Forces that did not supply data, and forces the catalogue leaves out of a comparison, are not
drawn; :mod:`peel.figures` names them under the chart.

Figures are built with :class:`matplotlib.figure.Figure` rather than ``pyplot`` so that nothing is
registered globally and a notebook never shows a stray image; :func:`figure_png` writes a
byte-identical PNG (:data:`CHART_DPI`, no timestamp) for the same inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from peel.analysis.chart_render import (
    FORCE_NAME_GID,
    ChartCanvas,
    ChartLayout,
    collector_paused,
    draw_bars_together,
    encode_png,
)
from peel.method import Band, Standard, against_standard, is_missing
from peel.method import band as classify_band
from peel.numbers import format_number, format_value

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: Figure size: the text width of an A4 page (16 cm) by 12.5 cm (room for the force names and the
#: legend at :data:`CHART_FONT_PT`).
FIGSIZE_CM = (16.0, 12.5)
CM = 1 / 2.54

#: How wide a chart is shown: the ``<img>`` is 605 CSS pixels wide on screen, and in print it fills
#: the text width of the A4 page (210 mm less its 22 mm and 20 mm side margins).
SCREEN_WIDTH_PX = 605
PRINT_WIDTH_MM = 168.0
#: The resolution a chart is drawn at: enough pixels for twice its screen width (sharp at 200% zoom
#: and on double-density screens) and for 200 dots an inch at its printed width, and no more (each
#: extra pixel is drawing time). 211 dpi gives 1,329 pixels across.
CHART_DPI = math.ceil(max(2 * SCREEN_WIDTH_PX, PRINT_WIDTH_MM / 25.4 * 200) / (FIGSIZE_CM[0] * CM))

#: Colours. Dark blue, red and near-black meet 4.5:1 against white; the light blue bars are drawn
#: with a dark blue outline and dots so that they meet 3:1 as graphics. Grey is the neutral fill of
#: forces inside the lines (their meaning is "nothing to note").
DARK_BLUE = "#12436D"
LIGHT_BLUE = "#9FC7EA"
GREY = "#BFC1C3"
RED = "#C7331A"
BLACK = "#0B0C0C"
WHITE = "#FFFFFF"

#: Hatch patterns, so that "above" and "below" differ in more than colour.
HATCH_ABOVE = "////"
HATCH_BELOW = ".."

#: What the legend calls each kind of bar.
LEGEND_ABOVE = "More than 1 standard deviation above the average (dark blue, striped)"
LEGEND_BELOW = "More than 1 standard deviation below the average (light blue, dotted)"
LEGEND_WITHIN = "Within 1 standard deviation of the average (grey)"
LEGEND_LINES = "1 standard deviation above and below the average of forces (dotted red lines)"
LEGEND_GROUP_LINES = "1 standard deviation above and below its group's average (dotted red lines)"
LEGEND_OTHER = "Not in its most similar group (outlined)"
LEGEND_MEETS = "Meets the standard (grey)"
LEGEND_BELOW_STANDARD = "Below the standard (light blue, dotted)"

#: The size of every text on every chart (ticks, legends, labels, annotations), in points. Each chart
#: is drawn at the size it is shown (16 cm shown 605 CSS px wide, 96 px an inch), so 9 pt is 12 CSS px
#: at 100% zoom: the smallest chart text the reports allow. The one place to change chart text size.
CHART_FONT_PT = 9.0

#: Fixed drawing settings: the same chart always gives the same pixels.
CHART_RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine draws the same glyphs
    "font.size": CHART_FONT_PT,
    "legend.fontsize": CHART_FONT_PT,
    "xtick.labelsize": CHART_FONT_PT,
    "ytick.labelsize": CHART_FONT_PT,
    "axes.labelsize": CHART_FONT_PT,
    "hatch.linewidth": 0.6,
    # Glyphs drawn as their outlines, not fitted to the pixel grid: at 211 dpi a 9 pt glyph is 26 pixels
    # tall, so hinting changes little a reader can see, and a chart with unhinted text costs a fifth less
    # to draw (docs/speed.md, "Unhinted chart text, one renderer a thread, and the workers' collections").
    "text.hinting": "no_hinting",
}


def shown_px(points: float, figure_width_in: float, shown_width_px: float) -> float:
    """CSS px of text ``points`` tall on a figure ``figure_width_in`` wide shown ``shown_width_px`` wide."""
    return points / 72 * shown_width_px / figure_width_in

_SUFFIXES = (" Police Service", " Constabulary", " Police")


def short_name(force_name: str) -> str:
    """A force's name as an axis label: "Metropolitan Police Service" -> "Metropolitan"."""
    for suffix in _SUFFIXES:
        if force_name.endswith(suffix):
            return force_name[: -len(suffix)]
    return force_name


@dataclass(frozen=True)
class Bar:
    """One bar of the chart, in drawing order."""

    force_id: str
    label: str
    value: float
    kind: str  # "above", "below", "within", "below_standard", "meets_standard", "other" (outside the group)
    is_force: bool


def _kind(row: Any, measure: Any, lines: Any) -> str:
    if getattr(measure, "compare", "band") == "standard" and getattr(measure, "standard", None) is not None:
        std = against_standard(row.value, measure.standard, getattr(measure, "decimals", None))
        return "below_standard" if std is Standard.BELOW else "meets_standard"
    band = getattr(row, "band", None)
    if band is None and lines is not None:
        # Compared as printed, like the report's sentences (see "About the data").
        band = classify_band(row.value, lines, getattr(measure, "decimals", None))
    if band in (Band.ABOVE, "above"):
        return "above"
    if band in (Band.BELOW, "below"):
        return "below"
    return "within"


def chart_bars(comparison: Any, force_id: str) -> list[Bar]:
    """The bars the chart draws: forces compared, highest value first (ties by name).

    Forces without a value and forces left out of the comparison are not bars. When the force is compared
    with its most similar group, the other forces are still drawn, as kind "other".
    """
    view = getattr(comparison, "seen_by", None)
    comparison = view(force_id) if view is not None else comparison  # a group measure: the force's own group
    members = set(getattr(comparison, "group_members", ()) or ())
    bars = []
    for row in comparison.rows:
        if is_missing(row.value) or not getattr(row, "included", True):
            continue
        kind = ("other" if members and row.force_id not in members
                else _kind(row, comparison.measure, comparison.lines))
        bars.append(Bar(row.force_id, short_name(row.force_name), float(row.value), kind, row.force_id == force_id))
    return sorted(bars, key=lambda b: (-b.value, b.label))


_STYLE: dict[str, dict[str, Any]] = {
    "above": {"color": DARK_BLUE, "hatch": HATCH_ABOVE, "hatchcolor": WHITE, "edgecolor": DARK_BLUE},
    "below": {"color": LIGHT_BLUE, "hatch": HATCH_BELOW, "hatchcolor": DARK_BLUE, "edgecolor": DARK_BLUE},
    "within": {"color": GREY, "hatch": None, "hatchcolor": GREY, "edgecolor": GREY},
    "below_standard": {"color": LIGHT_BLUE, "hatch": HATCH_BELOW, "hatchcolor": DARK_BLUE, "edgecolor": DARK_BLUE},
    "meets_standard": {"color": GREY, "hatch": None, "hatchcolor": GREY, "edgecolor": GREY},
    # Outside the force's group: an outline only, so the group's forces stand out by fill, not colour alone.
    "other": {"color": WHITE, "hatch": None, "hatchcolor": WHITE, "edgecolor": "#6F777B"},
}


def _axis_label(measure: Any) -> str:
    unit = getattr(measure, "unit", "")
    return {
        "percent": "Percent",
        "per_1000_population": "Per 1,000 population",
        "gbp_per_1000_population": "£ per 1,000 population",
    }.get(unit, getattr(measure, "title", ""))


#: The most decimals a tick label is given: far finer than any axis the project draws (data from 0.001 up).
TICK_MAX_DECIMALS = 10


def tick_decimals(x: float) -> int:
    """The fewest decimals that print the tick ``x`` as its value: 2 for 12.25, 0 for 15, 1 for 0.30000000000000004.

    The locator's ticks are multiples of 1, 2, 2.5 or 5 times a power of ten, so their decimals are few and
    exact; the tolerance only absorbs the float noise of adding steps (``0.1 + 0.2``).
    """
    for decimals in range(TICK_MAX_DECIMALS + 1):
        if abs(x - round(x, decimals)) <= 1e-9 * max(1.0, abs(x)):
            return decimals
    return TICK_MAX_DECIMALS


def tick_label(x: float, unit: str) -> str:
    """An axis tick as printed: its value with the decimals it needs and thousands separators (£ for money).

    Every label reads back as its tick's value: a tick at 12.5 prints "12.5", never "13".
    """
    text = format_number(x, tick_decimals(x))
    return f"£{text}" if unit == "gbp_per_1000_population" else text


def _tick_formatter(measure: Any) -> FuncFormatter:
    unit = getattr(measure, "unit", "")
    return FuncFormatter(lambda x, _pos: tick_label(x, unit))


def all_forces_chart(comparison: Any, force_id: str) -> Figure:
    """Bar chart of every force compared on one measure, with the report's force marked.

    Parameters
    ----------
    comparison
        A :class:`peel.analysis.comparison.Comparison`: its ``measure`` (catalogue entry), ``rows`` (one
        ``ForceValue`` per force: ``force_id``, ``force_name``, ``value``, ``band``, ``included``),
        ``lines`` (mean and standard deviation of the forces compared, or ``None``) and
        ``england_and_wales`` (the England and Wales figure, or ``None``).
    force_id
        The force the report is about: its bar gets a heavy black outline and its name is written
        above it.

    Returns
    -------
    matplotlib.figure.Figure
        Vertical bars sorted from highest to lowest. For ``compare: band`` measures the bars above
        the upper dotted red line are dark blue and striped, those below the lower line light blue
        and dotted, the rest grey. For ``compare: standard`` the standard is a dashed red line and
        the forces below it are light blue and dotted. The England and Wales figure is a black
        line, named with its value in the legend.
    """
    view = getattr(comparison, "seen_by", None)
    comparison = view(force_id) if view is not None else comparison  # a group measure: the force's own group
    measure = comparison.measure
    bars = chart_bars(comparison, force_id)
    lines = comparison.lines
    standard = getattr(measure, "standard", None) if getattr(measure, "compare", "") == "standard" else None
    unit = getattr(measure, "unit", "count")
    decimals = getattr(measure, "decimals", 1)
    ew = comparison.england_and_wales

    with (collector_paused(), sns.axes_style("ticks"), sns.plotting_context("paper"),
          matplotlib.rc_context(CHART_RC)):
        fig = Figure(figsize=(FIGSIZE_CM[0] * CM, FIGSIZE_CM[1] * CM), dpi=200, layout=ChartLayout())
        ax = fig.add_subplot()
        xs = list(range(len(bars)))
        patches = []
        for x, b in zip(xs, bars, strict=True):
            # The rectangle ax.bar makes, added without ax.bar's work on data limits (the limits are
            # set below) and on autoscaling: the same pixels in a fraction of the time.
            style = _STYLE[b.kind]
            patch = Rectangle((x - 0.78 / 2, 0), 0.78, b.value, facecolor=style["color"], hatch=style["hatch"],
                              edgecolor=BLACK if b.is_force else style["edgecolor"],
                              linewidth=1.6 if b.is_force else 0.4, zorder=2, label="_nolegend_",
                              hatchcolor=style["hatchcolor"], gid=f"bar-{b.force_id}")
            patch.sticky_edges.y.append(0)
            patch.peel_kind = b.kind  # type: ignore[attr-defined]  # read by tests and alt text
            ax.add_artist(patch)
            patches.append(patch)
        draw_bars_together(ax, patches)

        values = [b.value for b in bars]
        top = max(values + [ew or 0.0, standard or 0.0, lines.upper if lines is not None else 0.0, 0.0])
        top = top if top > 0 else 1.0
        # The force's name sits above the bars and lines around it, so it never covers a neighbour.
        label_y = None
        for x, b in enumerate(bars):
            if b.is_force:
                near = [o.value for o in bars[max(0, x - 4): x + 5]]
                label_y = max(near + [ew or 0.0, standard or 0.0,
                                      lines.upper if lines is not None else 0.0]) + 0.06 * top
        ax.set_ylim(0, max(top * 1.22, (label_y or 0.0) + 0.2 * top))
        ax.set_xlim(-0.7, len(bars) - 0.3)

        handles: list[Any] = []
        if standard is not None:
            ax.axhline(standard, color=RED, linestyle=(0, (5, 2)), linewidth=1.2, zorder=3, gid="standard-line")
            handles.append(Line2D([], [], color=RED, linestyle=(0, (5, 2)), linewidth=1.2,
                                  label=f"Expected standard: {format_value(standard, unit, decimals_for(standard))}"))
            handles.append(Patch(facecolor=LIGHT_BLUE, edgecolor=DARK_BLUE, hatch=HATCH_BELOW,
                                 label=LEGEND_BELOW_STANDARD))
            handles.append(Patch(facecolor=GREY, edgecolor=GREY, label=LEGEND_MEETS))
        elif lines is not None:
            for y, gid in ((lines.upper, "sd-line-upper"), (lines.lower, "sd-line-lower")):
                ax.axhline(y, color=RED, linestyle=(0, (1.2, 1.6)), linewidth=1.3, zorder=3, gid=gid)
            grouped = any(b.kind == "other" for b in bars)
            handles.append(Line2D([], [], color=RED, linestyle=(0, (1.2, 1.6)), linewidth=1.3,
                                  label=LEGEND_GROUP_LINES if grouped else LEGEND_LINES))
            handles.append(Patch(facecolor=DARK_BLUE, edgecolor=WHITE, hatch=HATCH_ABOVE, label=LEGEND_ABOVE))
            handles.append(Patch(facecolor=LIGHT_BLUE, edgecolor=DARK_BLUE, hatch=HATCH_BELOW, label=LEGEND_BELOW))
            handles.append(Patch(facecolor=GREY, edgecolor=GREY, label=LEGEND_WITHIN))
            if grouped:
                handles.append(Patch(facecolor=WHITE, edgecolor=_STYLE["other"]["edgecolor"], label=LEGEND_OTHER))
        if ew is not None and not is_missing(ew):
            ax.axhline(ew, color=BLACK, linestyle="-", linewidth=1.0, zorder=4, gid="england-and-wales-line")
            ew_text = f"England and Wales: {format_value(ew, unit, decimals)}"
            # Named in the legend with its value, not on the line: a label on the line sat over the tallest
            # bars (the end of the chart away from the report's force) and hid their tops.
            handles.append(Line2D([], [], color=BLACK, linewidth=1.0, label=ew_text))

        for x, b in zip(xs, bars, strict=True):
            if b.is_force:
                handles.append(Patch(facecolor=WHITE, edgecolor=BLACK, linewidth=1.6,
                                     label=f"{b.label} (this report's force), outlined"))
                # Keep the label inside the plot: bars near either end get a label that extends inwards.
                where = x / max(1, len(bars) - 1)
                ha = "left" if where < 0.1 else "right" if where > 0.9 else "center"
                ax.annotate(
                    f"{b.label}\n{format_value(b.value, unit, decimals)}", xy=(x, b.value),
                    xytext=(x, label_y if label_y is not None else b.value), textcoords="data",
                    ha=ha, va="bottom", multialignment=ha, fontsize=CHART_FONT_PT, fontweight="bold",
                    color=BLACK, arrowprops={"arrowstyle": "-|>", "color": BLACK, "linewidth": 0.8,
                                             "shrinkA": 0, "shrinkB": 1},
                    zorder=6, gid="force-label",
                )

        # The force names, written where x tick labels of length 0 and pad 2 points would be, as plain
        # texts: the same pixels, without 43 ticks' lines and grid lines to make, lay out and skip.
        ax.set_xticks([])
        under, va, ha = ax.get_xaxis_text1_transform(2)
        colour = matplotlib.rcParams["xtick.labelcolor"]
        colour = matplotlib.rcParams["xtick.color"] if colour == "inherit" else colour
        for x, b in zip(xs, bars, strict=True):
            ax.text(x, 0, b.label, transform=under, rotation=90, va=va, ha=ha, fontsize=CHART_FONT_PT,
                    fontweight="bold" if b.is_force else "normal", color=colour, zorder=0.5, gid=FORCE_NAME_GID)
        ax.tick_params(axis="y", labelsize=CHART_FONT_PT)
        ax.yaxis.set_major_formatter(_tick_formatter(measure))
        ax.set_ylabel(_axis_label(measure), fontsize=CHART_FONT_PT)
        ax.grid(axis="y", color="#E1E1E1", linewidth=0.5, zorder=0)
        ax.set_axisbelow(True)
        sns.despine(ax=ax)
        # One column: at a readable size two of the longer entries do not fit side by side.
        fig.legend(handles=handles, loc="upper center", ncols=1, fontsize=CHART_FONT_PT, frameon=False,
                   handlelength=2.2, handleheight=1.0, labelspacing=0.3)
    fig.peel_bars = bars  # type: ignore[attr-defined]  # the bars in drawing order, for alt text and tests
    return fig


def decimals_for(x: float) -> int:
    """Decimals needed to write a standard such as 90 or 92.5 as typed."""
    return 0 if float(x).is_integer() else len(repr(float(x)).split(".")[1])


#: zlib level of the chart PNGs: with unfiltered rows, level 3 gives smaller files than Pillow's PNGs
#: at any level and takes a third of the time of level 6.
PNG_COMPRESS_LEVEL = 3


def figure_png(fig: Figure, dpi: int = CHART_DPI) -> bytes:
    """The figure as an opaque (RGB) PNG at ``dpi`` (default :data:`CHART_DPI`), without a timestamp.

    The chart's background is white, so an alpha channel would hold nothing; without it the PNG is
    smaller and the PDF holds no soft mask for it. The figure is drawn by matplotlib's Agg canvas, on
    the renderer kept for charts of its size (:class:`peel.analysis.chart_render.ChartCanvas`), and
    written by :func:`peel.analysis.chart_render.encode_png`.
    """
    with collector_paused(), matplotlib.rc_context(CHART_RC):
        original_dpi = fig.dpi
        fig.set_dpi(dpi)
        try:
            canvas = ChartCanvas(fig)
            canvas.draw()
            return encode_png(canvas.buffer_rgba(), PNG_COMPRESS_LEVEL)
        finally:
            fig.set_dpi(original_dpi)


def counts(bars: Sequence[Bar]) -> dict[str, int]:
    """How many bars of each kind: ``{"above": 5, "below": 6, "within": 30, ...}``."""
    out: dict[str, int] = {}
    for b in bars:
        out[b.kind] = out.get(b.kind, 0) + 1
    return out

