"""Inspectors' Markdown is rendered safely: no script, handlers, frames, forms or javascript: links."""

from __future__ import annotations

import re

import pytest

from peel.analysis.markup import render_markdown

PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='https://example.org'></iframe>",
    "<form action='https://example.org'><input name=a><button>Go</button></form>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "<a href='javascript:alert(1)'>click</a>",
    "<div onclick='alert(1)' style='color:red'>text</div>",
    "<style>body{display:none}</style>",
    "<svg onload=alert(1)><circle/></svg>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_content_is_removed(payload):
    html = render_markdown(f"Before {payload} after.\n\n{payload}\n")
    lower = html.lower()
    for bad in ("<script", "<iframe", "<form", "<input", "<button", "<style", "<svg", "javascript:", "onerror",
                "onclick", "onload", "style=", "data:text"):
        assert bad not in lower, (payload, html)
    assert "alert(" not in lower or "<" not in payload  # script bodies are dropped, not shown as text
    assert "Before" in html and "after." in html


def test_allowed_markup_survives():
    html = render_markdown("Some *emphasis*, **strong**, `code` and a [link](https://example.org/x).\n\n"
                           "- one\n- two\n\n1. first\n\n> quoted\n\n[mail](mailto:someone@example.org)")
    for tag in ("<em>", "<strong>", "<code>", "<ul>", "<ol>", "<li>", "<blockquote>"):
        assert tag in html
    assert 'href="https://example.org/x"' in html and 'href="mailto:someone@example.org"' in html


def test_headings_are_shifted_below_the_report_headings():
    html = render_markdown("# One\n\n## Two\n\n### Three\n\nText")
    levels = [int(x) for x in re.findall(r"<h([1-6])>", html)]
    assert levels == [4, 5, 6]
    assert min(levels) >= 4
    # Inside a cause of concern (whose heading is an h4), headings start at h5.
    assert "<h5>One</h5>" in render_markdown("# One", heading_level=5)


def test_empty_text_gives_nothing():
    assert render_markdown(None) == "" and render_markdown("  \n") == ""
