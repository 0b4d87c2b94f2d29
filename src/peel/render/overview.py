"""``OUT/overview.html`` (and ``overview.pdf``): the national overview of a build.

For every measure of the dataset's catalogue the page shows all the forces compared, with the same
chart the reports draw (:func:`peel.analysis.charts.all_forces_chart`, with no force marked) and the
same data table (:func:`peel.analysis.numbered_figure.table_record`); where the catalogue asks for a trend, a
line chart of the England and Wales figure over the periods available
(:func:`peel.analysis.trend.national_trend_record`); and, across the forces with a report in the
output folder, how many received each grade in each graded area (a table and a chart). It carries the
dataset's notice and each measure's source like the reports, and shares the index's layout: one
self-contained page, no script, a content security policy that forbids any network load.

The page is made from the dataset the reports were built from and the grades ``build.json`` records
for the reports on disk, and the same inputs give the same bytes. It is made again only when the data,
the grades, the package or the notice changed, or a file it wrote is missing or was edited: the hashes
it was made from are kept beside it in ``OUT/.overview.json`` (:func:`peel.reuse.reuse_decision`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from peel.analysis.charts import CHART_FONT_PT, CHART_RC, CM, FIGSIZE_CM, all_forces_chart, counts, figure_png
from peel.analysis.comparison import compare
from peel.analysis.numbered_figure import IMG_HEIGHT, IMG_WIDTH, table_record
from peel.analysis.phrases import in_sentence, join_names, number_words, value_with_unit
from peel.analysis.provenance import POPULATION_BREAK_NOTE, figure_source, trend_population_break
from peel.analysis.trend import IMG_HEIGHT as TREND_HEIGHT
from peel.analysis.trend import IMG_WIDTH as TREND_WIDTH
from peel.analysis.trend import national_trend_record, trend_png
from peel.files import atomic_write, read_input
from peel.inputs.areas import GRADES, NOT_YET_GRADED, ReportSpec
from peel.inputs.dataset import Dataset, load_dataset
from peel.inputs.forces import all_forces
from peel.inputs.inspection import ILLUSTRATIVE, PUBLISHED
from peel.inputs.provenance import Notice
from peel.render.built import BuiltForce
from peel.render.index import INDEX_CSS, _report_css
from peel.render.page import page_environment
from peel.render.pdf import write_pdf
from peel.render.policies import content_security_policy, style_hash
from peel.reuse import content_id, reuse_decision, sha256_file

OVERVIEW_NAME = "overview.html"
OVERVIEW_PDF = "overview.pdf"
#: The hashes the overview was made from and the files it wrote, beside it.
OVERVIEW_RECORD = ".overview.json"
#: Where the overview explains synthetic figures: it has no About the data, only the notice at its top.
SEE_PAGE_NOTICE = "see the notice at the top of this page"


#: How each part of the overview's key is named when it is made again.
OVERVIEW_WORDS = {
    "data": "data changed",
    "grades": "grades changed",
    "package": "package changed",
    "notice": "notice changed",
    "older": "the reports built from an older dataset version changed",
}

#: The grades table's columns after the five grades.
NOT_INSPECTED = "Not inspected"
GRADE_COLUMNS = (*GRADES, NOT_YET_GRADED.capitalize(), NOT_INSPECTED)

#: Each grade's fill and text colour, as the reports' grade panels (report.css).
GRADE_COLOURS = {
    "Outstanding": ("#005a30", "#ffffff"),
    "Good": ("#cce2d8", "#004025"),
    "Adequate": ("#fff7bf", "#4d4200"),
    "Requires improvement": ("#fcd6c3", "#6e3619"),
    "Inadequate": ("#f4cdc6", "#2a0b06"),
    NOT_YET_GRADED.capitalize(): ("#ffffff", "#0b0c0c"),
    NOT_INSPECTED: ("#f3f2f1", "#0b0c0c"),
}

#: Rules the overview needs beyond the index's.
OVERVIEW_CSS = """
.overview-page { max-width: 50rem; }
.overview-contents ul { columns: 2 16rem; }
.overview-measure, .overview-grades { margin-top: 2.5rem; }
table.grades-by-area, .overview-page table.figure-table { font-size: 0.875rem; }
details.overview-data { margin: 0 0 1.5rem; }
details.overview-data summary { cursor: pointer; padding: 0.25rem 0; }
@media print {
  .overview-page h1 { string-set: force content(text); }
  .overview-contents { display: none; }
  section.overview-measure, section.overview-grades { break-before: page; page-break-before: always; margin-top: 0; }
  details.overview-data summary { font-weight: bold; }
  table.grades-by-area { table-layout: fixed; }
  table.grades-by-area thead th:first-child { width: 30%; }
}
"""


def forces_with_reports(records: Mapping[str, BuiltForce]) -> dict[str, BuiltForce]:
    """The records of the forces that have a report on disk (a failed rebuild keeps the previous one)."""
    return {f.id: records[f.id] for f in all_forces()
            if f.id in records and records[f.id].files}


def grade_counts(report: ReportSpec, records: Mapping[str, BuiltForce]) -> list[dict[str, Any]]:
    """Per graded area, how many forces with a report have each of :data:`GRADE_COLUMNS`, and how many of
    the grades are published and how many illustrative (demonstration grades that say which they are)."""
    have = forces_with_reports(records)
    rows = []
    for area in (a for a in report.areas if a.graded):
        tally = dict.fromkeys(GRADE_COLUMNS, 0)
        bases = {PUBLISHED: 0, ILLUSTRATIVE: 0}
        for rec in have.values():
            grade = (rec.grades or {}).get(area.id)
            if grade in GRADES:
                tally[grade] += 1
                basis = (rec.grade_basis or {}).get(area.id)
                if basis in bases:
                    bases[basis] += 1
            elif area.id in (rec.grades or {}):
                tally[GRADE_COLUMNS[-2]] += 1
            else:
                tally[NOT_INSPECTED] += 1
        rows.append({"area_id": area.id, "title": area.title, "counts": [tally[c] for c in GRADE_COLUMNS],
                     "graded": sum(tally[g] for g in GRADES), "published": bases[PUBLISHED],
                     "illustrative": bases[ILLUSTRATIVE]})
    return rows


def grade_bases_sentence(rows: Sequence[Mapping[str, Any]]) -> str:
    """How many of the grades counted are published and how many illustrative ("" when no grade says)."""
    graded = sum(r["graded"] for r in rows)
    published, illustrative = (sum(r[k] for r in rows) for k in (PUBLISHED, ILLUSTRATIVE))
    if not published and not illustrative:
        return ""
    text = (f"Of the {graded:,} grades counted, {published:,} {'is' if published == 1 else 'are'} published for "
            f"the force (each report names the source) and {illustrative:,} {'is' if illustrative == 1 else 'are'} "
            "illustrative, chosen for the demonstration")
    other = graded - published - illustrative
    if other:
        text += f"; {other:,} {'is' if other == 1 else 'are'} the inspection's own"
    return text + ". The table below gives these numbers for each area."


def grades_chart_png(rows: Sequence[Mapping[str, Any]]) -> tuple[bytes, int]:
    """A stacked bar a graded area, one segment a grade with its count written in it; PNG bytes and shown height."""
    labels = [_wrap(r["title"]) for r in rows]
    # Each bar gets the room its label needs (a long area title takes four lines at chart text size).
    slots = [max(1.0, 0.5 * label.count("\n") + 0.75) for label in labels]
    centres, top = [], 0.0
    for slot in slots:
        centres.append(-(top + slot / 2))
        top += slot
    height_cm = 3.0 + 0.95 * top
    with matplotlib.rc_context(CHART_RC):
        fig = Figure(figsize=(FIGSIZE_CM[0] * CM, height_cm * CM), layout="constrained")
        ax = fig.add_subplot()
        for y, row in zip(centres, rows, strict=True):
            left = 0
            for column, n in zip(GRADE_COLUMNS, row["counts"], strict=True):
                if not n:
                    continue
                fill, ink = GRADE_COLOURS[column]
                ax.barh(y, n, left=left, height=0.7, color=fill, edgecolor="#0b0c0c", linewidth=0.6)
                ax.text(left + n / 2, y, str(n), ha="center", va="center", color=ink, fontsize=CHART_FONT_PT)
                left += n
        ax.set_yticks(centres, labels, fontsize=CHART_FONT_PT)
        ax.set_ylim(-top, 0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Number of forces", fontsize=CHART_FONT_PT)
        ax.tick_params(labelsize=CHART_FONT_PT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        handles = [Patch(facecolor=GRADE_COLOURS[c][0], edgecolor="#0b0c0c", linewidth=0.6, label=c)
                   for c in GRADE_COLUMNS]
        fig.legend(handles=handles, loc="outside upper center", ncols=3, fontsize=CHART_FONT_PT, frameon=False)
        png = figure_png(fig)
    return png, round(IMG_WIDTH * height_cm / FIGSIZE_CM[0])


def _wrap(title: str, width: int = 28) -> str:
    """An area's title on lines of about ``width`` characters, so the labels leave room for the bars."""
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def grades_alt(rows: Sequence[Mapping[str, Any]], with_reports: int) -> str:
    """Alt text of the grades chart: what it shows and the commonest grade in each area."""
    parts = [f"Stacked bar chart: for each of {number_words(len(rows))} graded areas, how many of the "
             f"{number_words(with_reports)} forces with a report received each grade."]
    for row in rows:
        best = max(range(len(GRADE_COLUMNS)), key=lambda i: (row["counts"][i], -i))
        parts.append(f"{row['title']}: most often {GRADE_COLUMNS[best].lower()} ({row['counts'][best]}).")
    return " ".join(parts) + " The table below gives every count."


