"""A published page's HTML as Typst markup: the print edition of a report or of the overview.

The page is the one :mod:`peel.render.page` (or :mod:`peel.render.overview`) renders: its areas are
notebook outputs already reduced to the sanitiser's allowlist (:mod:`peel.render.policies`), so the
markup below has one rule for each element that allowlist lets through, and the PDF shows the same
words as the page, in the same order. What the print stylesheet hides is left out here too (the
skip link, the contents' grade labels, a chart's on-screen data table, which the annex repeats);
what only print shows is kept (the annex and each chart's pointer to its data there). The page is
read with the standard library's HTML parser into a small tree of its elements (:class:`_Element`),
as BeautifulSoup's ``html.parser`` builder reads it, in less than half the time.

Every piece of text passes through :func:`typst_text`, so nothing in a report (an inspector's ``#``,
``*`` or ``$``, a URL, ``=`` at the start of a line) is read as Typst markup or code. Charts go to
the compiler as files (``images``) under names made here, each with its alt text.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from peel.errors import BuildError

#: Every ASCII punctuation character. In Typst markup many of them start something (``#`` code,
#: ``*`` strong, ``_`` emphasis, ``$`` maths, ``@`` a reference, ``<`` a label, `````` raw text, ``\``
#: an escape, ``[`` ``]`` content, ``//`` a comment, ``=``, ``-``, ``+`` or ``1.`` at a line start a
#: heading or list, ``~`` a non-breaking space, ``'`` and ``"`` smart quotes, ``--`` a dash,
#: ``http://`` a link). Escaping all of them, harmless for the rest, keeps the text exactly as written.
_ESCAPE = re.compile("[" + re.escape(string.punctuation) + "]")
#: White space other than the no-break space, and control characters that are not white space.
_SPACE = re.compile(r"[^\S\u00a0]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b]")

#: Marks around an in-page link's target, and around the target of a page reference, until every label
#: is known. Control characters: :func:`typst_text` never lets one through.
_LINK, _PAGE = "\x01", "\x02"
_LINK_REF = re.compile(r"#link\(\x01([^\x01]*)\x01\)")
_PAGE_REF = re.compile(r"\x02([^\x02]*)\x02")

#: The print template: page, type, running header and footer, the styles of the report's parts.
TEMPLATE_PATH = Path(__file__).resolve().parent / "templates" / "typst" / "report.typ"


def typst_text(text: str) -> str:
    """``text`` as Typst markup that shows exactly these characters.

    Every ASCII punctuation character is escaped with a backslash and every run of white space
    (line breaks included) becomes one space, as in HTML.

    Examples
    --------
    >>> typst_text("#1 *not bold* = $5")
    '\\\\#1 \\\\*not bold\\\\* \\\\= \\\\$5'
    """
    text = _CONTROL.sub("", text)  # control characters: nothing a page shows
    # Runs of white space become one space; a no-break space is kept, as it holds two words together.
    return _ESCAPE.sub(r"\\\g<0>", _SPACE.sub(" ", text))


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal (for arguments such as alt text, labels and URLs)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


#: Elements with no content and no end tag: HTML's void elements, and the obsolete ones that browsers
#: (and BeautifulSoup's tree builder, which this module used before) treat the same way.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "menuitem",
                   "meta", "param", "source", "track", "wbr", "basefont", "bgsound", "command", "frame",
                   "image", "isindex", "nextid", "spacer"})


class _Element:
    """An element of the page: its name, attributes, classes and children (elements and text, in order).

    The page is read into these by :class:`_PageReader` rather than into a general-purpose document
    tree: the markup walks each element once, and building a BeautifulSoup tree of a report (about
    4,800 elements, two fifths of them on-screen data tables that print leaves out) was most of its cost.
    """

    __slots__ = ("attrs", "children", "classes", "name", "parent")

    def __init__(self, name: str, attrs: dict[str, str], parent: _Element | None) -> None:
        self.name = name
        self.attrs = attrs
        self.classes = attrs.get("class", "").split()
        self.children: list[_Element | str] = []
        self.parent = parent

    def get(self, key: str) -> str | None:
        return self.attrs.get(key)

    def elements(self, names: Iterable[str] | str) -> list[_Element]:
        """The child elements named ``names`` (a name or several), in order."""
        wanted = (names,) if isinstance(names, str) else tuple(names)
        return [c for c in self.children if isinstance(c, _Element) and c.name in wanted]

    def child(self, name: str) -> _Element | None:
        """The first child element named ``name``."""
        return next((c for c in self.children if isinstance(c, _Element) and c.name == name), None)

    def descendants(self) -> Iterator[_Element]:
        """Every element inside this one, in document order."""
        stack = [c for c in reversed(self.children) if isinstance(c, _Element)]
        while stack:
            el = stack.pop()
            yield el
            stack.extend(c for c in reversed(el.children) if isinstance(c, _Element))

    def find(self, match: Callable[[_Element], bool]) -> _Element | None:
        """The first element inside this one, in document order, for which ``match`` is true."""
        return next((el for el in self.descendants() if match(el)), None)

    def text(self) -> str:
        """All the text inside the element, as written."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _PageReader(HTMLParser):
    """Reads a page into :class:`_Element` s.

    As BeautifulSoup's ``html.parser`` tree builder does: an end tag closes the most recent open element
    of its name (and those opened inside it) and is ignored when none is open; character references are
    resolved; comments and declarations are dropped, and text on either side of one is kept apart.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("[document]", {}, None)
        self.open = [self.root]
        self.joins = False  # whether the next text continues the last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = _Element(tag, {k: v or "" for k, v in attrs}, self.open[-1])
        self.open[-1].children.append(el)
        if tag not in _VOID:
            self.open.append(el)
        self.joins = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(_Element(tag, {k: v or "" for k, v in attrs}, self.open[-1]))
        self.joins = False

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, 0, -1):
            if self.open[i].name == tag:
                del self.open[i:]
                break
        self.joins = False

    def handle_data(self, data: str) -> None:
        children = self.open[-1].children
        if self.joins and children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)
        self.joins = True

    def handle_comment(self, data: str) -> None:
        self.joins = False

    def handle_decl(self, decl: str) -> None:
        self.joins = False

    def handle_pi(self, data: str) -> None:
        self.joins = False

    def unknown_decl(self, data: str) -> None:
        self.joins = False


def _read_page(html: str) -> _Element:
    reader = _PageReader()
    reader.feed(html)
    reader.close()
    return reader.root


def _has_class(name: str) -> Callable[[_Element], bool]:
    return lambda el: name in el.classes


def _named(*names: str) -> Callable[[_Element], bool]:
    return lambda el: el.name in names


def _label(anchor: str) -> str:
    """A Typst label for an HTML id (``<...>`` holds letters, digits, ``-``, ``_``, ``.`` and ``:``)."""
    safe = "".join(c if c.isalnum() or c in "-_.:" else "-" for c in anchor)
    return f"<{safe}>"


#: Elements the print stylesheet hides (``report.css``, ``@media print``).
_HIDDEN_CLASSES = frozenset({"skip-link", "contents-grade", "figure-data", "overview-contents"})

_BLOCKS = frozenset({"p", "div", "section", "figure", "figcaption", "table", "ul", "ol", "dl", "h1", "h2",
                     "h3", "h4", "h5", "h6", "blockquote", "details", "summary", "header", "footer", "nav",
                     "main", "aside", "hr", "img", "picture"})


@dataclass
class PrintedPage:
    """A page as Typst markup (``source``) and the chart files it refers to (``images``: name -> PNG)."""

    source: str
    images: dict[str, bytes] = field(default_factory=dict)


@dataclass
class _Writer:
    """Turns one page's elements into Typst markup."""

    labels: set[str] = field(default_factory=set)
    images: dict[str, bytes] = field(default_factory=dict)

    # -- inline content ------------------------------------------------------------------
    def inline(self, nodes: Iterable[object]) -> str:
        return "".join(self.inline_node(n) for n in nodes)

    def inline_node(self, node: object) -> str:
        if isinstance(node, str):
            return typst_text(node)
        if not isinstance(node, _Element) or self.hidden(node):
            return ""
        name = node.name
        inner = self.inline(node.children)
        if name in ("strong", "b"):
            return f"#strong[{inner}]"
        if name in ("em", "i", "cite", "dfn"):
            return f"#emph[{inner}]"
        if name == "br":
            return "#linebreak()"
        if name == "sup":
            return f"#super[{inner}]"
        if name == "sub":
            return f"#sub[{inner}]"
        if name in ("del", "s"):
            return f"#strike[{inner}]"
        if name in ("ins", "u"):
            return f"#underline[{inner}]"
        if name == "mark":
            return f"#highlight[{inner}]"
        if name == "small":
            return f"#text(size: 0.85em)[{inner}]"
        if name == "code":
            return f"#raw({typst_string(node.text())})"
        if name == "q":
            return f"“{inner}”"
        if name == "a":
            return self.link(node, inner)
        if name in _BLOCKS:
            return self.block(node)
        return inner  # span, abbr, time: their text

    def link(self, node: _Element, inner: str) -> str:
        href = str(node.get("href") or "")
        if href.startswith("#"):
            target = href[1:]
            # Resolved by _resolve_links once every label is known (a link may come before its target).
            link = f"#link({_LINK}{target}{_LINK})[{inner}]"
            if isinstance(node.parent, _Element) and "figure-data-ref" in node.parent.classes:
                # "data for figure N, page P": the annex entry's page, found when the document is laid out.
                link += f"{_PAGE}{target}{_PAGE}"
            return link
        if href.startswith(("https://", "http://", "mailto:")):
            # As the print stylesheet does: the address after the words, for a reader of paper.
            shown = href.removeprefix("mailto:")
            return f"#link({typst_string(href)})[{inner}]" + (
                "" if node.text().strip() == shown else typst_text(f" ({shown})"))
        return inner

    def image(self, node: _Element) -> str:
        src = str(node.get("src") or "")
        alt = str(node.get("alt") or "")
        head, _, data = src.partition(",")
        if not head.startswith("data:image/") or not head.endswith(";base64"):
            raise BuildError(f"an image of the page is not an embedded image (data URI): {src[:60]!r}")
        kind = head.removeprefix("data:image/").removesuffix(";base64")
        if kind not in ("png", "jpeg", "gif", "svg+xml", "webp"):
            raise BuildError(f"an image of the page has a type the PDF cannot show: image/{kind}")
        try:
            body = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as e:
            raise BuildError(f"an image of the page is not valid base64 ({e})") from e
        name = f"image-{len(self.images) + 1}.{ {'svg+xml': 'svg', 'jpeg': 'jpg'}.get(kind, kind) }"
        self.images[name] = body
        return f"#image({typst_string(name)}, alt: {typst_string(alt)}, width: 100%)"

    # -- blocks --------------------------------------------------------------------------
    def hidden(self, el: _Element) -> bool:
        return any(c in _HIDDEN_CLASSES for c in el.classes) or el.get("aria-hidden") == "true"

    def blocks(self, nodes: Iterable[object]) -> str:
        """Block-level children as paragraphs; loose inline content is gathered into a paragraph."""
        out: list[str] = []
        run: list[object] = []

        def flush() -> None:
            text = self.inline(run).strip()
            if text:
                out.append(f"#par[{text}]")
            run.clear()

        for node in nodes:
            if isinstance(node, _Element) and node.name in _BLOCKS:
                flush()
                if not self.hidden(node):
                    made = self.block(node)
                    if made:
                        out.append(made)
            else:
                run.append(node)
        flush()
        return "\n".join(out)

    def labelled(self, el: _Element, markup: str) -> str:
        anchor = el.get("id")
        if not anchor or not markup:
            return markup
        self.labels.add(str(anchor))
        return f"{markup} {_label(str(anchor))}"

    def resolve_links(self, markup: str) -> str:
        """In-page links to their labels; a link whose target has no label keeps only its words."""

        def link(m: re.Match[str]) -> str:
            return f"#link({_label(m.group(1))})" if m.group(1) in self.labels else "#"

        def page(m: re.Match[str]) -> str:
            if m.group(1) not in self.labels:
                return ""
            return typst_text(", page ") + f"#context counter(page).at({_label(m.group(1))}).first()"

        return _PAGE_REF.sub(page, _LINK_REF.sub(link, markup))

    def block(self, el: _Element) -> str:
        name, cls = el.name, el.classes
        if self.hidden(el):
            return ""
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return self.heading(el)
        if name == "p":
            style = next((c for c in cls if c in _PARAGRAPH_STYLES), None)
            inner = self.inline(el.children).strip()
            if not inner:
                return ""
            if style is not None:
                return self.labelled(el, f"#{_PARAGRAPH_STYLES[style]}[{inner}]")
            if "grade" in cls:
                grade = next((c.removeprefix("grade-") for c in cls if c.startswith("grade-")), "")
                return self.labelled(el, f"#peel-grade({typst_string(grade)})[{inner}]")
            return self.labelled(el, f"#par[{inner}]")
        if name in ("ul", "ol"):
            items = [f"[{self.blocks(li.children)}]" for li in el.elements("li")
                     if not self.hidden(li)]
            if not items:
                return ""
            if name == "ol":
                start = str(el.get("start") or "1")
                start_arg = f"start: {int(start)}, " if start.isdigit() else ""
                return self.labelled(el, f"#enum({start_arg}{', '.join(items)})")
            return self.labelled(el, f"#list({', '.join(items)})")
        if name == "dl":
            pairs, term = [], None
            for child in el.elements(("dt", "dd")):
                if child.name == "dt":
                    term = self.inline(child.children).strip()
                elif term is not None:
                    pairs.append(f"terms.item[{term}][{self.inline(child.children).strip()}]")
                    term = None
            return f"#terms({', '.join(pairs)})" if pairs else ""
        if name == "img":
            return self.image(el)  # a block of its own: inside a paragraph Typst would not show it
        if name == "table":
            return self.table(el)
        if name == "figure":
            return self.figure(el)
        if name == "hr":
            return "#line(length: 100%, stroke: 0.5pt + luma(70%))"
        if name == "blockquote":
            return f"#quote(block: true)[{self.blocks(el.children)}]"
        if name == "details":
            summary = el.child("summary")
            head = f"#peel-summary[{self.inline(summary.children).strip()}]\n" if summary is not None else ""
            rest = [c for c in el.children if c is not summary]
            return head + self.blocks(rest)
        if name == "summary":
            return f"#peel-summary[{self.inline(el.children).strip()}]"
        # Containers: section, div, main, header, footer, nav, aside, figcaption, picture (its img is the
        # print edition's chart; a narrow variant in a source element is for screens).
        inner = self.blocks(el.children)
        if not inner:
            return ""
        style = next((c for c in cls if c in _BLOCK_STYLES), None)
        if name == "nav" and "contents" in cls:
            heading = el.find(_named("h2", "h3"))
            title = self.inline(heading.children).strip() if heading is not None else typst_text("Contents")
            return f"#peel-contents[{title}]"
        if el.get("id"):
            # An anchor at the container's start, inside it: after any page break the container makes.
            inner = self.labelled(el, "#metadata(none)") + "\n" + inner
        if style is not None:
            return f"#{_BLOCK_STYLES[style]}[\n{inner}\n]"
        return inner

    def heading(self, el: _Element) -> str:
        level = int(el.name[1])
        inner = self.inline(el.children).strip()
        if "report-title" in el.classes:
            # The cover's title, subtitle and force: one heading, three lines in three sizes.
            lines = [f"#peel-cover-line({typst_string(next(iter(c.classes), ''))})[{self.inline(c.children).strip()}]"
                     for c in el.children if isinstance(c, _Element)]
            return f"#peel-title[{''.join(lines) or inner}]"
        if not inner:
            return ""
        if level == 1:
            return f"#peel-page-title[{inner}]"
        # The HTML's levels: h2 for an area (and the contents and the annex), h3 for a finding...
        return self.labelled(el, f"#heading(level: {level})[{inner}]")

    def table(self, el: _Element) -> str:
        caption = el.child("caption")
        rows: list[tuple[bool, _Element]] = []
        for part in el.children:
            if not isinstance(part, _Element):
                continue
            if part.name == "tr":
                rows.append((False, part))
            elif part.name in ("thead", "tbody", "tfoot"):
                rows.extend((part.name == "thead", tr) for tr in part.elements("tr"))
        columns = max((sum(int(str(c.get("colspan") or 1)) if str(c.get("colspan") or 1).isdigit() else 1
                           for c in tr.elements(("th", "td"))) for _, tr in rows), default=1)
        right = self.right_columns(rows)
        head = [self.row(tr, right) for is_head, tr in rows if is_head]
        body = [self.row(tr, right) for is_head, tr in rows if not is_head]
        aligns = ", ".join("right + top" if c in right else "left + top" for c in range(columns))
        align = f"align: ({aligns},), " if right else ""
        header = f"table.header({', '.join(c for r in head for c in r)}),\n" if head else ""
        cells = ",\n".join(", ".join(r) for r in body if r)
        table = f"table(columns: {self.column_widths(rows, columns)}, {align}{header}{cells})"
        if caption is not None and caption.text().strip():
            return self.labelled(el, f"#figure(kind: table, caption: [{self.inline(caption.children).strip()}], "
                                     f"{table})")
        return self.labelled(el, f"#{table}")

    @staticmethod
    def column_widths(rows: list[tuple[bool, _Element]], columns: int) -> str:
        """``(1fr, auto, ...)`` when the columns after the first hold only short values (numbers, grades):
        the first column (a force, an area) takes the rest of the line; ``(1.5fr, 1fr, ...)`` when there
        are more than three such columns. Otherwise every column is sized to its content."""
        longest = 0
        for _, tr in rows:
            for cell in tr.elements(("th", "td"))[1:]:
                longest = max(longest, len(" ".join(cell.text().split())))
        if columns > 3 and longest <= SHORT_CELL:  # a grid of counts: their headings wrap in equal columns
            return "(1.5fr, " + ", ".join(["1fr"] * (columns - 1)) + ")"
        if columns > 1 and longest <= SHORT_CELL:
            return "(1fr, " + ", ".join(["auto"] * (columns - 1)) + ")"
        return str(columns)

    def row(self, tr: _Element, right: frozenset[int]) -> list[str]:
        """A row's cells. ``right``: the columns the table right-aligns (its numbers)."""
        cells = []
        shaded = "this-force" in tr.classes or "england-and-wales" in tr.classes
        for column, cell in enumerate(tr.elements(("th", "td"))):
            args = []
            for attr in ("colspan", "rowspan"):
                value = str(cell.get(attr) or "")
                if value.isdigit() and int(value) > 1:
                    args.append(f"{attr}: {int(value)}")
            if "number" in cell.classes and column not in right:
                args.append("align: right")
            if shaded:
                args.append("fill: luma(94%)")
            # A cell of words and numbers only is set as it is, without a paragraph around it.
            inline = not any(isinstance(c, _Element) and c.name in _BLOCKS for c in cell.children)
            content = self.inline(cell.children).strip() if inline else self.blocks(cell.children)
            # A header cell is bold. In the header row it is tagged TH (a column header); a row header
            # is tagged TD (see peel.render.pdf).
            content = f"#strong[{content}]" if cell.name == "th" and content else content
            # Most cells need no arguments: plain content is the cheapest cell for Typst to lay out.
            cells.append(f"table.cell({', '.join(args)})[{content}]" if args else f"[{content}]")
        return cells

    @staticmethod
    def right_columns(rows: list[tuple[bool, _Element]]) -> frozenset[int]:
        """The columns whose body cells with a value are all numbers (``class="number"``)."""
        numbers: dict[int, bool] = {}
        for is_head, tr in rows:
            if is_head:
                continue
            for column, cell in enumerate(tr.elements(("th", "td"))):
                if cell.get("colspan") or not cell.text().strip():
                    continue
                numbers[column] = numbers.get(column, True) and "number" in cell.classes
        return frozenset(c for c, all_numbers in numbers.items() if all_numbers)

    def figure(self, el: _Element) -> str:
        caption = el.child("figcaption")
        rest = [c for c in el.children if c is not caption]
        body = self.blocks(rest)
        if caption is None:
            return body
        return self.labelled(el, f"#peel-figure(caption: [{self.inline(caption.children).strip()}])[\n{body}\n]")


