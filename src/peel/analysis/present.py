"""What the notebooks call: one function per part of a report area, each returning HTML to display.

A notebook stays thin: it loads a :class:`ReportContext` for a force with :func:`load`, then shows
the parts of its area, for example::

    ctx = present.load(force_id, data_dir, params_dir)
    present.area_header(ctx, "police_powers")
    present.concerns_and_improvements(ctx, "police_powers")
    present.findings(ctx, "police_powers")
    present.how_the_force_compares(ctx, "police_powers")

Each function returns an :class:`IPython.display.HTML` object (shown when it ends a cell), or
``None`` when the force was not inspected on the area, so that the notebook shows nothing and the
report leaves the area out.

The HTML is semantic and carries classes only: no ``style`` attributes and no scripts, because the
published report forbids both with its content security policy. Headings follow the report's
outline: ``h2`` for an area, ``h3`` for a finding or a section, ``h4`` below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from IPython.display import HTML

from peel import paths
from peel.inputs.areas import ReportSpec, load_report
from peel.analysis.comparison import Comparison, compare
from peel.inputs.dataset import Dataset, load_dataset
from peel.analysis.figures import figure_html
from peel.analysis.provenance import not_available_measures, sources_html
from peel.inputs.provenance import DEMONSTRATION_FINDINGS, Notice, report_notice
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, Force, all_forces, get_force
from peel.inputs.inspection import AreaInputs, Finding, ForceInputs, load_force_inputs
from peel.analysis.markup import escape, render_markdown, slug
from peel.analysis.wording import (
    force_in_text,
    grade_sentence,
    join_names,
    measure_sentences,
    number_words,
    sentence_case,
)


@dataclass
class ReportContext:
    """Everything a notebook needs to write its area for one force.

    Attributes
    ----------
    force
        The force the report is about.
    report
        The report's structure (``notebooks/report.yaml``).
    dataset
        The national data.
    inputs
        The force's inspection inputs (``params/<force_id>.yaml``).
    figure_count
        Figures shown so far in this notebook run (figures are numbered from 1 in each run; the
        report stitcher renumbers them across the report).
    """

    force: Force
    report: ReportSpec
    dataset: Dataset
    inputs: ForceInputs
    figure_count: int = 0
    _shown: set[str] = field(default_factory=set, repr=False)

    @property
    def demonstration(self) -> bool:
        """True when the national data or the inspection inputs are for demonstration."""
        return bool(self.dataset.info.demonstration or self.inputs.demonstration)

    @property
    def force_text(self) -> str:
        """The force's name as it reads inside a sentence ("the Metropolitan Police Service")."""
        return force_in_text(self.force.name)

    def area_inputs(self, area_id: str) -> AreaInputs | None:
        """The inspection inputs for an area, or ``None`` when the force was not inspected on it."""
        return self.inputs.area(area_id)

    def next_figure(self) -> int:
        """The number of the next figure in this notebook run."""
        self.figure_count += 1
        return self.figure_count

    def comparison(self, measure_id: str) -> Comparison:
        """The measure compared across forces (computed once per dataset)."""
        return compare(self.dataset, measure_id)

    def area_measures(self, area_id: str) -> list[str]:
        """Ids of the catalogue measures in an area, in catalogue order."""
        return [mid for mid, m in self.dataset.catalogue.items() if m.area == area_id]

    def measures_in_report(self) -> list[str]:
        """Ids of every measure the force's report shows (those of the areas it was inspected on)."""
        inspected = set(self.inputs.areas)
        return [mid for mid, m in self.dataset.catalogue.items() if m.area in inspected]


def _dir(value: str | Path | None, default: Path) -> Path:
    # "" (the notebooks' default) and None both mean the project's own folder.
    return Path(value) if value not in (None, "") else default


def load(force_id: str, data_dir: str | Path | None = "", params_dir: str | Path | None = "",
         notebooks_dir: str | Path | None = "") -> ReportContext:
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
    report = load_report(_dir(notebooks_dir, paths.notebooks_dir()), check_notebooks=False)
    dataset = load_dataset(_dir(data_dir, paths.data_dir()))
    known: dict[str, Any] = {m: None for m in not_available_measures(dataset)}
    known.update(dataset.catalogue)
    inputs = load_force_inputs(_dir(params_dir, paths.params_dir()), force.id, report, known)
    return ReportContext(force=force, report=report, dataset=dataset, inputs=inputs)