def national_alt(comparison: Any, bars: Sequence[Any], period: str) -> str:
    """Alt text of a measure's chart with no force marked: extremes, England and Wales and the lines."""
    m = comparison.measure
    parts = [f"Bar chart: {m.figure_title}, {period}, {number_words(len(bars))} forces sorted from highest "
             "to lowest."]
    if bars:
        by_id = {r.force_id: r for r in comparison.rows}
        hi, lo = by_id[bars[0].force_id], by_id[bars[-1].force_id]
        parts.append(f"Highest: {hi.force_name}, {value_with_unit(hi.value, m)}; "
                     f"lowest: {lo.force_name}, {value_with_unit(lo.value, m)}.")
    ew = comparison.england_and_wales
    if ew is not None:
        kind = "average" if m.england_and_wales == "mean" else "figure"
        parts.append(f"The England and Wales {kind}, drawn as a solid line, is {value_with_unit(ew, m)}.")
    c = counts(bars)
    if m.compare == "standard" and m.standard is not None:
        below = c.get("below_standard", 0)
        parts.append(f"A dashed red line marks the expected standard; {number_words(below)} "
                     f"{'force is' if below == 1 else 'forces are'} below it.")
    elif comparison.lines is not None:
        ln = comparison.lines
        parts.append(f"Dotted red lines one standard deviation either side of the average of forces are at "
                     f"{value_with_unit(ln.lower, m)} and {value_with_unit(ln.upper, m)}; "
                     f"{number_words(c.get('above', 0))} above the upper line (dark blue) and "
                     f"{number_words(c.get('below', 0))} below the lower line (light blue).")
    return " ".join(parts) + " The data table below the chart gives every force."


