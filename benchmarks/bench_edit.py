"""How fast does a one-word edit of one finding rebuild a force's report?

Builds a force's report once (cold), changes one word in one finding of a copy of its inspection
inputs, builds again with the same command a user types, and prints the seconds of the second build
and the notebooks it executed. It fails (exit status 1) unless exactly one notebook was executed, as
``build.json`` records it.

Usage::

    python benchmarks/bench_edit.py                  # metropolitan, HTML and PDF
    python benchmarks/bench_edit.py --force gwent --area police_powers --to html

Outputs go to a temporary folder that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from timing import timed_peel

ROOT = Path(__file__).resolve().parents[1]


def children_cpu() -> float:
    """CPU seconds (user + system) of the reaped child processes so far (the builds and their kernels)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def peel_build(force: str, params: Path, out: Path, formats: str) -> tuple[float, float]:
    """Run ``peel build`` as a user would; return its wall-clock and CPU seconds (its kernel included).

    The machine may be shared: the CPU seconds are far less sensitive to other work than the wall
    seconds, and on an idle machine with two cores the wall time is at most about the CPU time.
    """
    cpu = children_cpu()
    seconds = timed_peel(["build", force, "--params", str(params), "--out", str(out), "--to", formats],
                         timeout=1800)
    return seconds, children_cpu() - cpu


def edit_one_word(params_file: Path, area: str) -> str:
    """Add one word to the first finding's text of ``area``; return the heading of the finding edited."""
    from peel.inputs.inspection import load_force_inputs

    inputs = load_force_inputs(params_file.parent, params_file.stem)
    finding = inputs.areas[area].findings[0]
    first = finding.text.split()[0]
    text = params_file.read_text(encoding="utf-8")
    start = text.index(first, text.index(finding.heading.split()[0]))
    params_file.write_text(text[:start] + "Notably, " + text[start:], encoding="utf-8")
    return finding.heading


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--area", default="police_powers")
    parser.add_argument("--to", default="html,pdf")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="peel-bench-edit-"))
    try:
        params, out = work / "params", work / "out"
        shutil.copytree(ROOT / "params", params)
        cold, cold_cpu = peel_build(args.force, params, out, args.to)
        heading = edit_one_word(params / f"{args.force}.yaml", args.area)
        load = os.getloadavg()[0]
        edited, edited_cpu = peel_build(args.force, params, out, args.to)
        areas = json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"][args.force]["areas"]
        executed = sorted(a for a, r in areas.items() if r["status"] == "executed")
        print(f"machine: {os.cpu_count()} cores; force {args.force}; formats {args.to}")
        print(f"cold build: {cold:.1f} s ({cold_cpu:.1f} s CPU)")
        print(f"after a one-word edit of the finding {heading!r} ({args.area}): {edited:.1f} s "
              f"({edited_cpu:.1f} s CPU; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after), "
              f"{len(executed)} notebook(s) executed: {', '.join(executed) or 'none'}")
        if executed != [args.area]:
            print(f"expected exactly one notebook executed ({args.area})", file=sys.stderr)
            return 1
        return 0
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