def _html(parts: Iterable[str]) -> HTML:
    return HTML("\n".join(p for p in parts if p))


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------

def _notice(ctx: ReportContext) -> Notice | None:
    """The report's notice about its data (the same as on the cover), or ``None``."""
    return report_notice(ctx.dataset.info, bool(ctx.inputs.demonstration))


def demo_banner_html(ctx: ReportContext) -> str:
    """The notice about the report's data as HTML ("" when the data and the inputs are real)."""
    notice = _notice(ctx)
    if notice is None:
        return ""
    extra = ""
    if ctx.dataset.info.demonstration and ctx.inputs.demonstration:
        extra = " " + DEMONSTRATION_FINDINGS
    return (f'<div class="demo-banner" role="note"><p><strong>{escape(notice.label)}.</strong> '
            f"{escape(notice.text)}{escape(extra)}</p></div>")


def demo_banner(ctx: ReportContext) -> HTML | None:
    """The demonstration notice, or ``None`` when the report is built from real data and inputs."""
    text = demo_banner_html(ctx)
    return HTML(text) if text else None


def draft_notice_html(ctx: ReportContext) -> str:
    """The draft notice as HTML ("" for a finished report)."""
    if not ctx.inputs.draft:
        return ""
    return ('<div class="draft-notice" role="note"><p><strong>Draft.</strong> '
            f"This report on {escape(ctx.force_text)} is a draft: the inspection findings are not complete "
            "and areas without a grade have not yet been graded.</p></div>")


def draft_notice(ctx: ReportContext) -> HTML | None:
    """The draft notice, or ``None`` for a finished report."""
    text = draft_notice_html(ctx)
    return HTML(text) if text else None


# ---------------------------------------------------------------------------------------------
# An inspection area
# ---------------------------------------------------------------------------------------------

def grade_badge_html(grade: str) -> str:
    """``<p class="grade grade-adequate">Adequate</p>``: the grade in words (its colour is only a cue)."""
    return f'<p class="grade grade-{slug(grade)}">{escape(grade)}</p>'


def area_header(ctx: ReportContext, area_id: str) -> HTML | None:
    """The area's heading, its grade and the judgment sentence.

    For a graded area: ``<h2 class="area-title" id="{area_id}-title">``, the grade badge and, for
    example, "The Metropolitan Police Service is adequate at using police powers and treating the
    public fairly and respectfully." ``None`` when the force was not inspected on the area.
    """
    spec = ctx.report.area(area_id)
    inputs = ctx.area_inputs(area_id)
    if inputs is None and not spec.always:
        return None
    parts = [f'<h2 class="area-title" id="{escape(area_id)}-title">{escape(spec.title)}</h2>']
    if spec.graded and inputs is not None:
        if inputs.grade:
            parts.append(grade_badge_html(inputs.grade))
            parts.append(f'<p class="grade-sentence">{escape(grade_sentence(ctx.force.name, inputs.grade, spec.judgment or spec.title.lower()))}</p>')
        else:
            parts.append('<p class="grade grade-not-yet-graded">Not yet graded</p>')
    elif inputs is not None and not spec.graded and not spec.always:
        parts.append('<p class="grade grade-ungraded">Not graded</p>')
    return _html(parts)


def _note_list(ctx: ReportContext, title: str, cls: str, area_id: str, notes: list[Finding]) -> str:
    if not notes:
        return ""
    heading_id = f"{area_id}-{slug(title)}"
    items = []
    for i, n in enumerate(notes, start=1):
        items.append(f'<section class="{cls}" aria-labelledby="{heading_id}-{i}">'
                     f'<h4 id="{heading_id}-{i}">{escape(n.heading)}</h4>'
                     f"{render_markdown(n.text, heading_level=5)}</section>")
    return (f'<section class="{cls}-list" aria-labelledby="{heading_id}">'
            f'<h3 id="{heading_id}">{escape(title)}</h3>{"".join(items)}</section>')


