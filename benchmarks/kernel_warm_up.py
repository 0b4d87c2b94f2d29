"""What a warm kernel's first notebook still pays: kernel start, then the same notebook twice, per kernel.

The second run of a notebook in a kernel is what every later notebook pays; the first run's extra over
it is what the warm-up (``peel.kernel_warm_up``) did not preload, and the start's CPU seconds what it
did. Each row is one new kernel; the figures are wall seconds and the kernel process's CPU seconds.

Usage::

    python benchmarks/kernel_warm_up.py                 # 3 kernels, metropolitan's first area
    python benchmarks/kernel_warm_up.py --kernels 5 --area police_powers
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=3, help="how many kernels to start (default 3)")
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--area", default="", help="the area whose notebook runs (default: the first)")
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")

    from peel.inputs.areas import load_report
    from peel.inputs.forces import get_force
    from peel.pipeline.cache import fingerprints
    from peel.pipeline.execute import execute_area
    from peel.pipeline.kernel import WarmKernel
    from peel.pipeline.options import BuildOptions
    from peel.pipeline.plan import dataset_info, plan_force

    report = load_report(ROOT / "notebooks")
    work = Path(tempfile.mkdtemp(prefix="peel-warm-up-"))
    opts = BuildOptions((get_force(args.force),), ("html",), ROOT / "data", ROOT / "params", work / "out",
                        ROOT / "notebooks", 1, None, validate=False)
    prints = fingerprints(ROOT / "data", ROOT / "notebooks", [a.notebook for a in report.areas])
    plan = plan_force(get_force(args.force), opts, report, prints, dataset_info(ROOT / "data"), None)
    area = next(a for a in plan.areas if not args.area or a.area_id == args.area)
    print(f"load average {os.getloadavg()[0]:.2f}; notebook {area.notebook.name}")
    print(f"{'kernel':>6} {'start s':>8} {'start CPU s':>12} {'1st run s':>10} {'2nd run s':>10} {'1st extra s':>12} "
          f"{'extra CPU s':>12}")
    extras = []
    for i in range(args.kernels):
        t0 = time.perf_counter()
        kernel = WarmKernel(cwd=ROOT / "notebooks").start()
        started = time.perf_counter() - t0
        proc = psutil.Process(kernel.pid)
        start_cpu = sum(proc.cpu_times()[:2])
        try:
            runs = []
            for _ in range(2):
                cpu0, t0 = sum(proc.cpu_times()[:2]), time.perf_counter()
                execute_area(kernel, area.notebook, work / area.notebook.name, area.parameters,
                             area_id=area.area_id, title=area.title, graded=area.graded)
                runs.append((time.perf_counter() - t0, sum(proc.cpu_times()[:2]) - cpu0))
        finally:
            kernel.shutdown()
        extra, extra_cpu = runs[0][0] - runs[1][0], runs[0][1] - runs[1][1]
        extras.append(extra)
        print(f"{i + 1:>6} {started:>8.2f} {start_cpu:>12.2f} "
              f"{runs[0][0]:>10.2f} {runs[1][0]:>10.2f} {extra:>12.2f} {extra_cpu:>12.2f}")
    print(f"median first-notebook extra: {statistics.median(extras):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
