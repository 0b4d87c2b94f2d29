"""Stitch a force's executed area notebooks into one self-contained HTML report.

Each executed notebook writes one area of the report as ``text/html`` outputs (semantic HTML with
classes, no styles, no script). :func:`render_report` keeps only those outputs, passes each one
through the allowlist sanitiser (:mod:`peel.render.policies`), numbers the figures across the whole
report and moves a copy of every chart's data table into a print annex (:mod:`peel.render.assemble`).
nbconvert's ``HTMLExporter`` renders the areas from the merged notebook with the project's template
(``templates/peel_report``), and the page around them (cover, contents, annex, colophon) comes from
``templates/page/report.html.j2``, which shares its layout with the index page. Both Jinja
environments escape every value. The result is one HTML file that needs nothing outside itself: the
stylesheet is inlined and pinned by its hash in a content security policy that forbids script and
every network load, and images are data URIs.

Code, prompts, stream output (stdout, stderr), errors, Markdown cells and ``text/plain``-only
outputs never reach the report. The same notebooks and context always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from markupsafe import Markup
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbformat import NotebookNode

from peel.analysis.markup import slug
from peel.analysis.phrases import force_in_text
from peel.errors import BuildError
from peel.inputs.provenance import DEMONSTRATION_LABEL, DEMONSTRATION_PAGE
from peel.render.assemble import TEMPLATE_IDS, Assembly, area_html, area_id, report_outputs
from peel.render.policies import content_security_policy, style_hash

#: Where the templates live: ``page/`` (the layout, the report page, the index) and ``peel_report/``
#: (the nbconvert template that renders the areas).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: The nbconvert template that renders a report's areas.
TEMPLATE_NAME = "peel_report"
#: The report's stylesheet, inlined into every report.
CSS_PATH = TEMPLATES_DIR / TEMPLATE_NAME / "report.css"


@dataclass(frozen=True)
class AreaEntry:
    """One area of a force's report as the contents list shows it.

    Parameters
    ----------
    id
        The area id from ``notebooks/report.yaml``; also the id of the area's section.
    title
        The area title.
    grade
        The graded judgment (one of the five-point scale) or ``None`` for an ungraded area.
    """

    id: str
    title: str
    grade: str | None = None

    @property
    def grade_slug(self) -> str | None:
        """The grade as a CSS class suffix (``"Requires improvement"`` -> ``"requires-improvement"``)."""
        if self.grade is None:
            return None
        return slug(self.grade)


@dataclass(frozen=True)
class ReportContext:
    """Everything about a force's report that does not come from its notebooks.

    Parameters
    ----------
    force_id, force_name
        The force (``"metropolitan"``, ``"Metropolitan Police Service"``).
    inspection_name
        The inspection (``"PEEL 2023–2025"``), shown on the cover and in the running header.
    report_title, report_subtitle, inspectorate
        From ``notebooks/report.yaml``.
    areas
        The report's areas in report order; one executed notebook per area is expected.
    published
        Publication date as ISO 8601, to the day, month or year as far as it is known
        (``"2024-08-09"``, ``"2024-08"``, ``"2024"``), or ``None``. It is also the PDF's creation and
        modification date, so that the same inputs give the same bytes.
    draft
        A draft report says so on its cover and on every PDF page.
    demonstration_notice
        The report's notice about its data (``peel.inputs.provenance.report_notice``) when the data
        or the inspection inputs are for demonstration, else ``None``; shown on the cover.
    notice_label, page_notice
        The notice's heading, and its short form printed at the foot of every PDF page ("" = the
        demonstration wording).
    version, commit
        Build identity shown in the colophon (package version and source commit, if known).
    lang
        Language of the report (BCP 47).
    """

    force_id: str
    force_name: str
    inspection_name: str
    report_title: str
    report_subtitle: str
    inspectorate: str
    areas: tuple[AreaEntry, ...]
    published: str | None = None
    draft: bool = False
    demonstration_notice: str | None = None
    notice_label: str = ""
    page_notice: str = ""
    version: str = ""
    commit: str | None = None
    lang: str = "en-GB"

    def __post_init__(self) -> None:
        # Accept any sequence of areas but keep the context hashable and immutable.
        object.__setattr__(self, "areas", tuple(self.areas))
        if self.published is not None:
            try:
                _parse_published(self.published)
            except ValueError as e:
                raise BuildError(
                    f"report for {self.force_id}: publication date {self.published!r} is not an "
                    "ISO 8601 date such as 2024-08-09, 2024-08 or 2024"
                ) from e

    @property
    def demonstration(self) -> bool:
        """True when the report is built from demonstration data."""
        return self.demonstration_notice is not None

    @property
    def date_label(self) -> str:
        """``"9 August 2024"``, or ``"Draft"`` for a draft or a report with no publication date."""
        if self.draft or self.published is None:
            return "Draft"
        d, precision = _parse_published(self.published)
        if precision == "year":
            return f"{d:%Y}"
        if precision == "month":
            return f"{d:%B %Y}"
        return f"{d.day} {d:%B %Y}"

    @property
    def document_title(self) -> str:
        """The title of the HTML page and of the PDF: ``"PEEL 2023–2025: Metropolitan Police Service"``."""
        title = f"{self.report_title}: {self.force_name}"
        return f"{title} (draft)" if self.draft else title


def _parse_published(text: str) -> tuple[date, str]:
    """A publication date known to the day, the month or the year: (first day, precision)."""
    parts = text.split("-")
    if len(parts) == 1 and len(text) == 4 and text.isdigit():
        return date(int(text), 1, 1), "year"
    if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and text.replace("-", "").isdigit():
        return date(int(parts[0]), int(parts[1]), 1), "month"
    return date.fromisoformat(text), "day"


# --------------------------------------------------------------------------------------------
# Templates: created once per process and reused (a batch renders a report per force).


@lru_cache(maxsize=1)
def page_environment() -> jinja2.Environment:
    """The Jinja environment of the published pages (``templates/page/``); it escapes every value."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _html_only(data: dict[str, Any]) -> list[str]:
    """The template's display-priority filter: only ``text/html`` is ever rendered."""
    return ["text/html"] if "text/html" in data else []


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter with the project's template and nothing from the lab template.

    Its Jinja environment escapes every value, like the page's. ``HTMLExporter.from_notebook_node``
    re-parses the whole page with BeautifulSoup to add placeholder alt text and to make JupyterLab
    cells focusable; neither applies to a report whose outputs were already checked, so that pass
    (a large share of the export time) is skipped.
    """

    def default_filters(self) -> Iterable[tuple[str, Any]]:
        yield from super().default_filters()
        yield ("filter_data_type", _html_only)

    @property
    def environment(self) -> jinja2.Environment:
        # The public property every template is loaded through; set before any template is compiled.
        environment: jinja2.Environment = super().environment
        environment.autoescape = True
        return environment

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@lru_cache(maxsize=1)
def report_exporter() -> ReportExporter:
    """The process's exporter (its Jinja environment and compiled template are cached inside it)."""
    return ReportExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        exclude_raw=True,
        exclude_unknown=True,
    )


