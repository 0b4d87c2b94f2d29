"""Where does one force's build spend its time? Prints a table of stages, for one force or a batch.

The stages are those of ``peel build`` in a worker, timed one by one in this process:

* **kernel start**: one warm Jupyter kernel (imports done), as each worker starts one;
* **notebook <area>**: each area notebook executed by papermill in that kernel (includes its charts);
* **chart <measure>** (``draw``, ``png`` and ``narrow``): each all-forces chart of the force's areas
  drawn and encoded again here, in this process, with its narrow picture for phones, to show what the
  charts cost inside the notebooks;
* **stitching**: the executed notebooks merged into the report's HTML;
* **PDF markup**: the report's HTML turned into Typst markup (``peel.render.typst_markup``);
* **PDF typeset**: Typst typesetting that markup and writing the tagged PDF (``peel.render.pdf``), the
  markup made again inside it (a few hundredths of a second).

Each row gives wall seconds and CPU seconds (this process plus its children, the kernel included),
since the machine may be shared: CPU time is far less sensitive to other work than wall time. The load
average is printed beside the figures.

Usage::

    python benchmarks/profile_force.py                       # metropolitan
    python benchmarks/profile_force.py --forces kent,gwent   # a few forces, one kernel, totals per stage
    python benchmarks/profile_force.py --forces all          # the whole batch in one process (minutes)
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its reaped children so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def kernel_cpu(kernel: Any) -> float:
    """CPU time of the running kernel process (not a reaped child until it exits)."""
    import psutil

    try:
        t = psutil.Process(kernel.pid).cpu_times()
        return t.user + t.system
    except (psutil.Error, TypeError):
        return 0.0


class Stages:
    """Accumulates (wall, cpu, count) per stage name, in first-seen order."""

    def __init__(self, kernel_ref: Callable[[], Any]) -> None:
        self.rows: OrderedDict[str, list[float]] = OrderedDict()
        self._kernel = kernel_ref

    def _cpu(self) -> float:
        k = self._kernel()
        return cpu_seconds() + (kernel_cpu(k) if k is not None else 0.0)

    def time(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        w0, c0 = time.perf_counter(), self._cpu()
        result = fn(*args, **kwargs)
        wall, cpu = time.perf_counter() - w0, self._cpu() - c0
        row = self.rows.setdefault(name, [0.0, 0.0, 0])
        row[0] += wall
        row[1] += cpu
        row[2] += 1
        return result

    def table(self, title: str, total_names: list[str]) -> str:
        width = max([len(n) for n in self.rows] + [len("stage")])
        lines = [title, f"{'stage':<{width}}  {'wall s':>8}  {'cpu s':>8}  {'n':>4}"]
        for name, (wall, cpu, n) in self.rows.items():
            lines.append(f"{name:<{width}}  {wall:>8.2f}  {cpu:>8.2f}  {int(n):>4}")
        tw = sum(self.rows[n][0] for n in total_names if n in self.rows)
        tc = sum(self.rows[n][1] for n in total_names if n in self.rows)
        lines.append(f"{'total (build stages)':<{width}}  {tw:>8.2f}  {tc:>8.2f}")
        return "\n".join(lines)


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forces", default="metropolitan", help="comma-separated force ids, or 'all'")
    parser.add_argument("--no-charts", action="store_true", help="skip the in-process chart timings")
    parser.add_argument("--json", type=Path, help="also write the stages as JSON here (for bench_build.py)")
    args = parser.parse_args()

    os.environ.setdefault("MPLBACKEND", "Agg")
    import nbformat
    from pypdf import PdfReader

    from peel.analysis.charts import all_forces_chart, figure_png
    from peel.analysis.comparison import area_comparisons
    from peel.analysis.narrow_chart import narrow_chart
    from peel.analysis.numbered_figure import table_record
    from peel.analysis.wording import seen_by
    from peel.inputs.areas import load_report
    from peel.inputs.dataset import load_dataset
    from peel.inputs.forces import force_ids, get_force
    from peel.pipeline.cache import fingerprints
    from peel.pipeline.execute import execute_area
    from peel.pipeline.kernel import WarmKernel
    from peel.pipeline.options import BuildOptions
    from peel.pipeline.plan import dataset_info, plan_force
    from peel.render import pdf as pdfmod
    from peel.render.page import AreaEntry, ReportContext, render_report
    from peel.render.typst_markup import page_to_typst

    fids = list(force_ids()) if args.forces == "all" else [f for f in args.forces.split(",") if f]
    report = load_report(ROOT / "notebooks")
    dataset = load_dataset(ROOT / "data")
    prints = fingerprints(ROOT / "data", ROOT / "notebooks", [a.notebook for a in report.areas])
    info = dataset_info(ROOT / "data")
    print(f"before: {load()}")

    kernel: WarmKernel | None = None
    stages = Stages(lambda: kernel)
    build_stages: list[str] = ["kernel start"]
    work = Path(tempfile.mkdtemp(prefix="peel-profile-"))
    pages = {}
    try:
        kernel = stages.time("kernel start", lambda: WarmKernel(cwd=ROOT / "notebooks").start())
        for fid in fids:
            force = get_force(fid)
            opts = BuildOptions((force,), ("html", "pdf"), ROOT / "data", ROOT / "params", work / "x",
                                ROOT / "notebooks", 1, None, validate=False)
            plan = plan_force(force, opts, report, prints, info, None)
            notebooks = []
            for area in plan.areas:
                executed = work / fid / area.notebook.name
                executed.parent.mkdir(parents=True, exist_ok=True)
                name = f"notebook {area.area_id}"
                stages.time(name, execute_area, kernel, area.notebook, executed, area.parameters,
                            area_id=area.area_id, title=area.title, graded=area.graded)
                if name not in build_stages:
                    build_stages.append(name)
                notebooks.append(nbformat.read(executed, as_version=4))
                if not args.no_charts:
                    for comp in area_comparisons(dataset, area.area_id):
                        fig = stages.time(f"  chart {comp.measure.id}: draw", all_forces_chart, comp, fid)
                        stages.time(f"  chart {comp.measure.id}: png", figure_png, fig)
                        seen = seen_by(comp, fid)
                        head = table_record(seen, fid, fig.peel_bars)["unit_head"]
                        stages.time(f"  chart {comp.measure.id}: narrow",
                                    lambda s=seen, h=head, b=fig.peel_bars: narrow_chart(s, b, h).data_uri())
            ctx_args = dict(plan.context)
            ctx_args["areas"] = tuple(AreaEntry(*t) for t in ctx_args["areas"])
            context = ReportContext(**ctx_args)
            html = stages.time("stitching", render_report, notebooks, context)
            stages.time("PDF markup", page_to_typst, html, title=context.document_title)
            pdf = stages.time("PDF typeset", pdfmod.render_pdf, html, title=context.document_title)
            pages[fid] = len(PdfReader(io.BytesIO(pdf)).pages)
        build_stages += ["stitching", "PDF markup", "PDF typeset"]
    finally:
        if kernel is not None:
            kernel.shutdown()
    n = len(fids)
    names = ", ".join(fids) if n <= 5 else f"{fids[0]} ... {fids[-1]}"
    title = f"{n} force(s): {names}; pages {pages if n <= 5 else sum(pages.values())}"
    print(stages.table(title, build_stages))
    print("(chart rows: redrawn in this process; the notebook rows include them, the total does not)")
    print(f"after: {load()}")
    if args.json:
        import json

        args.json.write_text(json.dumps({"forces": fids, "build_stages": build_stages, "rows": {
            name: {"wall": w, "cpu": c, "n": int(k)} for name, (w, c, k) in stages.rows.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
