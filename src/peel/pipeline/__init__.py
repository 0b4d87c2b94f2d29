"""``peel build``: turn notebooks, data and inspection inputs into force reports, one force or all 43.

The build reads like its pipeline (:func:`build`), one module a step:

1. **Check the request** (:mod:`~peel.pipeline.options`): force ids, formats, folders, timeout, parameters.
2. **Own the output folder** (:mod:`~peel.pipeline.ownership`, :mod:`~peel.lock`): a folder holding
   files no build wrote, or a symbolic link where the build writes, is refused; one build at a time.
3. **Check the inputs** and **plan** (:mod:`~peel.pipeline.plan`, :mod:`~peel.pipeline.cache`): the report
   structure, every notebook's parameters, the data and inspection inputs; then, per force and area,
   reuse what is unchanged and say why the rest runs.
4. **Run** (:func:`~peel.pipeline.run.run_forces`): one loop for progress, retries, stops and clean-up
   hands each force to an executor (:mod:`~peel.pipeline.executor`), which only places the work: in
   this process for a single force (:mod:`~peel.pipeline.inline`), on local worker processes
   (:mod:`~peel.pipeline.pool`), or as Dask tasks with ``--scheduler`` (:mod:`~peel.pipeline.dask`).
   Wherever it is placed, :func:`~peel.pipeline.force.build_force` builds the force on a warm kernel
   (:mod:`~peel.pipeline.kernel`): execute the areas with papermill (:mod:`~peel.pipeline.execute`),
   stitch the HTML report, print the PDF, and rename them into place only when everything for that
   force worked. A failure fails only its force. ``peel watch`` (:mod:`~peel.pipeline.watch`) calls
   :func:`build` after each save with an in-process executor that keeps its kernel warm between builds.
5. **Record** (:mod:`~peel.pipeline.records`, :mod:`~peel.pipeline.manifest`): ``OUT/build.json``,
   ``OUT/statements.csv`` (:mod:`~peel.pipeline.statements_table`), ``OUT/overview.html`` (and its PDF, made again
   only when the data, grades or package changed: :mod:`peel.render.overview`), ``OUT/index.html`` and a summary naming
   every failure (:mod:`~peel.pipeline.progress`); the exit status is 1 when any force failed.

Ctrl-C, SIGTERM and SIGHUP stop every worker and kernel, remove temporary files and end the build
with status 130, 143 or 129; if the build is killed outright, its workers and kernels die with it.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from peel.inputs.areas import load_report
from peel.inputs.catalogue import load_catalogue
from peel.inputs.dataset import CATALOGUE_FILE, load_dataset
from peel.inputs.forces import force_ids
from peel.inputs.provenance import report_notice
from peel.lock import OutputLock, make_build_temp
from peel.pipeline.cache import fingerprints, read_json
from peel.pipeline.executor import Executor
from peel.pipeline.manifest import git_commit, read_figures, read_records, write_manifest
from peel.pipeline.options import BuildOptions, resolve_forces
from peel.pipeline.ownership import check_output_folder
from peel.pipeline.plan import REPORT_RECORD, ForcePlan, dataset_info, plan_forces, validate_inputs
from peel.pipeline.progress import print_plan, print_summary
from peel.pipeline.records import BUILT, EXECUTED, REUSED, AreaRecord, ForceRecord, relative
from peel.pipeline.run import executor_for, run_forces, signals_stop_the_build
from peel.pipeline.seal import read_seals, seal, write_seals
from peel.pipeline.statements_table import STATEMENTS_JSON, write_statements
from peel.pipeline.vintage import assess, older_dataset, refresh_command, shared_vintage, stale_formats, stale_line
from peel.pipeline.workbook import FIGURES_XLSX
from peel.reuse import content_id


@dataclass
class BuildResult:
    """What a build did: one record per force of the build, plus the paths it wrote."""

    records: dict[str, ForceRecord] = field(default_factory=dict)
    manifest: Path | None = None
    index: Path | None = None
    statements: Path | None = None
    overview: Path | None = None
    #: ``{force_id: why}`` for every stale report in the folder, and the command that refreshes them.
    stale: dict[str, list[str]] = field(default_factory=dict)
    refresh: str = ""

    @property
    def failed(self) -> list[str]:
        return [f for f, r in self.records.items() if r.failed]

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0


def build(opts: BuildOptions, stream: TextIO | None = None, *, executor: Executor | None = None,
          quiet: bool = False) -> BuildResult:
    """Build the reports of ``opts.forces``; see the module docstring for the steps.

    Parameters
    ----------
    opts
        The checked request (:func:`~peel.pipeline.options.make_options`).
    stream
        Where the plan, progress and summary are printed (default: stderr).
    executor
        What places the forces' work (default: :func:`~peel.pipeline.run.executor_for`);
        ``peel watch`` passes one that keeps its kernel warm between builds.
    quiet
        Leave out the lines a watched rebuild does not need: progress, the overview's and the counts
        of the summary (the plan, failures and what the reports left out are still printed).

    Raises
    ------
    InputError
        When the report structure, a notebook's parameters or the inputs have problems (nothing
        has run and no report was written).
    OutputFolderError
        When the output folder cannot be written, holds files no build wrote (without ``opts.force``) or
        a symbolic link where the build writes, or another build is writing to it.
    KernelStartError
        When no Jupyter kernel could start.
    KeyboardInterrupt
        On Ctrl-C, SIGTERM or SIGHUP (:class:`~peel.errors.BuildStopped`), after every worker and
        kernel has stopped and temporary files are gone.
    """
    # Imported here, not at the top: peel.render imports peel.pipeline.records, and so this package.
    from peel.render.index import write_index
    from peel.render.overview import write_overview

    stream = stream or sys.stderr
    # First, and before the lock file is made: a folder of the user's is refused with nothing written into it.
    check_output_folder(opts.out_dir, force_ids(), force=opts.force)
    report = load_report(opts.notebooks_dir)  # checks that every notebook exists
    fp = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])
    with OutputLock(opts.out_dir, stream), signals_stop_the_build():
        check_output_folder(opts.out_dir, force_ids(), force=opts.force)  # as it is now that no build writes
        if opts.validate:
            for warning in validate_inputs(opts, fp):
                print(f"warning: {warning}", file=stream)
        else:
            # Without the data contract's checks (the API's validate=False) the data folder must still be a
            # whole dataset: the national overview and the index are made from it. It is read here, before
            # anything runs, so a problem is an input error like any other, naming file, row or key.
            load_dataset(opts.data_dir)
        commit = git_commit()
        dataset = dataset_info(opts.data_dir)
        plans = plan_forces(opts, report, fp, dataset, commit)
        print_plan(plans, stream)

        records = {p.force_id: _unchanged(p) for p in plans if not p.has_work}
        work = [p for p in plans if p.has_work]
        if work:
            temp_dir = make_build_temp()  # the kernels' sockets and connection files
            try:
                records.update(run_forces(work, opts, temp_dir, stream, executor or executor_for(opts, len(work)),
                                          progress=not quiet))
            finally:
                shutil.rmtree(temp_dir, ignore_errors=True)

        result = BuildResult({p.force_id: records[p.force_id] for p in plans})
        _seal_records(opts.out_dir, plans, result.records)
        # Every report in the folder (this build's and the others') against the current inputs.
        shared = shared_vintage(fp)
        everything = {**read_records(opts.out_dir), **result.records}
        stale = assess(everything, shared, opts.params_dir)
        total = len(resolve_forces((), True))
        result.refresh = refresh_command(sorted(stale), stale_formats(everything, stale, opts.formats), opts.out_dir,
                                         total=total, data_dir=opts.data_dir, params_dir=opts.params_dir,
                                         notebooks_dir=opts.notebooks_dir) if stale else ""
        result.stale = stale
        older = older_dataset(everything, shared)
        inputs = {
            "data": fp.data,
            "notebooks": fp.notebooks,
            "params": {f"{p.force_id}.yaml": p.params_sha256 for p in plans},
            "package": fp.package_render,
            "template": fp.template,
        }
        options = {"formats": list(opts.formats), "jobs": opts.jobs, "timeout": opts.timeout,
                   # What peel status judges the reports against (the same folders as this build).
                   "folders": {"data": str(opts.data_dir.resolve()), "params": str(opts.params_dir.resolve()),
                               "notebooks": str(opts.notebooks_dir.resolve())}}
        if opts.scheduler:
            options["scheduler"] = opts.scheduler
        result.manifest = write_manifest(opts.out_dir, commit=commit, options=options, inputs=inputs,
                                         forces=list(result.records.values()),
                                         vintage={"current": shared, "stale": stale, "refresh": result.refresh,
                                                  "older_dataset": older})
        result.statements = write_statements(opts.out_dir, build_id=content_id({"commit": commit, "inputs": inputs}),
                                             dataset_version=content_id(fp.data))
        # The index speaks for every report: it says what the reports built from demonstration inputs say.
        notice = report_notice(dataset, any(p.context.get("demonstration_notice") for p in plans))
        on_disk = read_records(opts.out_dir)
        result.overview, why = write_overview(opts.out_dir, opts.data_dir, report, on_disk, formats=opts.formats,
                                              notice=notice, data=fp.data,
                                              package=content_id([fp.package_render, fp.template]), older=older)
        if not quiet or why != "unchanged":
            print(f"National overview: {'kept (unchanged)' if why == 'unchanged' else f'written ({why})'}",
                  file=stream)
        result.index = write_index(opts.out_dir, report, on_disk,
                                   demonstration=notice is not None, notice=notice.text if notice else "",
                                   notice_label=notice.label if notice else "",
                                   figures=read_figures(opts.out_dir),
                                   catalogue=dict(load_catalogue(opts.data_dir / CATALOGUE_FILE)), info=dataset,
                                   stale=stale, older=older)
    print_summary(list(result.records.values()), opts.out_dir, result.index, result.manifest, stream,
                  counts=not quiet)
    for r in result.records.values():
        for line in r.notices:
            again = refresh_command([r.force_id], ("html", "pdf"), opts.out_dir, total=total, data_dir=opts.data_dir,
                                    params_dir=opts.params_dir, notebooks_dir=opts.notebooks_dir)
            print(f"{line}; to make it again: {again}", file=stream)
    print(stale_line(stale, opts.out_dir, result.refresh), file=stream)
    return result


def _seal_records(out_dir: Path, plans: list[ForcePlan], records: dict[str, ForceRecord]) -> None:
    """Seal the records this build wrote (:mod:`peel.pipeline.seal`); keep the seals of those the plan
    reused (checked when planned, reused or not run after a failure) and drop the others'."""
    seals = read_seals(out_dir)
    for plan in plans:
        record = records[plan.force_id]
        for area in plan.areas:
            name = relative(area.key_file, out_dir)
            status = record.areas[area.area_id].status if area.area_id in record.areas else None
            if status == EXECUTED and (doc := read_json(area.key_file)) is not None:
                seals[name] = seal(name, doc)
            elif area.execute:  # its record was not checked when planned, and this build did not write it
                seals.pop(name, None)
        name = relative(plan.out / REPORT_RECORD, out_dir)
        if record.status == BUILT and record.rendered != "reused" and (doc := read_json(plan.out / REPORT_RECORD)):
            seals[name] = seal(name, doc)
    write_seals(out_dir, seals)


def _unchanged(plan: ForcePlan) -> ForceRecord:
    """The record of a force with nothing to do: its report on disk is current."""
    kept = plan.kept_report()
    files = dict(kept.get("files", {}))
    # Nothing it depends on changed: every file of it is as current as a new one would be.
    built_from = {name: dict(plan.vintage) for name in (*files, STATEMENTS_JSON, FIGURES_XLSX)}
    areas = {a.area_id: AreaRecord(status=REUSED, executed_notebook=a.executed.relative_to(plan.out.parent).as_posix(),
                                   reason="unchanged", duration=0.0, left_out=[dict(i) for i in a.left_out])
             for a in plan.areas}
    # the kept report's grades and what they rest on (a record from before grades said so has none)
    basis = kept.get("grade_basis", {} if "grades" in kept else plan.grade_basis)
    return ForceRecord(force_id=plan.force_id, status=REUSED, grades=dict(kept.get("grades", plan.grades)),
                       params_sha256=plan.params_sha256, areas=areas, files=files, duration=0.0, rendered="reused",
                       built_from=built_from, grade_basis=dict(basis or {}))

