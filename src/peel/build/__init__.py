"""``peel build``: turn notebooks, data and inspection inputs into force reports, one force or all 43.

The build reads like its pipeline:

1. **Check the request and the inputs** before anything runs: force ids (an unknown id or a path such
   as ``../x`` is refused), output formats, the report structure and its notebooks, every notebook's
   declared parameters, and the data and inspection inputs (:func:`peel.inputs.validate.validate_all`).
2. **Plan**: for each force and area, compare the hashes of what the executed notebook depends on
   (the notebook, the force's inspection inputs, the data, the package, the environment) with the
   record kept beside the executed notebook. Unchanged areas are reused; a force whose areas were all
   reused and whose report files still match their record is not even re-rendered.
3. **Run** the forces with work in a pool of worker processes (about one per core). Each worker keeps
   one warm Jupyter kernel (:class:`peel.build.execute.WarmKernel`) and builds whole forces: it executes the
   areas that need it with papermill, stitches the force's notebooks into the HTML report
   (:func:`peel.render.stitch.render_report`), makes the PDF from the same HTML (:func:`peel.render.pdf.write_pdf`),
   and writes both to temporary names, renamed into place only when everything for that force worked.
   A failure fails only its force and leaves that force's previous report untouched.
4. **Record**: ``OUT/build.json`` (:mod:`peel.manifest`), ``OUT/index.html`` (:mod:`peel.site`), and a
   summary naming every failure; the exit status is 1 when any force failed.

Ctrl-C stops every worker and kernel, removes temporary files and exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO

from peel import __version__
from peel.inputs.areas import ReportSpec, load_report
from peel.inputs.dataset import DatasetInfo
from peel.errors import BuildError, InputError, Problem, display_path, one_line, problem
from peel.inputs.forces import Force, get_force
from peel.build.manifest import (
    combined_hash,
    git_commit,
    hash_files,
    sha256_file,
    sha256_text,
    write_json_atomic,
)
from peel.paths import PACKAGE_DIR
from peel.paths import data_dir as default_data_dir
from peel.paths import notebooks_dir as default_notebooks_dir
from peel.paths import outputs_dir as default_outputs_dir
from peel.paths import params_dir as default_params_dir

FORMATS = ("html", "pdf")

#: Parts of the package that never run inside a notebook's kernel: a change to them cannot change an
#: executed notebook, so it re-renders reports without re-executing notebooks. Everything else (the
#: ``inputs`` and ``analysis`` packages and the shared top-level modules) is the notebook side.
BUILD_SIDE = frozenset({"build", "render", "demo", "ingest", "cli.py"})

#: Libraries whose version can change what a notebook outputs.
ENVIRONMENT_PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "nbclient", "nbformat",
                        "ipykernel", "markdown-it-py", "nh3")

#: Seconds the build waits for workers to stop on Ctrl-C before killing them.
STOP_GRACE = 10.0

#: How the parts of an area's cache key are named in "why it re-ran" messages.
_COMPONENT_WORDS = {
    "notebook": "notebook changed",
    "params": "inspection inputs changed",
    "data": "data changed",
    "package": "package changed",
    "environment": "environment changed",
    "parameters": "parameters changed",
}
_RENDER_WORDS = {
    "areas": "notebooks re-executed",
    "package": "package changed",
    "template": "template changed",
    "params": "inspection inputs changed",
    "dataset": "dataset notice changed",
    "commit": "source commit changed",
    "version": "version changed",
}


# ==============================================================================================
# The request


@dataclass(frozen=True)
class BuildOptions:
    """A checked build request (the command line's arguments after validation)."""

    forces: tuple[Force, ...]
    formats: tuple[str, ...]
    data_dir: Path
    params_dir: Path
    out_dir: Path
    notebooks_dir: Path
    jobs: int
    timeout: float | None
    validate: bool = True
    #: Extra notebook parameters from ``--param NAME=VALUE``; every executed notebook must declare them.
    extra_parameters: tuple[tuple[str, str], ...] = ()


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")`` (report order kept, duplicates dropped).

    Raises
    ------
    InputError
        For an empty list or a format other than html and pdf.
    """
    items = [t.strip().lower() for t in str(text).split(",")]
    bad = [t for t in items if t not in FORMATS]
    if bad or not any(items):
        shown = ", ".join(repr(t) for t in bad) if bad else repr(text)
        raise InputError(problem("--to", shown, "expected a comma-separated list of html and pdf, such as 'html,pdf'"))
    return tuple(f for f in FORMATS if f in items)


def resolve_forces(ids: Sequence[str], all_forces: bool) -> tuple[Force, ...]:
    """The forces named on the command line, checked (all problems listed), or all 43 with ``--all``.

    Raises
    ------
    InputError
        For malformed ids (paths such as ``../x``), unknown ids, no ids, or ids with ``--all``.
    """
    from peel.inputs.forces import all_forces as every_force

    if all_forces and ids:
        raise InputError(problem("--all", "", "give force ids or --all, not both"))
    if all_forces:
        return every_force()
    if not ids:
        raise InputError(problem("FORCE_ID", "", "name at least one force (see 'peel forces') or use --all"))
    problems: list[Problem] = []
    found: list[Force] = []
    for fid in ids:
        try:
            force = get_force(fid, source="FORCE_ID")
        except InputError as e:
            problems.extend(e.problems)
            continue
        if force not in found:
            found.append(force)
    if problems:
        raise InputError(problems)
    return tuple(found)


def options_from_args(args: argparse.Namespace) -> BuildOptions:
    """Check the command line's arguments; every problem is listed before anything runs."""
    problems: list[Problem] = []
    forces: tuple[Force, ...] = ()
    formats: tuple[str, ...] = FORMATS
    try:
        forces = resolve_forces(list(getattr(args, "forces", None) or []), bool(getattr(args, "all", False)))
    except InputError as e:
        problems.extend(e.problems)
    try:
        formats = parse_formats(getattr(args, "to", "html,pdf") or "")
    except InputError as e:
        problems.extend(e.problems)
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        jobs = os.cpu_count() or 1
    elif jobs < 1:
        problems.append(problem("--jobs", str(jobs), "expected a whole number of at least 1"))
    timeout = getattr(args, "timeout", None)
    if timeout is not None and not timeout > 0:
        problems.append(problem("--timeout", str(timeout), "expected a number of seconds above 0"))
    data = Path(getattr(args, "data", None) or default_data_dir())
    params = Path(getattr(args, "params", None) or default_params_dir())
    for opt, folder in (("--data", data), ("--params", params)):
        if not folder.is_dir():
            problems.append(problem(opt, str(folder), "folder not found"))
    out = Path(getattr(args, "out", None) or default_outputs_dir())
    if out.exists() and not out.is_dir():
        problems.append(problem("--out", str(out), "expected a folder, found a file"))
    notebooks = Path(getattr(args, "notebooks", None) or default_notebooks_dir())
    if not notebooks.is_dir():
        problems.append(problem("--notebooks", str(notebooks), "folder not found"))
    extra: list[tuple[str, str]] = []
    for item in getattr(args, "param", None) or []:
        name, sep, value = str(item).partition("=")
        if not sep or not name.isidentifier() or name in RESERVED_PARAMETERS:
            problems.append(problem("--param", repr(item), "expected NAME=VALUE with NAME a notebook parameter "
                                    f"other than {', '.join(RESERVED_PARAMETERS)} (set those with their own options)"))
        else:
            extra.append((name, value))
    if problems:
        raise InputError(problems)
    return BuildOptions(forces, formats, data.resolve(), params.resolve(), out.resolve(), notebooks.resolve(),
                        int(jobs), float(timeout) if timeout else None, extra_parameters=tuple(extra))


#: Parameters the build sets itself for every notebook.
RESERVED_PARAMETERS = ("force_id", "data_dir", "params_dir")


# ==============================================================================================
# What each area depends on


@dataclass(frozen=True)
class Fingerprints:
    """Hashes of everything a build depends on, computed once per build."""

    data: dict[str, str]
    notebooks: dict[str, str]
    package_exec: str
    package_render: str
    template: str
    environment: str

    @property
    def data_hash(self) -> str:
        return combined_hash(self.data)


def _files_under(folder: Path, keep: Any = None) -> list[Path]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if keep is None or keep(rel):
            out.append(p)
    return out


def package_hashes(package_dir: Path = PACKAGE_DIR) -> tuple[str, str, str]:
    """(execution-side package hash, whole package hash, template hash)."""
    def exec_side(rel: Path) -> bool:
        return rel.parts[0] not in BUILD_SIDE

    def not_template(rel: Path) -> bool:
        return rel.parts[:2] != ("render", "templates")

    exec_hash = combined_hash(hash_files(_files_under(package_dir, exec_side), package_dir))
    all_hash = combined_hash(hash_files(_files_under(package_dir, not_template), package_dir))
    tdir = package_dir / "render" / "templates"
    template_hash = combined_hash(hash_files(_files_under(tdir), tdir)) if tdir.is_dir() else sha256_text("")
    return exec_hash, all_hash, template_hash


def environment_hash() -> str:
    """Python and library versions that can change a notebook's outputs."""
    versions = {"python": sys.version.split()[0]}
    for name in ENVIRONMENT_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return sha256_text(json.dumps(versions, sort_keys=True))


def fingerprints(opts: BuildOptions, report: ReportSpec) -> Fingerprints:
    """Hash the data folder, the notebooks, the package, the template and the environment."""
    data = hash_files(_files_under(opts.data_dir, lambda r: r.suffix.lower() != ".md"), opts.data_dir)
    notebooks = {a.notebook: sha256_file(opts.notebooks_dir / a.notebook) for a in report.areas}
    notebooks["report.yaml"] = sha256_file(opts.notebooks_dir / "report.yaml")
    exec_hash, all_hash, template_hash = package_hashes()
    return Fingerprints(data, dict(sorted(notebooks.items())), exec_hash, all_hash, template_hash,
                        environment_hash())


# ==============================================================================================
# The plan


@dataclass
class AreaPlan:
    """One area of one force: run it, or reuse its executed notebook, and why."""

    area_id: str
    title: str
    graded: bool
    notebook: Path
    executed: Path
    key_file: Path
    parameters: dict[str, str]
    components: dict[str, str]
    execute: bool
    reason: str


@dataclass
class ForcePlan:
    """Everything a worker needs to build one force's report."""

    force_id: str
    force_name: str
    out: Path
    areas: list[AreaPlan]
    context: dict[str, Any]  # keyword arguments of peel.render.stitch.ReportContext
    formats: tuple[str, ...]
    render_components: dict[str, str]
    render: bool
    render_reason: str
    grades: dict[str, str | None]
    params_sha256: str
    timeout: float | None = None

    @property
    def needs_kernel(self) -> bool:
        return any(a.execute for a in self.areas)

    @property
    def has_work(self) -> bool:
        return self.render or self.needs_kernel


def area_key(components: dict[str, str]) -> str:
    """The cache key of an area: one hash over its named components."""
    return sha256_text(json.dumps(components, sort_keys=True))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _reuse_decision(components: dict[str, str], key_file: Path, executed: Path) -> tuple[bool, str]:
    """(execute?, reason) for one area from its record beside the executed notebook."""
    record = _read_json(key_file)
    if record is None:
        return True, "not built before" if not executed.exists() else "no record of the last run"
    old = record.get("components", {})
    changed = [name for name in components if old.get(name) != components[name]]
    if changed:
        return True, ", ".join(_COMPONENT_WORDS.get(n, f"{n} changed") for n in changed)
    if not executed.is_file() or sha256_file(executed) != record.get("executed_sha256"):
        return True, "executed notebook missing or edited"
    return False, "unchanged"


def _dataset_info(data_dir: Path) -> DatasetInfo:
    """``dataset.yaml`` (demonstration?, notice, sources); validation has already checked the file."""
    from peel.inputs.dataset import read_info

    return read_info(data_dir)


def plan_force(force: Force, opts: BuildOptions, report: ReportSpec, fp: Fingerprints,
               dataset: DatasetInfo, commit: str | None) -> ForcePlan:
    """Decide, for one force, which areas to execute and whether to render its report."""
    from peel.inputs.inspection import load_force_inputs

    inputs = load_force_inputs(opts.params_dir, force.id, report)
    params_file = opts.params_dir / f"{force.id}.yaml"
    params_sha = sha256_file(params_file)
    force_out = opts.out_dir / force.id
    nb_out = force_out / "notebooks"
    parameters = {"force_id": force.id, "data_dir": str(opts.data_dir), "params_dir": str(opts.params_dir),
                  **dict(opts.extra_parameters)}
    areas: list[AreaPlan] = []
    for spec in report.areas:
        if not (spec.always or spec.id in inputs.areas):
            continue
        components = {
            "notebook": fp.notebooks[spec.notebook],
            "params": params_sha,
            "data": fp.data_hash,
            "package": fp.package_exec,
            "environment": fp.environment,
            "parameters": sha256_text(json.dumps(parameters, sort_keys=True)),
        }
        executed = nb_out / spec.notebook
        key_file = nb_out / (Path(spec.notebook).stem + ".key")
        run, reason = _reuse_decision(components, key_file, executed)
        areas.append(AreaPlan(spec.id, spec.title, spec.graded, opts.notebooks_dir / spec.notebook, executed,
                              key_file, parameters, components, run, reason))

    from peel.inputs.provenance import report_notice

    notice = report_notice(dataset, bool(inputs.demonstration))
    # Only the areas the force was inspected on: the index says "not inspected" for the others.
    grades = {a.id: inputs.areas[a.id].grade for a in report.areas if a.graded and a.id in inputs.areas}
    context = {
        "force_id": force.id,
        "force_name": force.name,
        "inspection_name": inputs.inspection.name,
        "report_title": report.title,
        "report_subtitle": report.subtitle,
        "inspectorate": report.inspectorate,
        "areas": [(a.area_id, a.title, grades.get(a.area_id) if a.graded else None) for a in areas],
        "published": inputs.inspection.published,
        "draft": bool(inputs.draft),
        "demonstration_notice": notice.text if notice else None,
        "notice_label": notice.label if notice else "",
        "page_notice": notice.page if notice else "",
        "version": __version__,
        "commit": commit,
    }
    render_components = {
        "areas": sha256_text(json.dumps([[a.area_id, area_key(a.components)] for a in areas])),
        "package": fp.package_render,
        "template": fp.template,
        "params": params_sha,
        "dataset": sha256_text(json.dumps([notice.label, notice.text, notice.page] if notice else None)),
        "commit": str(commit),
        "version": __version__,
    }
    render, render_reason = _render_decision(force_out, render_components, opts.formats, areas)
    return ForcePlan(force.id, force.name, force_out, areas, context, opts.formats, render_components,
                     render, render_reason, grades, params_sha, opts.timeout)


REPORT_RECORD = "report.key"


def _render_decision(force_out: Path, components: dict[str, str], formats: Sequence[str],
                     areas: Sequence[AreaPlan]) -> tuple[bool, str]:
    if any(a.execute for a in areas):
        return True, "notebooks re-executed"
    record = _read_json(force_out / REPORT_RECORD)
    if record is None:
        return True, "not built before"
    old = record.get("components", {})
    changed = [n for n in components if old.get(n) != components[n]]
    if changed:
        return True, ", ".join(_RENDER_WORDS.get(n, f"{n} changed") for n in changed)
    files = record.get("files", {})
    for fmt in formats:
        name = f"report.{fmt}"
        path = force_out / name
        if name not in files:
            return True, f"{name} not built before"
        if not path.is_file() or sha256_file(path) != files[name]:
            return True, f"{name} missing or edited"
    return False, "unchanged"


# ==============================================================================================
# Building one force (in a worker)


def _atomic_target(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def build_force(plan: ForcePlan, kernel: Any) -> dict[str, Any]:
    """Execute what the plan says, render the report and write it; return the force's record.

    Never raises for a problem of the force itself: a failure is returned in the record, so that it
    fails only this force. The previous report is replaced only when everything succeeded.
    """
    import nbformat

    from peel.build.execute import ExecutionFailure, execute_area

    started = time.monotonic()
    record: dict[str, Any] = {"status": "built", "areas": {}, "grades": plan.grades,
                              "params_sha256": plan.params_sha256}
    failure: dict[str, Any] | None = None
    notebooks: list[Any] = []
    for area in plan.areas:
        entry: dict[str, Any] = {"executed_notebook": _rel(area.executed, plan.out.parent)}
        record["areas"][area.area_id] = entry
        if failure is not None:
            entry.update(status="not_run", reason="an earlier area failed")
            continue
        if not area.execute:
            entry.update(status="reused", reason=area.reason, duration=0.0)
            try:
                notebooks.append(nbformat.read(area.executed, as_version=4))
            except (OSError, ValueError) as e:
                failure = {"area": area.area_id, "cell": None, "error": type(e).__name__,
                           "message": f"could not read the kept executed notebook: {e}",
                           "executed_notebook": entry["executed_notebook"]}
                entry.update(status="failed", error=failure)
            continue
        t0 = time.monotonic()
        area.key_file.unlink(missing_ok=True)  # the record is valid only for a successful run
        try:
            run = execute_area(kernel, area.notebook, area.executed, area.parameters, area_id=area.area_id,
                               title=area.title, graded=area.graded, timeout=plan.timeout)
        except ExecutionFailure as e:
            failure = e.details()
            if failure.get("executed_notebook"):
                failure["executed_notebook"] = _rel(Path(failure["executed_notebook"]), plan.out.parent)
            entry.update(status="failed", reason=area.reason, duration=round(time.monotonic() - t0, 3),
                         error=failure)
            continue
        except InputError as e:
            failure = {"area": area.area_id, "cell": None, "error": "InputError", "message": str(e),
                       "executed_notebook": None}
            entry.update(status="failed", reason=area.reason, error=failure)
            continue
        executed_sha = sha256_file(area.executed)
        write_json_atomic(area.key_file, {"components": area.components, "executed_sha256": executed_sha,
                                          "area_id": area.area_id})
        entry.update(status="executed", reason=area.reason, duration=round(run.duration, 3),
                     attempts=run.attempts)
        notebooks.append(nbformat.read(area.executed, as_version=4))

    if failure is None and plan.render:
        try:
            files = _render_and_write(plan, notebooks)
            write_json_atomic(plan.out / REPORT_RECORD, {"components": plan.render_components, "files": files})
            record["files"] = files
            record["rendered"] = plan.render_reason
        except Exception as e:  # a render failure fails this force only
            failure = {"area": None, "cell": None, "error": type(e).__name__, "message": str(e) or repr(e),
                       "executed_notebook": None}
            if not isinstance(e, (BuildError, InputError)):
                failure["traceback"] = traceback.format_exc(limit=6)
    elif failure is None:
        old = _read_json(plan.out / REPORT_RECORD) or {}
        record["files"] = old.get("files", {})
        record["rendered"] = "reused"
    if failure is not None:
        record["status"] = "failed"
        record["error"] = failure
        previous = _read_json(plan.out / REPORT_RECORD)
        record["files"] = (previous or {}).get("files", {})  # the previous good report stays
    record["duration"] = round(time.monotonic() - started, 3)
    record["reports"] = {name: _rel(plan.out / name, plan.out.parent) for name in record.get("files", {})}
    return record


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _render_and_write(plan: ForcePlan, notebooks: list[Any]) -> dict[str, str]:
    """Stitch, make the PDF, then rename both into place (only after both succeeded)."""
    from peel.render.stitch import AreaEntry, ReportContext, render_report

    ctx_args = dict(plan.context)
    ctx_args["areas"] = tuple(AreaEntry(a, t, g) for a, t, g in ctx_args["areas"])
    context = ReportContext(**ctx_args)
    html = render_report(notebooks, context)
    plan.out.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    try:
        if "html" in plan.formats:
            tmp = _atomic_target(plan.out / "report.html")
            tmp.write_text(html, encoding="utf-8")
            temps["report.html"] = tmp
        if "pdf" in plan.formats:
            from peel.render.pdf import write_pdf

            tmp = _atomic_target(plan.out / "report.pdf")
            write_pdf(html, tmp, title=context.document_title)
            temps["report.pdf"] = tmp
        files = {name: sha256_file(tmp) for name, tmp in temps.items()}
        for name, tmp in temps.items():
            os.replace(tmp, plan.out / name)
        return files
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


# ==============================================================================================
# The worker pool


class _Stop(BaseException):
    """Raised in a worker by SIGTERM from the build process: stop now, clean up."""


def _worker_main(worker_id: int, tasks: Any, results: Any, cwd: str, start_kernel: bool) -> None:
    """A worker process: keep one warm kernel, build the forces it is given, report back."""
    import logging

    from peel.build.execute import WarmKernel

    def stop(signum: int, frame: Any) -> None:
        # Block further signals (Ctrl-C reaches the worker and the build process sends SIGTERM too), so
        # the clean-up below is not interrupted; blocking rather than ignoring also keeps them from
        # interrupting system calls half-way (ZeroMQ reports that as an error).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        raise _Stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # papermill and nbclient log every warning; failures are reported in the summary instead.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    kernel = WarmKernel(cwd=Path(cwd))
    kernel.on_start = lambda pid, sockets: results.put(("kernel", worker_id, pid, sockets))
    try:
        if start_kernel:
            kernel.start()
        while True:
            plan = tasks.get()
            if plan is None:
                break
            results.put(("started", worker_id, plan.force_id))
            if plan.needs_kernel and kernel.km is None:
                kernel.start()
            try:
                record = build_force(plan, kernel)
            except Exception as e:  # a bug must not take the other forces down with it
                record = {"status": "failed", "areas": {}, "grades": plan.grades,
                          "params_sha256": plan.params_sha256,
                          "error": {"area": None, "cell": None, "error": type(e).__name__,
                                    "message": str(e) or repr(e), "executed_notebook": None,
                                    "traceback": traceback.format_exc(limit=8)}}
            results.put(("done", worker_id, plan.force_id, record))
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        kernel.shutdown()
        try:
            results.put(("exit", worker_id))
        except Exception:
            pass


# ==============================================================================================
# Progress


class Progress:
    """Forces done and failed, time elapsed and left, on stderr; one line per force when not a terminal."""

    def __init__(self, total: int, stream: TextIO):
        self.total = total
        self.stream = stream
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_len = 0

    def _status(self) -> str:
        elapsed = time.monotonic() - self.started
        left = ""
        if 0 < self.done < self.total:
            left = f", about {_clock(elapsed / self.done * (self.total - self.done))} left"
        return (f"[{self.done}/{self.total}] {self.done - self.failed} built, {self.failed} failed, "
                f"{_clock(elapsed)} elapsed{left}")

    def force_done(self, force_id: str, record: dict[str, Any]) -> None:
        self.done += 1
        failed = record.get("status") == "failed"
        self.failed += failed
        areas = record.get("areas", {}).values()
        ran = sum(1 for a in areas if a.get("status") == "executed")
        reused = sum(1 for a in areas if a.get("status") == "reused")
        if failed:
            err = record.get("error", {})
            what = f"FAILED in {err.get('area')}" if err.get("area") else "FAILED"
            line = f"{force_id}: {what}: {err.get('error')}: {one_line(err.get('message'))}"
        else:
            line = (f"{force_id}: built in {record.get('duration', 0):.1f} s "
                    f"({ran} notebooks executed, {reused} reused)")
        if self.tty:
            self._clear()
            if failed:
                print(line, file=self.stream)
            self._line(self._status())
        else:
            print(f"{self._status()}  {line}", file=self.stream, flush=True)

    def _line(self, text: str) -> None:
        self.stream.write("\r" + text)
        self.stream.flush()
        self._last_len = len(text)

    def _clear(self) -> None:
        if self._last_len:
            self.stream.write("\r" + " " * self._last_len + "\r")
            self._last_len = 0

    def close(self) -> None:
        if self.tty:
            self._clear()
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ==============================================================================================
# The build


@dataclass
class BuildResult:
    """What a build did: one record per force of the build, plus the paths it wrote."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: Path | None = None
    index: Path | None = None

    @property
    def failed(self) -> list[str]:
        return [f for f, r in self.records.items() if r.get("status") == "failed"]

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


def build(opts: BuildOptions, stream: TextIO | None = None) -> BuildResult:
    """Build the reports of ``opts.forces``; see the module docstring for the steps.

    Raises
    ------
    InputError
        When the report structure, a notebook's parameters or the inputs have problems (nothing
        has run and nothing was written).
    KeyboardInterrupt
        On Ctrl-C, after every worker and kernel has stopped and temporary files are gone.
    """
    stream = stream or sys.stderr
    report = load_report(opts.notebooks_dir)  # checks that every notebook exists
    fp = fingerprints(opts, report)
    if opts.validate:
        _validate(opts, fp)

    commit = git_commit()
    dataset = _dataset_info(opts.data_dir)
    plans: list[ForcePlan] = []
    problems: list[Problem] = []
    for force in opts.forces:
        try:
            plans.append(plan_force(force, opts, report, fp, dataset, commit))
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    _check_notebook_parameters(plans)

    _print_plan(plans, stream)
    records: dict[str, dict[str, Any]] = {}
    for p in plans:
        if not p.has_work:
            records[p.force_id] = {
                "status": "reused", "duration": 0.0, "grades": p.grades, "params_sha256": p.params_sha256,
                "areas": {a.area_id: {"status": "reused", "reason": "unchanged", "duration": 0.0,
                                      "executed_notebook": _rel(a.executed, opts.out_dir)} for a in p.areas},
                "files": (_read_json(p.out / REPORT_RECORD) or {}).get("files", {}),
                "rendered": "reused",
            }
            records[p.force_id]["reports"] = {n: f"{p.force_id}/{n}" for n in records[p.force_id]["files"]}
    work = [p for p in plans if p.has_work]
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    if work:
        records.update(_run_pool(work, opts, stream))
    ordered = {p.force_id: records[p.force_id] for p in plans}
    result = BuildResult(ordered)
    result.manifest, result.index = _write_records(opts, report, fp, commit, dataset, ordered, plans)
    _print_summary(result, opts, stream)
    return result


VALIDATION_RECORD = ".validated.json"


def _validate(opts: BuildOptions, fp: Fingerprints) -> None:
    """Check the data and inspection inputs, unless exactly these inputs passed the same checks before.

    Validation gives the same answer for the same files and the same checking code, so its success
    is recorded (in the output folder) against a hash of both; a rebuild with nothing changed then
    does not pay for it again.
    """
    from peel.inputs.validate import validate_all

    params = hash_files(sorted(p for p in opts.params_dir.glob("*.y*ml") if p.is_file()), opts.params_dir)
    key = sha256_text(json.dumps({
        "data": fp.data, "params": params, "report": fp.notebooks.get("report.yaml"),
        "package": fp.package_exec, "folders": [str(opts.data_dir), str(opts.params_dir)],
    }, sort_keys=True))
    record = opts.out_dir / VALIDATION_RECORD
    previous = _read_json(record)
    if previous is not None and previous.get("key") == key:
        return
    validate_all(opts.data_dir, opts.params_dir, opts.notebooks_dir)
    if opts.out_dir.is_dir() or not opts.out_dir.exists():
        write_json_atomic(record, {"key": key})


def _check_notebook_parameters(plans: Sequence[ForcePlan]) -> None:
    """Refuse, before any kernel starts, a parameter that a notebook to be executed does not declare."""
    to_check: dict[Path, dict[str, str]] = {}
    for p in plans:
        for a in p.areas:
            if a.execute and a.notebook not in to_check:
                to_check[a.notebook] = a.parameters
    if not to_check:
        return
    from peel.build.execute import check_parameters

    problems: list[Problem] = []
    for notebook, parameters in to_check.items():
        try:
            check_parameters(notebook, parameters)
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)


def _print_plan(plans: Sequence[ForcePlan], stream: TextIO) -> None:
    reused_areas = sum(1 for p in plans for a in p.areas if not a.execute)
    total_areas = sum(len(p.areas) for p in plans)
    untouched = [p.force_id for p in plans if not p.has_work]
    for p in plans:
        runs = [a for a in p.areas if a.execute]
        if not runs:
            if p.render:
                print(f"{p.force_id}: re-rendering the report ({p.render_reason}); notebooks reused", file=stream)
            continue
        reasons = {a.reason for a in runs}
        if len(runs) == len(p.areas) and len(reasons) == 1:
            print(f"{p.force_id}: executing all {len(runs)} notebooks ({reasons.pop()})", file=stream)
        else:
            for a in runs:
                print(f"{p.force_id}/{a.notebook.stem}: {a.reason}", file=stream)
    print(f"reusing {reused_areas} of {total_areas} executed notebooks"
          + (f"; {len(untouched)} of {len(plans)} reports unchanged" if untouched else ""), file=stream)


def _run_pool(work: list[ForcePlan], opts: BuildOptions, stream: TextIO) -> dict[str, dict[str, Any]]:
    """Run the forces with work on ``opts.jobs`` worker processes; handle Ctrl-C."""
    ctx = multiprocessing.get_context("spawn")  # no state inherited from the build process
    tasks = ctx.Queue()
    results = ctx.Queue()
    # Forces with the most notebooks to run first, so that the batch ends with short jobs.
    for p in sorted(work, key=lambda p: -sum(a.execute for a in p.areas)):
        tasks.put(p)
    n_workers = max(1, min(opts.jobs, len(work)))
    for _ in range(n_workers):
        tasks.put(None)
    start_kernel = any(p.needs_kernel for p in work)
    workers = [ctx.Process(target=_worker_main, name=f"peel-build-{i}",
                           args=(i, tasks, results, str(opts.notebooks_dir), start_kernel), daemon=False)
               for i in range(n_workers)]
    kernels: dict[int, tuple[int, str]] = {}
    records: dict[str, dict[str, Any]] = {}
    progress = Progress(len(work), stream)
    exited: set[int] = set()
    try:
        for w in workers:
            w.start()
        while len(records) < len(work):
            try:
                msg = results.get(timeout=0.5)
            except queue.Empty:
                dead = [i for i, w in enumerate(workers) if not w.is_alive() and i not in exited]
                if dead and all(not w.is_alive() for w in workers):
                    _drain(results, records, kernels, exited, progress)
                    break
                continue
            _handle(msg, records, kernels, exited, progress)
        for w in workers:
            w.join(timeout=STOP_GRACE)
    except KeyboardInterrupt:
        progress.close()
        print("\nstopping: shutting down workers and kernels...", file=stream, flush=True)
        _stop_everything(workers, results, kernels)
        _remove_temporaries([p.out for p in work])
        raise
    finally:
        progress.close()
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join(timeout=2)
        for pid, sockets in kernels.values():
            _kill_kernel(pid, sockets)
        tasks.close()
        results.close()
        tasks.cancel_join_thread()
        results.cancel_join_thread()
    for p in work:
        if p.force_id not in records:  # a worker died without reporting this force
            records[p.force_id] = {
                "status": "failed", "areas": {}, "grades": p.grades, "params_sha256": p.params_sha256,
                "files": (_read_json(p.out / REPORT_RECORD) or {}).get("files", {}),
                "error": {"area": None, "cell": None, "error": "WorkerDied",
                          "message": "the worker process building this force stopped unexpectedly",
                          "executed_notebook": None}}
    _remove_temporaries([p.out for p in work])
    return records


def _handle(msg: tuple, records: dict[str, dict[str, Any]], kernels: dict[int, tuple[int, str]],
            exited: set[int], progress: Progress) -> None:
    kind = msg[0]
    if kind == "kernel":
        _, wid, pid, sockets = msg
        kernels[wid] = (pid, sockets)
    elif kind == "done":
        _, wid, force_id, record = msg
        records[force_id] = record
        progress.force_done(force_id, record)
    elif kind == "exit":
        exited.add(msg[1])
        kernels.pop(msg[1], None)


def _drain(results: Any, records: dict, kernels: dict, exited: set, progress: Progress) -> None:
    while True:
        try:
            _handle(results.get(timeout=0.1), records, kernels, exited, progress)
        except queue.Empty:
            return


def _stop_everything(workers: Sequence[Any], results: Any, kernels: dict[int, tuple[int, str]]) -> None:
    """Ask workers to stop (they shut their kernels down), then kill whatever is left."""
    for w in workers:
        if w.is_alive() and w.pid:
            try:
                os.kill(w.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline and any(w.is_alive() for w in workers):
        try:
            msg = results.get(timeout=0.1)
            if msg[0] == "kernel":
                kernels[msg[1]] = (msg[2], msg[3])
            elif msg[0] == "exit":
                kernels.pop(msg[1], None)
        except queue.Empty:
            pass
        except (KeyboardInterrupt, OSError, EOFError):
            continue
    for w in workers:
        if w.is_alive():
            w.kill()
        w.join(timeout=2)
    for pid, sockets in list(kernels.values()):
        _kill_kernel(pid, sockets)
    kernels.clear()


def _kill_kernel(pid: int, sockets: str | None) -> None:
    import shutil

    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if sockets:
        shutil.rmtree(sockets, ignore_errors=True)


def _remove_temporaries(folders: Iterable[Path]) -> None:
    """Remove temporary files a stopped worker may have left (their names start with a dot)."""
    for folder in folders:
        for sub in (folder, folder / "notebooks"):
            if sub.is_dir():
                for p in sub.glob(".*.tmp"):
                    p.unlink(missing_ok=True)


def _write_records(opts: BuildOptions, report: ReportSpec, fp: Fingerprints, commit: str | None,
                   dataset: DatasetInfo, records: dict[str, dict[str, Any]],
                   plans: Sequence[ForcePlan]) -> tuple[Path, Path]:
    from peel.build.manifest import read_manifest, write_manifest
    from peel.render.site import write_index

    inputs = {
        "data": fp.data,
        "notebooks": fp.notebooks,
        "params": {f"{p.force_id}.yaml": p.params_sha256 for p in plans},
        "package": fp.package_render,
        "template": fp.template,
    }
    options = {"formats": list(opts.formats), "jobs": opts.jobs, "timeout": opts.timeout}
    manifest = write_manifest(opts.out_dir, commit=commit, options=options, inputs=inputs, forces=records)
    everything = read_manifest(opts.out_dir).get("forces", {})
    from peel.inputs.provenance import report_notice

    # The index speaks for every report: it says what the reports built from demonstration inputs say.
    notice = report_notice(dataset, any(p.context.get("demonstration_notice") for p in plans))
    index = write_index(opts.out_dir, report, everything, demonstration=notice is not None,
                        notice=notice.text if notice else "", notice_label=notice.label if notice else "")
    return manifest, index


def _print_summary(result: BuildResult, opts: BuildOptions, stream: TextIO) -> None:
    counts = {"built": 0, "reused": 0, "failed": 0}
    for r in result.records.values():
        counts[r.get("status", "failed")] = counts.get(r.get("status", "failed"), 0) + 1
    print(f"{len(result.records)} forces: {counts['built']} built, {counts['reused']} unchanged, "
          f"{counts['failed']} failed; index: {display_path(result.index)}; manifest: "
          f"{display_path(result.manifest)}", file=stream)
    if not result.failed:
        return
    print(f"{len(result.failed)} force(s) failed; their previous reports, if any, were kept:", file=stream)
    for fid in result.failed:
        err = result.records[fid].get("error", {})
        parts = [fid]
        if err.get("area"):
            parts.append(f"area {err['area']}")
        if err.get("cell") is not None:
            parts.append(f"cell {err['cell']}")
        line = ", ".join(parts) + f": {err.get('error')}: {one_line(err.get('message'))}"
        if err.get("executed_notebook"):
            line += f" (executed notebook: {display_path(opts.out_dir / err['executed_notebook'])})"
        print(f"  - {line}", file=stream)


def build_command(args: argparse.Namespace) -> int:
    """``peel build``: check the arguments, build, and return the exit status (0, or 1 if a force failed)."""
    opts = options_from_args(args)
    return build(opts).exit_status


__all__ = ["build_command", "build", "BuildOptions", "BuildResult", "options_from_args", "parse_formats",
           "resolve_forces", "plan_force", "build_force", "FORMATS"]
