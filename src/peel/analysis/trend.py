"""A measure's trend as a small line chart: the force and England and Wales over the periods available.

A measure with ``trend: true`` in the catalogue gets this chart beside its sentences when the force has
a value in at least two periods of the same length as the quoted one. The chart is numbered like the
all-forces chart, has alt text that states the first and last values, and its data table (period,
force, England and Wales) is the same record the figures workbook holds (:func:`trend_record`).
"""

from __future__ import annotations

import base64
import calendar
import math
import pickle
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from peel.analysis.charts import BLACK, CHART_FONT_PT, CHART_RC, CM, DARK_BLUE, PRINT_WIDTH_MM, figure_png
from peel.analysis.comparison import Comparison
from peel.analysis.phrases import force_in_text, in_sentence, sentence_case, value_with_unit
from peel.analysis.provenance import figure_source, table_marker
from peel.analysis.templating import part
from peel.inputs.catalogue import Measure
from peel.method import is_missing
from peel.numbers import format_value

#: The chart's size: 12 by 6.5 cm, shown at 454 by 246 CSS px (96 px an inch), so its text
#: (:data:`peel.analysis.charts.CHART_FONT_PT`) reads at the same CSS size as the all-forces chart's.
SIZE_CM = (12.0, 6.5)
#: Print stretches the chart to the full text width, so it is drawn to give 200 dpi there (and more than twice
#: its 454 px screen width, so it stays sharp at 200% zoom).
TREND_DPI = math.ceil(PRINT_WIDTH_MM / 25.4 * 200 / (SIZE_CM[0] * CM))
IMG_WIDTH, IMG_HEIGHT = 454, 246
FONT_PT = CHART_FONT_PT


def _label(period: Any, measure: Measure) -> str:
    return sentence_case(period.label(getattr(measure, "period_style", None)))


#: The least space between two tick labels of the x axis, in points.
TICK_GAP_PT = 4.0
#: Up to this many periods every label fits the chart's width (tests/test_charts.py measures it), so the
#: labels are measured, at the cost of laying out a copy of the chart, only for longer series.
ALWAYS_FIT = 6


def _tick(period: Any) -> str:
    """A short label for the axis: the period's last month ("Mar 2023"), the axis title saying what it ends; the
    year alone for a count taken on one day ("2022"), the axis title naming the day ("At 31 March")."""
    if period.start == period.end:
        return str(period.end.year)
    return f"{calendar.month_abbr[period.end.month]} {period.end.year}"


def trend_record(comparison: Comparison, force_id: str) -> dict[str, Any] | None:
    """The trend's data (period, force and England and Wales values), or ``None`` when there is no trend chart.

    ``None`` when the catalogue asks for no trend or the force has a value in fewer than two periods.
    """
    m = comparison.measure
    if not getattr(m, "trend", False):
        return None
    values = comparison.history_of(force_id)
    ews = comparison.history_england_and_wales or (None,) * len(values)
    rows: list[dict[str, Any]] = []
    for period, v, ew in zip(comparison.history_periods, values, ews, strict=False):
        rows.append({"period": _label(period, m), "period_id": period.iso, "tick": _tick(period),
                     "force": format_value(v, m.unit, m.decimals), "ew": format_value(ew, m.unit, m.decimals),
                     "force_number": None if is_missing(v) else float(v),
                     "ew_number": None if ew is None or is_missing(ew) else float(ew)})
    if sum(r["force_number"] is not None for r in rows) < 2:
        return None
    row = comparison.row(force_id)
    return {"kind": "trend", "measure_id": m.id, "axis": _axis(comparison), "title": m.title, "force": row.force_name,
            "force_id": force_id,
            "span": _span(rows), "unit": m.unit, "decimals": m.decimals,
            "source": figure_source(comparison, force_id, comparison.history_periods), "rows": rows,
            "marker": table_marker(comparison, force_id, comparison.history_periods)}


def _axis(comparison: Comparison) -> str:
    """The x axis title: "Month", "12 months ending", or for a count taken on one day of each year (officers
    at 31 March) "At 31 March"."""
    p = comparison.period
    if p.start == p.end:
        return f"At {p.end.day} {calendar.month_name[p.end.month]}"
    return "Month" if p.months == 1 else f"{p.months} months ending"


def _span(rows: list[dict[str, Any]]) -> str:
    """"the year ending March 2021 to the year ending March 2024": the first and last periods, in a sentence."""
    first, last = rows[0]["period"], rows[-1]["period"]
    return f"{in_sentence(first)} to {in_sentence(last)}"


def national_trend_record(comparison: Comparison) -> dict[str, Any] | None:
    """The England and Wales figure over the periods available, as a one-line record :func:`trend_png` draws.

    The series is the record's ``force`` (named "England and Wales"); ``None`` when the catalogue asks for
    no trend or fewer than two periods have an England and Wales figure.
    """
    m = comparison.measure
    if not getattr(m, "trend", False):
        return None
    rows = []
    for period, ew in zip(comparison.history_periods, comparison.history_england_and_wales, strict=False):
        number = None if ew is None or is_missing(ew) else float(ew)
        rows.append({"period": _label(period, m), "tick": _tick(period), "force": format_value(ew, m.unit, m.decimals),
                     "force_number": number, "ew": "", "ew_number": None})
    if sum(r["force_number"] is not None for r in rows) < 2:
        return None
    return {"kind": "national_trend", "measure_id": m.id, "axis": _axis(comparison), "title": m.title,
            "force": "England and Wales", "span": _span(rows), "unit": m.unit, "decimals": m.decimals,
            "source": m.source, "rows": rows}


