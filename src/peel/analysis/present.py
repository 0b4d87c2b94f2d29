"""What the notebooks call: one function per part of a report area, each returning HTML to display.

A notebook stays thin: it loads a :class:`NotebookContext` for a force with :func:`load`, then shows
the parts of its area, for example::

    ctx = present.load(force_id, data_dir, params_dir)
    present.area_header(ctx, "police_powers")
    present.concerns_and_improvements(ctx, "police_powers")
    present.findings(ctx, "police_powers")
    present.how_the_force_compares(ctx, "police_powers")

Each function returns a :class:`~peel.analysis.reportable.ReportHTML` object (shown when it ends a
cell; its output carries the marker that lets it into the report, see :mod:`peel.analysis.reportable`),
or ``None`` when there is nothing to show. When the force was not inspected on the area,
:func:`area_header` and :func:`area` return a :class:`~peel.analysis.reportable.NotInspected` note
instead: plain text that says so in the notebook and never reaches the report.

The HTML is semantic and carries classes only: no ``style`` attributes and no scripts, because the
published report forbids both with its content security policy. Headings follow the report's
outline: ``h2`` for an area, ``h3`` for a finding or a section, ``h4`` below. It comes from the
macros in ``templates/macros.html.j2`` (see :mod:`peel.analysis.templating`), which escape every value.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from peel import paths
from peel.analysis.about import about_the_data_html
from peel.analysis.context import NotebookContext
from peel.analysis.markup import render_markdown, slug
from peel.analysis.numbered_figure import figure_html_and_record
from peel.analysis.phrases import in_sentence, number_words, sentence_case
from peel.analysis.provenance import not_available_measures
from peel.analysis.reportable import NotInspected, ReportHTML
from peel.analysis.statements import Part, figure_records, grade_record, measure_records, text_records
from peel.analysis.templating import join, part, sanitised
from peel.analysis.trend import trend_html_and_record
from peel.inputs.areas import REPORT_FILE, load_report
from peel.inputs.dataset import load_dataset
from peel.inputs.forces import get_force
from peel.inputs.inspection import ILLUSTRATIVE, PUBLISHED, AreaInputs, Finding, GradeSource, load_force_inputs
from peel.inputs.provenance import Notice, demonstration_findings, report_notice
from peel.method import is_missing


def _html(ctx: NotebookContext, parts: Iterable[str | None]) -> Part:
    # join() consumes the generator first, so the records it made are all taken.
    html = join(parts)
    return Part(html, *ctx.take_records())


def _dir(value: str | Path | None, default: Path) -> Path:
    # "" (the notebooks' default) and None both mean the project's own folder.
    return Path(value) if value not in (None, "") else default


#: What :func:`load` read and checked before, keyed by the files' bytes (and what else the check depends
#: on): each of a force's 11 notebooks calls :func:`load` in the same kernel, and a worker's kernel builds
#: many forces, so ``report.yaml`` and the force's inputs would otherwise be parsed and checked 11 times a
#: force (about 0.01 CPU s a time). Keying by content, not modification time, means an edit is always
#: seen; the values are frozen dataclasses nobody changes. Bounded, oldest entry dropped first.
_READ_MEMO: dict[tuple[Any, ...], Any] = {}
_READ_MEMO_SIZE = 64


def _file_bytes(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it cannot be read (the loader then says why, uncached)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _remembered(key: tuple[Any, ...] | None, make: Any) -> Any:
    if key is None:
        return make()
    if key in _READ_MEMO:
        return _READ_MEMO[key]
    value = make()  # an InputError propagates and nothing is remembered
    if len(_READ_MEMO) >= _READ_MEMO_SIZE:
        _READ_MEMO.pop(next(iter(_READ_MEMO)))
    _READ_MEMO[key] = value
    return value


def load(force_id: str, data_dir: str | Path | None = "", params_dir: str | Path | None = "",
         notebooks_dir: str | Path | None = "") -> NotebookContext:
    """Load the data, the report structure and one force's inspection inputs.

    Parameters
    ----------
    force_id
        The force, as listed by ``peel forces`` (for example ``"metropolitan"``).
    data_dir
        The national data folder; ``""`` means the project's ``data/``.
    params_dir
        The inspection inputs folder; ``""`` means the project's ``params/``.
    notebooks_dir
        The folder holding ``report.yaml``; ``""`` means the project's ``notebooks/``.

    Raises
    ------
    peel.errors.InputError
        For an unknown force id, unusable data or invalid inspection inputs, naming the file, the row
        or key and what was expected.
    """
    force = get_force(force_id, source="force_id parameter")
    notebooks = _dir(notebooks_dir, paths.notebooks_dir())
    report_bytes = _file_bytes(notebooks / REPORT_FILE)
    report_key = None if report_bytes is None else ("report", str(notebooks), report_bytes)
    report = _remembered(report_key, lambda: load_report(notebooks, check_notebooks=False))
    dataset = load_dataset(_dir(data_dir, paths.data_dir()))
    known: dict[str, Any] = {m: None for m in not_available_measures(dataset)}
    known.update(dataset.catalogue)
    params = _dir(params_dir, paths.params_dir())
    inputs_bytes = _file_bytes(params / f"{force.id}.yaml")
    # the check of the inputs depends on the report structure and on each known measure's area too
    areas = tuple((mid, getattr(m, "area", None)) for mid, m in known.items())
    inputs_key = (None if report_key is None or inputs_bytes is None
                  else ("inputs", str(params), force.id, inputs_bytes, report_key, areas))
    inputs = _remembered(inputs_key, lambda: load_force_inputs(params, force.id, report, known))
    return NotebookContext(force=force, report=report, dataset=dataset, inputs=inputs)


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------

def _notice(ctx: NotebookContext) -> Notice | None:
    """The report's notice about its data (the same as on the cover), or ``None``."""
    return report_notice(ctx.dataset.info, bool(ctx.inputs.demonstration))