def concerns_and_improvements(ctx: ReportContext, area_id: str) -> HTML | None:
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
    return _html(parts)


def measure_html(ctx: ReportContext, measure_id: str, heading_level: int | None = None) -> str:
    """One national measure: the sentences about the force, then its numbered all-forces chart.

    When the force did not supply the data the sentences say so and no chart is drawn for it alone;
    the chart is still drawn when other forces have data, so the reader sees the national picture.
    """
    comparison = ctx.comparison(measure_id)
    m = comparison.measure
    parts = []
    if heading_level is not None:
        parts.append(f'<h{heading_level} id="{escape(measure_id)}-measure">{escape(m.title)}</h{heading_level}>')
    sentences = measure_sentences(comparison, ctx.force.id)
    parts.append(f'<p class="measure-statement">{escape(" ".join(sentences))}</p>')
    if any(not _missing(r.value) for r in comparison.rows if r.included):
        parts.append(figure_html(comparison, ctx.force.id, ctx.next_figure()))
    ctx._shown.add(measure_id)
    return "\n".join(parts)


def _missing(x: float | None) -> bool:
    return x is None or x != x


def finding_html(ctx: ReportContext, area_id: str, index: int, finding: Finding) -> str:
    """One finding: its heading (h3), the inspectors' text, their figures, then any national measures."""
    fid = f"{area_id}-finding-{index}"
    parts = [f'<section class="finding" aria-labelledby="{fid}"><h3 id="{fid}">{escape(finding.heading)}</h3>',
             render_markdown(finding.text, heading_level=4)]
    for figure in finding.figures:
        parts.append(f'<p class="inspection-figure">{escape(figure.sentence())}</p>')
    missing = not_available_measures(ctx.dataset)
    for mid in finding.measures:
        if mid in ctx.dataset.catalogue:
            parts.append(measure_html(ctx, mid))
        elif mid in missing:
            title, reason = missing[mid]
            parts.append(f'<p class="measure-not-available">{escape(title)}: not in this report\'s national '
                         f"dataset. {escape(reason)}</p>")
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def findings(ctx: ReportContext, area_id: str) -> HTML | None:
    """The area's findings, each with the national measures the inputs place in it."""
    inputs = ctx.area_inputs(area_id)
    if inputs is None or not inputs.findings:
        return None
    return _html(finding_html(ctx, area_id, i, f) for i, f in enumerate(inputs.findings, start=1))


def how_the_force_compares(ctx: ReportContext, area_id: str) -> HTML | None:
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
    hid = f"{area_id}-how-the-force-compares"
    parts = [f'<section class="how-the-force-compares" aria-labelledby="{hid}">',
             f'<h3 id="{hid}">How the force compares</h3>']
    parts += [measure_html(ctx, mid, heading_level=4) for mid in rest]
    parts.append("</section>")
    return _html(parts)


def area(ctx: ReportContext, area_id: str) -> HTML | None:
    """A whole inspection area in one call (header, concerns, findings, remaining measures)."""
    if ctx.area_inputs(area_id) is None:
        return None
    pieces = [area_header(ctx, area_id), concerns_and_improvements(ctx, area_id), findings(ctx, area_id),
              how_the_force_compares(ctx, area_id)]
    return _html(p.data for p in pieces if p is not None)


# ---------------------------------------------------------------------------------------------
# The overview
# ---------------------------------------------------------------------------------------------

