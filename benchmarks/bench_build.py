"""How fast is ``peel build``? Measures, in one run on this machine, and prints a table:

* **naive**: for a few forces, the papermill command line once per notebook, the nbconvert command line
  once per executed notebook, and the PDF of the force's report made in a fresh process (per force);
* **peel build, cold**: ``peel build`` for the same forces into an empty output folder;
* **peel build --all, cold** and **again with nothing changed**;
* **compute floor**: the work of all notebooks done in one plain Python process with no kernel (load,
  compute, draw charts, write the HTML and the PDF), which no build can beat: start-up once, the first
  force (which fills the caches), then the marginal cost of each further force; from these, the best
  possible time for all 43 forces on this machine's cores;
* **stage-wise floor**: the least each stage of one force can cost, from ``benchmarks/profile_force.py``
  run on two forces in one process: each chart drawn once at the resolution it needs, the report
  stitched once, Typst typesetting its PDF once, plus the notebooks' own work
  without their charts; times 43 forces over this machine's cores, plus one kernel start per core;
* the ratios between them, and peak memory (the largest process, and the whole process tree sampled).

The machine may be shared: every row also gives the CPU seconds of the measured process tree, which
other work disturbs far less than wall time, and the load average is printed before and after.

Usage::

    python benchmarks/bench_build.py                 # everything (the --all builds take minutes)
    python benchmarks/bench_build.py --naive-forces 2 --skip-all

Outputs go to a temporary folder that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEFAULT_FORCES = ("metropolitan", "kent", "west-yorkshire")


class TreeMemory:
    """Samples the total resident memory of a process and its descendants; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: CPU seconds (user + system) of each finished command's process tree, in order.
CPU: list[float] = []


