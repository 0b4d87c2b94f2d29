"""Accessibility of the built reports, checked in a real browser.

The Met's report, a Welsh force's report (Gwent: it has a measure that is not available) and the
index are built with ``peel build`` and opened from disk in Debian's headless Chromium, driven by
Playwright. Each page is loaded twice:

* as shipped, with its Content-Security-Policy in force, to check that it makes no network request
  and logs no console error (a CSP violation is logged as one), that every contents link lands on
  its heading, and the structure a screen reader relies on (language, headings, landmarks, skip
  link, alternative text, table captions and header cells);
* with the policy bypassed, only so that axe-core (from the npm registry, tests/browser/) can be
  injected, and run for the WCAG 2.0, 2.1 and 2.2 A and AA rules. Any violation fails the test.

A full-page screenshot and axe's results for each page are kept in tests/artifacts/.

Without Chromium or axe-core the tests skip, unless PEEL_REQUIRE_BROWSER=1, when they fail.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import BUILT_FORCES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
AXE = HERE / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = HERE / "artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: nbconvert's placeholder for an image without alternative text: worse than none.
NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"
#: Link text that means nothing out of context (WCAG 2.4.4 / 2.4.9).
VAGUE_LINK_TEXT = {"click here", "here", "read more", "more", "link", "this link", "details"}

#: The pages checked: (name, path inside the build's output folder).
PAGES = [
    ("metropolitan", "metropolitan/report.html"),
    ("gwent", "gwent/report.html"),
    ("index", "index.html"),
    ("overview", "overview.html"),
]


def _chromium() -> str | None:
    for candidate in (shutil.which("chromium"), *CHROMIUM_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _unavailable(reason: str) -> None:
    # CI installs the browser and axe-core and sets PEEL_REQUIRE_BROWSER=1: there a missing piece is
    # a broken setup, not something to skip past.
    if os.environ.get("PEEL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PEEL_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, launched by Playwright with a fresh temporary profile."""
    chromium = _chromium()
    if chromium is None:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    if not AXE.is_file():
        _unavailable(f"axe-core is not installed at {AXE} (cd tests/browser && npm ci)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        # launch() gives the browser a new, empty user-data directory of its own and removes it at close.
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One page loaded as shipped (CSP in force), with every request and console message seen."""

    def __init__(self, browser, path: Path) -> None:
        self.path = path
        self.url = path.as_uri()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.context.route("**/*", self._route)
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.goto(self.url, wait_until="load")

    def _allowed(self, url: str) -> bool:
        return url == self.url or url.startswith("data:")

    def _route(self, route) -> None:
        # Nothing outside the file itself is ever fetched: a stray request is recorded and aborted.
        if self._allowed(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def foreign_requests(self) -> list[str]:
        return sorted({u for u in self.requests + self.blocked if not self._allowed(u)})


@pytest.fixture(scope="module")
def visits(browser, built_reports):
    opened: dict[str, Visit] = {}
    yield lambda name, rel: opened.setdefault(name, Visit(browser, built_reports / rel))
    for visit in opened.values():
        visit.context.close()


# ----------------------------------------------------------------------------- as shipped


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_no_network_request_and_no_console_error(visits, name, rel):
    visit = visits(name, rel)
    assert visit.foreign_requests() == [], f"{rel} requested something outside itself"
    assert visit.console_errors == [], f"{rel} logged console errors (a CSP violation is one)"
    assert visit.page_errors == [], f"{rel} raised script errors"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_full_page_screenshot_is_saved(visits, name, rel):
    visit = visits(name, rel)
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    # Written beside the target and renamed, so a reader never sees half a picture.
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".png", dir=ARTIFACTS)
    os.close(fd)
    try:
        visit.page.screenshot(path=tmp, full_page=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A full page of a report is far taller than the window: the picture is the whole page.
    height = int.from_bytes(data[20:24], "big")
    assert height >= visit.page.evaluate("document.documentElement.scrollHeight") - 1


STRUCTURE_JS = """
() => {
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => ({
    level: Number(h.tagName[1]), text: text(h), id: h.id,
  }));
  const skip = document.querySelector('body a[href^="#"]');
  const skipId = skip ? decodeURIComponent(skip.getAttribute('href').slice(1)) : null;
  return {
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    headings,
    mains: document.querySelectorAll('main, [role="main"]').length,
    skip: skip ? {text: text(skip), first: skip === document.querySelector('body a'),
                  target: skipId, targetExists: !!document.getElementById(skipId),
                  targetTag: (document.getElementById(skipId) || {}).tagName || null} : null,
    images: [...document.querySelectorAll('img')].map(i => ({
      alt: i.getAttribute('alt'), src: (i.getAttribute('src') || '').slice(0, 40)})),
    svgs: [...document.querySelectorAll('svg')].filter(s => !s.closest('[aria-hidden="true"]')).map(s => ({
      role: s.getAttribute('role'), label: s.getAttribute('aria-label') || text(s.querySelector('title') || s)})),
    tables: [...document.querySelectorAll('table')].map((t, i) => ({
      index: i, caption: t.caption ? text(t.caption) : null, th: t.querySelectorAll('th').length,
      start: text(t).slice(0, 80)})),
    links: [...document.querySelectorAll('a[href]')].map(a => ({
      text: text(a) || a.getAttribute('aria-label') || '', href: a.getAttribute('href')})),
  };
}
"""


@pytest.fixture(scope="module")
def structures(visits):
    cache: dict[str, dict] = {}

    def get(name, rel):
        if name not in cache:
            cache[name] = visits(name, rel).page.evaluate(STRUCTURE_JS)
        return cache[name]

    return get


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_language_title_and_landmarks(structures, name, rel):
    s = structures(name, rel)
    assert s["lang"] == "en-GB"
    assert s["title"].strip(), "the page has no title"
    assert s["mains"] == 1, "exactly one main landmark"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_one_h1_and_no_gap_in_heading_levels(structures, name, rel):
    headings = structures(name, rel)["headings"]
    assert [h["level"] for h in headings].count(1) == 1, "exactly one h1"
    assert headings[0]["level"] == 1, f"the first heading is not the h1: {headings[0]}"
    gaps = [
        f"h{before['level']} {before['text']!r} -> h{after['level']} {after['text']!r}"
        for before, after in itertools.pairwise(headings)
        if after["level"] > before["level"] + 1
    ]
    assert gaps == [], "heading levels skip a level"
    assert all(h["text"] for h in headings), "a heading is empty"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_skip_link_is_first_and_reaches_the_main_content(structures, name, rel):
    skip = structures(name, rel)["skip"]
    assert skip is not None, "no skip link"
    assert skip["first"], "the skip link is not the first link on the page"
    assert skip["targetExists"], f"skip link target #{skip['target']} does not exist"
    assert skip["targetTag"] == "MAIN"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_every_image_has_meaningful_alternative_text(structures, name, rel):
    s = structures(name, rel)
    bad = [
        img for img in s["images"]
        if not (img["alt"] or "").strip() or img["alt"].strip() == NBCONVERT_DEFAULT_ALT
    ]
    assert bad == [], f"{len(bad)} of {len(s['images'])} images lack useful alternative text"
    assert all(svg["label"] for svg in s["svgs"]), "an SVG that is not hidden has no accessible name"
    if name != "index":
        assert s["images"], "a force report has charts"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_every_table_has_a_caption_and_header_cells(structures, name, rel):
    tables = structures(name, rel)["tables"]
    assert tables, "every page has at least one table"
    bad = [t for t in tables if not t["caption"] or t["th"] == 0]
    assert bad == [], "tables without a caption or header cells"


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_link_text_makes_sense_alone(structures, name, rel):
    links = structures(name, rel)["links"]
    vague = [link for link in links if link["text"].strip().lower() in VAGUE_LINK_TEXT or not link["text"].strip()]
    assert vague == []


CONTENTS_JS = """
() => [...document.querySelectorAll('nav a[href^="#"]')].map(a => {
  const id = decodeURIComponent(a.getAttribute('href').slice(1));
  const target = document.getElementById(id);
  const heading = !target ? null
    : /^H[1-6]$/.test(target.tagName) ? target
    : target.querySelector('h1, h2, h3, h4, h5, h6');
  const firstHeading = target && heading && !/^H[1-6]$/.test(target.tagName)
    ? heading === target.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4, :scope > h5, :scope > h6')
    : true;
  return {
    href: a.getAttribute('href'), text: (a.textContent || '').replace(/\\s+/g, ' ').trim(),
    visible: !!(a.offsetWidth || a.offsetHeight || a.getClientRects().length),
    exists: !!target, tag: target ? target.tagName : null,
    heading: heading ? (heading.textContent || '').replace(/\\s+/g, ' ').trim() : null,
    firstHeading,
  };
})
"""

LANDING_JS = """
(href) => {
  const a = [...document.querySelectorAll('nav a[href^="#"]')].find(x => x.getAttribute('href') === href);
  a.click();
  const target = document.getElementById(decodeURIComponent(href.slice(1)));
  const heading = /^H[1-6]$/.test(target.tagName) ? target : target.querySelector('h1, h2, h3, h4, h5, h6');
  const box = heading.getBoundingClientRect();
  return {hash: location.hash, top: box.top, bottom: box.bottom, height: window.innerHeight};
}
"""


@pytest.mark.parametrize("name,rel", [p for p in PAGES if p[0] not in ("index", "overview")],
                         ids=["metropolitan", "gwent"])
def test_every_contents_link_lands_on_its_heading(visits, name, rel):
    page = visits(name, rel).page
    links = page.evaluate(CONTENTS_JS)
    assert len(links) >= 3, "a report has a contents list"
    missing = [link["href"] for link in links if not link["exists"]]
    assert missing == [], "contents links to nothing"
    no_heading = [link["href"] for link in links if not link["heading"] or not link["firstHeading"]]
    assert no_heading == [], "contents links that do not land on a heading"
    for link in links:
        # The link's words are its heading's words, so the reader lands where the contents said.
        assert link["text"] == link["heading"], link
    for link in links:
        if not link["visible"]:
            continue  # e.g. a print-only entry (the PDF's annex)
        landed = page.evaluate(LANDING_JS, link["href"])
        assert landed["hash"] == link["href"]
        # Sub-pixel layout may leave the heading's box a fraction of a pixel above the window's top.
        assert -2 <= landed["top"] < landed["height"] and landed["bottom"] <= landed["height"], (
            f"following {link['href']} leaves its heading out of view: {landed}"
        )


# ----------------------------------------------------------------------------- axe-core


AXE_RUN_JS = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations', 'incomplete', 'passes'],
  });
  const slim = (r) => ({
    id: r.id, impact: r.impact, help: r.help, helpUrl: r.helpUrl, tags: r.tags,
    nodes: r.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary})),
  });
  return {version: axe.version, violations: results.violations.map(slim),
          incomplete: results.incomplete.map(slim), passes: results.passes.length,
          // The elements axe found scrolling and checked for keyboard access (WCAG 2.1.1).
          scroll_regions: results.passes.filter(r => r.id === 'scrollable-region-focusable')
                                        .flatMap(r => r.nodes.map(n => n.target.join(' ')))};
}
"""


