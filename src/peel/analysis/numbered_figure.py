"""A numbered figure in HTML: the all-forces chart with its caption, alt text, source, notes and data.

The HTML comes from the ``figure`` and ``data_table`` macros in ``templates/macros.html.j2``. The
markup is part of the contract with the report stitcher, which renumbers figures in document
order across the whole report: keep ``<span class="figure-number">Figure N</span>`` in the caption
and ``<span class="figure-ref">figure N</span>`` in the data summary exactly as they are.

Everything is built for readers who cannot see the chart: the image's alt text states what the chart
shows and what it finds, and the data behind it is a table with a caption and header cells inside a
``<details>`` element that any reader can open.
"""

from __future__ import annotations

import base64
from typing import Any

from peel.analysis.charts import Bar, all_forces_chart, chart_bars, counts, figure_png
from peel.analysis.comparison import Comparison, ForceValue
from peel.analysis.narrow_chart import narrow_chart
from peel.analysis.phrases import force_in_text, join_names, number_words, sentence_case, value_with_unit
from peel.analysis.provenance import figure_source, table_marker
from peel.analysis.templating import part
from peel.analysis.wording import EW_NAME, seen_by
from peel.method import Band, Standard, is_missing
from peel.numbers import format_value

#: Displayed size of the chart in CSS pixels (16 cm x 12.5 cm at 96 pixels per inch).
IMG_WIDTH, IMG_HEIGHT = 605, 472

#: Below this window width the browser shows the chart's narrow picture (:mod:`peel.analysis.narrow_chart`):
#: a little more than the wide chart's 605 px and the page's margins, where the wide one starts to shrink.
NARROW_BELOW_PX = 640
#: The ``<source media>`` query that picks the narrow picture (the print edition never matches it).
NARROW_MEDIA = f"screen and (max-width: {NARROW_BELOW_PX - 0.02}px)"


def _period(comparison: Comparison) -> str:
    return comparison.period.label(getattr(comparison.measure, "period_style", None))


def _forces(n: int) -> str:
    return f"{number_words(n)} force" + ("" if n == 1 else "s")


def alt_text(comparison: Comparison, force_id: str, bars: list[Bar] | None = None) -> str:
    """What the chart shows and what it finds, in plain sentences.

    Names the chart, the number of forces drawn, the report force's value and how it compares, the
    England and Wales figure, and how many forces are above and below the lines (or the standard).
    """
    comparison = seen_by(comparison, force_id)
    m = comparison.measure
    bars = chart_bars(comparison, force_id) if bars is None else bars
    period = _period(comparison)
    parts = [f"Bar chart: {m.figure_title}, {period}, {_forces(len(bars))} sorted from highest to lowest."]
    row = comparison.row(force_id)
    force = sentence_case(force_in_text(row.force_name))
    result = comparison.for_force(force_id)
    if is_missing(row.value):
        if force_id in getattr(comparison, "not_supplied", {}):
            parts.append(f"{force} did not supply data and is not shown.")
        else:
            parts.append(f"{force} has no figure in the national data and is not shown.")
    elif not row.included:
        parts.append(f"{force} ({value_with_unit(row.value, m)}) is not compared with other forces and is not shown.")
    else:
        where = ""
        if m.compare == "standard" and result.standard is not None:
            below = result.standard is Standard.BELOW
            where = ", below the expected standard" if below else ", meeting the expected standard"
        elif result.band is not None:
            grouped = getattr(comparison, "group", None) is not None
            where = f", {result.band.against('its most similar group' if grouped else 'England and Wales')}"
            if grouped and result.band is not Band.WITHIN:
                where += " compared with its most similar group"
        rank = f", ranked {result.rank} of {result.n_compared}" if result.rank else ""
        parts.append(f"{force} is outlined and labelled: {value_with_unit(row.value, m)}{where}{rank}.")
    ew = comparison.england_and_wales
    if ew is not None and not is_missing(ew):
        parts.append(f"The {EW_NAME}, drawn as a solid line, is {value_with_unit(ew, m)}.")
    c = counts(bars)
    if m.compare == "standard" and m.standard is not None:
        std = value_with_unit(m.standard, m, decimals=0 if float(m.standard).is_integer() else m.decimals)
        parts.append(f"A dashed red line marks the expected standard of {std}; "
                     f"{_forces(c.get('below_standard', 0))} of {number_words(len(bars))} "
                     f"{'is' if c.get('below_standard', 0) == 1 else 'are'} below it.")
    elif comparison.lines is not None and getattr(comparison, "group", None) is not None:
        lo, hi = comparison.lines.lower, comparison.lines.upper
        inside = len(bars) - c.get("other", 0)
        parts.append(
            f"The {_forces(inside)} of its most similar group ({comparison.group_label}) are filled; the other "
            f"forces are outlined only. Dotted red lines one standard deviation either side of the group's "
            f"average are at {value_with_unit(lo, m)} and {value_with_unit(hi, m)}; of the group, "
            f"{_forces(c.get('above', 0))} {'is' if c.get('above', 0) == 1 else 'are'} above the upper line "
            f"and {_forces(c.get('below', 0))} below the lower line.")
    elif comparison.lines is not None:
        lo, hi = comparison.lines.lower, comparison.lines.upper
        parts.append(
            f"Dotted red lines one standard deviation either side of the average of forces are at "
            f"{value_with_unit(lo, m)} and {value_with_unit(hi, m)}; "
            f"{_forces(c.get('above', 0))} {'is' if c.get('above', 0) == 1 else 'are'} above the upper line "
            f"and {_forces(c.get('below', 0))} below the lower line.")
    return " ".join(parts)