def children_cpu() -> float:
    """CPU seconds of this process's reaped children (and theirs) so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], **kw) -> tuple[float, int]:
    """Run a command; return (seconds, peak memory of its process tree in bytes). Its CPU time goes to CPU."""
    c0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
    with TreeMemory(proc.pid) as mem:
        _, err = proc.communicate()
    if proc.returncode not in (0,):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    CPU.append(children_cpu() - c0)
    return time.perf_counter() - t0, mem.peak


def force_areas(force_id: str) -> list:
    from peel.inputs.areas import load_report
    from peel.inputs.inspection import load_force_inputs

    report = load_report(ROOT / "notebooks")
    inputs = load_force_inputs(ROOT / "params", force_id, report)
    return [a for a in report.areas if a.always or a.id in inputs.areas]


def naive_force(force_id: str, work: Path) -> float:
    """papermill CLI per notebook, nbconvert CLI per executed notebook, then the PDF in a fresh process."""
    out = work / "naive" / force_id
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for area in force_areas(force_id):
        executed = out / area.notebook
        run([str(VENV_BIN / "papermill"), str(ROOT / "notebooks" / area.notebook), str(executed),
             "-p", "force_id", force_id, "-p", "data_dir", str(ROOT / "data"), "-p", "params_dir",
             str(ROOT / "params"), "--no-progress-bar", "--cwd", str(ROOT / "notebooks")])
        run([str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed),
             "--output-dir", str(out)])
    # The force's report and PDF from the executed notebooks, in a fresh process, as a script would.
    script = (
        "import sys, nbformat, json\n"
        "from pathlib import Path\n"
        "from peel.pipeline.options import BuildOptions\nfrom peel.pipeline.plan import plan_force\n"
        "from peel.pipeline.cache import fingerprints\n"
        "from peel.pipeline.plan import dataset_info as _dataset_info\n"
        "from peel.inputs.areas import load_report\n"
        "from peel.inputs.forces import get_force\n"
        "from peel.render.page import AreaEntry, ReportContext, render_report\n"
        "from peel.render.pdf import write_pdf\n"
        f"root = Path({str(ROOT)!r}); out = Path({str(out)!r}); fid = {force_id!r}\n"
        "report = load_report(root / 'notebooks')\n"
        "opts = BuildOptions((get_force(fid),), ('html', 'pdf'), root / 'data', root / 'params', out / 'x',"
        " root / 'notebooks', 1, None, validate=False)\n"
        "prints = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])\n"
        "plan = plan_force(get_force(fid), opts, report, prints, _dataset_info(root / 'data'), None)\n"
        "nbs = []\n"
        "for a in plan.areas:\n"
        "    nb = nbformat.read(out / a.notebook.name, as_version=4)\n"
        "    nb.metadata['peel'] = {'area_id': a.area_id, 'title': a.title, 'graded': a.graded}\n"
        "    nbs.append(nb)\n"
        "ctx = dict(plan.context); ctx['areas'] = tuple(AreaEntry(*t) for t in ctx['areas'])\n"
        "ctx = ReportContext(**ctx)\n"
        "html = render_report(nbs, ctx)\n"
        "(out / 'report.html').write_text(html, encoding='utf-8')\n"
        "write_pdf(html, out / 'report.pdf', title=ctx.document_title)\n"
    )
    run([sys.executable, "-c", script])
    return time.perf_counter() - t0


def peel_build(args: list[str], out: Path) -> tuple[float, int]:
    return run([str(VENV_BIN / "peel"), "build", *args, "--out", str(out)])


FLOOR_SCRIPT = r'''
import ast, json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import nbformat
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
from IPython.utils.capture import capture_output
from peel.inputs.areas import load_report
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import plan_force
from peel.pipeline.cache import fingerprints
from peel.pipeline.plan import dataset_info as _dataset_info
from peel.inputs.dataset import load_dataset
from peel.inputs.forces import get_force
from peel.render.page import AreaEntry, ReportContext, render_report
from peel.render.pdf import write_pdf

root, out, fids = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
InteractiveShell.instance()  # display() publishes rich outputs only through a shell
report = load_report(root / "notebooks")
load_dataset(root / "data")
startup = time.perf_counter() - t0


def one_force(fid):
    opts = BuildOptions((get_force(fid),), ("html", "pdf"), root / "data", root / "params", out / "x",
                        root / "notebooks", 1, None, validate=False)
    prints = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])
    plan = plan_force(get_force(fid), opts, report, prints, _dataset_info(root / "data"), None)
    params = {"force_id": fid, "data_dir": str(root / "data"), "params_dir": str(root / "params")}
    notebooks = []
    for area in plan.areas:
        source = nbformat.read(area.notebook, as_version=4)
        ns = {"__name__": "__main__", "display": display}
        outputs = []
        for cell in source.cells:
            if cell.cell_type != "code":
                continue
            tree = ast.parse(cell.source)
            if tree.body and isinstance(tree.body[-1], ast.Expr):  # the value a notebook cell would show
                last = tree.body[-1]
                tree.body[-1] = ast.Expr(ast.Call(ast.Name("display", ast.Load()), [last.value], []))
                ast.fix_missing_locations(tree)
            with capture_output(stdout=True, stderr=True, display=True) as cap:
                exec(compile(tree, area.notebook.name, "exec"), ns)
            if "parameters" in cell.metadata.get("tags", []):
                ns.update(params)
            for o in cap.outputs:
                outputs.append(nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata))
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
        nb.metadata["peel"] = {"area_id": area.area_id, "title": area.title, "graded": area.graded}
        notebooks.append(nb)
    ctx = dict(plan.context); ctx["areas"] = tuple(AreaEntry(*t) for t in ctx["areas"])
    ctx = ReportContext(**ctx)
    html = render_report(notebooks, ctx)
    folder = out / fid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text(html, encoding="utf-8")
    write_pdf(html, folder / "report.pdf", title=ctx.document_title)


times = []
for fid in fids:
    t = time.perf_counter()
    one_force(fid)
    times.append(time.perf_counter() - t)
(out / "floor.json").write_text(json.dumps({"startup": startup, "forces": times}), encoding="utf-8")
'''


def compute_floor(forces: list[str], work: Path) -> tuple[float, list[float], int]:
    """(start-up seconds, seconds per force in order, peak bytes) of the work done in one plain process."""
    script = work / "floor.py"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    out = work / "floor"
    _, peak = run([sys.executable, str(script), str(ROOT), str(out), *forces],
                  env={**os.environ, "MPLBACKEND": "Agg"})
    result = json.loads((out / "floor.json").read_text(encoding="utf-8"))
    return result["startup"], result["forces"], peak


def stage_floor(forces: list[str], work: Path) -> dict:
    """Stages of ``forces`` built in one process by ``profile_force.py`` (CPU and wall seconds, summed)."""
    out = work / "stages.json"
    run([sys.executable, str(ROOT / "benchmarks" / "profile_force.py"), "--forces", ",".join(forces),
         "--json", str(out)], env={**os.environ, "MPLBACKEND": "Agg"})
    return json.loads(out.read_text(encoding="utf-8"))


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-forces", type=int, default=2, help="forces built the naive way (default 2)")
    parser.add_argument("--forces", default=",".join(DEFAULT_FORCES), help="forces for the naive/peel comparison")
    parser.add_argument("--skip-all", action="store_true", help="skip the two 'peel build --all' runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary outputs")
    args = parser.parse_args()
    forces = [f for f in args.forces.split(",") if f][: max(1, args.naive_forces)]
    work = Path(tempfile.mkdtemp(prefix="peel-bench-"))
    rows: list[tuple[str, float, float | None, str]] = []
    peaks: dict[str, int] = {}
    print(f"before: {load()}", flush=True)
    try:
        k = len(CPU)
        naive = [naive_force(f, work) for f in forces]
        naive_per_force = sum(naive) / len(naive)
        rows.append((f"naive (papermill + nbconvert CLIs + PDF), {len(forces)} forces", sum(naive), sum(CPU[k:]),
                     f"{naive_per_force:.1f} s per force"))

        t, peaks["peel build (few)"] = peel_build(forces, work / "cold")
        rows.append((f"peel build {' '.join(forces)} (cold)", t, CPU[-1], f"{t / len(forces):.1f} s per force"))
        few_per_force = t / len(forces)

        # The floor: the same work in one plain Python process, no kernel, no papermill, no nbconvert.
        # The first force also fills the per-process caches (the national comparisons), as the first
        # force of each worker does in a build; later forces show the marginal cost of one more report.
        floor_forces = list(DEFAULT_FORCES)
        startup, floor_times, peaks["compute floor"] = compute_floor(floor_forces, work)
        warm = sum(floor_times[1:]) / len(floor_times[1:])
        rows.append(("compute floor: start-up (imports, data)", startup, None, "once per process"))
        rows.append((f"compute floor: first force ({floor_forces[0]})", floor_times[0], None, "fills the caches"))
        rows.append((f"compute floor: each further force ({', '.join(floor_forces[1:])})", warm, None,
                     "marginal cost of one report"))

        # The stage-wise floor: each stage's CPU seconds (a single-threaded stage cannot take less wall
        # time than that on an idle core), per force, from two forces built in one warm kernel.
        staged = stage_floor(floor_forces[:2], work)
        per = staged["rows"]
        nf = len(staged["forces"])
        stage_sum: dict[str, float] = {}
        for name in staged["build_stages"]:
            group = "notebooks" if name.startswith("notebook ") else name
            stage_sum[group] = stage_sum.get(group, 0.0) + per[name]["cpu"]
        charts = sum(r["cpu"] for n, r in per.items() if n.strip().startswith("chart "))
        for group, cpu in stage_sum.items():
            once = group == "kernel start"
            note = "once per worker" if once else "per force"
            if group == "notebooks":
                note += f" (of which charts, drawn again in one process: {charts / nf:.2f})"
            rows.append((f"stage-wise floor: {group}", per.get(group, {}).get("wall", 0.0) / (1 if once else nf)
                         if group != "notebooks" else sum(r["wall"] for n, r in per.items()
                                                          if n.startswith("notebook ")) / nf,
                         cpu / (1 if once else nf), note))
        stage_force = sum(c for g, c in stage_sum.items() if g != "kernel start") / nf
        stage_start = stage_sum.get("kernel start", 0.0)

        all_per_force = None
        if not args.skip_all:
            from peel.inputs.forces import force_ids

            n = len(force_ids())
            t_all, peaks["peel build --all (cold)"] = peel_build(["--all"], work / "all")
            all_per_force = t_all / n
            rows.append(("peel build --all (cold)", t_all, CPU[-1], f"{all_per_force:.1f} s per force"))
            t_again, peaks["peel build --all (unchanged)"] = peel_build(["--all"], work / "all")
            rows.append(("peel build --all again, nothing changed", t_again, CPU[-1],
                         f"{100 * t_again / t_all:.1f}% of the cold batch"))

        print(f"machine: {platform.node()} · {platform.processor() or platform.machine()} · "
              f"{os.cpu_count()} cores · {psutil.virtual_memory().total / 2**30:.1f} GiB · "
              f"Python {platform.python_version()}")
        width = max(len(r[0]) for r in rows)
        print(f"{'measurement':<{width}}  {'seconds':>9}  {'cpu s':>9}  note")
        for name, secs, cpu, note in rows:
            cpu_text = f"{cpu:>9.1f}" if cpu is not None else f"{'':>9}"
            print(f"{name:<{width}}  {secs:>9.1f}  {cpu_text}  {note}")
        print()
        print(f"naive / peel build (few forces), per force: {naive_per_force / few_per_force:.1f}x")
        cpus = os.cpu_count() or 1
        from peel.inputs.forces import force_ids

        n = len(force_ids())
        per_core = math.ceil(n / cpus)
        staged_batch = stage_start + per_core * stage_force
        print(f"stage-wise floor: {stage_force:.2f} CPU s per force; for {n} forces on {cpus} cores "
              f"{staged_batch:.1f} s")
        if all_per_force:
            print(f"naive / peel build --all, per force:        {naive_per_force / all_per_force:.1f}x")
            # Best possible batch: each core a plain process paying start-up and the first force once,
            # then its share of the remaining forces at the marginal cost.
            floor_batch = startup + floor_times[0] + (per_core - 1) * warm
            print(f"compute floor for {n} forces on {cpus} cores: {floor_batch:.1f} s; "
                  f"cold --all / floor: {t_all / floor_batch:.2f}; cold --all / stage-wise floor: "
                  f"{t_all / staged_batch:.2f}")
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: largest single process {largest:.0f} MiB; whole process tree: "
              + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in peaks.items()))
        print(f"after: {load()}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"outputs kept in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
