"""Two versions of peel-reports side by side: a cold ``peel build`` of the same forces by each, in one run.

The base version (a git commit, such as the last one that printed with WeasyPrint) is checked out into a
temporary worktree with its own virtual environment, installed from its own lock file; this checkout is
the other. Each then builds the same forces into an empty folder, the two taking turns ``--repeat`` times,
and the table gives the wall time and the CPU seconds of each build's process tree (other work on a
shared machine disturbs CPU seconds far less than wall time), with the load average before each run.

Usage::

    python benchmarks/bench_compare.py --base 319f0d6            # all 43 forces, HTML and PDF
    python benchmarks/bench_compare.py --base 319f0d6 --forces metropolitan,kent --repeat 2

Everything it makes goes into a temporary folder that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, timeout: float) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def install(checkout: Path) -> Path:
    """A virtual environment for ``checkout``, from its own lock file; returns its ``bin`` folder."""
    venv = checkout / ".venv"
    uv = shutil.which("uv") or (str(Path(sys.executable).parent / "uv")
                                if (Path(sys.executable).parent / "uv").exists() else None)
    if uv:  # the same packages as pip installs, in seconds instead of minutes
        _run([uv, "venv", "-q", "-p", sys.executable, str(venv)], checkout, 600)
        env_cmd = [uv, "pip", "install", "-q", "-p", str(venv / "bin" / "python"), "-r", "requirements.lock", "-e", "."]
        _run(env_cmd, checkout, 1800)
    else:
        _run([sys.executable, "-m", "venv", str(venv)], checkout, 600)
        _run([str(venv / "bin" / "pip"), "install", "-q", "-r", "requirements.lock", "-e", "."], checkout, 1800)
    return venv / "bin"


def timed_build(bindir: Path, checkout: Path, out: Path, forces: list[str], timeout: float) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the build and every process below it) of one cold build."""
    shutil.rmtree(out, ignore_errors=True)
    which = ["--all"] if forces == ["all"] else forces
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    _run([str(bindir / "peel"), "build", *which, "--out", str(out)], checkout, timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git commit to compare this checkout with")
    parser.add_argument("--forces", default="all", help="comma-separated force ids, or 'all' (default)")
    parser.add_argument("--repeat", type=int, default=1, help="builds by each version, taking turns (default 1)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one build may take (default 3600)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    forces = [f for f in args.forces.split(",") if f]

    tmp = Path(tempfile.mkdtemp(prefix="peel-compare-"))
    base = tmp / "base"
    try:
        _run(["git", "worktree", "add", "-q", "--detach", str(base), args.base], ROOT, 600)
        sides = {f"base {args.base}": (install(base), base), "this checkout": (Path(sys.executable).parent, ROOT)}
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in sides}
        for i in range(args.repeat):
            for name, (bindir, checkout) in sides.items():
                load = os.getloadavg()[0]
                wall, cpu = timed_build(bindir, checkout, tmp / f"out-{i}-{len(results[name])}-{name[:4]}",
                                        forces, args.timeout)
                results[name].append((wall, cpu, load))
                print(f"{name}: {wall:.1f} s, {cpu:.1f} CPU s (load average {load:.1f} at the start)", flush=True)
        print()
        print(f"cold `peel build {' '.join(forces) if forces != ['all'] else '--all'}`, HTML and PDF, "
              f"{os.cpu_count()} cores; median of {args.repeat}")
        print("| version | seconds | CPU s | load average at the start |")
        print("| --- | --- | --- | --- |")
        medians = {}
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            medians[name] = (wall, cpu)
            print(f"| {name} | {wall:.1f} | {cpu:.1f} | {', '.join(f'{r[2]:.1f}' for r in runs)} |")
        (bw, bc), (tw, tc) = medians.values()
        print(f"\nthis checkout / base: {tw / bw:.2f} of the wall time, {tc / bc:.2f} of the CPU seconds")
    finally:
        # The base's virtual environment (thousands of files) goes first, here: on a busy machine git
        # took longer than its bound to remove it and left the worktree half removed and registered.
        shutil.rmtree(base / ".venv", ignore_errors=True)
        try:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True,
                           timeout=600)
        except subprocess.TimeoutExpired:
            print(f"git worktree remove --force {base} took over 600 s: run it again to remove the base's "
                  "worktree", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
