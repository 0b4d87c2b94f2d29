"""What does the Dask engine cost? The cold 43-force build on a LocalCluster against the local pool.

Runs, one after the other on this machine, ``peel build --all --jobs N`` (the local pool) and
``peel build --all --scheduler local:N`` (a LocalCluster of N worker processes, started by the build)
into empty output folders, checks that the two give byte-identical reports, and prints both times,
their ratio (the issue asks for at most 1.2) and the load average before and after each run, since
on a shared machine the figures mean little without it.

Usage::

    python benchmarks/bench_dask.py                     # 43 forces, 2 workers, HTML and PDF
    python benchmarks/bench_dask.py --workers 4 --forces metropolitan kent --to html

Outputs go to a temporary folder that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from timing import timed_peel

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed_build(args: list[str], out: Path) -> tuple[float, str, str]:
    """Seconds one ``peel build`` took, with the load average before and after it."""
    before = load()
    seconds = timed_peel(["build", *args, "--out", str(out)], timeout=3600)
    return seconds, before, load()


def differing(a: Path, b: Path) -> list[str]:
    """Reports present in either folder whose bytes differ (or that only one has)."""
    names = {p.relative_to(a) for p in a.glob("*/report.*")} | {p.relative_to(b) for p in b.glob("*/report.*")}
    return sorted(str(n) for n in names if not ((a / n).is_file() and (b / n).is_file()
                                                 and (a / n).read_bytes() == (b / n).read_bytes()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="local pool jobs and LocalCluster workers")
    parser.add_argument("--forces", nargs="*", default=None, help="force ids (default: all 43)")
    parser.add_argument("--to", default="html,pdf")
    parser.add_argument("--keep", action="store_true", help="keep the output folders")
    args = parser.parse_args()
    which = args.forces or ["--all"]
    work = Path(tempfile.mkdtemp(prefix="peel-bench-dask-"))
    try:
        common = [*which, "--to", args.to]
        pool = timed_build([*common, "--jobs", str(args.workers)], work / "pool")
        dask = timed_build([*common, "--scheduler", f"local:{args.workers}"], work / "dask")
        diff = differing(work / "pool", work / "dask")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"forces: {'all 43' if not args.forces else ' '.join(args.forces)}, formats {args.to}, "
              f"{args.workers} workers, cold builds")
        print(f"{'run':<40} {'seconds':>8}   load average before -> after (1, 5, 15 min)")
        print(f"{'local pool (--jobs)':<40} {pool[0]:>8.1f}   {pool[1]} -> {pool[2]}")
        print(f"{'LocalCluster (--scheduler local:N)':<40} {dask[0]:>8.1f}   {dask[1]} -> {dask[2]}")
        print(f"ratio LocalCluster / local pool: {dask[0] / pool[0]:.2f} (target at most 1.2)")
        print("reports byte-identical: " + ("yes" if not diff else f"NO, {len(diff)} differ: {diff[:5]}"))
        return 0 if not diff else 1
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
