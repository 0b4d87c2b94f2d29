"""Stitch a force's executed area notebooks into one self-contained HTML report.

Each executed notebook writes one area of the report as ``text/html`` outputs (semantic HTML with
classes, no styles, no script). :func:`render_report` keeps only those outputs, passes each one
through an allowlist sanitiser, numbers the figures across the whole report, moves a copy of every
chart's data table into a print annex, and renders the lot with nbconvert's ``HTMLExporter`` and
the project's own template (``templates/peel_report``). The result is one HTML file that needs
nothing outside itself: the stylesheet is inlined and pinned by its hash in a content security
policy that forbids script and every network load, and images are data URIs.

Code, prompts, stream output (stdout, stderr), errors, Markdown cells and ``text/plain``-only
outputs never reach the report. The same notebooks and context always give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import nh3
from bs4 import BeautifulSoup, Tag
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbformat import NotebookNode

from peel.errors import BuildError
from peel.analysis.markup import slug
from peel.analysis.wording import force_in_text
from peel.inputs.provenance import DEMONSTRATION_PAGE

#: Where the report template lives (a folder of nbconvert templates).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: The nbconvert template that lays out a force report.
TEMPLATE_NAME = "peel_report"
#: The report's stylesheet, inlined into every report.
CSS_PATH = TEMPLATES_DIR / TEMPLATE_NAME / "report.css"

#: Tags a notebook output may use. ``h1`` is not among them: the report's only h1 is its title on
#: the cover. Anything else (script, style, iframe, form, object, svg, input...) is removed.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "q", "s", "section",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul",
})

#: Attributes a notebook output may use (no ``style``, no event handlers).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "role", "lang", "title", "aria-label", "aria-labelledby",
          "aria-describedby", "aria-hidden"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "details": {"open"},
}

#: Links a report may contain: in-page anchors and plain links that a reader follows by choice.
_LINK_PREFIXES = ("#", "https://", "http://", "mailto:")

#: Ids the template itself uses; an output that uses one of them has its id renamed.
_TEMPLATE_IDS = frozenset({"main", "contents-title", "figure-data", "figure-data-title"})

_FIGURE_NUMBER = re.compile(r"^(\s*)(Figure)(\s+)(\d+)(\s*)$", re.IGNORECASE)

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


@dataclass
class _Figure:
    number: int
    caption_html: str
    table_html: str
    anchor: str


@dataclass
class _Stitch:
    """State carried across areas while the notebooks are merged."""

    used_ids: set[str]
    figures: int = 0
    annex: list[_Figure] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# The exporter: created once per process and reused (a batch renders a report per force).


def _html_only(data: dict[str, Any]) -> list[str]:
    """The template's display-priority filter: only ``text/html`` is ever rendered."""
    return ["text/html"] if "text/html" in data else []


class ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter with the project's template and nothing from the lab template.

    ``HTMLExporter.from_notebook_node`` re-parses the whole page with BeautifulSoup to add
    placeholder alt text and to make JupyterLab cells focusable; neither applies to a report whose
    outputs were already checked, so that pass (a large share of the export time) is skipped.
    """

    def default_filters(self) -> Iterable[tuple[str, Any]]:
        yield from super().default_filters()
        yield ("filter_data_type", _html_only)

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


def style_hash(css: str) -> str:
    """CSP hash source for an inline style: ``'sha256-<base64 of the SHA-256 of the UTF-8 text>'``."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style_source: str) -> str:
    """The report's policy: no script, no network, no frames or forms; only its own style and data images."""
    return (
        "default-src 'none'; "
        f"style-src {style_source}; "
        "img-src data:; "
        "script-src 'none'; "
        "connect-src 'none'; "
        "font-src 'none'; "
        "object-src 'none'; "
        "frame-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


# --------------------------------------------------------------------------------------------
# Sanitising and reshaping each area's outputs


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Images are embedded; anything that would be fetched is dropped.
        return value if value.startswith("data:image/") else None
    if tag == "a" and attribute == "href":
        return value if value.startswith(_LINK_PREFIXES) else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "data"},
        strip_comments=True,
    )