#: The most characters a cell after the first may hold for the first column to take the rest of the line.
SHORT_CELL = 32

#: ``<p class="...">`` -> the template function that sets it.
_PARAGRAPH_STYLES = {
    "source": "peel-source", "note": "peel-note", "cover-inspectorate": "peel-inspectorate",
    "demo-notice-label": "peel-notice-label", "build-identity": "peel-small", "attribution": "peel-small",
    "inspection-figure": "peel-inspection-figure",
}

#: ``<div class="...">`` and other containers -> the template function that frames them.
_BLOCK_STYLES = {
    "demo-notice": "peel-notice", "demo-banner": "peel-notice", "draft-notice": "peel-notice",
    "cover": "peel-cover", "area": "peel-area", "annex": "peel-annex", "colophon": "peel-colophon",
    "annex-table": "peel-annex-table", "cause-of-concern": "peel-concern",
    "area-for-improvement": "peel-improvement", "overview-grades": "peel-area",
    "overview-measure": "peel-area",
}


def _running_text(soup: _Element) -> dict[str, str]:
    """The running header's and footer's words, from the same elements the print stylesheet takes them."""

    def text(el: _Element | None) -> str:
        return " ".join(el.text().split()) if el is not None else ""

    notice = soup.find(_has_class("demo-notice-text"))
    cover = soup.find(_has_class("cover"))
    draft = cover.find(_has_class("draft-notice")) if cover is not None else None
    main = soup.find(_named("main"))
    title = main.find(_named("h1")) if main is not None else None
    return {
        "force": text(soup.find(_has_class("cover-force-name"))) or text(title),
        "inspection": text(soup.find(_has_class("cover-inspection-name"))),
        "notice": str(notice.get("data-page-notice") or "") if notice is not None else "",
        "draft": "Draft: not published" if draft is not None else "",
    }


