"""``OUT/index.html``: every force's judgments at a glance, with links to the reports.

One self-contained page like the reports themselves: the report stylesheet inlined and pinned by a
content security policy that forbids script and any network load, British English, one ``h1``. It
lists every force with its grade in each graded area (written out and coloured), links to each
force's HTML and PDF report whose link text makes sense on its own, the forces whose last build
failed and why, and the demonstration notice when the data is for demonstration. The same records
always give the same bytes: nothing on the page depends on the time of the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from peel.inputs.areas import GRADES, NOT_YET_GRADED, ReportSpec
from peel.errors import one_line
from peel.files import atomic_write
from peel.inputs.forces import all_forces
from peel.analysis.markup import slug

INDEX_NAME = "index.html"

#: Rules the index needs beyond the report stylesheet (a wide table that scrolls on a narrow screen).
INDEX_CSS = """
.index-page { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
.index-page h1 { font-size: 2.25rem; color: #1d2d5c; margin: 1rem 0 1.5rem; }
.table-wrap { overflow-x: auto; }
table.grades-by-force { font-size: 0.875rem; }
table.grades-by-force th[scope="col"] { vertical-align: bottom; }
table.grades-by-force td[class*="grade-"] { border-left: 5px solid currentColor; padding-left: 0.4rem; }
table.grades-by-force td.no-grade { color: #484949; }
/* Padding gives each link a 24 px target (WCAG 2.2, 2.5.8). */
table.grades-by-force td.reports a { display: block; white-space: nowrap; padding: 0.25rem 0; }
/* The report stylesheet narrows the body to a reading measure; the index is a wide table. */
@media screen { body.index { max-width: none; } }
.failures li { margin-bottom: 0.6rem; }
"""

def _report_css() -> str:
    """The report stylesheet when it is available, so the index looks like the reports."""
    try:
        from peel.render.stitch import report_css

        return report_css()[0]
    except Exception:  # the index must still be written when the report stylesheet is missing
        return "html { font-family: Arial, sans-serif; color: #0b0c0c; line-height: 1.5; }"


def _csp(css: str) -> str:
    from peel.render.stitch import content_security_policy, style_hash

    return content_security_policy(style_hash(css))


def render_index(report: ReportSpec, records: Mapping[str, Mapping[str, Any]], out_dir: Path,
                 *, demonstration: bool, notice: str, notice_label: str = "") -> str:
    """The index page as HTML text.

    Parameters
    ----------
    report
        The report structure (its graded areas are the table's columns).
    records
        ``{force_id: record}`` as in ``build.json``: ``status``, ``grades``, ``files``, ``error``.
    out_dir
        The output folder; a report is linked only when its file is there.
    demonstration, notice, notice_label
        Whether to show a notice about the data (``peel.inputs.provenance.report_notice``), its text
        and its heading ("" = "Demonstration data").
    """
    css = _report_css() + INDEX_CSS
    graded = [a for a in report.areas if a.graded]
    e = escape
    rows: list[str] = []
    failures: list[str] = []
    built = 0
    for force in all_forces():
        rec = records.get(force.id) or {}
        grades = rec.get("grades") or {}
        cells = [f'<th scope="row">{e(force.name)}</th>']
        for area in graded:
            grade = grades.get(area.id) if grades else None
            if grade in GRADES:
                cells.append(f'<td class="grade-{slug(grade)}">{e(grade)}</td>')
            elif not rec:
                cells.append('<td class="no-grade">no report</td>')
            elif area.id in grades:
                cells.append(f'<td class="no-grade">{e(NOT_YET_GRADED)}</td>')
            else:
                cells.append('<td class="no-grade">not inspected</td>')
        links = []
        files = rec.get("files") or {}
        for name, label in (("report.html", "HTML"), ("report.pdf", "PDF")):
            if name in files and (Path(out_dir) / force.id / name).is_file():
                href = f"{force.id}/{name}"
                links.append(f'<a href="{e(href)}">{e(force.name)} report ({label})</a>')
        if links:
            built += 1
        cells.append(f'<td class="reports">{"".join(links) if links else "no report yet"}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
        if rec.get("status") == "failed":
            err = rec.get("error") or {}
            where = []
            if err.get("area"):
                where.append(f"area {err['area']}")
            if err.get("cell") is not None:
                where.append(f"cell {err['cell']}")
            what = f"{err.get('error') or 'Error'}: {one_line(err.get('message'))}"
            kept = " The previous report was kept." if links else ""
            place = f" ({', '.join(where)})" if where else ""
            failures.append(f"<li><strong>{e(force.name)}</strong>{e(place)}: {e(what)}{kept}</li>")

    head_cols = "".join(f'<th scope="col">{e(a.title)}</th>' for a in graded)
    demo = ""
    if demonstration:
        demo = ('<div class="demo-notice" role="note">'
                f'<p class="demo-notice-label">{e(notice_label or "Demonstration data")}</p>'
                f'<p class="demo-notice-text">{e(notice or "Demonstration data.")}</p></div>')
    failed_html = ""
    if failures:
        failed_html = ('<section aria-labelledby="failures-title"><h2 id="failures-title">Forces whose last build '
                       'failed</h2><ul class="failures">' + "".join(failures) + "</ul></section>")
    title = f"{report.title}: force reports"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{e(_csp(css))}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{css}</style>\n</head>\n"
        '<body class="index">\n<a class="skip-link" href="#main">Skip to main content</a>\n'
        '<main id="main" class="index-page">\n'
        f'<p class="cover-inspectorate">{e(report.inspectorate)}</p>\n'
        f"<h1>{e(title)}</h1>\n{demo}\n"
        f"<p>{e(report.subtitle)}. Reports for {built} of {len(all_forces())} forces. The table gives each "
        "force's grade in every graded area; the last column links to its report as a web page (HTML) "
        "and as a PDF.</p>\n"
        f"{failed_html}\n"
        '<section aria-labelledby="grades-title"><h2 id="grades-title">Grades by force</h2>\n'
        '<div class="table-wrap"><table class="grades-by-force judgments">'
        "<caption>Each force's grade in each graded area of the inspection</caption>"
        f'<thead><tr><th scope="col">Force</th>{head_cols}<th scope="col">Reports</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>\n"
        "</main>\n</body>\n</html>\n"
    )


def write_index(out_dir: Path, report: ReportSpec, records: Mapping[str, Mapping[str, Any]], *,
                demonstration: bool, notice: str, notice_label: str = "") -> Path:
    """Write ``OUT/index.html`` atomically and return its path (see :func:`render_index`)."""
    out_dir = Path(out_dir)
    html = render_index(report, records, out_dir, demonstration=demonstration, notice=notice,
                        notice_label=notice_label)
    path = out_dir / INDEX_NAME
    atomic_write(path, html)
    return path
