"""Tests of peel.render.page: executed notebooks in, one self-contained, accessible HTML report out.

The notebooks here are synthetic (built with nbformat) but shaped like the real ones: HTML outputs
with the area heading, a grade, findings, SVG charts with their data tables and figure references,
plus the things that must never reach a report (code, a stderr stream, a text/plain-only result, a
Markdown cell, an error).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from peel.errors import BuildError
from peel.inputs.forces import all_forces
from peel.render.page import AreaEntry, ReportContext, render_report, report_css, report_exporter
from peel.render.policies import sanitize_output

REPO = Path(__file__).resolve().parents[1]

NOTICE = "The figures and findings in this report are invented for demonstration. They describe no real police force."
SECRET_CODE = "secret_source_code_marker = 1"
STDERR_TEXT = "STDERR-LEAK: a warning from a library"
STDOUT_TEXT = "STDOUT-LEAK: printed by a cell"
PLAIN_TEXT = "PLAIN-ONLY-LEAK"
MARKDOWN_TEXT = "MARKDOWN-CELL-LEAK"
ERROR_TEXT = "ERROR-LEAK"

GRADES = ["Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate"]

PARAGRAPH = (
    "During our inspection we reviewed a sample of records and spoke to officers, staff and "
    "partner organisations. The force has made progress since our last inspection, but it needs "
    "to make sure that improvements are consistent across all its local policing areas and that "
    "supervisors check the quality of the work."
)


def report_areas() -> list[dict]:
    """The areas of the real report structure (notebooks/report.yaml), in report order."""
    return yaml.safe_load((REPO / "notebooks" / "report.yaml").read_text(encoding="utf-8"))["areas"]


def svg_chart(values: list[float], highlight: int) -> str:
    """A small deterministic all-forces bar chart as an SVG data URI."""
    width, height = 640, 300
    top = max(values)
    bars = []
    step = width / len(values)
    for i, v in enumerate(values):
        h = v / top * (height - 40)
        fill = "#1d2d5c" if i == highlight else "#8aa1c8"
        bars.append(f'<rect x="{i * step + 2:.1f}" y="{height - 20 - h:.1f}" width="{step - 4:.1f}" '
                    f'height="{h:.1f}" fill="{fill}"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#fff"/>'
           f'<line x1="0" x2="{width}" y1="{height - 20}" y2="{height - 20}" stroke="#0b0c0c"/>'
           + "".join(bars) + "</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def figure_html(area_id: str, local_number: int, measure: str, seed: int) -> str:
    forces = all_forces()
    values = [round(10 + ((i * 37 + seed * 11) % 29) + (i % 7) * 0.3, 1) for i in range(len(forces))]
    rows = "".join(
        f'<tr><th scope="row">{f.name}</th><td class="number">{v:.1f}</td></tr>'
        for f, v in zip(forces, values, strict=True)
    )
    return (
        f'<figure class="chart" id="figure-{measure}">'
        f'<figcaption><span class="figure-number">Figure {local_number}</span>: Rate of {measure.replace("_", " ")} '
        f"per 1,000 population across all forces in England and Wales in the year ending 31 March 2023</figcaption>"
        f'<img src="{svg_chart(values, seed % len(values))}" alt="Bar chart: the force\'s rate of '
        f'{measure.replace("_", " ")} is higher than expected compared with other forces.">'
        '<p class="source">Source: Data collection and analysis from the inspectorate</p>'
        '<details class="figure-data"><summary>Show the data for this figure</summary>'
        f'<table><caption>Rate of {measure.replace("_", " ")} per 1,000 population by force</caption>'
        '<thead><tr><th scope="col">Force</th><th scope="col" class="number">Rate per 1,000</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details></figure>"
    )


def output(html: str, marked: bool = True) -> dict:
    """A display of HTML; ``marked`` as peel.analysis.present marks it (the report-content contract)."""
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML object>"},
                                  metadata={"peel": {"report": True}} if marked else {})


def area_notebook(area: dict, index: int, figures: int, grade: str | None,
                  demonstration: bool = True) -> nbformat.NotebookNode:
    """An executed notebook for one area, as the build hands it over."""
    aid = area["id"]
    cells = [
        nbformat.v4.new_markdown_cell(f"# {MARKDOWN_TEXT}\nNotes for notebook authors."),
        nbformat.v4.new_code_cell(source=SECRET_CODE, execution_count=1, outputs=[
            nbformat.v4.new_output("stream", name="stderr", text=STDERR_TEXT + "\n"),
            nbformat.v4.new_output("stream", name="stdout", text=STDOUT_TEXT + "\n"),
            nbformat.v4.new_output("execute_result", data={"text/plain": PLAIN_TEXT}, execution_count=1),
        ]),
    ]
    head = f'<h2 class="area-title" id="{aid}-title">{area["title"]}</h2>'
    if grade:
        head += f'<p class="grade grade-{grade.lower().replace(" ", "-")}">{grade}</p>'
    if demonstration:
        head += ('<div class="demo-banner" role="note"><p>Demonstration data: these findings are '
                 'invented.</p></div>')
    if aid == "overview":
        rows = "".join(
            f'<tr><th scope="row">{a["title"]}</th>'
            f'<td class="grade grade-{GRADES[i % 5].lower().replace(" ", "-")}">{GRADES[i % 5]}</td></tr>'
            for i, a in enumerate(report_areas()) if a.get("graded")
        )
        head += ('<h3>Our judgments</h3><table class="judgments"><caption>Our graded judgments</caption>'
                 '<thead><tr><th scope="col">Area</th><th scope="col">Grade</th></tr></thead>'
                 f"<tbody>{rows}</tbody></table>")
    outs = [output(head)]
    for k in range(1, figures + 1):
        measure = f"{aid}_measure_{k}"
        outs.append(output(
            f"<h3>Finding {k} of the area {area['title'].lower()}</h3><p>{PARAGRAPH}</p>"
            f'<p>As <span class="figure-ref">figure {k}</span> shows, the force is higher than expected.</p>'
            + figure_html(aid, k, measure, seed=index * 3 + k)
            + f"<h4>What the force should do</h4><p>{PARAGRAPH}</p>"
        ))
    outs.append(output(f"<h3>Other findings</h3><p>{PARAGRAPH}</p><ul><li>One point.</li><li>Another.</li></ul>"))
    cells.append(nbformat.v4.new_code_cell(source="display(area_html)", execution_count=2, outputs=outs))
    cells.append(nbformat.v4.new_code_cell(source="1/0", execution_count=3, outputs=[
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue=ERROR_TEXT, traceback=[ERROR_TEXT]),
    ]))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["peel"] = {"area_id": aid, "title": area["title"], "graded": bool(area.get("graded"))}
    return nb


def synthetic_report(demonstration: bool = True, draft: bool = False,
                     published: str | None = "2024-08-09") -> tuple[list[nbformat.NotebookNode], ReportContext]:
    """Twelve executed area notebooks and their context: a whole force report."""
    spec = report_areas()
    notebooks, entries = [], []
    for i, area in enumerate(spec):
        grade = GRADES[i % 5] if area.get("graded") else None
        figures = 0 if area["id"] in ("overview", "about_the_data") else 1 + (i % 2)
        notebooks.append(area_notebook(area, i, figures, grade, demonstration))
        entries.append(AreaEntry(area["id"], area["title"], grade))
    context = ReportContext(
        force_id="metropolitan",
        force_name="Metropolitan Police Service",
        inspection_name="PEEL 2023–2025",
        report_title="PEEL 2023–2025",
        report_subtitle="Police effectiveness, efficiency and legitimacy",
        inspectorate="His Majesty's Inspectorate of Constabulary and Fire & Rescue Services",
        areas=tuple(entries),
        published=published,
        draft=draft,
        demonstration_notice=NOTICE if demonstration else None,
        version="0.1.0",
        commit="0123456789ab",
    )
    return notebooks, context


class Page(HTMLParser):
    """Collects what the tests look at: tags with attributes, headings, ids, text, styles."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self.ids: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self._level = 0
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._level = [], int(tag[1])
        if tag == "style":
            self._in_style = True
            self.styles.append("")

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._level, " ".join("".join(self._heading).split())))
            self._heading = None
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles[-1] += data
            return
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def report() -> tuple[str, list[nbformat.NotebookNode], ReportContext]:
    notebooks, context = synthetic_report()
    return render_report(notebooks, context), notebooks, context


