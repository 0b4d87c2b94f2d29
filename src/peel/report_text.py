"""The words a reader sees in a force's ``report.html``, as ordered text blocks per section.

``peel diff`` compares reports by these blocks, so that a reworded finding, heading, caption, note or
notice shows as a change even when no number moved. A block is one element a reader reads as a unit
(a heading, a paragraph, a list item, a caption, a table row, a chart's description), in reading
order, with its section (the cover, the contents, each area by its id, the colophon) and its kind
(a finding, the summary, an area for improvement, a cause of concern, a note, the notice, ...).

Left out: the print annex (it repeats the charts' data tables, already read where they stand) and the
build identity line of the colophon (the software's version and commit, not the report's words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, Tag

#: Elements whose text is one block; an element inside another of them is read with its parent.
BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "figcaption", "caption", "summary", "dt", "dd")

#: The kind of a block, from the class of the element or of the nearest ancestor that has one of these
#: (checked in this order, so a note inside a finding is a note).
_KIND_BY_CLASS = (
    ("build-identity", ""),
    ("demo-notice", "notice"),
    ("notice", "notice"),
    ("note", "note"),
    ("ungraded-note", "note"),
    ("source", "source"),
    ("measure-statement", "measure statement"),
    ("inspection-figure", "inspection figure"),
    ("grade-sentence", "grade"),
    ("grade", "grade"),
    ("cause-of-concern", "cause of concern"),
    ("area-for-improvement", "area for improvement"),
    ("finding", "finding"),
    ("summary", "summary"),
    ("area-introduction", "introduction"),
)

#: Where a sentence ends: after . ! or ? and before a capital, a quote or a bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“‘(\"'])")


@dataclass(frozen=True)
class Block:
    """One unit of text a reader sees: its section, its kind and its words (whitespace collapsed)."""

    section: str
    kind: str
    text: str


def _classes(el: Tag) -> list[str]:
    value: Any = el.get("class") or []
    return [str(v) for v in value] if isinstance(value, list) else str(value).split()


def _kind(el: Tag) -> str:
    """The block's kind: a chart's parts and headings by their element, the rest by their own or an ancestor's
    class (a finding, a note, ...), else by their element."""
    if el.name == "img":
        return "chart description"
    if el.name == "tr":
        table = el.find_parent("table")
        return "data table row" if table is not None and "figure-table" in _classes(table) else "table row"
    if el.name in ("figcaption", "caption", "summary"):
        return "caption"
    if el.name and el.name[0] == "h" and el.name[1:].isdigit():
        return "heading"
    for node in [el, *el.parents]:
        if not isinstance(node, Tag):
            continue
        classes = _classes(node)
        for cls, kind in _KIND_BY_CLASS:
            if cls in classes:
                return kind
    return {"li": "list item", "dt": "term", "dd": "definition"}.get(el.name or "", "paragraph")


def _section(el: Tag) -> str:
    """The section a block is in: an area's id, or the cover, contents or colophon."""
    for node in el.parents:
        if not isinstance(node, Tag):
            continue
        classes = _classes(node)
        if node.name == "section" and "area" in classes and node.get("id"):
            return str(node.get("id"))
        if node.name == "header" and "cover" in classes:
            return "cover"
        if node.name == "nav":
            return "contents"
        if node.name == "footer":
            return "colophon"
    return "front"


def _text(el: Any) -> str:
    return " ".join(el.get_text(" ").split())


def report_blocks(html: str) -> list[Block]:
    """Every block of text a reader sees in a report's HTML, in reading order (see the module's docstring)."""
    soup = BeautifulSoup(html, "html.parser")
    body = soup.body or soup
    for annex in body.select("section.annex"):
        annex.decompose()
    for hidden in body.select("script, style, template"):
        hidden.decompose()
    blocks: list[Block] = []
    for el in body.find_all([*BLOCK_TAGS, "img", "tr"]):
        if el.name == "img":
            text = " ".join(str(el.get("alt") or "").split())
        elif el.name == "tr":
            text = " | ".join(_text(cell) for cell in el.find_all(["th", "td"]))
        elif el.find_parent([*BLOCK_TAGS, "tr"]) is not None:
            continue
        else:
            text = _text(el)
        kind = _kind(el)
        if text and kind:
            blocks.append(Block(_section(el), kind, text))
    return blocks


def sentences(text: str) -> list[str]:
    """A block's text cut into sentences (a heading or table row is one)."""
    return [s for s in _SENTENCE_END.split(text) if s]
