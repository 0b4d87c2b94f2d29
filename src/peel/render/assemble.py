"""Assembling a report from its areas: which outputs count, unique ids, figure numbers, the print annex.

Each executed notebook writes one area of the report as ``text/html`` outputs. :func:`report_outputs`
keeps only those (already sanitised, :func:`peel.render.policies.sanitize_output`) and
:func:`area_html` reshapes one area's outputs so that it fits in the whole report: ids made unique
across the report, figures numbered after those of the areas before it (with the text's references
to them), and a copy of each chart's data table moved to the print annex.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag
from nbformat import NotebookNode

from peel.analysis.reportable import is_report_output
from peel.errors import BuildError
from peel.render.policies import sanitize_output

#: Ids the report page itself uses; an output that uses one of them has its id renamed.
TEMPLATE_IDS = frozenset({"main", "contents-title", "figure-data", "figure-data-title"})

_FIGURE_NUMBER = re.compile(r"^(\s*)(Figure)(\s+)(\d+)(\s*)$", re.IGNORECASE)


@dataclass
class AnnexFigure:
    """One chart's data table as the print annex shows it.

    ``caption_html`` and ``table_html`` are copies of the chart's sanitised caption and table, with
    their ids removed; ``anchor`` is the id of the annex entry that the chart links to.
    """

    number: int
    caption_html: str
    table_html: str
    anchor: str


@dataclass
class Assembly:
    """State carried across areas while the notebooks are merged into one report."""

    used_ids: set[str]
    figures: int = 0
    annex: list[AnnexFigure] = field(default_factory=list)


def report_outputs(nb: NotebookNode) -> list[str]:
    """The HTML a notebook contributes to the report, in cell order, already sanitised.

    The report-content contract (:mod:`peel.analysis.reportable`): only ``display_data`` and
    ``execute_result`` outputs of code cells that carry the report marker in their metadata (what
    :mod:`peel.analysis.present` displays) and have ``text/html`` are kept. Everything else (an
    analyst's ``display(df)``, a chart, printed text, errors, source code, Markdown) stays in the
    executed notebook; :func:`left_out` lists it.
    """
    out: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if not is_report_output(output):
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


@dataclass(frozen=True)
class LeftOut:
    """An output of an executed notebook that the report leaves out (it is not marked for the report).

    ``cell`` counts every cell of the executed notebook from 1, as Jupyter shows them top to bottom
    (the Markdown introduction and the parameters cells included).
    """

    cell: int
    what: str
    mime: str

    def describe(self) -> str:
        """``"cell 7: a DataFrame (text/html)"``."""
        return f"cell {self.cell}: {self.what} ({self.mime})"

    def to_json(self) -> dict[str, Any]:
        return {"cell": self.cell, "what": self.what, "mime": self.mime}

    @classmethod
    def from_json(cls, doc: Any) -> LeftOut:
        doc = doc if isinstance(doc, dict) else {}
        return cls(int(doc.get("cell") or 0), str(doc.get("what") or "an output"), str(doc.get("mime") or ""))


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _describe_output(output: Any) -> tuple[str, str]:
    """(what it is in words, its main MIME type or stream) for an output left out of the report."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name", "stdout")
        return ("printed text" if name == "stdout" else "text written to stderr (a warning or log)"), name
    if kind == "error":
        return f"an error ({output.get('ename', 'Error')})", "error"
    data = output.get("data") or {}
    plain = _text(data.get("text/plain"))
    html = _text(data.get("text/html"))
    images = [m for m in data if m.startswith("image/")]
    if images:
        what = "a matplotlib figure" if plain.startswith("<Figure") or not plain else "an image"
        return what, images[0]
    if html:
        if 'class="dataframe' in html:
            return "a DataFrame", "text/html"
        return "HTML not displayed by peel.analysis.present", "text/html"
    others = [m for m in data if m != "text/plain"]
    if others:
        return "an output", others[0]
    return "plain text", "text/plain"


def left_out(nb: NotebookNode) -> list[LeftOut]:
    """Every output of ``nb``'s code cells that the report leaves out, in cell order.

    The injected-parameters cell never has outputs; an error stops the build before a report is
    made, so in practice these are an analyst's displays, charts and printed text.
    """
    out: list[LeftOut] = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if is_report_output(output):
                continue
            what, mime = _describe_output(output)
            out.append(LeftOut(number, what, mime))
    return out


def area_id(nb: NotebookNode, index: int) -> str:
    """The area a notebook writes (its metadata ``peel.area_id``)."""
    meta = nb.get("metadata", {}).get("peel") or {}
    value = meta.get("area_id")
    if not value or not isinstance(value, str):
        raise BuildError(f"notebook {index + 1} of the report has no metadata peel.area_id")
    return value


def _unique_id(wanted: str, area: str, used: set[str]) -> str:
    candidate = f"{wanted}-{area}"
    n = 2
    while candidate in used:
        candidate = f"{wanted}-{area}-{n}"
        n += 1
    return candidate


