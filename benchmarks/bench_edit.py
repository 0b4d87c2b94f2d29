"""How fast does a one-word edit of one finding rebuild a force's report?

Builds a force's report once (cold), changes one word in one finding of a copy of its inspection
inputs, builds again with the same command a user types, and prints the seconds of the second build
and the notebooks it executed. It fails (exit status 1) unless exactly one notebook was executed, as
``build.json`` records it.

With ``--watch`` it starts ``peel watch FORCE`` instead, waits for its first build, makes the same
edit and measures the seconds from the save until ``report.html`` (and, unless ``--to html``,
``report.pdf``) has been replaced, with the CPU seconds of the watch and its kernel over the rebuild.

Usage::

    python benchmarks/bench_edit.py                  # metropolitan, HTML and PDF
    python benchmarks/bench_edit.py --force gwent --area police_powers --to html
    python benchmarks/bench_edit.py --watch [--to html] [--repeat 3]

Outputs go to a temporary folder that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
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


def executed_areas(out: Path, force: str) -> list[str]:
    """The areas ``build.json`` says the last build executed for ``force``."""
    areas = json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"][force]["areas"]
    return sorted(a for a, r in areas.items() if r["status"] == "executed")


class Watching:
    """``peel watch`` in a child process, with its stderr read line by line (bounded waits only)."""

    def __init__(self, force: str, params: Path, out: Path, formats: str):
        command = [sys.executable, "-m", "peel.cli", "watch", force, "--params", str(params), "--out", str(out),
                   "--to", formats]
        self.proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, after: int, seconds: float) -> None:
        """Wait until a line after the first ``after`` contains ``text``; exit the benchmark if it never does."""
        deadline = time.monotonic() + seconds
        while not any(text in line for line in self.lines[after:]):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit("peel watch did not get to '" + text + "':\n" + "\n".join(self.lines[-30:]))
            time.sleep(0.05)

    def cpu(self) -> float:
        """CPU seconds (user + system) of the watch and its kernel so far."""
        import psutil

        me = psutil.Process(self.proc.pid)
        total = 0.0
        for p in [me, *me.children(recursive=True)]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=60)


def file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def bench_watch(args: argparse.Namespace, params: Path, out: Path) -> int:
    """Start ``peel watch``, then time each one-word edit from the save to the files replaced."""
    targets = [out / args.force / "report.html"] + ([out / args.force / "report.pdf"] if "pdf" in args.to else [])
    started = time.perf_counter()
    watching = Watching(args.force, params, out, args.to)
    failed = False
    try:
        watching.wait_for("watching", 0, 1800)
        print(f"machine: {os.cpu_count()} cores; force {args.force}; formats {args.to}; peel watch")
        print(f"first build (cold, kernel start included): {time.perf_counter() - started:.1f} s")
        for i in range(args.repeat):
            before = {t: file_id(t) for t in targets}
            seen = len(watching.lines)
            load = os.getloadavg()[0]
            cpu = watching.cpu()
            heading = edit_one_word(params / f"{args.force}.yaml", args.area)
            saved = time.perf_counter()
            replaced: dict[Path, float] = {}
            deadline = saved + 600
            while len(replaced) < len(targets) and time.perf_counter() < deadline:
                for t in targets:
                    if t not in replaced and file_id(t) != before[t]:
                        replaced[t] = time.perf_counter() - saved
                time.sleep(0.005)
            watching.wait_for("watching", seen, 600)  # the rebuild has ended: build.json is written
            used = watching.cpu() - cpu
            executed = executed_areas(out, args.force)
            times = ", ".join(f"{t.name} replaced after {replaced[t]:.2f} s" if t in replaced
                              else f"{t.name} not replaced" for t in targets)
            print(f"edit {i + 1} of the finding {heading!r} ({args.area}): {times} "
                  f"({used:.2f} s CPU, the watch and its kernel; load average {load:.2f} before, "
                  f"{os.getloadavg()[0]:.2f} after), {len(executed)} notebook(s) executed: "
                  f"{', '.join(executed) or 'none'}")
            if executed != [args.area] or len(replaced) < len(targets):
                print(f"expected exactly one notebook executed ({args.area}) and every file replaced", file=sys.stderr)
                failed = True
    finally:
        watching.stop()
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", default="metropolitan")
    parser.add_argument("--area", default="police_powers")
    parser.add_argument("--to", default="html,pdf")
    parser.add_argument("--watch", action="store_true", help="time peel watch's rebuild instead of peel build")
    parser.add_argument("--repeat", type=int, default=3, help="with --watch: how many edits to time (default 3)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="peel-bench-edit-"))
    try:
        params, out = work / "params", work / "out"
        shutil.copytree(ROOT / "params", params)
        if args.watch:
            return bench_watch(args, params, out)
        cold, cold_cpu = peel_build(args.force, params, out, args.to)
        heading = edit_one_word(params / f"{args.force}.yaml", args.area)
        load = os.getloadavg()[0]
        edited, edited_cpu = peel_build(args.force, params, out, args.to)
        executed = executed_areas(out, args.force)
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