def trend_alt(record: dict[str, Any], measure: Measure) -> str:
    """Alt text: what the chart shows and the force's first and last values beside England and Wales."""
    have = [r for r in record["rows"] if r["force_number"] is not None]
    first, last = have[0], have[-1]
    force = force_in_text(record["force"])
    text = (f"Line chart of {in_sentence(measure.title)} for {force} and England and Wales, {record['span']}. "
            f"{first['period']}: {value_with_unit(first['force_number'], measure)} for the force")
    if first["ew_number"] is not None:
        text += f", {value_with_unit(first['ew_number'], measure)} for England and Wales"
    text += f". {last['period']}: {value_with_unit(last['force_number'], measure)} for the force"
    if last["ew_number"] is not None:
        text += f", {value_with_unit(last['ew_number'], measure)} for England and Wales"
    return text + ". The data table below the chart gives every period."


def trend_png(record: dict[str, Any]) -> bytes:
    """The line chart as PNG bytes (force solid dark blue with dots, England and Wales dashed black)."""
    with matplotlib.rc_context({**CHART_RC, "font.size": FONT_PT}):
        return figure_png(trend_figure(record), dpi=TREND_DPI)


def trend_figure(record: dict[str, Any]) -> Figure:
    """The line chart of :func:`trend_png` as a figure (a record's ``force`` series, and ``ew`` where it has one)."""
    labels = [r["tick"] for r in record["rows"]]
    xs = list(range(len(labels)))
    with matplotlib.rc_context({**CHART_RC, "font.size": FONT_PT}):
        fig = Figure(figsize=(SIZE_CM[0] * CM, SIZE_CM[1] * CM), dpi=TREND_DPI, layout="constrained")
        ax = fig.add_subplot()
        fx = [(x, r["force_number"]) for x, r in zip(xs, record["rows"], strict=True) if r["force_number"] is not None]
        ex = [(x, r["ew_number"]) for x, r in zip(xs, record["rows"], strict=True) if r["ew_number"] is not None]
        ax.plot([x for x, _ in fx], [y for _, y in fx], color=DARK_BLUE, marker="o", linewidth=2,
                label=record["force"])
        if ex:
            ax.plot([x for x, _ in ex], [y for _, y in ex], color=BLACK, linestyle="--", marker="s", linewidth=1.5,
                    label="England and Wales")
        ax.set_xticks(xs, labels, fontsize=FONT_PT)
        ax.tick_params(axis="y", labelsize=FONT_PT)
        ax.set_xlabel(record["axis"], fontsize=FONT_PT)
        ax.set_ylim(bottom=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(fontsize=FONT_PT, frameon=False, loc="lower left")
        _label_every_kth_tick(fig, ax)
    return fig


def _label_every_kth_tick(fig: Figure, ax: Any) -> None:
    """Label every k-th period, counting back from the latest, with k the least that keeps the labels apart.

    Every period keeps its tick mark; 12 or 16 periods in the chart's width would otherwise print their
    labels over each other. The labels are measured as laid out (the data table gives every period).
    """
    texts = ax.get_xticklabels()
    if len(texts) <= ALWAYS_FIT:
        return
    # Measured on a copy: laying the chart itself out here would change the pixels of the PNG drawn later.
    copy = pickle.loads(pickle.dumps(fig))
    copy.draw_without_rendering()
    boxes = [t.get_window_extent() for t in copy.axes[0].get_xticklabels()]
    gap = TICK_GAP_PT * fig.dpi / 72
    pitch = (boxes[-1].x0 + boxes[-1].x1 - boxes[0].x0 - boxes[0].x1) / 2 / (len(texts) - 1)
    widest = max(b.width for b in boxes)
    step = max(1, math.ceil((widest + gap) / pitch)) if pitch > 0 else len(texts)
    last = len(texts) - 1
    for i, t in enumerate(texts):
        t.set_visible((last - i) % step == 0)


def trend_html_and_record(comparison: Comparison, force_id: str, number_of: Any) -> tuple[str | None, dict | None]:
    """The trend figure's HTML and its record, or ``(None, None)``; ``number_of()`` gives its number."""
    record = trend_record(comparison, force_id)
    if record is None:
        return None, None
    m = comparison.measure
    html = part("trend_figure", measure_id=m.id, number=number_of(), title=m.title, force=record["force"],
                span=record["span"], src="data:image/png;base64," + base64.b64encode(trend_png(record)).decode("ascii"),
                alt=trend_alt(record, m), width=IMG_WIDTH, height=IMG_HEIGHT, source=record["source"],
                rows=record["rows"], marker=record["marker"])
    return html, record
