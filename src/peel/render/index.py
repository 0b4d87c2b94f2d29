"""``OUT/index.html``: every force's judgments at a glance, with links to the reports.

One self-contained page like the reports themselves: the report stylesheet inlined and pinned by a
content security policy that forbids script and any network load, British English, one ``h1``. It
lists every force with its grade in each graded area (written out and coloured), links to each
force's HTML and PDF report whose link text makes sense on its own, the forces whose last build
failed and why, and the demonstration notice when the data is for demonstration. A second table,
"Figures", gives each report's headline figure on every national measure as ``build.json`` records
it (:mod:`peel.render.figures_table`), each linked to the measure in the report. The same records
always give the same bytes: nothing on the page depends on the time of the build. The page is
``templates/page/index.html.j2``, which shares its layout with the reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from peel.analysis.markup import slug
from peel.files import atomic_write
from peel.inputs.areas import GRADES, NOT_YET_GRADED, ReportSpec
from peel.inputs.forces import all_forces
from peel.inputs.provenance import DEMONSTRATION_LABEL
from peel.render.built import BuiltForce
from peel.render.figures_table import figures_table, report_links
from peel.render.page import page_environment, report_css
from peel.render.policies import content_security_policy, style_hash

INDEX_NAME = "index.html"

#: Rules the index needs beyond the report stylesheet (a wide table that scrolls on a narrow screen).
INDEX_CSS = """
.index-page { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
.index-page h1 { font-size: 2.25rem; color: #1d2d5c; margin: 1rem 0 1.5rem; }
.table-wrap { overflow-x: auto; }
table.grades-by-force { font-size: 0.875rem; }
table.grades-by-force th[scope="col"] { vertical-align: bottom; }
table.grades-by-force td.reports { min-width: 8rem; }
/* Each table scrolls inside its own region, no taller than the window, so its sideways scrollbar is
   in view whenever the region is; the header row stays at the region's top and, on a screen wider
   than a phone, the force column at its left, so a cell always reads with its force and its area.
   Nothing is sticky over the cells: every column, the report links included, scrolls into view. */
.figures-region, .grades-region { max-height: calc(100vh - 2rem); overflow: auto; }
table.grades-by-force, table.figures-by-force { border-collapse: separate; border-spacing: 0; }
table.grades-by-force thead th, table.figures-by-force thead th {
  position: sticky; top: 0; z-index: 2; background: #ffffff;
}
/* The force column has a fixed width, and the region's scroll padding keeps a cell brought into view
   (by the keyboard's focus, or a find in the page) out from under it. */
@media screen and (min-width: 48em) {
  .figures-region, .grades-region { scroll-padding-left: 11rem; }
  table.grades-by-force tbody th, table.figures-by-force tbody th {
    position: sticky; left: 0; z-index: 1; background: #ffffff; box-shadow: inset -2px 0 0 #0b0c0c;
  }
  table.grades-by-force tr > :first-child, table.figures-by-force tr > :first-child {
    box-sizing: border-box; width: 11rem; min-width: 11rem;
  }
  table.grades-by-force thead th:first-child, table.figures-by-force thead th:first-child { left: 0; z-index: 3; }
}
table.grades-by-force td[class*="grade-"] { border-left: 5px solid currentColor; padding-left: 0.4rem; }
table.grades-by-force td.no-grade { color: #484949; }
table.grades-by-force span.grade-basis { display: block; font-weight: normal; font-size: 0.8125rem; }
/* Padding gives each link a 24 px target (WCAG 2.2, 2.5.8). */
table.grades-by-force td.reports a { display: block; padding: 0.25rem 0; }
table.grades-by-force td.reports .kept { display: block; font-size: 0.8125rem; color: #484949; }
table.grades-by-force td.reports .stale { display: block; font-size: 0.8125rem; font-weight: bold; }
/* The report stylesheet narrows the body to a reading measure; the index is a wide table. */
@media screen { body.index { max-width: none; } }
.failures li { margin-bottom: 0.6rem; }
/* The grades and figures tables scroll sideways inside their own regions (WCAG 1.4.10), which take
   keyboard focus. */
.figures-region, .grades-region { overflow-x: auto; max-width: 100%; container-type: inline-size; }
.figures-region:focus, .grades-region:focus { outline: 3px solid #1d2d5c; outline-offset: 2px; }
/* In a narrow window the grades table scrolls rather than squeezing its columns: each cell reads on one
   line, and an area's heading wraps between words, never inside one (the report stylesheet lets cells
   break anywhere at 320 px, which is right for its short tables, not for this wide one). Wider windows
   keep the layout above, where grades and report links may wrap between words. */
table.grades-by-force caption { position: sticky; left: 0; max-width: min(60rem, 100cqw); }
table.grades-by-force th, table.grades-by-force td { overflow-wrap: normal; }
@media screen and (max-width: 30rem) {
  table.grades-by-force tbody th, table.grades-by-force td { white-space: nowrap; }
}
table.figures-by-force { font-size: 0.875rem; font-variant-numeric: tabular-nums; }
/* The caption stays in view while the columns scroll under it. */
table.figures-by-force caption { position: sticky; left: 0; max-width: min(60rem, 100cqw); }
table.figures-by-force th[scope="col"] { vertical-align: bottom; min-width: 8rem; }
table.figures-by-force th[scope="col"] + th { text-align: right; }
table.figures-by-force th .period { display: block; font-weight: normal; }
table.figures-by-force tr.england-and-wales > * { font-weight: bold; background: #f3f2f1; }
table.figures-by-force td { text-align: right; }
/* Padding gives each link a 24 px target (WCAG 2.2, 2.5.8). */
table.figures-by-force td a { display: block; padding: 0.25rem 0; white-space: nowrap; }
table.figures-by-force td .comparison { display: block; font-size: 0.8125rem; color: #484949; }
.figures-notice { margin: 0 0 1rem; }
/* Reports built from inputs that changed since (peel.pipeline.vintage): said in words, not colour alone. */
.vintage-notice { border-left: 5px solid #0b0c0c; background: #f3f2f1; padding: 0.5rem 1rem; margin: 0 0 1rem; }
"""

def _report_css() -> str:
    """The report stylesheet when it is available, so the index looks like the reports."""
    try:
        return report_css()[0]
    except Exception:  # the index must still be written when the report stylesheet is missing
        return "html { font-family: Arial, sans-serif; color: #0b0c0c; line-height: 1.5; }"


def _failure(force_name: str, record: BuiltForce, kept: bool) -> dict[str, Any]:
    """Where and how a force's last build failed, in the words the index prints."""
    err = record.error
    where = err.where() if err is not None else []
    return {
        "name": force_name,
        "place": f" ({', '.join(where)})" if where else "",
        # A failed record without its error reads as a failure with no message.
        "what": err.what() if err is not None else "Error: ",
        "kept": kept,
    }


def render_index(report: ReportSpec, records: Mapping[str, BuiltForce], out_dir: Path,
                 *, demonstration: bool, notice: str, notice_label: str = "",
                 figures: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                 catalogue: Mapping[str, Any] | None = None, info: Any = None,
                 stale: Mapping[str, Sequence[str]] | None = None, older: Sequence[str] = ()) -> str:
    """The index page as HTML text.

    Parameters
    ----------
    report
        The report structure (its graded areas are the table's columns).
    records
        ``{force_id: record}`` (:class:`~peel.render.built.BuiltForce`: the build's records, as read from
        ``build.json``): the grades shown are those of the report on disk.
    out_dir
        The output folder; a report is linked only when its file is there.
    demonstration, notice, notice_label
        Whether to show a notice about the data (``peel.inputs.provenance.report_notice``), its text
        and its heading ("" = "Demonstration data").
    figures, catalogue, info
        ``{force_id: headline figures}`` as ``build.json`` records them, the dataset's measure
        catalogue and its ``dataset.yaml`` (:class:`peel.inputs.dataset.DatasetInfo`): the "Figures"
        table (:func:`peel.render.figures_table.figures_table`), left out when any is missing.
    stale, older
        ``{force_id: reasons}`` of the stale reports, each marked in words in its row, and the forces
        whose report was built from an older dataset version, named in a note above the tables
        (:mod:`peel.pipeline.vintage`).
    """
    css = _report_css() + INDEX_CSS
    graded = [a for a in report.areas if a.graded]
    rows: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for force in all_forces():
        rec = records.get(force.id)
        # A failed rebuild keeps the previous report; its record then holds that report's grades.
        no_report = rec is None or (rec.failed and not rec.files)
        grades = rec.grades if rec is not None else {}
        basis = rec.grade_basis if rec is not None else {}
        cells = []
        for area in graded:
            grade = grades.get(area.id) if grades else None
            if no_report:
                cells.append({"class": "no-grade", "text": "no report", "basis": ""})
            elif grade in GRADES:
                # "published" or "illustrative", said in words beside the grade (demonstration grades only)
                cells.append({"class": f"grade-{slug(grade)}", "text": grade, "basis": basis.get(area.id, "")})
            elif area.id in grades:
                cells.append({"class": "no-grade", "text": NOT_YET_GRADED, "basis": ""})
            else:
                cells.append({"class": "no-grade", "text": "not inspected", "basis": ""})
        files = rec.files if rec is not None else {}
        links = [
            {"href": f"{force.id}/{name}", "text": f"{force.name} report ({label})"}
            for name, label in (("report.html", "HTML"), ("report.pdf", "PDF"))
            if name in files and (Path(out_dir) / force.id / name).is_file()
        ]
        kept = bool(links) and rec is not None and rec.failed
        why = (stale or {}).get(force.id) if links else None
        rows.append({"name": force.name, "cells": cells, "links": links, "kept": kept,
                     "stale": f"out of date: {'; '.join(why)}" if why else ""})
        if rec is not None and rec.failed:
            failures.append(_failure(force.name, rec, kept=bool(links)))

    table = None
    if figures is not None and info is not None:
        table = figures_table(figures, report_links(records, out_dir), catalogue or {}, info)
    title = f"{report.title}: force reports"
    html = page_environment().get_template("page/index.html.j2").render(
        lang="en-GB",
        csp=content_security_policy(style_hash(css)),
        title=title,
        # The project's own stylesheet and the rules above; escaping would break their selectors.
        css=Markup(css),
        body_class="index",
        inspectorate=report.inspectorate,
        demonstration=demonstration,
        overview=(Path(out_dir) / "overview.html").is_file(),
        notice=notice or f"{DEMONSTRATION_LABEL}.",
        notice_label=notice_label or DEMONSTRATION_LABEL,
        subtitle=report.subtitle,
        built=sum(1 for r in rows if r["links"]),
        total=len(all_forces()),
        failures=failures,
        graded=graded,
        rows=rows,
        grade_bases=any(c.get("basis") for r in rows for c in r["cells"]),
        figures=table,
        stale_count=sum(1 for r in rows if r["stale"]),
        older=[f.name for f in all_forces() if f.id in set(older)],
    )
    return html if html.endswith("\n") else html + "\n"


def write_index(out_dir: Path, report: ReportSpec, records: Mapping[str, BuiltForce], *,
                demonstration: bool, notice: str, notice_label: str = "",
                figures: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                catalogue: Mapping[str, Any] | None = None, info: Any = None,
                stale: Mapping[str, Sequence[str]] | None = None, older: Sequence[str] = ()) -> Path:
    """Write ``OUT/index.html`` atomically and return its path (see :func:`render_index`)."""
    out_dir = Path(out_dir)
    html = render_index(report, records, out_dir, demonstration=demonstration, notice=notice,
                        notice_label=notice_label, figures=figures, catalogue=catalogue, info=info,
                        stale=stale, older=older)
    path = out_dir / INDEX_NAME
    atomic_write(path, html)
    return path