def measure_part(comparison: Any, number: int) -> tuple[dict[str, Any], int]:
    """One measure's section: its chart, table and trend; and the next figure number."""
    fig = all_forces_chart(comparison, "")  # no report's force: no bar is marked
    bars = fig.peel_bars  # type: ignore[attr-defined]
    record = table_record(comparison, "", bars)
    m = comparison.measure
    part: dict[str, Any] = {
        "id": m.id, "title": m.title, "figure_title": m.figure_title, "period": record["period"],
        "number": number, "src": _data_uri(figure_png(fig)), "alt": national_alt(comparison, bars, record["period"]),
        "width": IMG_WIDTH, "height": IMG_HEIGHT, "source": figure_source(comparison, "", see=SEE_PAGE_NOTICE),
        "notes": record["notes"],
        "reading": record["reading"], "unit_head": record["unit_head"], "compare_head": record["compare_head"],
        "rows": record["rows"], "england_and_wales": record["england_and_wales"], "trend": None,
    }
    number += 1
    trend = national_trend_record(comparison)
    if trend is not None:
        have = [r for r in trend["rows"] if r["force_number"] is not None]
        alt = (f"Line chart of {in_sentence(m.title)} for England and Wales, {trend['span']}. "
               f"{have[0]['period']}: {value_with_unit(have[0]['force_number'], m)}. "
               f"{have[-1]['period']}: {value_with_unit(have[-1]['force_number'], m)}. "
               "The data table below the chart gives every period.")
        part["trend"] = {"number": number, "src": _data_uri(trend_png(trend)), "alt": alt, "width": TREND_WIDTH,
                         "height": TREND_HEIGHT, "span": trend["span"],
                         "note": " ".join(n for n in (POPULATION_BREAK_NOTE if trend_population_break(comparison)
                                                      else "", _left_out_note(comparison)) if n),
                         "source": figure_source(comparison, "", comparison.history_periods, see=SEE_PAGE_NOTICE),
                         "rows": [{"period": r["period"], "value": r["force"]} for r in trend["rows"]]}
        number += 1
    return part, number