def sanitize_output(html: str) -> str:
    """An output's HTML reduced to the allowlist (:data:`ALLOWED_TAGS`, :data:`ALLOWED_ATTRIBUTES`).

    Script, styles, event handlers, frames, forms, ``javascript:`` links and images that are not
    data URIs are removed, whatever the notebook produced.
    """
    return _cleaner().clean(html)


def report_outputs(nb: NotebookNode) -> list[str]:
    """The HTML a notebook contributes to the report, in cell order, already sanitised.

    Only ``display_data`` and ``execute_result`` outputs of code cells that carry ``text/html``
    are kept: source code, prompts, streams, errors, Markdown and raw cells, and outputs with only
    ``text/plain`` (or images without HTML) are dropped.
    """
    out: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            html = output.get("data", {}).get("text/html")
            if html is None:
                continue
            if isinstance(html, list):  # nbformat allows multi-line strings as lists
                html = "".join(html)
            html = sanitize_output(html)
            if html.strip():
                out.append(html)
    return out


def _area_id(nb: NotebookNode, index: int) -> str:
    meta = nb.get("metadata", {}).get("peel") or {}
    area_id = meta.get("area_id")
    if not area_id or not isinstance(area_id, str):
        raise BuildError(f"notebook {index + 1} of the report has no metadata peel.area_id")
    return area_id


def _unique_id(wanted: str, area_id: str, used: set[str]) -> str:
    candidate = f"{wanted}-{area_id}"
    n = 2
    while candidate in used:
        candidate = f"{wanted}-{area_id}-{n}"
        n += 1
    return candidate


def _dedupe_ids(soup: BeautifulSoup, area_id: str, used: set[str]) -> None:
    """Make every id unique in the report, renaming later duplicates and the references to them."""
    renamed: dict[str, str] = {}
    for el in soup.find_all(id=True):
        old = el["id"]
        if old in used:
            new = _unique_id(old, area_id, used)
            renamed.setdefault(old, new)
            el["id"] = new
            used.add(new)
        else:
            used.add(old)
    if not renamed:
        return
    for el in soup.find_all("a", href=True):
        href = el["href"]
        if href.startswith("#") and href[1:] in renamed:
            el["href"] = "#" + renamed[href[1:]]
    for attr in ("aria-labelledby", "aria-describedby", "headers"):
        for el in soup.find_all(attrs={attr: True}):
            value = el[attr]
            tokens = value.split() if isinstance(value, str) else list(value)
            el[attr] = " ".join(renamed.get(t, t) for t in tokens)


def _classes(el: Tag) -> list[str]:
    value = el.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def _renumber_figures(soup: BeautifulSoup, area_id: str, state: _Stitch) -> dict[int, int]:
    """Number this area's figures after those of the areas before it; rewrite its figure references."""
    mapping: dict[int, int] = {}
    for span in soup.find_all("span", class_="figure-number"):
        m = _FIGURE_NUMBER.match(span.get_text())
        if not m:
            raise BuildError(
                f"area {area_id}: a figure number reads {span.get_text()!r}; expected 'Figure N'"
            )
        state.figures += 1
        mapping.setdefault(int(m.group(4)), state.figures)
        span.string = f"{m.group(1)}{m.group(2)}{m.group(3)}{state.figures}{m.group(5)}"
    for span in soup.find_all("span", class_="figure-ref"):
        m = _FIGURE_NUMBER.match(span.get_text())
        if not m:
            raise BuildError(f"area {area_id}: a figure reference reads {span.get_text()!r}; expected 'figure N'")
        local = int(m.group(4))
        if local not in mapping:
            raise BuildError(
                f"area {area_id}: the text refers to figure {local}, but the area has "
                f"{len(mapping)} figure(s)"
            )
        span.string = f"{m.group(1)}{m.group(2)}{m.group(3)}{mapping[local]}{m.group(5)}"
    return mapping


def _copy_without_ids(el: Tag, *, inner: bool = False) -> str:
    """HTML of ``el`` (or of its content) for the annex: ids dropped so that none is duplicated."""
    copy = BeautifulSoup(str(el), "html.parser")
    for node in copy.find_all(id=True):
        del node["id"]
    for node in copy.find_all(attrs={"headers": True}):
        del node["headers"]
    for node in copy.find_all("span", class_="figure-number"):
        node["class"] = "annex-figure-number"
    root = copy.find(el.name)
    return root.decode_contents() if inner else str(root)


