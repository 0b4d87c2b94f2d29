"""The HTML templates escape what they print, and no Python code in the package builds HTML in an f-string."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from markupsafe import Markup

from peel.analysis.templating import join, part, render
from peel.render.page import page_environment
from peel.render.policies import ALLOWED_TAGS

SRC = Path(__file__).resolve().parents[1] / "src" / "peel"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

#: An f-string whose text starts an HTML element or closes one (``f"<p>{x}</p>"``).
_TAG_NAMES = "|".join(sorted({*ALLOWED_TAGS, "html", "head", "meta", "title", "style", "body", "main", "nav",
                               "header", "footer", "link", "script"}, key=len, reverse=True))
_TAG = re.compile(r"^\s*</?(" + _TAG_NAMES + r")\b")


def test_parts_escape_their_values():
    html = part("finding", finding_id="x-finding-1", heading=HOSTILE, text_html="", figures=[HOSTILE],
                measures=[])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    figure = part("data_table", number=1, title=HOSTILE, period="2023", unit_head="Percent",
                  compare_head="Compared", rows=[{"name": HOSTILE, "this_force": True, "value": "1",
                                                  "compared": HOSTILE}],
                  england_and_wales=None, reading=HOSTILE)
    assert "<script" not in figure and "<img" not in figure
    assert '<tr class="this-force">' in figure and "<strong>(this report)</strong>" in figure


def test_join_escapes_plain_text_but_keeps_parts():
    joined = join([part("grade_badge", grade="Good", grade_slug="good"), HOSTILE, None, ""])
    assert joined.startswith('<p class="grade grade-good">Good</p>\n&lt;script&gt;')
    assert isinstance(joined, Markup)


def test_about_the_data_escapes_its_lists():
    from peel.inputs.provenance import Notice

    entry = {"publication": HOSTILE, "publisher": HOSTILE, "file": HOSTILE, "via": HOSTILE, "licence": HOSTILE,
             "edition": HOSTILE, "official": "no"}
    html = render("about_the_data.html.j2", title="About the data", banner="", sources=[(HOSTILE, "x")],
                  published=[entry], published_intro=HOSTILE, attributions=[HOSTILE],
                  not_available=[(HOSTILE, HOSTILE)], exclusions=[(HOSTILE, "y", HOSTILE)],
                  missing=[(HOSTILE, HOSTILE)], notice=Notice(label=HOSTILE, text=HOSTILE, page=HOSTILE),
                  demonstration_inputs=True)
    assert "<script" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 13  # every list and the notice were rendered, escaped
    assert html.startswith('<h2 class="area-title" id="about_the_data-title">About the data</h2>\n<h3')


def test_page_templates_autoescape():
    env = page_environment()
    assert env.autoescape is True
    html = env.get_template("page/layout.html.j2").render(lang="en", csp="x", title=HOSTILE, css=Markup("p{}"))
    assert "<script" not in html and "&lt;script&gt;" in html


def _html_fstrings(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if _TAG.match(text):
                found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}")
    return found


def test_no_fstring_builds_html():
    found = [hit for path in sorted(SRC.rglob("*.py")) for hit in _html_fstrings(path)]
    assert not found, f"HTML built in f-strings (use a template): {found}"


def test_the_fstring_check_finds_html():
    """The check above catches an element built in an f-string and lets a file name in angle brackets pass."""
    source = 'x = 1\ny = f"<p class=\\"a\\">{x}</p>"\nz = f"<force_id>.yaml {x}"\n'
    tree_hits = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.JoinedStr)
                 and _TAG.match("".join(v.value for v in n.values if isinstance(v, ast.Constant)))]
    assert len(tree_hits) == 1


def test_index_escapes_failures_and_links_only_existing_reports(tmp_path):
    from peel.inputs.areas import load_report
    from peel.pipeline.records import ForceRecord
    from peel.render.index import render_index

    report = load_report(Path(__file__).resolve().parents[1] / "notebooks", check_notebooks=False)
    (tmp_path / "gwent").mkdir()
    (tmp_path / "gwent" / "report.html").write_text("x", encoding="utf-8")
    records = {
        "gwent": ForceRecord.from_json("gwent", {
            "status": "failed", "grades": {"police_powers": "Good"}, "files": {"report.html": "x", "report.pdf": "y"},
            "error": {"area": "police_powers", "cell": 3, "error": "ValueError", "message": HOSTILE,
                      "notebook": "notebooks/03_police_powers.ipynb", "cell_begins": HOSTILE}}),
    }
    html = render_index(report, records, tmp_path, demonstration=True, notice=HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert ("<li><strong>Gwent Police</strong> (area police_powers, notebooks/03_police_powers.ipynb, cell 3 (the 3rd "
            "cell), which begins `&lt;script&gt;" in html)
    assert "): ValueError: &lt;script&gt;" in html
    assert "The previous report was kept.</li>" in html
    assert '<a href="gwent/report.html">Gwent Police report (HTML)</a>' in html
    assert "gwent/report.pdf" not in html  # in the record but not on disk
    assert '<td class="grade-good">Good</td>' in html
    assert html.startswith("<!DOCTYPE html>\n") and html.endswith("</html>\n")


def test_template_prose_is_not_copied_from_the_published_report():
    """The introduction, the victim service section and "About the data" are in our own words: no run of
    ten words is shared with the published report (kept as fingerprints, tests/reference/seed-runs.txt)."""
    import html as html_lib

    from reference_text import fingerprint, runs

    from peel.inputs.provenance import Notice

    seed_runs = set((Path(__file__).resolve().parent / "reference" / "seed-runs.txt").read_text("ascii").split())
    assert len(seed_runs) > 10_000
    pages = [render("introduction.html.j2"), render("areas/victim_service_assessment.html.j2")]
    for demonstration in (True, False):
        pages.append(render("about_the_data.html.j2", title="About the data", banner="", sources=[], published=[],
                            published_intro="", attributions=[], not_available=[], exclusions=[], missing=[],
                            notice=Notice("Demonstration data", "n", "p") if demonstration else None,
                            demonstration_inputs=demonstration, demonstration_data=demonstration,
                            samples=[], vsa=True, vsa_files="200"))
    pages.append(part("overview", title="Overall summary", banner="", draft="", judgments_count="n",
                      judgments_table="", ungraded_notes=[], not_inspected="", summary_html="", inspector=""))
    # Names that cannot be put another way, and item 127's words, which the report states on purpose
    # (tests/reference/seed-checks.tsv), are taken out before the runs are compared.
    names = ["section 1 of the Police and Criminal Evidence Act 1984",
             "The comparisons cover the 43 territorial police forces in England and Wales. British Transport "
             "Police is outside the scope of this report"]
    copied = []
    for page in pages:
        for paragraph in re.split(r"</(?:p|li|h\d)>", str(page)):
            text = html_lib.unescape(re.sub(r"<[^>]+>", " ", paragraph))
            for name in names:
                text = text.replace(name, " / ")
            copied += [" ".join(run) for run in runs(text) if fingerprint(run) in seed_runs]
    assert not copied, "\n".join(sorted(set(copied)))


def test_judgments_table_says_in_words_which_grades_are_published_and_which_illustrative():
    from bs4 import BeautifulSoup

    rows = [{"area_id": "police_powers", "title": "Police powers", "grade": "Good", "grade_slug": "good",
             "basis": "published"},
            {"area_id": "workforce", "title": "Workforce", "grade": "Adequate", "grade_slug": "adequate",
             "basis": "illustrative"},
            {"area_id": "victim_service_assessment", "title": "Victims", "grade": "Not graded",
             "grade_slug": "not-graded", "basis": ""}]
    sources = [{"title": HOSTILE, "url": "https://example.org/a?b=1&c=2", "date": "29 January 2025",
                "areas": "Police powers"}]
    html = part("judgments_table", force="Kent Police", rows=rows, sources=sources, illustrative=["Workforce"])
    assert "<script" not in html and "&amp;c=2" in html
    soup = BeautifulSoup(html, "html.parser")
    cells = [td.get_text(" ", strip=True) for td in soup.select("table.judgments td")]
    assert cells == ["Good (published)", "Adequate (illustrative)", "Not graded"]
    notes = " ".join(soup.select_one(".grade-sources").get_text(" ").split())
    assert "The published grade comes from:" in notes and "29 January 2025 (Police powers)" in notes
    assert "The grade marked illustrative (Workforce) is not stated for its area by any published source" in notes
    # an inspection's own grades: no marks and no notes
    own = part("judgments_table", force="Kent Police", rows=[{**rows[0], "basis": ""}])
    assert "grade-basis" not in own and "grade-sources" not in own


def test_the_notice_counts_published_and_illustrative_grades():
    from peel.inputs.provenance import demonstration_findings

    assert "findings and grades in this report were written" in demonstration_findings(0, 3)
    assert "findings and grades" in demonstration_findings(0, 0)
    only = demonstration_findings(8, 0)
    assert "Its grades are those published for the force" in only and "grades in this report were" not in only
    both = demonstration_findings(5, 4)
    assert "Of its grades, five are published for the force" in both and "four are illustrative" in both
    assert "one is published" in demonstration_findings(1, 1) and "its source" in demonstration_findings(1, 1)