def _dedupe_ids(soup: BeautifulSoup, area: str, used: set[str]) -> None:
    """Make every id unique in the report, renaming later duplicates and the references to them."""
    renamed: dict[str, str] = {}
    for el in soup.find_all(id=True):
        old = str(el["id"])  # id is a single-valued attribute: always a string
        if old in used:
            new = _unique_id(old, area, used)
            renamed.setdefault(old, new)
            el["id"] = new
            used.add(new)
        else:
            used.add(old)
    if not renamed:
        return
    for el in soup.find_all("a", href=True):
        href = str(el["href"])
        if href.startswith("#") and href[1:] in renamed:
            el["href"] = "#" + renamed[href[1:]]
    for attr in ("aria-labelledby", "aria-describedby", "headers"):
        having: dict[str, Any] = {attr: True}
        for el in soup.find_all(None, having):
            value: str | list[str] = el[attr]
            tokens = value.split() if isinstance(value, str) else list(value)
            el[attr] = " ".join(renamed.get(t, t) for t in tokens)


def _classes(el: Tag) -> list[str]:
    value: str | list[str] = el.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def _renumber_figures(soup: BeautifulSoup, area: str, state: Assembly) -> dict[int, int]:
    """Number this area's figures after those of the areas before it; rewrite its figure references."""
    mapping: dict[int, int] = {}
    for span in soup.find_all("span", class_="figure-number"):
        m = _FIGURE_NUMBER.match(span.get_text())
        if not m:
            raise BuildError(f"area {area}: a figure number reads {span.get_text()!r}; expected 'Figure N'")
        state.figures += 1
        mapping.setdefault(int(m.group(4)), state.figures)
        span.string = f"{m.group(1)}{m.group(2)}{m.group(3)}{state.figures}{m.group(5)}"
    for span in soup.find_all("span", class_="figure-ref"):
        m = _FIGURE_NUMBER.match(span.get_text())
        if not m:
            raise BuildError(f"area {area}: a figure reference reads {span.get_text()!r}; expected 'figure N'")
        local = int(m.group(4))
        if local not in mapping:
            raise BuildError(
                f"area {area}: the text refers to figure {local}, but the area has {len(mapping)} figure(s)"
            )
        span.string = f"{m.group(1)}{m.group(2)}{m.group(3)}{mapping[local]}{m.group(5)}"
    return mapping


def _copy_without_ids(el: Tag, *, inner: bool = False) -> str:
    """HTML of ``el`` (or of its content) for the annex: ids dropped so that none is duplicated."""
    # copy.copy is Beautiful Soup's documented deep copy of a tag, detached from its tree: the same
    # elements as printing ``el`` and parsing the text again, in a fraction of the time.
    root = copy.copy(el)
    for node in (root, *root.find_all(True)):
        if node.has_attr("id"):
            del node["id"]
        if node.has_attr("headers"):
            del node["headers"]
        if node.name == "span" and "figure-number" in node.get_attribute_list("class"):
            node["class"] = "annex-figure-number"
    return root.decode_contents() if inner else str(root)


def _annex_figures(soup: BeautifulSoup, state: Assembly) -> None:
    """Copy each chart's data table to the print annex and point to it from the chart (print only)."""
    for fig in soup.find_all("figure"):
        if "chart" not in _classes(fig):
            continue
        details = next((d for d in fig.find_all("details") if "figure-data" in _classes(d)), None)
        table = details.find("table") if details is not None else None
        if details is None or table is None:
            continue
        number_span = fig.find("span", class_="figure-number")
        m = _FIGURE_NUMBER.match(number_span.get_text()) if number_span else None
        number = int(m.group(4)) if m else len(state.annex) + 1
        anchor = f"data-figure-{len(state.annex) + 1}"
        caption = fig.find("figcaption")
        caption_html = _copy_without_ids(caption, inner=True) if caption is not None else f"Figure {number}"
        state.annex.append(AnnexFigure(number, caption_html, _copy_without_ids(table), anchor))
        # Built as elements, not text, so nothing in it needs escaping by hand.
        note = soup.new_tag("p", attrs={"class": "figure-data-ref print-only"})
        note.append("The data for this figure is in the annex: ")
        link = soup.new_tag("a", href=f"#{anchor}")
        link.string = f"data for figure {number}"
        note.append(link)
        note.append(".")
        details.insert_after(note)


def area_html(outputs: Sequence[str], area: str, state: Assembly) -> str:
    """One area's sanitised outputs reshaped to fit in the report (ids, figure numbers, annex).

    Raises
    ------
    BuildError
        When the area has no ``<h2 id="{area}-title">`` heading, or a figure number or reference
        does not read "Figure N", or the text refers to a figure the area does not have.
    """
    soup = BeautifulSoup("\n".join(outputs), "html.parser")
    title_id = f"{area}-title"
    heading = soup.find(id=title_id)
    if heading is None or heading.name != "h2":
        raise BuildError(
            f"area {area}: the notebook's output has no area heading "
            f"(an h2 element with id {title_id!r}, class area-title)"
        )
    _dedupe_ids(soup, area, state.used_ids)
    _renumber_figures(soup, area, state)
    _annex_figures(soup, state)
    return str(soup)