def _annex_figures(soup: BeautifulSoup, state: _Stitch) -> None:
    """Copy each chart's data table to the print annex and point to it from the chart (print only)."""
    for fig in soup.find_all("figure"):
        if "chart" not in _classes(fig):
            continue
        details = next((d for d in fig.find_all("details") if "figure-data" in _classes(d)), None)
        table = details.find("table") if details is not None else None
        if table is None:
            continue
        number_span = fig.find("span", class_="figure-number")
        m = _FIGURE_NUMBER.match(number_span.get_text()) if number_span else None
        number = int(m.group(4)) if m else len(state.annex) + 1
        anchor = f"data-figure-{len(state.annex) + 1}"
        caption = fig.find("figcaption")
        caption_html = _copy_without_ids(caption, inner=True) if caption is not None else f"Figure {number}"
        state.annex.append(_Figure(number, caption_html, _copy_without_ids(table), anchor))
        note = soup.new_tag("p", attrs={"class": "figure-data-ref print-only"})
        note.append("The data for this figure is in the annex: ")
        link = soup.new_tag("a", href=f"#{anchor}")
        link.string = f"data for figure {number}"
        note.append(link)
        note.append(".")
        details.insert_after(note)


def _area_html(outputs: Sequence[str], area_id: str, state: _Stitch) -> str:
    soup = BeautifulSoup("\n".join(outputs), "html.parser")
    title_id = f"{area_id}-title"
    heading = soup.find(id=title_id)
    if heading is None or heading.name != "h2":
        raise BuildError(
            f"area {area_id}: the notebook's output has no area heading "
            f'<h2 class="area-title" id="{title_id}">'
        )
    _dedupe_ids(soup, area_id, state.used_ids)
    _renumber_figures(soup, area_id, state)
    _annex_figures(soup, state)
    return str(soup)


# --------------------------------------------------------------------------------------------
# The report


def _check_areas(notebooks: Sequence[NotebookNode], context: ReportContext) -> list[AreaEntry]:
    ids = [_area_id(nb, i) for i, nb in enumerate(notebooks)]
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
    state = _Stitch(used_ids=set(_TEMPLATE_IDS) | {a.id for a in areas})

    merged = nbformat.v4.new_notebook()
    for nb, area in zip(notebooks, areas):
        outputs = report_outputs(nb)
        if not outputs:
            raise BuildError(f"area {area.id}: the notebook produced no HTML output for the report")
        html = _area_html(outputs, area.id, state)
        # Ids are fixed so that nothing random enters the merged notebook.
        merged.cells.append(nbformat.v4.new_code_cell(
            source="",
            id=f"area-{len(merged.cells) + 1}",
            metadata={"peel_area": area.id},
            outputs=[nbformat.v4.new_output("display_data", data={"text/html": html})],
        ))

    peel = {
        "lang": context.lang,
        "csp": content_security_policy(style_source),
        "css": css,
        "document_title": context.document_title,
        "description": f"{context.inspection_name} inspection of {context.force_name}: "
                       f"{context.report_subtitle}",
        "generator": f"peel {context.version}".strip(),
        "published": None if context.draft else context.published,
        "inspectorate": context.inspectorate,
        "report_title": context.report_title,
        "report_subtitle": context.report_subtitle,
        "inspection_name": context.inspection_name,
        "force_name": context.force_name,
        "date_label": context.date_label,
        "draft": context.draft or context.published is None,
        "demonstration": context.demonstration,
        "notice": context.demonstration_notice or "",
        "notice_label": context.notice_label or "Demonstration data",
        "page_notice": context.page_notice or DEMONSTRATION_PAGE,
        "force_in_text": force_in_text(context.force_name),
        "areas": [
            {"id": a.id, "title": a.title, "grade": a.grade, "grade_slug": a.grade_slug} for a in areas
        ],
        "annex": [
            {"caption": f.caption_html, "table": f.table_html, "anchor": f.anchor} for f in state.annex
        ],
        "version": context.version or "(unknown version)",
        "commit": context.commit,
    }
    html, _ = report_exporter().from_notebook_node(merged, resources={"peel": peel})
    return html if html.endswith("\n") else html + "\n"
