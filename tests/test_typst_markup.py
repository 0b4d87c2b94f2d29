"""Tests of peel.render.typst_markup: a page's HTML as Typst markup, every piece of text escaped.

The escaping is checked where it matters, in the PDF: hostile strings are typeset by Typst and read
back with pypdf, and must come out exactly as written (nothing taken for markup or code, nothing
lost). The markup of small pages is checked for what the print edition promises: links only to
targets that exist, each image passed to the compiler with its alt text, numbers right-aligned,
header rows repeated, what print hides left out.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
import re

import pytest
from bs4 import BeautifulSoup, Comment, NavigableString
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from peel.errors import BuildError
from peel.render.pdf import render_pdf
from peel.render.typst_markup import _read_page, page_to_typst, typst_string, typst_text

HOSTILE = [
    "#set page(width: 1cm)", "#{1 + 1}", "*not bold* and _not emphasised_", "$x^2$ costs $5", "@figure-1",
    "<label> and <b>", "`raw` text", "back\\slash \\u{41}", "ends with a backslash\\", "[content] ]",
    "a // not a comment", "/* not a comment */", "= not a heading", "== nor this", "- not a list",
    "+ not an enum", "1. not numbered", "/ Term: not a term", "https://example.org/a_b*c",
    "\"straight\" and 'single' quotes", "a -- b --- c ... d", "~ no space", "x = y", "#let x = 1",
    "a\\\nb", "100% & 50 < 60 > 40", "{braces}", "(parens) ; , : ?!", "'", '"',
]


def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    return f'<!DOCTYPE html><html lang="en-GB"><head><title>t</title></head><body>{body}</body></html>'


def _lines(pdf: bytes) -> list[str]:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    # The footer's page number is the page's, not the text's.
    return [line for line in text.splitlines() if not re.fullmatch(r"Page \d+ of \d+", line)]


def test_hostile_strings_come_out_of_the_pdf_as_written():
    lines = _lines(render_pdf(_page(HOSTILE), title="Hostile"))
    assert lines == [" ".join(s.split()) for s in HOSTILE]


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=("Cc",)), min_size=1, max_size=40)
       .filter(lambda s: s.strip()))
def test_any_ascii_text_comes_out_as_written(text):
    [line] = _lines(render_pdf(_page([text]), title="Property"))
    assert line == " ".join(text.split())


@pytest.mark.parametrize("text, expected", [
    ("plain words", "plain words"),
    ("#x", "\\#x"),
    ("a  \n\t b", "a b"),
    ("a\u00a0b", "a\u00a0b"),
    ("x\x00y\x07z", "xyz"),
    ("é – ’", "é – ’"),
])
def test_typst_text_escapes_punctuation_and_collapses_space(text, expected):
    assert typst_text(text) == expected


def test_typst_string_is_a_string_literal():
    assert typst_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


def test_links_to_missing_targets_keep_only_their_words():
    page = page_to_typst(_page([]).replace(
        "<body>", '<body><h2 id="there">There</h2><p><a href="#there">to there</a> '
                  '<a href="#nowhere">to nowhere</a> <a href="https://x.org/">site</a></p>'),
        title="t")
    assert "#link(<there>)[to there]" in page.source
    assert "<nowhere>" not in page.source and "#[to nowhere]" in page.source
    assert '#link("https://x.org/")[site]' in page.source


def test_images_go_to_the_compiler_with_their_alt_text():
    png = base64.b64encode(b"\x89PNG fake").decode("ascii")
    page = page_to_typst(_page([]).replace(
        "<body>", f'<body><figure><figcaption>Figure 1: t</figcaption><img src="data:image/png;base64,{png}" '
                  'alt="A &quot;bar&quot; chart #1"></figure>'), title="t")
    assert page.images == {"image-1.png": b"\x89PNG fake"}
    assert '#image("image-1.png", alt: "A \\"bar\\" chart #1", width: 100%)' in page.source


@pytest.mark.parametrize("src", ["https://example.org/tracker.png", "file:///etc/hostname", "picture.png",
                                 "data:image/png;base64,%%%"])
def test_an_image_that_is_not_embedded_stops_the_pdf(src):
    with pytest.raises(BuildError, match="image"):
        page_to_typst(_page([]).replace("<body>", f'<body><img src="{src}" alt="x">'), title="t")


def test_tables_repeat_their_header_and_right_align_numbers():
    table = ('<table><caption>Rates</caption><thead><tr><th scope="col">Force</th><th scope="col">Rate</th></tr>'
             '</thead><tbody><tr><th scope="row">Kent</th><td class="number">1.5</td></tr></tbody></table>')
    source = page_to_typst(_page([]).replace("<body>", f"<body>{table}"), title="t").source
    assert ("#figure(kind: table, caption: [Rates], table(columns: (1fr, auto), "
            "align: (left + top, right + top,), table.header([#strong[Force]], [#strong[Rate]])") in source
    assert "[#strong[Kent]], [1\\.5]" in source
    # A number in a column of words is aligned on its own.
    mixed = table.replace("</tbody>", '<tr><th scope="row">Gwent</th><td>none</td></tr></tbody>')
    source = page_to_typst(_page([]).replace("<body>", f"<body>{mixed}"), title="t").source
    assert "align: (" not in source and "table.cell(align: right)[1\\.5]" in source


def test_a_grid_of_counts_gets_equal_columns_and_long_text_its_width():
    def source(cells: list[str]) -> str:
        row = "".join(f"<td>{c}</td>" for c in cells)
        return page_to_typst(_page([]).replace("<body>", f"<body><table><tr><th>Area</th>{row}</tr></table>"),
                             title="t").source

    assert "columns: (1.5fr, 1fr, 1fr, 1fr, 1fr)" in source(["1", "2", "3", "4"])
    assert "columns: (1fr, auto)" in source(["Good"])
    assert "columns: 2," in source(["a sentence long enough not to count as a short value at all"])


def test_what_print_hides_is_left_out():
    extra = ('<a class="skip-link" href="#main">Skip</a><details class="figure-data"><summary>Screen data</summary>'
             '<table><tr><td>42</td></tr></table></details><p>Shown</p>')
    source = page_to_typst(_page([]).replace("<body>", f"<body>{extra}"), title="t").source
    assert "Shown" in source and "Skip" not in source and "Screen" not in source and "42" not in source


def test_a_picture_prints_its_img_not_its_narrow_variant():
    png = base64.b64encode(b"\x89PNG wide").decode("ascii")
    narrow = base64.b64encode(b"\x89PNG narrow").decode("ascii")
    page = page_to_typst(_page([]).replace(
        "<body>", f'<body><figure><figcaption>Figure 1: t</figcaption><picture><source media="(max-width: 30rem)" '
                  f'srcset="data:image/png;base64,{narrow}"><img src="data:image/png;base64,{png}" alt="wide">'
                  '</picture></figure>'), title="t")
    assert page.images == {"image-1.png": b"\x89PNG wide"}
    assert "#par[#image" not in page.source  # an image in a paragraph would not be shown


@pytest.mark.parametrize("html, expected", [
    ("<p>caf&eacute; &amp; &#8211; &#150; &copy; 2024</p>", "#par[café \\& – – © 2024]"),  # as a browser reads them
    ("<p>a <!-- not shown --> b</p>", "#par[a  b]"),  # a comment goes; the words either side stay apart
    ("<p>one</span> two</p>", "#par[one two]"),  # an end tag with nothing to close is ignored
    ("<p>line<br>next<br/>last</p>", "#par[line#linebreak()next#linebreak()last]"),  # br holds nothing
])
def test_the_page_is_read_as_written(html, expected):
    source = page_to_typst(_page([]).replace("<body>", f"<body>{html}"), title="t").source
    assert source.split("\n", 2)[2] == expected + "\n"


#: Pieces of a page: the elements the sanitiser lets through, open or closed in any order, text with
#: character references, comments and void elements.
_PIECES = ["<p>", "</p>", "<p class='note'>", "<b>", "</b>", "<em>", "</em>", "<div class='area x'>", "</div>",
           "<section id='s1'>", "</section>", "<table>", "</table>", "<tr>", "</tr>", "<th scope=col>", "</th>",
           "<td class=number>", "</td>", "<ul>", "</ul>", "<li>", "</li>", "<a href='#s1'>", "</a>", "<br>",
           "<br/>", "</br>", "<img src='data:image/png;base64,AA==' alt='a &amp; b'>", "<details open>",
           "</details>", "<summary>", "</summary>", "<!-- note -->", "</span>", "text ", " more\n text ",
           "&amp;", "&lt;", "&#8211;", "&#150;", "&eacute;", "&nbsp;", "*#$", " < 2", "a<"]


def _tree(node) -> tuple:
    """A parsed page as nested tuples, from BeautifulSoup's tree or the markup's own (comments left out)."""
    if isinstance(node, str):
        return ("text", str(node))
    attrs = node.attrs
    attrs = {k: " ".join(v) if isinstance(v, list) else v for k, v in attrs.items()}
    kids = [c for c in node.children if not isinstance(c, Comment)]
    return (node.name, sorted(attrs.items()),
            tuple(_tree(str(c) if isinstance(c, NavigableString) else c) for c in kids))


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=30))
def test_the_page_is_read_as_beautifulsoup_reads_it(pieces):
    # The markup's own reader replaced BeautifulSoup's (for speed): the same tree for the same page.
    html = "".join(pieces)
    assert _tree(_read_page(html)) == _tree(BeautifulSoup(html, "html.parser"))