def run_axe(browser, path: Path, width: int = 1280) -> dict:
    """axe-core's WCAG 2.2 A/AA results for the page at ``path`` (violations and needs-review)."""
    # The reports forbid every script in their Content-Security-Policy; this context bypasses the
    # policy for one reason only: to inject axe. The as-shipped load is checked by the tests above.
    url = path.as_uri()
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    try:
        context.route(
            "**/*",
            lambda route: route.continue_()
            if route.request.url == url or route.request.url.startswith("data:")
            else route.abort(),
        )
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.add_script_tag(path=str(AXE))
        return page.evaluate(AXE_RUN_JS, AXE_TAGS)
    finally:
        context.close()


def describe(results: dict) -> list[str]:
    """One line per violation: rule, impact, help, how many elements and the first one."""
    lines = []
    for v in results["violations"]:
        first = v["nodes"][0]
        lines.append(
            f"{v['id']} ({v['impact']}): {v['help']} - {len(v['nodes'])} element(s), "
            f"first {first['target']}: {first['html'][:160]}"
        )
    return lines


def test_axe_run_reports_violations_it_is_shown(browser, tmp_path):
    """The harness itself: a page with known faults must produce exactly those rule ids."""
    page = tmp_path / "faulty.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>faulty</title></head><body><main><h1>Faulty</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbbbbb;background:#ffffff">Pale text on white</p>'
        "</main></body></html>",
        encoding="utf-8",
    )
    results = run_axe(browser, page)
    found = {v["id"] for v in results["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found, describe(results)


#: Pages for axe, with the window width. The index's wide table scrolls sideways in a laptop's
#: window, and axe cannot judge the contrast of cells scrolled out of view, so it is also checked
#: in a window wide enough to show every column, and in a 320 px one (its tables then scroll inside
#: their own regions, which must take keyboard focus); at 768 px (the force column is sticky), and a
#: report at 390 px (its charts are the narrow variants).
AXE_PAGES = [(name, rel, 1280) for name, rel in PAGES] + [("index-wide", "index.html", 2400),
                                                           ("index-narrow", "index.html", 320),
                                                           ("index-tablet", "index.html", 768),
                                                           ("metropolitan-phone", "metropolitan/report.html", 390)]


@pytest.mark.parametrize("name,rel,width", AXE_PAGES, ids=[p[0] for p in AXE_PAGES])
def test_axe_finds_no_wcag_22_aa_violation(browser, built_reports, name, rel, width):
    results = run_axe(browser, built_reports / rel, width)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    assert results["passes"] > 0, "axe ran no rule"
    lines = describe(results)
    assert not lines, f"axe {results['version']} found {len(lines)} violation(s) in {rel}:\n" + "\n".join(lines)
    if name == "index-narrow":
        # At 320 px both index tables scroll inside their regions, and axe checked each region.
        for region in INDEX_REGIONS:
            assert any(region in target for target in results["scroll_regions"]), (
                f"axe checked no scrolling {region} at 320 px: {results['scroll_regions']}")


#: The index's tables that scroll sideways in a narrow window, each in a labelled region of its own.
INDEX_REGIONS = (".grades-region", ".figures-region")

#: For each region at 320 px: its role, tab stop and label; whether it scrolls and a key press scrolls it;
#: and the cells (grades table; in the Reports column each link, one a line) or links (figures table)
#: a part of whose text (a text or an element in it) wraps onto more than one line.
REGION_JS = """(selector) => {
  const region = document.querySelector(selector);
  const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top))).size; };
  const items = selector === '.grades-region'
    ? [...region.querySelectorAll('tbody th, tbody td:not(.reports), tbody td.reports > *')]
    : [...region.querySelectorAll('tbody td a')];
  region.scrollLeft = 0;
  region.focus();
  return {role: region.getAttribute('role'), tabindex: region.getAttribute('tabindex'),
          label: region.getAttribute('aria-label') || '', focused: document.activeElement === region,
          scroll_width: region.scrollWidth, client_width: region.clientWidth, items: items.length,
          // A cell may set a part on a line of its own (a grade's "(published)"): each part is one line.
          wrapped: items.filter(el => [...el.childNodes].some(n => n.textContent.trim() && lines(n) > 1))
                        .map(el => el.textContent.trim())};
}"""


@pytest.mark.parametrize("selector", INDEX_REGIONS)
def test_index_tables_scroll_sideways_in_a_focusable_region_at_320_px(browser, built_reports, selector):
    """WCAG 1.4.10 and 2.1.1: at 320 px each index table scrolls inside a labelled region that takes
    keyboard focus and scrolls with the arrow keys, and its cells keep their text on one line."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 320, "height": 900})
    try:
        page = context.new_page()
        page.goto((built_reports / "index.html").as_uri(), wait_until="load")
        found = page.evaluate(REGION_JS, selector)
        page.keyboard.press("ArrowRight")
        # Chromium scrolls smoothly: the region reaches its new place over a few frames.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function("(s) => document.querySelector(s).scrollLeft > 0", arg=selector, timeout=5000)
        scrolled = page.evaluate("(s) => document.querySelector(s).scrollLeft", selector)
        page_width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert found["role"] == "region" and found["tabindex"] == "0", found
    assert "scrolls sideways" in found["label"], found
    assert found["focused"], f"{selector} does not take focus"
    assert found["scroll_width"] > found["client_width"], f"{selector} does not scroll at 320 px: {found}"
    assert scrolled > 0, f"the right arrow key does not scroll {selector}"
    assert page_width <= 320, f"the index is {page_width} CSS px wide at 320"
    assert found["items"] > 0
    assert not found["wrapped"], f"{len(found['wrapped'])} cell(s) of {selector} wrap at 320 px: {found['wrapped'][:5]}"


def _page_width(browser, path: Path, width: int) -> int:
    """The page's laid-out width in CSS px in a window ``width`` px wide (more than ``width``: it scrolls)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        return int(page.evaluate("document.documentElement.scrollWidth"))
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_diff_page_has_no_axe_violation_and_reflows(browser, tmp_path, width):
    from peel.diff import Change
    from peel.render.diff_page import render_diff

    changes = [Change("metropolitan", "Metropolitan Police Service", "workforce", "measure:officer_leaving_rate",
                      "value", "comparison changed", "in line", "higher than expected",
                      "During 2023/24, 6.6 percent of the Metropolitan Police Service's officers left the service.",
                      "During 2023/24, 10.0 percent of the Metropolitan Police Service's officers left the service."),
               Change("kent", "Kent Police", "", "", "", "force added"),
               # A reworded finding: removed words in <del>, added words in <ins>.
               Change("metropolitan", "Metropolitan Police Service", "victim_service_assessment", "", "finding",
                      "text reworded", old_sentence="The force did not always record why.",
                      new_sentence="The force rarely recorded why.")]
    page = tmp_path / "diff.html"
    page.write_text(render_diff(changes, "outputs-before", "outputs"), encoding="utf-8")
    results = run_axe(browser, page, width)
    assert results["passes"] > 0, "axe ran no rule"
    assert not describe(results), "\n".join(describe(results))
    assert _page_width(browser, page, width) <= width


@pytest.mark.parametrize("name,rel", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_reflows_at_320_px_with_its_data_tables_open(browser, built_reports, name, rel):
    """WCAG 1.4.10: no page-level sideways scrolling in a 320 CSS px window, even with every table shown."""
    context = browser.new_context(viewport={"width": 320, "height": 900})
    try:
        page = context.new_page()
        page.goto((built_reports / rel).as_uri(), wait_until="load")
        opened = page.evaluate("() => { const d = [...document.querySelectorAll('details')];"
                               " d.forEach(x => x.open = true); return d.length; }")
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert width <= 320, f"{rel} is {width} CSS px wide at 320 ({opened} data tables open)"


#: Window widths the index and the charts are checked at: a small phone, a phone, a tablet, a laptop, a desktop.
WIDTHS = (320, 390, 768, 1280, 1920)

#: For a region of the index: every header and data cell in reading order, scrolled into view inside its
#: region (and the region in the window) the least distance, as the keyboard's focus scrolls, with the
#: element at the cell's centre when it is not the cell or inside it (another element covers it), and
#: the region's height against the window's (its sideways scrollbar is at its foot, so the region must
#: fit in the window for the scrollbar to be in view).
COVERED_JS = """(selector) => {
  const region = document.querySelector(selector);
  const name = (el) => el ? `${el.tagName.toLowerCase()}.${el.className || ''} "${
    (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 40)}"` : 'nothing';
  const cells = [...region.querySelectorAll('th, td')];
  const covered = [];
  let checked = 0;
  for (const cell of cells) {
    cell.scrollIntoView({block: 'nearest', inline: 'nearest', behavior: 'instant'});
    const r = cell.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    checked += 1;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!(hit === cell || cell.contains(hit))) covered.push(`${name(cell)} under ${name(hit)}`);
  }
  return {cells: cells.length, checked, covered, region_height: region.getBoundingClientRect().height,
          window_height: window.innerHeight, page_width: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("selector", INDEX_REGIONS)
def test_no_index_cell_is_covered_at_any_width(browser, built_reports, selector, width):
    """Every heading and cell of the index's tables can be seen: scrolled into view inside its region,
    the element at its centre is the cell itself (no sticky column or header sits over it), and the
    region, with its sideways scrollbar, fits in the window."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto((built_reports / "index.html").as_uri(), wait_until="load")
        found = page.evaluate(COVERED_JS, selector)
    finally:
        context.close()
    assert found["checked"] == found["cells"] > 40, found
    assert found["covered"] == [], (
        f"{len(found['covered'])} cell(s) of {selector} are covered at {width} px: {found['covered'][:5]}")
    assert found["region_height"] <= found["window_height"], found
    assert found["page_width"] <= width


#: For each chart of a report: the picture's sources, and the image the browser chose to show.
CHART_SOURCES_JS = """() => [...document.querySelectorAll('figure.chart img')].map(img => {
  const picture = img.parentElement.tagName === 'PICTURE' ? img.parentElement : null;
  const source = picture ? picture.querySelector('source') : null;
  return {id: img.closest('figure').id, current: img.currentSrc.slice(0, 64),
          narrow: source ? source.getAttribute('srcset').slice(0, 64) : null,
          wide: img.getAttribute('src').slice(0, 64), media: source ? source.getAttribute('media') : null,
          alt: img.getAttribute('alt')};
})"""


@pytest.mark.parametrize("width", WIDTHS)
def test_all_forces_charts_show_the_narrow_variant_below_the_breakpoint(browser, built_reports, width):
    """Each all-forces chart is a picture with a narrow variant (force names in full, bars across) that the
    browser shows, without script, in a window narrower than :data:`peel.analysis.numbered_figure.NARROW_MEDIA`'s
    breakpoint, and the wide chart otherwise; both share the image's alt text."""
    from peel.analysis.numbered_figure import NARROW_BELOW_PX, NARROW_MEDIA

    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto((built_reports / "metropolitan" / "report.html").as_uri(), wait_until="load")
        charts = [c for c in page.evaluate(CHART_SOURCES_JS) if not c["id"].startswith("trend-")]
    finally:
        context.close()
    assert len(charts) >= 10, "the Met's report has its ten all-forces charts"
    for chart in charts:
        assert chart["media"] == NARROW_MEDIA, chart
        assert chart["narrow"] and chart["narrow"] != chart["wide"], chart
        assert chart["alt"], chart
        expected = chart["narrow"] if width < NARROW_BELOW_PX else chart["wide"]
        assert chart["current"] == expected, f"at {width} px the browser shows the wrong variant: {chart}"


#: In a narrow picture opened as a document: each force's row (the gap between the end of its name and the
#: start of its value), and the right edge of every text against the picture's width.
NARROW_TEXT_JS = """() => {
  const svg = document.querySelector('svg').getBoundingClientRect();
  const rows = [...document.querySelectorAll('text')].filter(t => t.querySelector('tspan')).map(t => {
    const range = document.createRange();
    range.selectNodeContents(t.firstChild);
    const value = t.querySelector('tspan').getBoundingClientRect();
    return {name: t.firstChild.textContent, gap: value.left - range.getBoundingClientRect().right};
  });
  const overflow = [...document.querySelectorAll('text')].map(t => t.getBoundingClientRect())
    .filter(b => b.left < svg.left - 0.5 || b.right > svg.right + 0.5).length;
  return {rows, overflow};
}"""


@pytest.mark.parametrize("force", BUILT_FORCES)
def test_narrow_charts_text_fits_and_names_never_run_into_values(browser, built_reports, force):
    """Drawn in the browser's own fonts, every force name ends before its value begins and no text of a
    narrow picture (legend included) runs past its width."""
    import base64
    import re

    html = (built_reports / force / "report.html").read_text(encoding="utf-8")
    svgs = [base64.b64decode(m).decode("utf-8")
            for m in re.findall(r'srcset="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert svgs
    context = browser.new_context()
    try:
        page = context.new_page()
        found = []
        for svg in svgs:
            page.set_content(svg)
            found.append(page.evaluate(NARROW_TEXT_JS))
    finally:
        context.close()
    assert all(f["rows"] for f in found)
    close = [r for f in found for r in f["rows"] if r["gap"] < 4]
    assert close == [], f"names that run into their values: {close[:5]}"
    assert [f["overflow"] for f in found] == [0] * len(found)
