"""How long ``peel import stop-search`` takes on a full-size open data table, beside pandas' default ODS reader.

The real stop and search open data table (``stop-search-open-data-tables-mar21-marYY.ods``, sheet
``open_data``) has about half a million rows. This writes a synthetic one of the same shape (the published
columns, 500,000 rows, all 43 forces and British Transport Police) into a temporary folder (kept there and
reused by later runs), then times, each in its own process:

* ``peel import stop-search FILE`` into a scratch dataset folder (pandas + python-calamine), with the peak
  resident memory of the process (``getrusage(RUSAGE_CHILDREN)``);
* ``pandas.read_excel(FILE, sheet_name="open_data")`` with pandas' default ODS engine (odfpy), stopped after
  ``--odf-timeout`` seconds (600 by default), when the table says "> 600 s".

Usage::

    python benchmarks/bench_import.py [--rows 500000] [--odf-timeout 600] [--skip-odf]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from peel.inputs.forces import all_forces  # noqa: E402

COLUMNS = ["financial_year", "financial_year_quarter", "police_force_area", "region", "legislation",
           "reason_for_search", "outcome", "self_defined_ethnicity_group", "self_defined_ethnicity",
           "officer_defined_ethnicity", "sex", "age_group", "number_of_searches"]
NUMERIC = {"financial_year_quarter", "number_of_searches"}

_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')


def _cell(value: object) -> str:
    if isinstance(value, int):
        return (f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>'
                '</table:table-cell>')
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, rows: int, seed: int = 1) -> None:
    """An ODS file of ``rows`` data rows in the open data layout, streamed into the zip (no table in memory)."""
    rng = random.Random(seed)
    names = [f.pfa_name for f in all_forces()] + ["British Transport Police"]
    choices = {
        "legislation": ["Section 1 (PACE)", "Section 23 (Misuse of Drugs Act 1971)", "Section 60 (CJPOA 1994)"],
        "reason_for_search": ["Drugs", "Offensive weapons", "Stolen property", "Going equipped", "Criminal damage"],
        "outcome": ["No further action", "Arrest", "Community resolution", "Summons / charged by post"],
        "group": ["White", "Black or Black British", "Asian or Asian British", "Mixed", "Other Ethnic Group",
                  "Not Stated", "N/A - vehicle search"],
        "sex": ["Male", "Female", "Unknown"], "age": ["Under 10", "10-17", "18-24", "25-29", "30 or over"],
    }
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("content.xml", date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as raw:
            buf: list[str] = [f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS} '
                              'office:version="1.2"><office:body><office:spreadsheet>'
                              '<table:table table:name="open_data"><table:table-row>',
                              *(_cell(c) for c in COLUMNS), "</table:table-row>"]
            kinds = ("legislation", "reason_for_search", "outcome", "group", "sex", "age")
            for i in range(rows):
                year = 2020 + i * 5 // rows
                force = names[i % len(names)]
                # Like the published table, one row per combination of force, quarter and breakdown (the
                # importer refuses a row given twice): the breakdown is the row's number in its quarter.
                k, picked = i // len(names) // 4, {}
                for kind in kinds:
                    k, r = divmod(k, len(choices[kind]))
                    picked[kind] = choices[kind][r]
                group = picked["group"]
                row = [f"{year}/{(year + 1) % 100:02d}", 1 + (i // len(names)) % 4, force,
                       "0" if force.startswith("British") else "Region", picked["legislation"],
                       picked["reason_for_search"], picked["outcome"], group, group,
                       group, picked["sex"], picked["age"], rng.randint(1, 40)]
                buf.append("<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>")
                if len(buf) >= 5000:
                    raw.write("".join(buf).encode("utf-8"))
                    buf.clear()
            buf.append("</table:table></office:spreadsheet></office:body></office:document-content>")
            raw.write("".join(buf).encode("utf-8"))
    tmp.replace(path)


def run_child(argv: list[str], timeout: float) -> tuple[float | None, int, str]:
    """Seconds (None past the timeout), the child's peak RSS in KiB, and its stderr tail."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO)
        elapsed: float | None = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"failed ({p.returncode}): {' '.join(argv)}\n{p.stderr[-2000:]}")
        tail = p.stdout.strip().splitlines()[:3]
    except subprocess.TimeoutExpired:
        elapsed, tail = None, []
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # RUSAGE_CHILDREN is the largest of all children so far: a smaller later child cannot be told apart.
    return elapsed, peak if peak > before else before, "\n".join(tail)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--odf-timeout", type=float, default=600.0)
    ap.add_argument("--skip-odf", action="store_true", help="do not time pandas' odf engine")
    args = ap.parse_args()

    work = Path(tempfile.gettempdir()) / "peel-bench-import"
    work.mkdir(exist_ok=True)
    ods = work / f"stop-search-open-data-tables-{args.rows}-unique.ods"
    if not ods.exists():
        t0 = time.perf_counter()
        write_ods(ods, args.rows)
        print(f"wrote {ods} ({ods.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s")
    else:
        print(f"reusing {ods} ({ods.stat().st_size / 2**20:.1f} MiB)")
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    (data / "dataset.yaml").write_text("name: Benchmark\ndemonstration: false\n", encoding="utf-8")
    (data / "national.csv").write_text("force_id,measure,period,value,numerator,denominator\n", encoding="utf-8")

    peel_s, peel_kib, out = run_child([sys.executable, "-m", "peel.cli", "import", "stop-search", str(ods),
                                       "--data", str(data)], timeout=600)
    print(out)
    rows = [("peel import stop-search (calamine, row by row)", peel_s, peel_kib)]
    if not args.skip_odf:
        code = ("import pandas as pd, sys; df = pd.read_excel(sys.argv[1], sheet_name='open_data', engine='odf'); "
                "print(len(df))")
        odf_s, odf_kib, _ = run_child([sys.executable, "-c", code, str(ods)], timeout=args.odf_timeout)
        rows.append(("pandas.read_excel, default ODS engine (odf)", odf_s, odf_kib))
    print(f"\n{args.rows:,} rows, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(f"| {'reader':<46} | {'seconds':>9} | {'peak RSS (MiB)':>14} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 16}|")
    for name, s, kib in rows:
        secs = f"> {args.odf_timeout:.0f}" if s is None else f"{s:.1f}"
        print(f"| {name:<46} | {secs:>9} | {kib / 1024:>14.0f} |")
    ok = peel_s is not None and peel_s <= 60 and peel_kib < 2 * 2**20
    print(f"\npeel import within 60 s and 2 GiB: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