def demo_banner_html(ctx: NotebookContext) -> str:
    """The notice about the report's data as HTML ("" when the data and the inputs are real)."""
    notice = _notice(ctx)
    if notice is None:
        return ""
    extra = ""
    if ctx.dataset.info.demonstration and ctx.inputs.demonstration:
        bases = [a.grade_basis for a in ctx.inputs.areas.values()]
        extra = " " + demonstration_findings(bases.count(PUBLISHED), bases.count(ILLUSTRATIVE))
    return part("demo_banner", label=notice.label, notice=notice.text, extra=extra)


def demo_banner(ctx: NotebookContext) -> ReportHTML | None:
    """The demonstration notice, or ``None`` when the report is built from real data and inputs."""
    text = demo_banner_html(ctx)
    return ReportHTML(text) if text else None


def draft_notice_html(ctx: NotebookContext) -> str:
    """The draft notice as HTML ("" for a finished report)."""
    if not ctx.inputs.draft:
        return ""
    return part("draft_notice", force=ctx.force_text)


def draft_notice(ctx: NotebookContext) -> ReportHTML | None:
    """The draft notice, or ``None`` for a finished report."""
    text = draft_notice_html(ctx)
    return ReportHTML(text) if text else None


# ---------------------------------------------------------------------------------------------
# An inspection area
# ---------------------------------------------------------------------------------------------

def grade_badge_html(grade: str) -> str:
    """``<p class="grade grade-adequate">Adequate</p>``: the grade in words (its colour is only a cue)."""
    return part("grade_badge", grade=grade, grade_slug=slug(grade))


def _not_inspected(ctx: NotebookContext, area_id: str) -> NotInspected:
    return NotInspected(ctx.force_text, area_id, ctx.report.area(area_id).title)


