"""A build request: the command line's values, checked, as :class:`BuildOptions`.

Every problem with the request is listed at once, before anything runs or is written.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peel.errors import InputError, Problem, problem
from peel.inputs.forces import Force, get_force
from peel.inputs.forces import all_forces as every_force
from peel.paths import data_dir as default_data_dir
from peel.paths import notebooks_dir as default_notebooks_dir
from peel.paths import outputs_dir as default_outputs_dir
from peel.paths import params_dir as default_params_dir

FORMATS = ("html", "pdf")

#: Parameters the build sets itself for every notebook.
RESERVED_PARAMETERS = ("force_id", "data_dir", "params_dir")


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
    #: ``--scheduler``: a Dask scheduler's address, or ``local:N`` for a LocalCluster; ``None`` for the local pool.
    scheduler: str | None = None
    #: ``--force``: write into an output folder that holds files no build wrote (:mod:`peel.pipeline.ownership`).
    force: bool = False


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


def make_options(*, forces: Sequence[str] = (), all_forces: bool = False, to: str = "html,pdf",
                 jobs: int | None = None, timeout: float | None = 600.0, data: Path | None = None,
                 params: Path | None = None, out: Path | None = None, notebooks: Path | None = None,
                 param: Sequence[str] = (), scheduler: str | None = None, force: bool = False) -> BuildOptions:
    """Check a build request given as plain values (as typed on the command line).

    Raises
    ------
    InputError
        Listing every problem: bad force ids or formats, ``--jobs`` below 1, a ``--timeout`` that is
        not a finite number of seconds above 0, missing folders, a malformed ``--param``, a
        ``--scheduler`` that is neither an address nor ``local:N``, or Dask not installed for it.
    """
    problems: list[Problem] = []
    chosen: tuple[Force, ...] = ()
    formats: tuple[str, ...] = FORMATS
    try:
        chosen = resolve_forces(list(forces or []), bool(all_forces))
    except InputError as e:
        problems.extend(e.problems)
    try:
        formats = parse_formats(to or "")
    except InputError as e:
        problems.extend(e.problems)
    if jobs is None:
        jobs = os.cpu_count() or 1
    elif jobs < 1:
        problems.append(problem("--jobs", str(jobs), "expected a whole number of at least 1"))
    # argparse's float() accepts "inf" and "nan"; neither is a deadline.
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        problems.append(problem("--timeout", str(timeout),
                                "expected a number of seconds above 0 (a finite number: not inf or nan)"))
    data_dir = Path(data or default_data_dir())
    params_dir = Path(params or default_params_dir())
    for opt, folder in (("--data", data_dir), ("--params", params_dir)):
        if not folder.is_dir():
            problems.append(problem(opt, str(folder), "folder not found"))
    out_dir = Path(out or default_outputs_dir())
    if out_dir.exists() and not out_dir.is_dir():
        problems.append(problem("--out", str(out_dir), "expected a folder, found a file"))
    notebooks_dir = Path(notebooks or default_notebooks_dir())
    if not notebooks_dir.is_dir():
        problems.append(problem("--notebooks", str(notebooks_dir), "folder not found"))
    extra: list[tuple[str, str]] = []
    for item in param or []:
        name, sep, value = str(item).partition("=")
        if not sep or not name.isidentifier() or name in RESERVED_PARAMETERS:
            problems.append(problem("--param", repr(item), "expected NAME=VALUE with NAME a notebook parameter "
                                    f"other than {', '.join(RESERVED_PARAMETERS)} (set those with their own options)"))
        else:
            extra.append((name, value))
    if scheduler is not None:
        problems.extend(check_scheduler(scheduler))
    if problems:
        raise InputError(problems)
    return BuildOptions(chosen, formats, data_dir.resolve(), params_dir.resolve(), out_dir.resolve(),
                        notebooks_dir.resolve(), int(jobs), float(timeout) if timeout else None,
                        extra_parameters=tuple(extra), scheduler=scheduler, force=bool(force))


def check_scheduler(scheduler: str) -> list[Problem]:
    """Problems with ``--scheduler``: ``PROTOCOL://HOST:PORT`` or ``local:N`` with N at least 1, and Dask installed."""
    problems: list[Problem] = []
    if scheduler.startswith("local:"):
        n = scheduler.split(":", 1)[1]
        if not (n.isdigit() and int(n) >= 1):
            problems.append(problem("--scheduler", scheduler, "expected local:N with N a whole number of at least 1"))
    elif not re.fullmatch(r"(tcp|tls|ucx|inproc|ws|wss)://[^\s/:]+(:\d+)?", scheduler):
        problems.append(problem("--scheduler", scheduler,
                                "expected a Dask scheduler address such as tcp://HOST:8786, or local:N"))
    if importlib.util.find_spec("distributed") is None:
        problems.append(problem("--scheduler", scheduler, "Dask distributed is not installed: "
                                "pip install 'peel-reports[dask]' (or the pinned requirements.lock)"))
    return problems