@lru_cache(maxsize=1)
def report_css() -> tuple[str, str]:
    """The report stylesheet and its CSP source expression (``'sha256-…'``)."""
    css = CSS_PATH.read_text(encoding="utf-8")
    if "</style" in css.lower():  # would end the style element early
        raise BuildError(f"{CSS_PATH}: the stylesheet must not contain '</style'")
    return css, style_hash(css)


# --------------------------------------------------------------------------------------------
# The report


def _check_areas(notebooks: Sequence[NotebookNode], context: ReportContext) -> list[AreaEntry]:
    ids = [area_id(nb, i) for i, nb in enumerate(notebooks)]
    expected = [a.id for a in context.areas]
    if ids != expected:
        raise BuildError(
            f"report for {context.force_id}: the notebooks are for areas {ids}, but the report "
            f"context lists {expected} (same areas, same order expected)"
        )
    if len(set(ids)) != len(ids):
        raise BuildError(f"report for {context.force_id}: an area appears twice: {ids}")
    if not ids:
        raise BuildError(f"report for {context.force_id}: no areas to render")
    return list(context.areas)


def render_report(notebooks: Sequence[NotebookNode], context: ReportContext) -> str:
    """Merge a force's executed area notebooks into one self-contained HTML report.

    Parameters
    ----------
    notebooks
        The executed notebooks in report order, each with metadata ``peel.area_id``.
    context
        The force, the inspection, the report's areas and grades, the publication date or draft
        status, the demonstration notice and the build identity.

    Returns
    -------
    str
        The HTML page: no script, no external reference, stylesheet pinned by the page's content
        security policy, figures numbered across the report. Byte-identical for the same input.

    Raises
    ------
    BuildError
        When the notebooks do not match the context's areas, an area has no ``h2`` heading with id
        ``{area_id}-title``, or a figure reference names a figure its area does not have.
    """
    areas = _check_areas(notebooks, context)
    css, style_source = report_css()
    state = Assembly(used_ids=set(TEMPLATE_IDS) | {a.id for a in areas})

    # The nodes nbformat.v4's new_notebook, new_code_cell and new_output make, built with from_dict:
    # those helpers check each node against the schema with jsonschema as they make it (23 checks a
    # report), and nbconvert's exporter checks the whole notebook after each of its preprocessors anyway.
    merged = nbformat.from_dict({"nbformat": nbformat.v4.nbformat, "nbformat_minor": nbformat.v4.nbformat_minor,
                                 "metadata": {}, "cells": []})
    for nb, area in zip(notebooks, areas, strict=True):
        outputs = report_outputs(nb)
        if not outputs:
            raise BuildError(f"area {area.id}: the notebook produced no HTML output for the report")
        html = area_html(outputs, area.id, state)
        # Ids are fixed so that nothing random enters the merged notebook.
        merged.cells.append(nbformat.from_dict({
            "id": f"area-{len(merged.cells) + 1}", "cell_type": "code", "metadata": {"peel_area": area.id},
            "execution_count": None, "source": "",
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"text/html": html}}],
        }))
    areas_html, _ = report_exporter().from_notebook_node(merged)

    page = page_environment().get_template("page/report.html.j2").render(
        lang=context.lang,
        csp=content_security_policy(style_source),
        title=context.document_title,
        # The project's own stylesheet, checked by report_css(); escaping would break its selectors.
        css=Markup(css),
        body_class="demonstration" if context.demonstration else None,
        description=f"{context.inspection_name} inspection of {context.force_name}: {context.report_subtitle}",
        generator=f"peel {context.version}".strip(),
        published=None if context.draft else context.published,
        inspectorate=context.inspectorate,
        report_title=context.report_title,
        report_subtitle=context.report_subtitle,
        inspection_name=context.inspection_name,
        force_name=context.force_name,
        force_in_text=force_in_text(context.force_name),
        date_label=context.date_label,
        draft=context.draft or context.published is None,
        demonstration=context.demonstration,
        notice=context.demonstration_notice or "",
        notice_label=context.notice_label or DEMONSTRATION_LABEL,
        page_notice=context.page_notice or DEMONSTRATION_PAGE,
        areas=areas,
        # The areas, as nbconvert rendered them from outputs that were sanitised above.
        areas_html=Markup(areas_html),
        # Copies of sanitised captions and tables (assemble._copy_without_ids).
        annex=[{"caption": Markup(f.caption_html), "table": Markup(f.table_html), "anchor": f.anchor}
               for f in state.annex],
        version=context.version or "(unknown version)",
        commit=context.commit,
    )
    return page if page.endswith("\n") else page + "\n"
