"""Golden snapshots of the Met's report: its HTML and the statements it makes, stored in ``tests/golden/``.

An unintended change of wording, of a number or of the markup fails here with a diff. When the
change is intended, regenerate the snapshots and commit them with the change::

    .venv/bin/pytest tests/test_golden.py --update-golden

The HTML is the report's body (cover, contents, every area, the print annex, the colophon), one file
per part so that a diff shows where the change is. It is normalised so that only the report's
content counts: each chart image (and narrow picture) is replaced by the SHA-256 of its bytes (a
changed chart still fails, with a readable diff), and the build identity in the colophon (version and commit) by a
placeholder. ``statements.txt`` lists every sentence the report states, one a line, in reading
order: headings, paragraphs, list items, captions, the rows of the judgments table and the charts'
alt text.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow  # reads the session's real build

GOLDEN = Path(__file__).resolve().parent / "golden" / "metropolitan"
FORCE = "metropolitan"

#: A chart's image, or its narrow picture for phones (an SVG in a ``<source srcset>``).
_IMAGE = re.compile(r'(src|srcset)="data:image/(?:png|svg\+xml);base64,([A-Za-z0-9+/=]+)"')
_BUILD_IDENTITY = re.compile(r'(<p class="build-identity">Report built with peel )[^<]*(</p>)')
#: Where the body is cut into files: each area's section, the annex and the colophon.
_PART = re.compile(r'^(?:<section class="area" id="(?P<area>[^"]+)"|<section class="annex|<footer class="colophon")',
                   re.MULTILINE)
#: Elements whose text is a statement; an element inside another of them is read with its parent.
_STATEMENT_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "figcaption", "caption", "summary", "dt", "dd")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“‘(])")


def _image_digest(match: re.Match[str]) -> str:
    digest = hashlib.sha256(base64.b64decode(match.group(2))).hexdigest()
    return f'{match.group(1)}="sha256:{digest}"'


def normalised_body(html: str) -> str:
    """The report's ``<body>`` with images replaced by their digest and the build identity by a placeholder."""
    body = html[html.index("<body"):html.index("</body>") + len("</body>")]
    body = _IMAGE.sub(_image_digest, body)
    return _BUILD_IDENTITY.sub(r"\g<1>VERSION (commit COMMIT).\g<2>", body)


def body_parts(body: str) -> dict[str, str]:
    """The normalised body cut into named parts: ``00-front``, ``01-overview``, ..., ``annex``, ``colophon``."""
    starts = list(_PART.finditer(body))
    assert starts, "the report has no area sections"
    parts = {"00-front.html": body[:starts[0].start()]}
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        if m.group("area"):
            name = f"{i + 1:02d}-{m.group('area')}.html"
        else:
            name = "annex.html" if "annex" in m.group(0) else "colophon.html"
        parts[name] = body[m.start():end]
    return parts


def statements(body: str) -> list[str]:
    """Every sentence the report states, in reading order (the print annex repeats the tables: left out)."""
    soup = BeautifulSoup(body, "html.parser")
    for annex in soup.select("section.annex"):
        annex.decompose()
    out: list[str] = []
    for el in soup.find_all([*_STATEMENT_TAGS, "img", "tr"]):
        if el.name == "img":
            text = el.get("alt") or ""
        elif el.name == "tr":
            # A row of the judgments or missing-data table reads as one statement ("Area | Grade");
            # the charts' data tables are numbers, checked by the HTML snapshots.
            if "figure-table" in (el.find_parent("table").get("class") or []):
                continue
            text = " | ".join(" ".join(cell.get_text(" ").split()) for cell in el.find_all(["th", "td"]))
        elif el.find_parent([*_STATEMENT_TAGS, "tr"]) is not None:
            continue
        else:
            text = el.get_text(" ")
        text = " ".join(text.split())
        out += [s for s in _SENTENCE_END.split(text) if s]
    return out


def _compare(name: str, actual: str, update: bool) -> str | None:
    """Compare one snapshot (or rewrite it); a diff when it differs."""
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return None
    if not path.is_file():
        return f"{path} is missing (run: pytest tests/test_golden.py --update-golden)"
    expected = path.read_text(encoding="utf-8")
    if expected == actual:
        return None
    diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), f"golden/{FORCE}/{name}",
                                "this build", lineterm="", n=1)
    return "\n".join(line[:300] for line in list(diff)[:60])


@pytest.fixture(scope="module")
def met_body(built_reports: Path) -> str:
    return normalised_body((built_reports / FORCE / "report.html").read_text(encoding="utf-8"))


def test_report_html_matches_the_golden_snapshot(met_body, update_golden):
    parts = body_parts(met_body)
    assert "".join(parts.values()) == met_body  # the parts cut the body, nothing lost
    problems = [p for name, text in parts.items() if (p := _compare(name, text, update_golden))]
    if update_golden:
        for stale in set(p.name for p in GOLDEN.glob("*.html")) - set(parts):
            (GOLDEN / stale).unlink()
    else:
        missing = sorted(set(p.name for p in GOLDEN.glob("*.html")) - set(parts))
        if missing:
            problems.append(f"the report no longer has the parts {missing}")
    assert not problems, (
        "the Met's report differs from tests/golden/metropolitan/ (if the change is intended, run "
        "pytest tests/test_golden.py --update-golden and commit the snapshots):\n\n" + "\n\n".join(problems)
    )


def test_report_statements_match_the_golden_list(met_body, update_golden):
    listed = statements(met_body)
    assert len(listed) > 100  # the whole report was read, not an empty page
    problem = _compare("statements.txt", "\n".join(listed) + "\n", update_golden)
    assert problem is None, (
        "the statements of the Met's report changed (if intended, run pytest tests/test_golden.py "
        "--update-golden and commit tests/golden/metropolitan/statements.txt):\n\n" + problem
    )


def test_normalisation_keeps_what_matters():
    """Two different charts get different digests; only the build identity is masked."""
    page = ('<html><body><img src="data:image/png;base64,{a}"><img src="data:image/png;base64,{b}">'
            '<p class="build-identity">Report built with peel 9.9 (commit abc).</p><p>Kept 1.5%.</p></body></html>')
    page = page.format(a=base64.b64encode(b"one").decode(), b=base64.b64encode(b"two").decode())
    body = normalised_body(page)
    digests = re.findall(r'src="sha256:([0-9a-f]{64})"', body)
    assert len(digests) == 2 and digests[0] != digests[1]
    assert digests[0] == hashlib.sha256(b"one").hexdigest()
    assert "9.9" not in body and "abc" not in body and "Kept 1.5%." in body
    assert statements(body) == ["Report built with peel VERSION (commit COMMIT).", "Kept 1.5%."]
