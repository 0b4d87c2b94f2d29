"""The plan of a build: for each force and area, run or reuse, and why; checked before anything runs.

For each force and area the hashes of what the executed notebook depends on (the notebook, the
report structure, the part of the force's inspection inputs and of the data that the area reads
(:mod:`peel.pipeline.depends`), the package, the environment, the parameters) are compared with
the record kept beside the executed notebook (:func:`peel.reuse.reuse_decision`). Unchanged
areas are reused; a force whose areas were all reused and whose report files still match their
record (``report.key``) is not even re-rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peel import __version__
from peel.errors import InputError, Problem
from peel.files import atomic_write
from peel.inputs.areas import ReportSpec
from peel.inputs.dataset import DatasetInfo, read_info
from peel.inputs.forces import Force
from peel.inputs.inspection import load_force_inputs
from peel.inputs.provenance import report_notice
from peel.inputs.validate import validate_all
from peel.pipeline.cache import (
    AREA_WORDS,
    RENDER_WORDS,
    Fingerprints,
    area_key,
    hash_files,
    read_json,
)
from peel.pipeline.depends import params_fingerprint
from peel.pipeline.options import BuildOptions
from peel.pipeline.records import relative
from peel.pipeline.seal import read_seals, sealed
from peel.pipeline.vintage import force_vintage, shared_vintage
from peel.reuse import reuse_decision, sha256_file, sha256_text

#: The record kept beside a force's report: what it was rendered from, its files and its grades.
REPORT_RECORD = "report.key"

#: Why a kept output whose record's seal does not match is made again.
UNSEALED = "its record was not sealed by your builds (edited outside the build, or built by another user)"

#: The record of the last successful validation, in the output folder.
VALIDATION_RECORD = ".validated.json"



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
    #: For a reused area: what its executed notebook showed that the report leaves out (from its record).
    left_out: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ForcePlan:
    """Everything a worker needs to build one force's report."""

    force_id: str
    force_name: str
    out: Path
    areas: list[AreaPlan]
    context: dict[str, Any]  # keyword arguments of peel.render.page.ReportContext
    formats: tuple[str, ...]
    render_components: dict[str, str]
    render: bool
    render_reason: str
    grades: dict[str, str | None]
    params_sha256: str
    timeout: float | None = None
    #: What the report will be built from (:func:`peel.pipeline.vintage.force_vintage`).
    vintage: dict[str, str] = field(default_factory=dict)
    #: ``{area_id: "published" | "illustrative"}`` for the demonstration grades that say which they are.
    grade_basis: dict[str, str] = field(default_factory=dict)

    @property
    def needs_kernel(self) -> bool:
        return any(a.execute for a in self.areas)

    @property
    def has_work(self) -> bool:
        return self.render or self.needs_kernel

    def kept_report(self) -> dict[str, Any]:
        """The record of the report on disk now (files and grades), empty when there is none."""
        return read_json(self.out / REPORT_RECORD) or {}


def dataset_info(data_dir: Path) -> DatasetInfo:
    """``dataset.yaml`` (demonstration?, notice, sources); validation has already checked the file."""
    return read_info(data_dir)


def validate_inputs(opts: BuildOptions, fp: Fingerprints) -> list[str]:
    """Check the data and inspection inputs, unless exactly these inputs passed the same checks before.

    Validation gives the same answer for the same files and the same checking code, so its success
    is recorded (in the output folder) against a hash of both, with its warnings; a rebuild with
    nothing changed then does not pay for it again. Returns the warnings (forces with no row for a
    measure and period that other forces have).
    """
    params = hash_files(sorted(p for p in opts.params_dir.glob("*.y*ml") if p.is_file()), opts.params_dir)
    key = sha256_text(json.dumps({
        "data": fp.data, "params": params, "report": fp.notebooks.get("report.yaml"),
        "package": fp.package_exec, "folders": [str(opts.data_dir), str(opts.params_dir)],
    }, sort_keys=True))
    record = opts.out_dir / VALIDATION_RECORD
    previous = read_json(record)
    if previous is not None and previous.get("key") == key and isinstance(previous.get("warnings"), list):
        return [str(w) for w in previous["warnings"]]
    warnings: list[str] = []
    validate_all(opts.data_dir, opts.params_dir, opts.notebooks_dir, warnings=warnings)
    atomic_write(record, json.dumps({"key": key, "warnings": warnings}, sort_keys=True, indent=2) + "\n")
    return warnings


