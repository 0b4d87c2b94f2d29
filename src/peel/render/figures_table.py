"""The index's "Figures" table: every force's headline figure on each national measure.

The figures are those ``build.json`` records for each report (:mod:`peel.pipeline.headline_figures`), which are
the report's own statement records: the table prints each value as the report prints it
(``value_text``) and links it to the measure's section of the report. Nothing is computed here but
the England and Wales figure's text, formatted by the same function as the report's. The table has
one row per force with a report, one column per measure and period (the period in the column
header), and a first row for England and Wales; its caption names the sources and their licence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from peel.inputs.forces import all_forces
from peel.inputs.periods import parse_period
from peel.inputs.provenance import attributions, publications
from peel.numbers import format_value

#: What a cell says when a report does not show a measure (a force inspected on fewer areas).
NOT_SHOWN = "not in report"


def _period_label(iso: str, style: str | None) -> str:
    """ "Year ending 31 March 2024" (the report's words, as a heading), or the ISO text if unreadable."""
    try:
        text = parse_period(iso).label(style)
    except (ValueError, TypeError):
        return str(iso)
    return text[:1].upper() + text[1:]


def _england_and_wales(figures: Sequence[Mapping[str, Any]]) -> str:
    """The England and Wales figure as the reports print it; said plainly when reports differ."""
    values = {f.get("england_and_wales") for f in figures}
    if len(values) != 1:
        return "differs between reports"
    f = figures[0]
    value = f.get("england_and_wales")
    try:
        return format_value(value, str(f.get("unit")), int(f.get("decimals") or 0))
    except (ValueError, TypeError):
        return "not available" if value is None else str(value)


def figures_table(figures: Mapping[str, Sequence[Mapping[str, Any]]], reports: Mapping[str, str],
                  catalogue: Mapping[str, Any], info: Any) -> dict[str, Any] | None:
    """What the index template needs to draw the table, or ``None`` when no report has a figure.

    Parameters
    ----------
    figures
        ``{force_id: headline figures}`` as recorded in ``build.json``.
    reports
        ``{force_id: path of the force's report, relative to the output folder}`` (its HTML report
        when there is one, else its PDF); a force not here is left out.
    catalogue
        ``{measure_id: Measure}`` of the dataset (titles, period styles and column order); a measure
        that is not in it is headed by its id.
    info
        The dataset's ``dataset.yaml`` (:class:`peel.inputs.dataset.DatasetInfo`): its sources, licence
        attribution and whether it is the demonstration dataset.
    """
    forces = [f for f in all_forces() if f.id in reports and figures.get(f.id)]
    if not forces:
        return None
    order = {mid: n for n, mid in enumerate(catalogue)}
    seen: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for force in forces:
        for fig in figures[force.id]:
            seen.setdefault((str(fig.get("measure")), str(fig.get("period"))), []).append(fig)
    keys = sorted(seen, key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
    columns = []
    for mid, period in keys:
        m = catalogue.get(mid)
        columns.append({
            "title": getattr(m, "title", None) or mid,
            "period": _period_label(period, getattr(m, "period_style", None)),
            "england_and_wales": _england_and_wales(seen[(mid, period)]),
        })
    rows = []
    for force in forces:
        by_key = {(str(f.get("measure")), str(f.get("period"))): f for f in figures[force.id]}
        href = reports[force.id]
        cells = []
        for mid, period in keys:
            found = by_key.get((mid, period))
            if found is None:
                cells.append({"text": NOT_SHOWN, "href": "", "comparison": ""})
                continue
            anchor = f"#{mid}-measure" if href.endswith(".html") else ""
            text = str(found.get("value_text") or "not available")
            comparison = str(found.get("comparison") or "")
            cells.append({"text": text, "href": href + anchor,
                          # "not available" once: the comparison word repeats a missing value's text.
                          "comparison": "" if comparison == text else comparison})
        rows.append({"name": force.name, "cells": cells})
    sources = publications(info)
    if not sources:  # a dataset without recorded sources: the measures' own source lines
        sources = list(dict.fromkeys(str(f.get("source")) for figs in seen.values() for f in figs
                                     if f.get("source")))
    return {
        "columns": columns,
        "rows": rows,
        "sources": sources,
        "attribution": " ".join(attributions(info)),
        "demonstration": bool(getattr(info, "demonstration", False)),
        "notice": " ".join(str(getattr(info, "notice", "") or "").split()),
    }


def report_links(records: Mapping[str, Any], out_dir: Path) -> dict[str, str]:
    """``{force_id: report path}`` of every force whose report is on disk (HTML preferred to PDF)."""
    out: dict[str, str] = {}
    for fid, rec in records.items():
        for name in ("report.html", "report.pdf"):
            if name in (rec.files or {}) and (Path(out_dir) / fid / name).is_file():
                out[fid] = f"{fid}/{name}"
                break
    return out