def area_header(ctx: NotebookContext, area_id: str) -> ReportHTML | NotInspected:
    """The area's heading, its grade and the judgment sentence.

    For a graded area: ``<h2 class="area-title" id="{area_id}-title">``, the grade badge and, for
    example, "The Metropolitan Police Service is adequate at using police powers and treating the
    public fairly and respectfully." When the force was not inspected on the area, a
    :class:`~peel.analysis.reportable.NotInspected` note (plain text, never in the report).
    """
    spec = ctx.report.area(area_id)
    inputs = ctx.area_inputs(area_id)
    if inputs is None and not spec.always:
        return _not_inspected(ctx, area_id)
    values: dict[str, Any] = {"status": None}
    if spec.graded and inputs is not None:
        if inputs.grade:
            record = grade_record(ctx.force.id, ctx.force.name, area_id, inputs.grade,
                                  spec.judgment or spec.title.lower(), ctx.dataset.info.name,
                                  grade_source_text(inputs))
            ctx._records.append(record)
            values = {"status": "graded", "grade": inputs.grade, "grade_slug": slug(inputs.grade),
                      "sentence": record["sentence"], "basis": inputs.grade_basis,
                      "source": source_values(inputs.grade_source)}
        else:
            values = {"status": "not-yet-graded"}
    elif inputs is not None and not spec.graded and not spec.always:
        values = {"status": "ungraded"}
    return Part(part("area_header", area_id=area_id, title=spec.title, **values), *ctx.take_records())


def _note_list(ctx: NotebookContext, title: str, cls: str, area_id: str, notes: list[Finding]) -> str:
    if not notes:
        return ""
    rendered = [(n.heading, sanitised(render_markdown(n.text, heading_level=5))) for n in notes]
    for i, (heading, html) in enumerate(rendered, start=1):
        ctx._records.extend(_text_records(ctx, area_id, f"{cls}-{i}", cls.replace("-", "_"), html, heading=heading))
    return part("note_list", heading_id=f"{area_id}-{slug(title)}", title=title, cls=cls, notes=rendered)


def _text_records(ctx: NotebookContext, area_id: str, block: str, kind: str, html: str,
                  traced: Iterable[str] = (), heading: str | None = None) -> list[dict]:
    """Statement records of the numbers in inspectors' text that no other record states."""
    return text_records(ctx.force.id, ctx.force.name, area_id, f"text:{area_id}:{block}", kind, html, traced,
                        ctx.dataset.info.name, heading)


def concerns_and_improvements(ctx: NotebookContext, area_id: str) -> ReportHTML | None:
    """The area's causes of concern and areas for improvement (``None`` when it has neither)."""
    inputs = ctx.area_inputs(area_id)
    if inputs is None:
        return None
    parts = [
        _note_list(ctx, "Cause of concern" if len(inputs.causes_of_concern) == 1 else "Causes of concern",
                   "cause-of-concern", area_id, inputs.causes_of_concern),
        _note_list(ctx, "Area for improvement" if len(inputs.areas_for_improvement) == 1 else "Areas for improvement",
                   "area-for-improvement", area_id, inputs.areas_for_improvement),
    ]
    if not any(parts):
        return None
    return _html(ctx, parts)


def measure_html(ctx: NotebookContext, measure_id: str, heading_level: int | None = None) -> str:
    """One national measure: the sentences about the force, then its numbered all-forces chart.

    When the force did not supply the data the sentences say so and no chart is drawn for it alone;
    the chart is still drawn when other forces have data, so the reader sees the national picture.
    """
    comparison = ctx.comparison(measure_id)
    m = comparison.measure
    figure = None
    trend, trend_table = trend_html_and_record(comparison, ctx.force.id, ctx.next_figure)
    if trend_table is not None:
        ctx._figures.append(trend_table)
    if any(not is_missing(r.value) for r in comparison.rows if r.included):
        figure, table = figure_html_and_record(comparison, ctx.force.id, ctx.next_figure())
        ctx._figures.append(table)
    ctx._shown.add(measure_id)
    records = measure_records(comparison, ctx.force.id, m.area, ctx.dataset.info.name)
    ctx._records.extend(records)
    return part("measure", measure_id=measure_id, title=m.title, heading_level=heading_level,
                statement=" ".join(r["sentence"] for r in records), figure_html=figure, trend_html=trend)