def _band_words(comparison: Comparison, row: ForceValue) -> str:
    m = comparison.measure
    if is_missing(row.value):
        return "not available"
    if not row.included:
        return "not compared (see note)"
    if m.compare == "standard" and m.standard is not None:
        return "below the expected standard" if row.value < m.standard else "meets the expected standard"
    members = getattr(comparison, "group_members", ())
    if members and row.force_id not in members:
        return "not in the group"
    if row.band is None:
        return "not banded"
    return Band(row.band).against("its group" if members else "England and Wales")


def _notes(comparison: Comparison) -> list[str]:
    """The notes under a chart, as plain text: the measure's note, forces left out, forces without data."""
    m = comparison.measure
    notes = []
    if getattr(m, "note", None):
        notes.append(str(m.note))
    names = {r.force_id: r.force_name for r in comparison.rows}
    for fid, reason in comparison.excluded.items():
        if fid in names:
            # The catalogue's reason names the force itself, so the note only says what was done.
            notes.append(f"Not shown or included in the lines: {names[fid]}. {reason}")
    if getattr(comparison, "group", None) is not None:
        notes.append(_group_note(comparison, names))
    not_supplied = getattr(comparison, "not_supplied", {})
    missing = [names[f] for f in comparison.missing if f in names and f in not_supplied]
    if missing:
        notes.append(f"Not available: {join_names(missing)} did not supply data for this period, "
                     "so {} not shown or included in any figure.".format("they are" if len(missing) > 1 else "it is"))
    absent = [names[f] for f in comparison.missing if f in names and f not in not_supplied]
    if absent:
        notes.append(f"Not available: the national data has no figure for {join_names(absent)} for this period, "
                     "so {} not shown or included in any figure.".format("they are" if len(absent) > 1 else "it is"))
    return notes


def _group_note(comparison: Comparison, names: dict[str, str]) -> str:
    """The note naming the force's most similar group, its members and where the grouping came from."""
    groups = comparison.groups
    assert groups is not None  # a group note is written only for a comparison within a group
    members = join_names([names[f] for f in comparison.group_members if f in names])
    where = ""
    ds = getattr(comparison, "dataset", None)
    entry = (ds.info.sources.get(groups.source) if ds is not None else None) or {}
    if not groups.illustrative and (entry.get("publication") or entry.get("publisher")):
        where = f" Source of the grouping: {entry.get('publication') or entry.get('publisher')}."
    return (f"Most similar group ({comparison.group_label}): {members}. The lines are one standard deviation "
            f"either side of the group's average; forces outside the group are outlined only. The grouping: "
            f"{groups.title}.{where}")


def _reading(comparison: Comparison) -> str | None:
    """The sentence above the data table that explains the standard or the dotted lines."""
    m = comparison.measure
    if m.compare == "standard" and m.standard is not None:
        return f"The expected standard is {value_with_unit(m.standard, m, decimals=0)}."
    if comparison.lines is not None and getattr(comparison, "group", None) is not None:
        ln = comparison.lines
        return (f"The dotted lines are at {value_with_unit(ln.lower, m)} and {value_with_unit(ln.upper, m)}: "
                f"one standard deviation ({value_with_unit(ln.sd, m)}) either side of the average "
                f"({value_with_unit(ln.mean, m)}) of the {number_words(ln.n)} forces compared in its most similar "
                f"group ({comparison.group_label}).")
    if comparison.lines is not None:
        ln = comparison.lines
        return (f"The dotted lines are at {value_with_unit(ln.lower, m)} and {value_with_unit(ln.upper, m)}: "
                f"one standard deviation ({value_with_unit(ln.sd, m)}) either side of the average of the "
                f"{number_words(ln.n)} forces compared ({value_with_unit(ln.mean, m)}).")
    return None