def _left_out_note(comparison: Any) -> str:
    """"The England and Wales figure for 2019/20 leaves out Greater Manchester Police, which has no figure for
    it." for each earlier period of the trend whose national figure leaves out forces; "" when none does."""
    m = comparison.measure
    return " ".join(
        f"The England and Wales figure for {p.label(m.period_style)} leaves out {join_names(list(names))}, which "
        f"{'have' if len(names) > 1 else 'has'} no figure for it."
        for p, names in comparison.left_out_of_history().items())


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_overview(dataset: Dataset, report: ReportSpec, records: Mapping[str, BuiltForce],
                    notice: Notice | None, older: Sequence[str] = ()) -> str:
    """The overview page as HTML text (the same dataset, grades and notice always give the same bytes).

    Parameters
    ----------
    dataset
        The national data the reports were built from.
    report
        The report structure (its graded areas are the grades table's rows).
    records
        ``{force_id: record}`` as read from ``build.json``: the grades of the reports on disk.
    notice
        The notice the reports carry (``peel.inputs.provenance.report_notice``), or ``None``.
    older
        The forces whose report was built from an older dataset version (:func:`peel.pipeline.vintage.older_dataset`):
        named in a note at the top, since their figures may differ from the overview's.
    """
    rows = grade_counts(report, records)
    with_reports = len(forces_with_reports(records))
    number = 1
    grades: dict[str, Any] = {"columns": GRADE_COLUMNS, "rows": rows if with_reports else [], "chart": None,
                              "bases": grade_bases_sentence(rows) if with_reports else ""}
    if with_reports:
        png, height = grades_chart_png(rows)
        grades["chart"] = {"number": number, "src": _data_uri(png), "alt": grades_alt(rows, with_reports),
                           "width": IMG_WIDTH, "height": height}
        number += 1
    measures = []
    for measure_id in dataset.catalogue:
        part, number = measure_part(compare(dataset, measure_id), number)
        measures.append(part)
    css = _report_css() + INDEX_CSS + OVERVIEW_CSS
    html = page_environment().get_template("page/overview.html.j2").render(
        lang="en-GB", csp=content_security_policy(style_hash(css)),
        title=f"{report.title}: national overview",
        css=Markup(css),  # the project's own stylesheet; escaping would break its selectors
        body_class="index", inspectorate=report.inspectorate, subtitle=report.subtitle,
        dataset=dataset.info.name, demonstration=notice is not None,
        notice=notice.text if notice else "", notice_label=notice.label if notice else "",
        page_notice=notice.page if notice else "", with_reports=number_words(with_reports),
        total=number_words(len(all_forces())), grades=grades, measures=measures,
        older=[f.name for f in all_forces() if f.id in set(older)], older_count=number_words(len(set(older))),
    )
    return html if html.endswith("\n") else html + "\n"