def finding_html(ctx: NotebookContext, area_id: str, index: int, finding: Finding) -> str:
    """One finding: its heading (h3), the inspectors' text, their figures, then any national measures."""
    missing = not_available_measures(ctx.dataset)
    records = figure_records(ctx.force.id, ctx.force.name, area_id, index, finding.figures, ctx.dataset.info.name)
    ctx._records.extend(records)
    text_html = sanitised(render_markdown(finding.text, heading_level=4))
    ctx._records.extend(_text_records(ctx, area_id, f"finding-{index}", "finding", text_html,
                                      [r["sentence"] for r in records], finding.heading))
    return part(
        "finding", finding_id=f"{area_id}-finding-{index}", heading=finding.heading,
        text_html=text_html,
        figures=[r["sentence"] for r in records],
        measures=[measure_html(ctx, mid) for mid in finding.measures if mid in ctx.dataset.catalogue],
        not_available=[missing[mid] for mid in finding.measures
                       if mid not in ctx.dataset.catalogue and mid in missing],
    )


def findings(ctx: NotebookContext, area_id: str) -> ReportHTML | None:
    """The area's findings, each with the national measures the inputs place in it."""
    inputs = ctx.area_inputs(area_id)
    if inputs is None or not inputs.findings:
        return None
    return _html(ctx, (finding_html(ctx, area_id, i, f) for i, f in enumerate(inputs.findings, start=1)))


def how_the_force_compares(ctx: NotebookContext, area_id: str) -> ReportHTML | None:
    """The area's national measures not already shown inside a finding, under their own heading.

    ``None`` when the force was not inspected on the area or every measure has been shown.
    """
    inputs = ctx.area_inputs(area_id)
    if inputs is None:
        return None
    placed = set(inputs.measures) | ctx._shown
    rest = [mid for mid in ctx.area_measures(area_id) if mid not in placed]
    if not rest:
        return None
    html = part("how_the_force_compares", heading_id=f"{area_id}-how-the-force-compares",
                measures=[measure_html(ctx, mid, heading_level=4) for mid in rest])
    return Part(html, *ctx.take_records())


def area(ctx: NotebookContext, area_id: str) -> ReportHTML | NotInspected:
    """A whole inspection area in one call (header, concerns, findings, remaining measures)."""
    if ctx.area_inputs(area_id) is None:
        return _not_inspected(ctx, area_id)
    pieces = [area_header(ctx, area_id), concerns_and_improvements(ctx, area_id), findings(ctx, area_id),
              how_the_force_compares(ctx, area_id)]
    # Each piece's data is HTML made by the templates above; its records come along.
    parts = [p for p in pieces if isinstance(p, ReportHTML)]
    records = [r for p in parts if isinstance(p, Part) for r in p.records]
    figures = [f for p in parts if isinstance(p, Part) for f in p.figures]
    more, more_figures = ctx.take_records()
    return Part(join(Markup(p.data) for p in parts), records + more, figures + more_figures)


# ---------------------------------------------------------------------------------------------
# The overview
# ---------------------------------------------------------------------------------------------

def source_date_words(published: str) -> str:
    """A source's date in words: ``"29 January 2025"``, ``"February 2025"``, ``"2025"`` or ``"2024/25"``."""
    parts = published.split("-")
    if len(parts) == 3:
        day = _dt.date.fromisoformat(published)
        return f"{day.day} {day:%B %Y}"
    if len(parts) == 2:
        return f"{_dt.date(int(parts[0]), int(parts[1]), 1):%B %Y}"
    return published


def source_values(source: GradeSource | None) -> dict[str, str] | None:
    """A published grade's source as the templates show it: title, url and date in words."""
    if source is None:
        return None
    return {"title": source.title, "url": source.url, "date": source_date_words(source.published)}


def grade_source_text(inputs: AreaInputs) -> str:
    """The ``source`` of a grade's row in statements.csv: ``published: URL``, ``illustrative`` or ``inspection``
    (the inspection's own grade)."""
    if inputs.grade_basis == PUBLISHED and inputs.grade_source is not None:
        return f"published: {inputs.grade_source.url}"
    return ILLUSTRATIVE if inputs.grade_basis == ILLUSTRATIVE else "inspection"


