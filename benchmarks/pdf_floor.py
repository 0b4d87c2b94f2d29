"""What does Typst need to print one force's report, and what does that mean for 43 forces?

Builds one force's report (HTML only) into a temporary folder, then prints its PDF in this process
the way ``peel build`` does (``peel.render.pdf.render_pdf``: the HTML turned into Typst markup, then
typeset and written by the ``typst`` package), several times after a warm-up, and prints the least
CPU seconds of each step for:

* **the report as built**;
* **without the print annex** (the data tables of the figures, printed after "About the data").

It also prints the first PDF of a fresh process (Typst imported, the package's fonts read), which
every build worker pays once, and from these the PDF floor of a 43-force batch on this machine's
cores: the PDF stage alone, before any notebook runs or any HTML is stitched. CPU time counts every
thread of this process (Typst typesets on several), so it does not depend on how busy the machine is.

Usage::

    python benchmarks/pdf_floor.py                 # metropolitan, 5 runs of each
    python benchmarks/pdf_floor.py --force kent --runs 9
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed_peel

FORCES = 43


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far, every thread included."""
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


def measure(html: str, runs: int) -> tuple[int, float, float]:
    """Pages, and the least markup and whole-PDF CPU seconds over ``runs`` prints of ``html``."""
    from pypdf import PdfReader

    from peel.render.pdf import render_pdf
    from peel.render.typst_markup import page_to_typst

    markups, totals, pages = [], [], 0
    for _ in range(runs):
        c0 = cpu_seconds()
        page_to_typst(html, title="benchmark")
        c1 = cpu_seconds()
        pdf = render_pdf(html, title="benchmark")
        c2 = cpu_seconds()
        markups.append(c1 - c0)
        totals.append(c2 - c1)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return pages, min(markups), min(totals)


#: The first PDF of a fresh process: imports, fonts, first-use caches.
FIRST = """
import resource, sys
from pathlib import Path
def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime
html = Path(sys.argv[1]).read_text(encoding="utf-8")
c0 = cpu()
from peel.render.pdf import render_pdf
render_pdf(html, title="first")
print(f"{cpu() - c0:.3f}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--runs", type=int, default=5, help="prints of each variant (the least is kept)")
    args = parser.parse_args()

    from peel.render.pdf import render_pdf

    out = Path(tempfile.mkdtemp(prefix="peel-pdf-floor-"))
    try:
        timed_peel(["build", args.force, "--to", "html", "--out", str(out)], timeout=600)
        page = out / args.force / "report.html"
        html = page.read_text(encoding="utf-8")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        first = subprocess.run([sys.executable, "-c", FIRST, str(page)], capture_output=True, text=True,
                               check=True, timeout=600).stdout.strip()
        render_pdf(html, title="warm-up")  # imports, fonts and first-use caches are not the floor
        cores = os.cpu_count() or 1
        rows = [("report as built", html), ("without the print annex", without_annex(html))]
        print(f"{'PDF of ' + args.force:<32} {'pages':>6} {'markup cpu s':>13} {'PDF cpu s':>10}")
        totals = {}
        for name, variant in rows:
            pages, markup, total = measure(variant, args.runs)
            totals[name] = total
            print(f"{name:<32} {pages:>6} {markup:>13.3f} {total:>10.3f}")
        whole = totals["report as built"]
        print(f"\nfirst PDF of a fresh process (imports and fonts included): {first} CPU s")
        print(f"PDF stage alone for {FORCES} forces on {cores} cores: {whole * FORCES / cores:.1f} s "
              f"({whole:.3f} CPU s a force)")
        print(f"the print annex costs {totals['report as built'] - totals['without the print annex']:.3f} CPU s "
              "a force")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
