"""What does Typst need to print one force's report, and what does that mean for 43 forces?

Builds two forces' reports (HTML only) into a temporary folder, then prints the first force's PDF
the way ``peel build`` does (``peel.render.pdf.render_pdf``: the HTML turned into Typst markup, then
typeset and written by the ``typst`` package) and prints the least CPU seconds of:

* **the first PDF of a fresh process**: Typst imported and the package's fonts read, which each build
  worker pays once;
* **a new report in a warm process**: the force's PDF after the other force's, in a fresh process each
  run, as a batch worker prints one report after another (what a force costs in a batch);
* **the same report again**: Typst keeps what it laid out (its memo), so a second PDF of the same
  page, or of the page after a small edit (``peel watch``), costs less; the markup step is shown alone;
* the same again **without the print annex** (the data tables of the figures).

From the new-report figure it prints the PDF floor of a 43-force batch on this machine's cores: the
PDF stage alone, before any notebook runs or any HTML is stitched. CPU time counts every thread of a
process (Typst typesets on several), so it depends little on how busy the machine is.

Usage::

    python benchmarks/pdf_floor.py                 # metropolitan after gwent, 5 runs of each
    python benchmarks/pdf_floor.py --force kent --other surrey --runs 9
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


#: In a fresh process: the first PDF (imports, fonts, first-use caches), then a new report's.
FRESH = """
import resource, sys
from pathlib import Path
def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime
first, then = (Path(p).read_text(encoding="utf-8") for p in sys.argv[1:3])
c0 = cpu()
from peel.render.pdf import render_pdf
render_pdf(first, title="first")
c1 = cpu()
render_pdf(then, title="then")
print(f"{c1 - c0:.3f} {cpu() - c1:.3f}")
"""


def fresh(first: Path, then: Path) -> tuple[float, float]:
    """CPU seconds of the first PDF of a fresh process (``first``) and of the next one (``then``)."""
    done = subprocess.run([sys.executable, "-c", FRESH, str(first), str(then)], capture_output=True, text=True,
                          check=True, timeout=600)
    a, b = done.stdout.split()
    return float(a), float(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--other", default="gwent", help="the force printed first in a fresh process")
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (the least is kept)")
    args = parser.parse_args()

    from peel.render.pdf import render_pdf

    out = Path(tempfile.mkdtemp(prefix="peel-pdf-floor-"))
    try:
        timed_peel(["build", args.force, args.other, "--to", "html", "--out", str(out)], timeout=900)
        page, other = out / args.force / "report.html", out / args.other / "report.html"
        html = page.read_text(encoding="utf-8")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        runs = [fresh(other, page) for _ in range(args.runs)]
        first, new = min(r[0] for r in runs), min(r[1] for r in runs)
        render_pdf(html, title="warm-up")
        cores = os.cpu_count() or 1
        print(f"first PDF of a fresh process ({args.other}, imports and fonts included): {first:.3f} CPU s")
        print(f"{args.force}'s PDF as a new report in a warm process: {new:.3f} CPU s")
        print(f"\n{'the same report again':<32} {'pages':>6} {'markup cpu s':>13} {'PDF cpu s':>10}")
        totals = {}
        for name, variant in [("report as built", html), ("without the print annex", without_annex(html))]:
            pages, markup, total = measure(variant, args.runs)
            totals[name] = total
            print(f"{name:<32} {pages:>6} {markup:>13.3f} {total:>10.3f}")
        print(f"\nPDF stage alone for {FORCES} forces on {cores} cores: {new * FORCES / cores:.1f} s "
              f"({new:.3f} CPU s a force)")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