def judgments(ctx: NotebookContext) -> dict[str, Any]:
    """The judgments table as plain values, for any rendering of it.

    Returns
    -------
    dict
        ``rows`` (area_id, title, grade, grade_slug, basis: "published", "illustrative" or ""), ``sources``
        (each published grade's source once: title, url, date in words, areas: the titles of its areas) and
        ``illustrative`` (the titles of the areas whose grades are illustrative).
    """
    rows = []
    sources: dict[str, dict[str, Any]] = {}
    illustrative = []
    for spec in ctx.report.areas:
        inputs = ctx.area_inputs(spec.id)
        if inputs is None or spec.always:
            continue
        grade = (inputs.grade or "Not yet graded") if spec.graded else "Not graded"
        basis = inputs.grade_basis if spec.graded else ""
        rows.append({"area_id": spec.id, "title": spec.title, "grade": grade, "grade_slug": slug(grade),
                     "basis": basis})
        if basis == PUBLISHED and inputs.grade_source is not None:
            s = sources.setdefault(inputs.grade_source.url, {**(source_values(inputs.grade_source) or {}),
                                                             "titles": []})
            s["titles"].append(spec.title)
        elif basis == ILLUSTRATIVE:
            illustrative.append(spec.title)
    listed = [{**s, "areas": "; ".join(s["titles"])} for s in sources.values()]
    return {"rows": rows, "sources": listed, "illustrative": illustrative}


def judgments_table_html(ctx: NotebookContext) -> str:
    """``<table class="judgments">``: every area the force was inspected on, with its grade and, for a
    demonstration grade, whether it is published (with its sources under the table) or illustrative."""
    return part("judgments_table", force=ctx.force_text, **judgments(ctx))


def _judgments_count(ctx: NotebookContext, inspected: list, graded: list) -> str:
    """ "Our inspection assessed how good ... is in n areas of policing. We make graded judgments in ..." """
    n, g = number_words(len(inspected)), number_words(len(graded))
    done = [s for s in graded if (ctx.area_inputs(s.id) or _NO_AREA).grade]
    count = (f"Our inspection assessed how good {ctx.force_text} is in {n} "
             f"area{'s' if len(inspected) != 1 else ''} of policing. ")
    if len(done) == len(graded):
        count += f"We make graded judgments in {g} of these {n}, as follows."
    elif not done:
        count += (f"When the inspection is complete we will make graded judgments in {g} of these {n}; "
                  "none has been graded yet.")
    else:
        count += (f"We make graded judgments in {g} of these {n}; {number_words(len(done))} "
                  f"{'has' if len(done) == 1 else 'have'} been graded so far.")
    return sentence_case(count)


def overview(ctx: NotebookContext) -> ReportHTML:
    """The overall summary: notices, the judgments table, how many areas were graded, and the summary."""
    inspected = [s for s in ctx.report.areas if not s.always and ctx.area_inputs(s.id) is not None]
    graded = [s for s in inspected if s.graded]
    summary_html = sanitised(render_markdown(ctx.inputs.summary, heading_level=4))
    records = _text_records(ctx, "overview", "summary", "summary", summary_html)
    return Part(part(
        "overview",
        title=ctx.report.area("overview").title,
        banner=demo_banner_html(ctx),
        draft=draft_notice_html(ctx),
        judgments_count=_judgments_count(ctx, inspected, graded) if inspected else None,
        judgments_table=judgments_table_html(ctx) if inspected else None,
        ungraded_notes=[_ungraded_sentence(ctx, s.title) for s in inspected if not s.graded],
        not_inspected=f"{sentence_case(ctx.force_text)} has not yet been inspected in this cycle.",
        summary_html=summary_html,
        inspector=ctx.inputs.inspection.inspector,
        inspector_title=ctx.inputs.inspection.inspector_title,
    ), records)


class _NoArea:
    grade = None


_NO_AREA = _NoArea()


def _ungraded_sentence(ctx: NotebookContext, title: str) -> str:
    return (f"We also inspected an area we do not grade: {in_sentence(title)}. "
            "Our findings influence the graded judgments in the other areas.")


# ---------------------------------------------------------------------------------------------
# About the data
# ---------------------------------------------------------------------------------------------

def about_the_data(ctx: NotebookContext) -> ReportHTML:
    """Sources, method, the forces that did not supply data or were left out, and the demonstration notice.

    The prose is in ``templates/about_the_data.html.j2`` (see :mod:`peel.analysis.about`).
    """
    return ReportHTML(about_the_data_html(ctx, banner=demo_banner_html(ctx), notice=_notice(ctx)))