def _typst_date(text: str) -> str:
    """A publication date (``2024-08-09``, ``2024-08`` or ``2024``) as a Typst ``datetime``; ``none`` if not one."""
    parts = text.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return "none"
    year, month, day = (int(p) for p in [*parts, "1", "1"][:3])
    return f"datetime(year: {year}, month: {month}, day: {day})"


def page_to_typst(html: str, *, title: str, lang: str = "en-GB") -> PrintedPage:
    """The Typst document of a published page (a force report or the overview).

    Raises
    ------
    BuildError
        When an image is not an embedded PNG, JPEG, GIF, SVG or WebP.
    """
    soup = _read_page(html)
    body = soup.find(_named("body")) or soup
    writer = _Writer()
    content = writer.resolve_links(writer.blocks(body.children))
    running = _running_text(soup)
    created = soup.find(lambda el: el.name == "meta" and el.get("name") == "dcterms.created")
    date = _typst_date(str(created.get("content") or "")) if created is not None else "none"
    language, _, region = lang.partition("-")
    head = "\n".join([
        '#import "report.typ": *',
        f"#show: peel-report.with(title: {typst_string(title)}, lang: {typst_string(language.lower())}, "
        f"region: {typst_string(region.lower()) if region else 'none'}, "
        f"force: {typst_string(running['force'])}, inspection: {typst_string(running['inspection'])}, "
        f"notice: {typst_string(running['notice'])}, draft: {typst_string(running['draft'])}, date: {date})",
    ])
    return PrintedPage(head + "\n" + content + "\n", writer.images)
