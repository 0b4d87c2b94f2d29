"""Inspectors' Markdown made safe to publish.

Findings, causes of concern and the summary are typed by many people and end up in reports that are
shared widely, so their Markdown is rendered with markdown-it-py and then passed through the ``nh3``
sanitiser with a short allow-list. Whatever the text contains (raw HTML, ``<script>``, event handlers,
``javascript:`` links, iframes, forms), only the allowed elements and attributes reach the report.

Headings typed in the Markdown are shifted down so that they sit below the report's own headings
(``h2`` for an area, ``h3`` for a finding): a ``# Heading`` in a finding becomes an ``h4``.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

#: Elements a finding may contain. Headings start at h4: h1-h3 belong to the report's structure.
ALLOWED_TAGS = frozenset({
    "p", "ul", "ol", "li", "em", "strong", "a", "blockquote", "code", "br", "h4", "h5", "h6",
})

#: Attributes per element; links keep only their address (rel is added by the sanitiser).
ALLOWED_ATTRIBUTES = {"a": {"href"}}

#: Link schemes that cannot run code or load anything on their own.
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

#: The deepest heading level HTML has; deeper Markdown headings are clamped to it.
_DEEPEST = 6

# CommonMark with raw HTML passed through to the sanitiser, which removes it (tags and, for script
# and style, their content). Escaping it instead would print the payload as visible text, which reads
# as a broken report. Link addresses are not filtered here either: the sanitiser drops any href whose
# scheme is not allowed, leaving the link text, so "javascript:" never appears in a report.
_MD = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_MD.validateLink = lambda url: True  # type: ignore[method-assign]

_DEAD_LINK_RE = re.compile(r"<a(?:\s+rel=\"[^\"]*\")?>(.*?)</a>", re.DOTALL)
_EMPTY_P_RE = re.compile(r"<p>\s*</p>")
_HEADING_RE = re.compile(r"<(/?)h([1-6])(\s[^>]*)?>")


def _shift_headings(rendered: str, top_level: int) -> str:
    """Shift ``h1..h6`` so that ``h1`` becomes ``h{top_level}`` (clamped at ``h6``)."""

    def repl(m: re.Match[str]) -> str:
        level = min(_DEEPEST, int(m.group(2)) + top_level - 1)
        # Only the tag's level changes: the slash and the attributes are the match's own text.
        return m.expand(r"<\1h" + str(level) + r"\3>")

    return _HEADING_RE.sub(repl, rendered)


def render_markdown(text: str | None, heading_level: int = 4) -> str:
    """Render inspectors' Markdown to safe HTML.

    Parameters
    ----------
    text
        Markdown typed in the inspection inputs; ``None`` or blank gives an empty string.
    heading_level
        The level a Markdown ``#`` heading becomes (4 inside a finding, whose own heading is an h3).
        Levels below 4 are raised to 4 so a finding can never add an area-level heading.

    Returns
    -------
    str
        HTML containing only p, ul, ol, li, em, strong, a (http, https and mailto links only),
        blockquote, code, br and h4-h6.
    """
    if text is None or not str(text).strip():
        return ""
    rendered = _MD.render(str(text))
    rendered = _shift_headings(rendered, max(4, heading_level))
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        # Script and style content is dropped entirely, not kept as visible text.
        clean_content_tags={"script", "style", "iframe", "noscript", "object", "embed", "template",
                            "textarea", "select", "svg", "math"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # A link whose address was refused keeps its text but is no longer a link; empty paragraphs left
    # behind by removed elements are dropped.
    cleaned = _DEAD_LINK_RE.sub(r"\1", cleaned)
    cleaned = _EMPTY_P_RE.sub("", cleaned)
    return cleaned.strip()


def slug(text: str) -> str:
    """Lower-case words joined by hyphens, for ids and classes ("Requires improvement" -> "requires-improvement")."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