def table_record(comparison: Comparison, force_id: str, bars: list[Bar] | None = None) -> dict[str, Any]:
    """The data behind the chart as plain values: what the data table prints and the workbook holds.

    One row per force, in chart order, then the forces not compared and those not available (each
    with ``force_id``, ``name``, ``this_force``, ``value`` as printed, ``number`` unrounded and ``compared``), the
    England and Wales row, the column heads, the lines and the sentence that explains them.
    """
    comparison = seen_by(comparison, force_id)
    m = comparison.measure
    bars = chart_bars(comparison, force_id) if bars is None else bars
    by_id = {r.force_id: r for r in comparison.rows}
    order = [b.force_id for b in bars]
    order += [r.force_id for r in comparison.rows if r.force_id not in order and not is_missing(r.value)]
    order += [r.force_id for r in comparison.rows if r.force_id not in order]
    unit_head = {"percent": "Percent", "per_1000_population": "Per 1,000 population",
                 "gbp_per_1000_population": "£ per 1,000 population"}.get(m.unit, "Value")
    rows = [
        {"force_id": fid, "name": by_id[fid].force_name, "this_force": fid == force_id,
         "value": format_value(by_id[fid].value, m.unit, m.decimals),
         "number": None if is_missing(by_id[fid].value) else float(by_id[fid].value),
         "compared": _band_words(comparison, by_id[fid])}
        for fid in order
    ]
    ew = comparison.england_and_wales
    england_and_wales = None
    if ew is not None and not is_missing(ew):
        england_and_wales = {"kind": "average of forces" if m.england_and_wales == "mean" else "all forces",
                             "value": format_value(ew, m.unit, m.decimals), "number": float(ew)}
    ln = comparison.lines
    return {
        "measure_id": m.id, "title": m.title, "figure_title": m.figure_title, "period": _period(comparison),
        "period_id": comparison.period.iso,
        "unit": m.unit, "decimals": m.decimals, "unit_head": unit_head,
        "compare_head": ("Against the standard" if m.compare == "standard" else "Compared with its most similar group"
                         if getattr(comparison, "group", None) is not None else "Compared with other forces"),
        "rows": rows, "england_and_wales": england_and_wales, "reading": _reading(comparison),
        "lines": {"mean": ln.mean, "sd": ln.sd, "lower": ln.lower, "upper": ln.upper, "n": ln.n} if ln else None,
        "standard": m.standard if m.compare == "standard" else None,
        "source": figure_source(comparison, force_id), "notes": _notes(comparison),
        "marker": table_marker(comparison, force_id),
    }


def data_table(comparison: Comparison, force_id: str, number: int, bars: list[Bar] | None = None,
               record: dict[str, Any] | None = None) -> str:
    """The data behind the chart as an HTML table inside ``<details class="figure-data">``.

    Made from :func:`table_record` (passed as ``record`` when the caller has it), so the table and the
    figures workbook hold the same values. The report's force is marked in words as well as by the
    ``this-force`` class.
    """
    t = record if record is not None else table_record(comparison, force_id, bars)
    return part(
        "data_table", number=number, title=t["title"], period=t["period"], unit_head=t["unit_head"],
        compare_head=t["compare_head"], rows=t["rows"], england_and_wales=t["england_and_wales"],
        reading=t["reading"], marker=t.get("marker"),
    )


def figure_html(comparison: Comparison, force_id: str, number: int) -> str:
    """The complete figure for one national measure.

    Parameters
    ----------
    comparison
        The measure compared across forces (:func:`peel.analysis.comparison.compare`).
    force_id
        The report's force, marked on the chart and in the table.
    number
        The figure's number in this notebook run (the stitcher renumbers across the report).

    Returns
    -------
    str
        ``<figure class="chart" id="figure-{measure_id}">`` holding the caption, the chart as a PNG
        data URI (at charts.CHART_DPI) with alt text, the source, notes on forces left out, and the data table.
    """
    return figure_html_and_record(comparison, force_id, number)[0]


def figure_html_and_record(comparison: Comparison, force_id: str, number: int) -> tuple[str, dict[str, Any]]:
    """The figure's HTML (see :func:`figure_html`) and the record of its data (:func:`table_record`)."""
    comparison = seen_by(comparison, force_id)
    m = comparison.measure
    fig = all_forces_chart(comparison, force_id)
    bars = fig.peel_bars  # type: ignore[attr-defined]
    # A PNG at the resolution print and screen need (charts.CHART_DPI) lays out about three times
    # faster in the PDF than the same chart as SVG with its text drawn as paths (4 s against 13 s).
    png = figure_png(fig)
    record = table_record(comparison, force_id, bars)
    narrow = narrow_chart(comparison, bars, record["unit_head"])
    html = part(
        "figure", measure_id=m.id, number=number, title=m.figure_title, period=record["period"],
        src="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        alt=alt_text(comparison, force_id, bars), width=IMG_WIDTH, height=IMG_HEIGHT, source=record["source"],
        notes=record["notes"], table_html=data_table(comparison, force_id, number, bars, record),
        narrow={"media": NARROW_MEDIA, "src": narrow.data_uri(), "width": narrow.width, "height": narrow.height},
    )
    return html, record