def judgments_table_html(ctx: ReportContext) -> str:
    """``<table class="judgments">``: every area the force was inspected on, with its grade."""
    rows = []
    for spec in ctx.report.areas:
        inputs = ctx.area_inputs(spec.id)
        if inputs is None or spec.always:
            continue
        if spec.graded:
            grade = inputs.grade or "Not yet graded"
        else:
            grade = "Not graded"
        link = f'<a href="#{escape(spec.id)}-title">{escape(spec.title)}</a>'
        rows.append(f'<tr><th scope="row">{link}</th><td>{grade_badge_html(grade)}</td></tr>')
    return (f'<table class="judgments"><caption>Our judgments on {escape(ctx.force_text)}</caption>'
            '<thead><tr><th scope="col">Area of policing</th><th scope="col">Judgment</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def overview(ctx: ReportContext) -> HTML:
    """The overall summary: notices, the judgments table, how many areas were graded, and the summary."""
    spec = ctx.report.area("overview")
    inspected = [s for s in ctx.report.areas if not s.always and ctx.area_inputs(s.id) is not None]
    graded = [s for s in inspected if s.graded]
    ungraded = [s for s in inspected if not s.graded]
    force = ctx.force_text
    parts = [f'<h2 class="area-title" id="overview-title">{escape(spec.title)}</h2>',
             demo_banner_html(ctx), draft_notice_html(ctx),
             '<h3 id="overview-judgments">Our judgments</h3>']
    if inspected:
        n, g = number_words(len(inspected)), number_words(len(graded))
        done = [s for s in graded if (ctx.area_inputs(s.id) or _NO_AREA).grade]
        count = (f"Our inspection assessed how good {force} is in {n} area{'s' if len(inspected) != 1 else ''} "
                 "of policing. ")
        if len(done) == len(graded):
            count += f"We make graded judgments in {g} of these {n}, as follows."
        elif not done:
            count += (f"When the inspection is complete we will make graded judgments in {g} of these {n}; "
                      "none has been graded yet.")
        else:
            count += (f"We make graded judgments in {g} of these {n}; {number_words(len(done))} "
                      f"{'has' if len(done) == 1 else 'have'} been graded so far.")
        parts.append(f'<p class="judgments-count">{escape(sentence_case(count))}</p>')
        parts.append(judgments_table_html(ctx))
        for s in ungraded:
            parts.append(f'<p class="ungraded-note">{escape(_ungraded_sentence(ctx, s.title))}</p>')
    else:
        parts.append(f"<p>{escape(sentence_case(force))} has not yet been inspected in this cycle.</p>")
    summary = render_markdown(ctx.inputs.summary, heading_level=4)
    if summary:
        parts.append('<h3 id="overview-summary">HM Inspector’s summary</h3>')
        parts.append(f'<div class="summary">{summary}</div>')
        if ctx.inputs.inspection.inspector:
            parts.append(f'<p class="inspector">{escape(ctx.inputs.inspection.inspector)}</p>')
    return _html(parts)


class _NoArea:
    grade = None


_NO_AREA = _NoArea()


def _ungraded_sentence(ctx: ReportContext, title: str) -> str:
    return (f"We also inspected an area we do not grade: {title[:1].lower() + title[1:]}. "
            "Our findings influence the graded judgments in the other areas.")


# ---------------------------------------------------------------------------------------------
# About the data
# ---------------------------------------------------------------------------------------------

def _names(ids: Iterable[str]) -> list[str]:
    by_id = {f.id: f.name for f in all_forces()}
    return [by_id.get(i, i) for i in ids]


def about_the_data(ctx: ReportContext) -> HTML:
    """Sources, method, the forces that did not supply data or were left out, and the demonstration notice."""
    spec = ctx.report.area("about_the_data")
    measures = [ctx.comparison(mid) for mid in ctx.measures_in_report()]
    parts = [f'<h2 class="area-title" id="about_the_data-title">{escape(spec.title)}</h2>', demo_banner_html(ctx)]

    # Sources: every measure shown, grouped by source.
    by_source: dict[str, list[str]] = {}
    for c in measures:
        by_source.setdefault(c.measure.source, []).append(c.measure.title)
    parts.append('<h3 id="about-sources">Where the data comes from</h3>')
    parts.append("<p>The national comparisons in this report use these sources. Every chart and table "
                 "names its source underneath.</p>")
    if by_source:
        items = "".join(f"<li>{escape(src.rstrip('.'))}: "
                        f"{escape('; '.join(t[:1].lower() + t[1:] for t in titles))}</li>"
                        for src, titles in by_source.items())
        parts.append(f'<ul class="sources">{items}</ul>')
    cited = [m for a in ctx.inputs.areas.values() for f in a.findings for m in f.measures]
    parts.append(sources_html(ctx.dataset, cited))
    parts.append("<p>Figures stated in the findings come from our inspection fieldwork (for example the samples "
                 "of records we reviewed) or were reported to us by the force.</p>")

    parts.append('<h3 id="about-method">How we compare forces</h3>')
    parts.append(
        "<h4>Rates per 1,000 population</h4>"
        "<p>Rates are given per 1,000 people living in the police force area, so that forces of different "
        "sizes can be compared. We use the Office for National Statistics mid-year population estimate for "
        "the calendar year in which the period’s midpoint falls: a financial year from April 2022 to March "
        "2023 uses the mid-2022 estimate.</p>"
        "<h4>The England and Wales figure</h4>"
        "<p>For most measures the England and Wales figure is the total for all forces that supplied data "
        "divided by their total population (or total cases). Where a report says “average”, it is the "
        "average of force values, with each force counting once whatever its size.</p>"
        "<h4>Higher or lower than expected</h4>"
        "<p>In the charts of all forces, two dotted red lines are drawn one standard deviation above and "
        "below the average of the forces compared (each force counting once). A force beyond a line is "
        "described as higher or lower than expected; a force between them is in line with England and "
        "Wales. Bars above the upper line are dark blue with stripes, bars below the lower line light blue "
        "with dots, and the others grey, so the pattern shows the same as the colour. If force values were "
        "spread normally, about a third of forces would fall outside the lines on any measure.</p>"
        "<h4>National standards</h4>"
        "<p>Where a measure has a national standard, such as answering 90 percent of 999 calls within "
        "10 seconds, the chart shows the standard as a dashed red line and the text says whether the force "
        "meets it.</p>"
        "<h4>Inspection samples</h4>"
        "<p>Where we estimate a proportion from a sample of records, we give a 95 percent confidence "
        "interval. We say a change since our previous inspection is statistically significant when a "
        "two-proportion test finds it significant at the 5 percent level.</p>"
    )

    parts.append('<h3 id="about-forces">Forces in the comparisons</h3>')
    parts.append("<p>The comparisons cover the 43 territorial police forces in England and Wales. British "
                 "Transport Police is outside the scope of this report: its figures are left out of every "
                 "England and Wales total and average, so totals may differ from those published by the "
                 "Home Office.</p>")
    exclusions: dict[str, list[tuple[str, str]]] = {}
    for c in measures:
        for fid, reason in c.excluded.items():
            if fid in EXCLUDED_FROM_ENGLAND_AND_WALES:
                continue
            exclusions.setdefault(fid, []).append((c.measure.title, reason))
    if exclusions:
        parts.append('<h4 id="about-excluded">Forces left out of some comparisons</h4><ul class="exclusions">')
        for fid, items in exclusions.items():
            name = _names([fid])[0]
            reasons: dict[str, list[str]] = {}
            for title, reason in items:
                reasons.setdefault(reason, []).append(title)
            for reason, titles in reasons.items():
                what = join_names([t[:1].lower() + t[1:] for t in titles])
                parts.append(f"<li><strong>{escape(name)}</strong>, on {escape(what)}: {escape(reason)} "
                             "Its figures still count in the England and Wales totals.</li>")
        parts.append("</ul>")

    missing_rows = [(c.measure.title, _names(c.missing)) for c in measures if c.missing]
    parts.append('<h4 id="about-missing">Data not supplied</h4>')
    if missing_rows:
        rows = "".join(f'<tr><th scope="row">{escape(title)}</th><td>{escape(join_names(names))}</td></tr>'
                       for title, names in missing_rows)
        parts.append("<p>These forces did not supply data for a measure. They are shown as not available and "
                     "left out of the lines, the averages and the England and Wales figure for that measure.</p>")
        parts.append('<table class="missing-data"><caption>Forces that did not supply data, by measure</caption>'
                     '<thead><tr><th scope="col">Measure</th><th scope="col">Forces</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>Every force supplied data for every national measure in this report.</p>")

    notice = _notice(ctx)
    if notice is not None:
        parts.append(f'<h3 id="about-demonstration">{escape(notice.label)}</h3>')
        parts.append(f"<p>{escape(notice.text)}</p>")
        if ctx.inputs.demonstration:
            parts.append("<p>The inspection findings in this report were written for the demonstration. Where "
                         "they repeat figures from a published inspection report, the figures are the published "
                         "ones; the wording is our own.</p>")
    return _html(parts)