def test_no_code_prompts_streams_or_plain_text(report):
    html, _, _ = report
    for leak in (SECRET_CODE, "secret_source_code_marker", STDERR_TEXT, STDOUT_TEXT, PLAIN_TEXT,
                 MARKDOWN_TEXT, ERROR_TEXT, "display(area_html)", "In&nbsp;[", "In [", "Out[",
                 "&lt;HTML object&gt;", "ZeroDivisionError"):
        assert leak not in html, leak
    assert "jp-" not in html and "prompt" not in html


def test_no_script_and_no_external_reference(report):
    html, _, _ = report
    page = Page(html)
    assert not any(tag == "script" for tag, _ in page.tags)
    assert "<script" not in html.lower()
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "poster", "data", "action", "background"):
            if name not in attrs:
                continue
            value = attrs[name]
            if tag == "img" and name == "src":
                assert value.startswith("data:image/"), value[:60]
            elif tag == "a" and name == "href":
                assert value.startswith("#") or (value.startswith("https://") and tag == "a"), value
            else:
                pytest.fail(f"<{tag} {name}={value[:60]!r}> refers outside the page")
        assert tag not in ("link", "iframe", "object", "embed", "base", "form"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
    css = "".join(page.styles)
    assert "@import" not in css and "@font-face" not in css
    for url in re.findall(r"url\(([^)]*)\)", css):
        assert url.strip("'\" ").startswith("data:"), url
    assert "mathjax" not in html.lower() and "require.js" not in html.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", html.replace('href="https://', 'href="X'))


def test_content_security_policy_pins_the_style(report):
    html, _, _ = report
    page = Page(html)
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
    assert len(metas) == 1
    policy = dict(
        (d.split()[0], d.split()[1:]) for d in (p.strip() for p in metas[0]["content"].split(";")) if d
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"]
    assert len(page.styles) == 1, "exactly one style element, the one the policy pins"
    digest = base64.b64encode(hashlib.sha256(page.styles[0].encode("utf-8")).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    # the policy comes before the style it governs
    assert html.index("Content-Security-Policy") < html.index("<style>")


def test_document_language_title_and_landmarks(report):
    html, _, context = report
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en-GB\">")
    page = Page(html)
    tags = [t for t, _ in page.tags]
    assert tags.count("main") == 1 and tags.count("nav") == 1
    assert any(t == "header" for t in tags) and any(t == "footer" for t in tags)
    assert "<title>PEEL 2023–2025: Metropolitan Police Service</title>" in html
    skip = [a for t, a in page.tags if t == "a" and "skip-link" in a.get("class", "")]
    assert skip and skip[0]["href"] == "#main" and "main" in page.ids
    # the skip link is the first thing in the body
    assert page.tags[[t for t, _ in page.tags].index("body") + 1][1].get("class") == "skip-link"


def test_one_h1_and_no_gaps_in_heading_order(report):
    html, _, _ = report
    page = Page(html)
    levels = [lvl for lvl, _ in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, (before, after)
    assert page.headings[0][1].startswith("PEEL 2023–2025")
    assert "Metropolitan Police Service" in page.headings[0][1]


def test_every_area_is_a_labelled_section_in_order(report):
    html, notebooks, context = report
    page = Page(html)
    sections = [a for t, a in page.tags if t == "section" and "area" in a.get("class", "").split()]
    assert [s["id"] for s in sections] == [a.id for a in context.areas]
    for s in sections:
        assert s["aria-labelledby"] == f"{s['id']}-title"
        assert f"{s['id']}-title" in page.ids
    area_h2 = [text for lvl, text in page.headings if lvl == 2]
    for area in context.areas:
        assert area.title in area_h2


def test_contents_links_resolve_to_sections(report):
    html, _, context = report
    nav = html[html.index("<nav"):html.index("</nav>")]
    hrefs = re.findall(r'href="#([^"]+)"', nav)
    area_ids = [a.id for a in context.areas]
    assert hrefs[: len(area_ids)] == area_ids
    ids = Page(html).ids
    for h in hrefs:
        assert ids.count(h) == 1, h
    # graded areas show their grade as text beside the link
    for area in context.areas:
        if area.grade:
            grade = rf'<span class="contents-grade grade-[a-z-]+">{area.grade}<'
            assert re.search(rf'href="#{area.id}">[^<]+</a> {grade}', nav)


def test_all_links_resolve_and_ids_are_unique(report):
    html, _, _ = report
    page = Page(html)
    assert len(page.ids) == len(set(page.ids)), [i for i in page.ids if page.ids.count(i) > 1][:5]
    for tag, attrs in page.tags:
        if tag == "a" and attrs.get("href", "").startswith("#"):
            assert attrs["href"][1:] in page.ids, attrs["href"]
        for ref in ("aria-labelledby", "aria-describedby"):
            for token in attrs.get(ref, "").split():
                assert token in page.ids, token


def test_figures_are_numbered_across_the_report(report):
    html, notebooks, _ = report
    numbers = [int(n) for n in re.findall(r'<span class="figure-number">Figure (\d+)</span>', html)]
    expected_total = sum(
        len(re.findall(r'class="figure-number"', o["data"]["text/html"]))
        for nb in notebooks for c in nb.cells if c.cell_type == "code"
        for o in c.outputs if o.output_type == "display_data"
    )
    assert expected_total > 5
    assert numbers == list(range(1, expected_total + 1))
    # each reference names the figure of its own finding: the one that follows it
    for m in re.finditer(r'<span class="figure-ref">figure (\d+)</span>', html):
        following = re.search(r'<span class="figure-number">Figure (\d+)</span>', html[m.end():])
        assert following and following.group(1) == m.group(1)
    refs = [int(n) for n in re.findall(r'<span class="figure-ref">figure (\d+)</span>', html)]
    assert refs == numbers


def test_figure_data_in_print_annex(report):
    html, _, _ = report
    numbers = re.findall(r'<span class="figure-number">Figure (\d+)</span>', html)
    annex = html[html.index('<section class="annex print-only" id="figure-data"'):]
    assert len(re.findall(r'<div class="annex-table" id="data-figure-\d+">', annex)) == len(numbers)
    # every figure points to its table in the annex; the annex repeats the caption and the data
    for n in numbers:
        assert f'data for figure {n}</a>' in html
    assert annex.count("<table") == len(numbers)
    assert "Dyfed-Powys Police" in annex
    css, _ = report_css()
    assert re.search(r"@media print\s*{[^@]*details\.figure-data\s*{\s*display:\s*none", css)
    assert re.search(r"@media screen\s*{[^@]*\.print-only\s*{\s*display:\s*none", css)


def _without_ids(html: str) -> str:
    """``html`` printed again by an independent parse, with every id and headers attribute dropped and
    the figure number's class renamed: what the annex must hold."""
    soup = BeautifulSoup(html, "html.parser")
    for node in soup.find_all(True):
        for name in ("id", "headers"):
            node.attrs.pop(name, None)
        if node.name == "span" and node.get("class") == ["figure-number"]:
            node["class"] = "annex-figure-number"
    return str(soup)


def test_annex_tables_and_captions_are_the_figures_without_ids(report):
    html, _, _ = report
    page = BeautifulSoup(html, "html.parser")
    charts = [f for f in page.find_all("figure") if "chart" in (f.get("class") or [])]
    shown = [(f.find("figcaption"), f.find("details", class_="figure-data").find("table")) for f in charts]
    annex = page.find("section", id="figure-data")
    copies = annex.find_all("div", class_="annex-table")
    assert len(copies) == len(shown) > 5
    for (caption, table), copy in zip(shown, copies, strict=True):
        assert str(copy.find("table")) == _without_ids(str(table))
        assert copy.find(headers=True) is None and copy.find("table").find(id=True) is None
        assert _without_ids(caption.decode_contents()) in str(copy)


def test_an_annex_copy_drops_the_ids_of_the_element_itself_and_leaves_the_page_alone():
    from peel.render.assemble import _copy_without_ids

    html = ('<figure><table headers="h0" id="t1"><tr><th id="h1">A &amp; B</th><td headers="h1">1</td></tr>'
            '</table><figcaption id="c1"><span class="figure-number" id="n1">Figure 3</span>: x &lt; y'
            '</figcaption></figure>')
    page = BeautifulSoup(html, "html.parser")
    table, caption = page.find("table"), page.find("figcaption")
    assert _copy_without_ids(table) == _without_ids(str(table)) == (
        '<table><tr><th>A &amp; B</th><td>1</td></tr></table>')
    assert _copy_without_ids(caption, inner=True) == '<span class="annex-figure-number">Figure 3</span>: x &lt; y'
    assert str(page) == html  # the page keeps its ids


def test_demonstration_notice_on_cover_and_in_page_margin(report):
    html, _, _ = report
    cover = html[html.index('<header class="cover">'):html.index("</header>")]
    assert "Demonstration data" in cover and NOTICE in cover
    assert 'role="note"' in cover
    css, _ = report_css()
    page_rule = css[css.index("@page {"):css.index("@page :first")]
    assert "string(demo-notice)" in page_rule
    assert re.search(r"\.demo-notice-text\s*{\s*string-set:\s*demo-notice", css)


def test_no_demonstration_notice_without_demonstration_data():
    notebooks, context = synthetic_report(demonstration=False)
    body = render_report(notebooks, context).split("</head>", 1)[1]
    assert 'class="demo-notice"' not in body and "demo-notice-text" not in body
    assert "Demonstration data" not in body


def test_draft_report_says_draft():
    notebooks, context = synthetic_report(draft=True)
    html = render_report(notebooks, context)
    assert '<dd class="cover-date">Draft</dd>' in html
    assert "draft-notice" in html and "(draft)</title>" in html
    assert "dcterms.created" not in html
    css, _ = report_css()
    assert "string(draft)" in css[css.index("@page {"):css.index("@page :first")]
    assert re.search(r"\.draft-notice\s*{\s*string-set:\s*draft", css)


def test_published_date_on_cover(report):
    html, _, _ = report
    assert '<dd class="cover-date">9 August 2024</dd>' in html
    assert '<meta name="dcterms.created" content="2024-08-09">' in html


def test_colophon_names_the_build(report):
    html, _, _ = report
    footer = html[html.index('<footer class="colophon">'):]
    assert "peel 0.1.0" in footer and "0123456789ab" in footer


def test_exporter_is_created_once_per_process():
    assert report_exporter() is report_exporter()


def test_render_is_deterministic():
    a = render_report(*synthetic_report())
    b = render_report(*synthetic_report())
    assert a == b
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:\d\d", a)  # no build timestamp


def test_hostile_output_is_sanitised():
    notebooks, context = synthetic_report(demonstration=False)
    hostile = (
        '<script>alert("x")</script><img src="https://evil.example/p.png" alt="x">'
        '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">click</a>'
        '<iframe src="https://evil.example"></iframe><form action="https://evil.example"><input></form>'
        '<p style="background:url(https://evil.example/t)" onclick="x()">text</p>'
        '<link rel="stylesheet" href="https://evil.example/s.css"><style>@import url(https://evil.example);</style>'
        '<svg><script>alert(2)</script></svg><object data="https://evil.example/x"></object>'
        '<a href="https://example.org/ok">a plain link</a><h1>Second title</h1>'
    )
    notebooks[3].cells[2].outputs.append(output(hostile))
    html = render_report(notebooks, context)
    lowered = html.lower()
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<form", "<input", "evil.example",
                "<svg", "<object", "@import", "<link"):
        assert bad not in lowered, bad
    assert '<a href="https://example.org/ok"' in html
    assert len([lvl for lvl, _ in Page(html).headings if lvl == 1]) == 1


def test_sanitize_keeps_report_markup():
    html = ('<figure class="chart" id="figure-x"><figcaption><span class="figure-number">Figure 1</span>: t'
            '</figcaption><img src="data:image/svg+xml;base64,AAAA" alt="a"><details class="figure-data">'
            '<summary>s</summary><table><caption>c</caption><thead><tr><th scope="col">a</th></tr></thead>'
            '</table></details></figure><div class="demo-banner" role="note">n</div>')
    assert sanitize_output(html) == html


def test_duplicate_ids_across_areas_are_renamed():
    notebooks, context = synthetic_report(demonstration=False)
    dup = '<p id="shared-note">Note.</p><p><a href="#shared-note">see the note</a></p>'
    notebooks[2].cells[2].outputs.append(output(dup))
    notebooks[4].cells[2].outputs.append(output(dup))
    html = render_report(notebooks, context)
    page = Page(html)
    assert len(page.ids) == len(set(page.ids))
    later = notebooks[4].metadata["peel"]["area_id"]
    assert f'id="shared-note-{later}"' in html and f'href="#shared-note-{later}"' in html


def test_mismatched_areas_are_refused():
    notebooks, context = synthetic_report()
    with pytest.raises(BuildError, match="same areas, same order"):
        render_report(notebooks[:-1], context)
    with pytest.raises(BuildError, match="same areas, same order"):
        render_report(list(reversed(notebooks)), context)


def test_area_without_heading_is_refused():
    notebooks, context = synthetic_report()
    nb = notebooks[1]
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if "text/html" in o.get("data", {}):
                o["data"]["text/html"] = o["data"]["text/html"].replace("area-title", "x").replace(
                    f'id="{context.areas[1].id}-title"', "")
    with pytest.raises(BuildError, match=context.areas[1].id):
        render_report(notebooks, context)


def test_reference_to_missing_figure_is_refused():
    notebooks, context = synthetic_report()
    notebooks[2].cells[2].outputs.append(output('<p>See <span class="figure-ref">figure 9</span>.</p>'))
    with pytest.raises(BuildError, match="figure 9"):
        render_report(notebooks, context)


def test_grade_colours_meet_contrast():
    css, _ = report_css()

    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for slug in ("outstanding", "good", "adequate", "requires-improvement", "inadequate"):
        rule = re.search(rf"\.grade-{slug}\s*{{\s*background:\s*(#[0-9a-f]{{6}});\s*color:\s*(#[0-9a-f]{{6}});", css)
        assert rule, slug
        bg, fg = (luminance(c) for c in rule.groups())
        ratio = (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05)
        assert ratio >= 4.5, (slug, ratio)


def test_only_outputs_marked_for_the_report_are_stitched():
    """The report-content contract: an analyst's scratch displays stay in the notebook and are listed."""
    from peel.render.assemble import left_out

    notebooks, context = synthetic_report()
    nb = notebooks[3]
    frame = ('<div><table border="1" class="dataframe"><thead><tr><th>force</th></tr></thead>'
             "<tbody><tr><td>SCRATCH-FRAME</td></tr></tbody></table></div>")
    png = base64.b64encode(b"SCRATCH-PNG-BYTES").decode()
    nb.cells.append(nbformat.v4.new_code_cell(source="display(df)", execution_count=4, outputs=[
        output(frame, marked=False),
        nbformat.v4.new_output("display_data", data={"image/png": png,
                                                     "text/plain": "<Figure size 640x480 with 1 Axes>"}),
        nbformat.v4.new_output("stream", name="stdout", text="SCRATCH-PRINT\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>SCRATCH-UNMARKED</p>"},
                               metadata={"peel": {"report": "yes"}}),
    ]))
    html = render_report(notebooks, context)
    for leak in ("SCRATCH-FRAME", png, "SCRATCH-PRINT", "SCRATCH-UNMARKED"):
        assert leak not in html
    assert "Finding 1 of the area" in html  # the marked outputs are all there
    cell = len(nb.cells)
    listed = [(i.cell, i.what, i.mime) for i in left_out(nb) if i.cell == cell]
    assert listed == [(cell, "a DataFrame", "text/html"), (cell, "a matplotlib figure", "image/png"),
                      (cell, "printed text", "stdout"),
                      (cell, "HTML not displayed by peel.analysis.present", "text/html")]
    # The synthetic notebook's own stray outputs (cell 2: streams and plain text; cell 4: an error).
    assert [(i.cell, i.mime) for i in left_out(nb) if i.cell != cell] == [
        (2, "stderr"), (2, "stdout"), (2, "text/plain"), (4, "error")]