def plan_forces(opts: BuildOptions, report: ReportSpec, fp: Fingerprints, dataset: DatasetInfo,
                commit: str | None) -> list[ForcePlan]:
    """Plan every force of the build; then check every parameter of every notebook to be executed.

    Raises
    ------
    InputError
        Listing the problems of every force's inputs, or the undeclared notebook parameters.
    """
    plans: list[ForcePlan] = []
    problems: list[Problem] = []
    seals = read_seals(opts.out_dir)
    for force in opts.forces:
        try:
            plans.append(plan_force(force, opts, report, fp, dataset, commit, seals))
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    check_notebook_parameters(plans)
    return plans


def plan_force(force: Force, opts: BuildOptions, report: ReportSpec, fp: Fingerprints,
               dataset: DatasetInfo, commit: str | None, seals: Mapping[str, str] | None = None) -> ForcePlan:
    """Decide, for one force, which areas to execute and whether to render its report.

    A kept record is trusted only when its seal in ``seals`` (:mod:`peel.pipeline.seal`; read from the
    output folder when not given) matches: an executed notebook edited with its record's hash
    recomputed is executed again.
    """
    if seals is None:
        seals = read_seals(opts.out_dir)

    inputs = load_force_inputs(opts.params_dir, force.id, report)
    params_sha = sha256_file(opts.params_dir / f"{force.id}.yaml")
    force_out = opts.out_dir / force.id
    nb_out = force_out / "notebooks"
    parameters = {"force_id": force.id, "data_dir": str(opts.data_dir), "params_dir": str(opts.params_dir),
                  **dict(opts.extra_parameters)}
    areas: list[AreaPlan] = []
    for spec in report.areas:
        if not (spec.always or spec.id in inputs.areas):
            continue
        # Only what this area's notebook reads (peel.pipeline.depends): editing one finding re-runs one area.
        components = {
            "notebook": fp.notebooks[spec.notebook],
            "report": fp.notebooks["report.yaml"],
            "params": params_fingerprint(inputs, spec.id, spec.always),
            "data": fp.data_areas.for_area(spec.id, spec.always),
            "package": fp.package_exec,
            "environment": fp.environment,
            "parameters": sha256_text(json.dumps(parameters, sort_keys=True)),
        }
        executed = nb_out / spec.notebook
        key_file = nb_out / (Path(spec.notebook).stem + ".key")
        record = read_json(key_file)
        run, reason = reuse_decision(
            components, record, [("executed notebook", executed, (record or {}).get("executed_sha256"))],
            AREA_WORDS, "not built before" if not executed.exists() else "no record of the last run")
        if not run and not sealed(seals, relative(key_file, opts.out_dir), record):
            run, reason = True, UNSEALED
        kept_left_out = (record or {}).get("left_out") if not run else None
        areas.append(AreaPlan(spec.id, spec.title, spec.graded, opts.notebooks_dir / spec.notebook, executed,
                              key_file, parameters, components, run, reason,
                              [dict(i) for i in kept_left_out if isinstance(i, dict)]
                              if isinstance(kept_left_out, list) else []))

    notice = report_notice(dataset, bool(inputs.demonstration))
    # Only the areas the force was inspected on: the index says "not inspected" for the others.
    grades = {a.id: inputs.areas[a.id].grade for a in report.areas if a.graded and a.id in inputs.areas}
    grade_basis = {a: inputs.areas[a].grade_basis for a in grades if inputs.areas[a].grade_basis}
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
    if any(a.execute for a in areas):
        render, render_reason = True, "notebooks re-executed"
    else:
        record = read_json(force_out / REPORT_RECORD)
        files = (record or {}).get("files", {})
        produced = [(f"report.{fmt}", force_out / f"report.{fmt}", files.get(f"report.{fmt}"))
                    for fmt in opts.formats]
        render, render_reason = reuse_decision(render_components, record, produced, RENDER_WORDS,
                                               "not built before")
        if not render and not sealed(seals, relative(force_out / REPORT_RECORD, opts.out_dir), record):
            render, render_reason = True, UNSEALED
    return ForcePlan(force.id, force.name, force_out, areas, context, opts.formats, render_components,
                     render, render_reason, grades, params_sha, opts.timeout,
                     force_vintage(shared_vintage(fp), params_sha), grade_basis)


def check_notebook_parameters(plans: Sequence[ForcePlan]) -> None:
    """Refuse, before any kernel starts, a parameter that a notebook to be executed does not declare."""
    to_check: dict[Path, dict[str, str]] = {}
    for p in plans:
        for a in p.areas:
            if a.execute and a.notebook not in to_check:
                to_check[a.notebook] = a.parameters
    if not to_check:
        return
    # Imported only when a notebook is to be executed: papermill and nbclient take seconds to load.
    from peel.pipeline.execute import check_parameters

    problems: list[Problem] = []
    for notebook, parameters in to_check.items():
        try:
            check_parameters(notebook, parameters)
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