def _read_record(out_dir: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(read_input(out_dir / OVERVIEW_RECORD).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def overview_components(data: Mapping[str, str], records: Mapping[str, BuiltForce], package: str,
                        notice: Notice | None, older: Sequence[str] = ()) -> dict[str, str]:
    """The hashes the overview is made from: data files, grades of the reports on disk, package, notice,
    and the reports built from an older dataset version."""
    grades = {fid: [dict(rec.grades or {}), dict(rec.grade_basis or {})]
              for fid, rec in forces_with_reports(records).items()}
    return {"data": content_id(dict(data)), "grades": content_id(grades), "package": package,
            "notice": content_id([notice.label, notice.text, notice.page] if notice else None),
            "older": content_id(sorted(older))}


def write_overview(out_dir: Path, data_dir: Path, report: ReportSpec, records: Mapping[str, BuiltForce], *,
                   formats: Sequence[str], notice: Notice | None, data: Mapping[str, str],
                   package: str, older: Sequence[str] = ()) -> tuple[Path, str]:
    """Write ``OUT/overview.html`` (and ``overview.pdf`` when ``"pdf"`` is in ``formats``) if anything changed.

    Parameters
    ----------
    out_dir, data_dir
        The output folder and the national data folder (already validated by the build).
    report, records, notice
        As for :func:`render_overview`.
    formats
        The build's formats; the PDF is printed only when it asks for one.
    data, package
        Hashes of the data files and of the package (build side included), from the build's fingerprints.
    older
        As for :func:`render_overview`.

    Returns
    -------
    tuple[Path, str]
        The page's path and what happened: ``"unchanged"`` or why it was written ("grades changed").
    """
    out_dir = Path(out_dir)
    html_path, pdf_path = out_dir / OVERVIEW_NAME, out_dir / OVERVIEW_PDF
    components = overview_components(data, records, package, notice, older)
    previous = _read_record(out_dir)
    files = (previous or {}).get("files", {})
    produced = [(OVERVIEW_NAME, html_path, files.get(OVERVIEW_NAME))]
    if "pdf" in formats:
        produced.append((OVERVIEW_PDF, pdf_path, files.get(OVERVIEW_PDF)))
    write, reason = reuse_decision(components, previous, produced, OVERVIEW_WORDS, "not built before")
    if not write:
        return html_path, reason
    html = render_overview(load_dataset(data_dir), report, records, notice, older)
    written: dict[str, str] = {}
    if "pdf" in formats:
        # The PDF before the page: the record names the page only when its PDF matches it.
        write_pdf(html, pdf_path, title=f"{report.title}: national overview")
        written[OVERVIEW_PDF] = sha256_file(pdf_path)
    elif pdf_path.is_file() and files.get(OVERVIEW_PDF) == sha256_file(pdf_path):
        # The build's own PDF of an older page would now disagree with the page; an edited one is left alone.
        pdf_path.unlink()
    atomic_write(html_path, html)
    written[OVERVIEW_NAME] = sha256_file(html_path)
    atomic_write(out_dir / OVERVIEW_RECORD,
                 json.dumps({"components": components, "files": dict(sorted(written.items()))},
                            indent=1, sort_keys=True) + "\n")
    return html_path, reason
