"""What does WeasyPrint need to print one force's report, and what does that mean for 43 forces?

Builds one force's report (HTML only) into a temporary folder, then lays out and writes its PDF in
this process, the way ``peel build`` does (``peel.render.pdf.layout_pdf`` and ``write_document``),
several times after a warm-up (fonts loaded, WeasyPrint imported), and prints the least CPU seconds
of each step for:

* **the report as built**;
* **without the print annex** (the data tables of the figures, printed after "About the data");
* **without page references** (the contents page and the "data for figure N, page P" pointers print
  "0" instead of a page number, so no page is laid out twice to learn a later page's number).

From these it prints the PDF floor of a 43-force batch on this machine's cores: the PDF stage alone,
before any notebook runs or any HTML is stitched. Nothing here changes a report; the variants only
show where WeasyPrint spends its time.

Usage::

    python benchmarks/pdf_floor.py                 # metropolitan, 3 runs of each
    python benchmarks/pdf_floor.py --force kent --runs 5
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from timing import timed_peel

FORCES = 43


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def without_annex(html: str) -> str:
    """The report less its print annex (``<section class="annex print-only">`` and all it holds)."""
    start = html.find('<section class="annex print-only"')
    if start < 0:
        sys.exit("the report has no print annex: has its markup changed?")
    # The annex holds no nested sections, so the first closing tag after it ends it.
    end = html.index("</section>", start) + len("</section>")
    return html[:start] + html[end:]


def without_page_references(html: str) -> str:
    """The report with every ``target-counter(...)`` of its print stylesheet replaced by a fixed ``"0"``."""
    out, n = re.subn(r"target-counter\(attr\(href\), page\)", '"0"', html)
    if n == 0:
        sys.exit("the report's stylesheet has no page references: has it changed?")
    return out


def measure(html: str, runs: int) -> tuple[int, float, float]:
    """Pages, and the least layout and write CPU seconds over ``runs`` prints of ``html``."""
    from peel.render.pdf import layout_pdf, write_document

    layouts, writes, pages = [], [], 0
    for _ in range(runs):
        c0 = cpu_seconds()
        document = layout_pdf(html, title="benchmark")
        c1 = cpu_seconds()
        write_document(document, html)
        c2 = cpu_seconds()
        layouts.append(c1 - c0)
        writes.append(c2 - c1)
        pages = len(document.pages)
    return pages, min(layouts), min(writes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--runs", type=int, default=3, help="prints of each variant (the least is kept)")
    args = parser.parse_args()

    from peel.render.pdf import font_configuration, layout_pdf

    out = Path(tempfile.mkdtemp(prefix="peel-pdf-floor-"))
    try:
        timed_peel(["build", args.force, "--to", "html", "--out", str(out)], timeout=600)
        html = (out / args.force / "report.html").read_text(encoding="utf-8")
        font_configuration()
        layout_pdf(html, title="warm-up")  # imports, fonts and first-use caches are not the floor
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        cores = os.cpu_count() or 1
        rows = [
            ("report as built", html),
            ("without the print annex", without_annex(html)),
            ("without page references", without_page_references(html)),
        ]
        print(f"{'PDF of ' + args.force:<32} {'pages':>6} {'layout cpu s':>13} {'write cpu s':>12} {'total':>7}")
        totals = {}
        for name, variant in rows:
            pages, layout, write = measure(variant, args.runs)
            totals[name] = layout + write
            print(f"{name:<32} {pages:>6} {layout:>13.2f} {write:>12.2f} {layout + write:>7.2f}")
        whole = totals["report as built"]
        print(f"\nPDF stage alone for {FORCES} forces on {cores} cores: {whole * FORCES / cores:.1f} s "
              f"({whole:.2f} CPU s a force)")
        print(f"the print annex costs {totals['report as built'] - totals['without the print annex']:.2f} CPU s "
              f"a force; page references {totals['report as built'] - totals['without page references']:.2f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
