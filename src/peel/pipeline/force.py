"""Building one force's report (:func:`build_force`): execute the areas that need it, stitch, print, write.

The HTML report and the PDF are written to temporary names and renamed into place only when
everything for that force worked, so a failure fails only its force and leaves that force's previous
report, and the record of it, untouched.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peel.analysis.statements import notebook_statements
from peel.errors import BuildError, ExecutionFailure, InputError, KernelStartError, WriteFailed
from peel.files import atomic_write, replace_into_place
from peel.pipeline.kernel import WarmKernel
from peel.pipeline.plan import REPORT_RECORD, ForcePlan
from peel.pipeline.records import BUILT, EXECUTED, FAILED, NOT_RUN, REUSED, AreaRecord, Failure, ForceRecord, relative
from peel.pipeline.statements_table import STATEMENTS_JSON, statements_json
from peel.pipeline.vintage import remove_older_format
from peel.pipeline.workbook import FIGURES_XLSX, workbook_bytes
from peel.reuse import sha256_file


def _write_json(path: Path, doc: Any) -> None:
    atomic_write(path, json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def build_force(plan: ForcePlan, kernel: WarmKernel,
                on_written: Callable[[str], None] | None = None) -> ForceRecord:
    """Build one force: execute the areas that need it, stitch the report, print it, rename it into place.

    Every executor runs this, on the warm kernel of the process it placed the force in. It never raises
    for a problem of the force itself (a notebook's error, a render failure, a bug): the failure is
    returned in the record, so that it fails only this force, and the previous report stays.

    Parameters
    ----------
    plan
        The force's plan (:func:`~peel.pipeline.plan.plan_force`).
    kernel
        A :class:`~peel.pipeline.kernel.WarmKernel`, started here when an area needs it.
    on_written
        When given (``peel watch``), the HTML report, its statements and workbook are renamed into
        place before the PDF is laid out, and ``on_written`` is called with ``"report.html"`` and then
        ``"report.pdf"`` as each is in place, so that the page can be read while the PDF prints. The
        files have the same bytes either way; only a PDF that fails then leaves the new HTML beside
        the previous PDF (the record keeps the previous report's, so the next build renders again).

    Raises
    ------
    KernelStartError
        When the kernel cannot start (tried twice): whether that stops the build is the executor's call.
    """
    started = time.monotonic()
    record = ForceRecord(force_id=plan.force_id, status=BUILT, grades=dict(plan.grades),
                         params_sha256=plan.params_sha256, grade_basis=dict(plan.grade_basis))
    failure: Failure | None = None
    try:
        if plan.needs_kernel and kernel.km is None:
            kernel.start()
        # 1. Execute the areas whose inputs changed, with papermill; read the kept executed notebooks of the others.
        notebooks, failure = _execute_areas(plan, kernel, record)
        if failure is None and plan.render:
            # 2. Stitch the HTML, print the PDF, and rename them into place, only if all of it worked.
            previous = plan.kept_report()
            files = _render_and_write(plan, notebooks, on_written)
            # 3. The force's record, which the next build's plan reads to reuse the report.
            built_from = {name: dict(plan.vintage) for name in (*files, STATEMENTS_JSON, FIGURES_XLSX)}
            _write_json(plan.out / REPORT_RECORD, {"components": plan.render_components, "files": files,
                                                   "grades": plan.grades, "grade_basis": plan.grade_basis,
                                                   "built_from": built_from})
            record.files, record.rendered, record.built_from = files, plan.render_reason, built_from
            record.notices = remove_older_format(plan.out, plan.force_id, plan.formats, previous.get("files") or {})
        elif failure is None:
            record.files, record.rendered = dict(plan.kept_report().get("files", {})), "reused"
    except KernelStartError:
        raise
    except (BuildError, InputError) as e:  # a render or write failure, said in the error's own words
        failure = Failure.of_exception(e)
    except Exception as e:  # a bug fails this force only, with where it happened
        failure = Failure.of_exception(e, traceback=traceback.format_exc(limit=8))
    if failure is not None:
        record.status, record.error = FAILED, failure
        record.keep_previous(plan.kept_report())  # the previous good report stays, and so do its grades
    record.duration = round(time.monotonic() - started, 3)
    return record


def _execute_areas(plan: ForcePlan, kernel: WarmKernel, record: ForceRecord) -> tuple[list[Any], Failure | None]:
    """Run the notebooks of the areas the plan executes (in ``plan.areas`` order), read the others' kept
    executed notebooks; note each area in ``record``. Stops at the first failure, which it returns."""
    # Imported here, not at the top: a one-force build imports papermill and the render side in a thread
    # while its kernel starts (peel.pipeline.inline.preload), instead of before it.
    import nbformat

    from peel.pipeline.execute import execute_area
    from peel.render.assemble import left_out

    root = plan.out.parent
    failure: Failure | None = None
    notebooks: list[Any] = []
    for area in plan.areas:
        entry = AreaRecord(status=NOT_RUN, executed_notebook=relative(area.executed, root))
        record.areas[area.area_id] = entry
        if failure is not None:
            entry.reason = "an earlier area failed"
            continue
        if not area.execute:
            entry.status, entry.reason, entry.duration = REUSED, area.reason, 0.0
            entry.left_out = [dict(i) for i in area.left_out]
            try:
                notebooks.append(nbformat.read(area.executed, as_version=4))
            except (OSError, ValueError) as e:
                failure = Failure.of_exception(e, area=area.area_id,
                                               message=f"could not read the kept executed notebook: {e}")
                failure.executed_notebook = entry.executed_notebook
                entry.status, entry.error = FAILED, failure
            continue
        t0 = time.monotonic()
        area.key_file.unlink(missing_ok=True)  # the record is valid only for a successful run
        entry.reason = area.reason
        try:
            run = execute_area(kernel, area.notebook, area.executed, area.parameters, area_id=area.area_id,
                               title=area.title, graded=area.graded, timeout=plan.timeout)
        except ExecutionFailure as e:
            failure = Failure.of_execution(e, root)
        except (InputError, BuildError) as e:  # BuildError: no kernel could be started for this area
            failure = Failure.of_exception(e, area=area.area_id)
        if failure is not None:
            entry.status, entry.error = FAILED, failure
            entry.duration = round(time.monotonic() - t0, 3)
            continue
        executed_nb = nbformat.read(area.executed, as_version=4)
        # What the notebook showed that the report leaves out (the report-content contract).
        entry.left_out = [i.to_json() for i in left_out(executed_nb)]
        _write_json(area.key_file, {"components": area.components, "executed_sha256": sha256_file(area.executed),
                                    "area_id": area.area_id, "left_out": entry.left_out})
        entry.status, entry.duration, entry.attempts = EXECUTED, round(run.duration, 3), run.attempts
        notebooks.append(executed_nb)
    return notebooks, failure


def failed_record(plan: ForcePlan, failure: Failure) -> ForceRecord:
    """The record of a force that failed outside :func:`build_force` (its worker was lost, its kernel
    could not start)."""
    record = ForceRecord(force_id=plan.force_id, status=FAILED, grades=dict(plan.grades),
                         params_sha256=plan.params_sha256, error=failure,
                         grade_basis=dict(plan.grade_basis))
    record.keep_previous(plan.kept_report())
    return record


def _atomic_target(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_temporary(tmp: Path, final: Path, data: str | bytes) -> None:
    """Write the temporary file of ``final``; a failure (a full disk) names ``final``, not the temporary."""
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    except OSError as e:
        raise WriteFailed(final, e) from None


def _render_and_write(plan: ForcePlan, notebooks: list[Any],
                      on_written: Callable[[str], None] | None = None) -> dict[str, str]:
    """Stitch, make the PDF, then rename the files into place (only after all succeeded).

    With ``on_written`` (see :func:`build_force`), everything but the PDF is renamed into place first.
    """
    # Imported here, not at the top: see _execute_areas.
    from peel.render.page import AreaEntry, ReportContext, render_report
    from peel.render.pdf import write_pdf

    ctx_args = dict(plan.context)
    ctx_args["areas"] = tuple(AreaEntry(a, t, g) for a, t, g in ctx_args["areas"])
    context = ReportContext(**ctx_args)
    html = render_report(notebooks, context)
    plan.out.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    files: dict[str, str] = {}
    announced: set[str] = set()

    def into_place() -> None:
        for name, tmp in list(temps.items()):
            replace_into_place(tmp, plan.out / name)
            del temps[name]
        if on_written is not None:
            for name in ("report.html", "report.pdf"):
                if name in files and name not in announced:
                    announced.add(name)
                    on_written(name)

    try:
        if "html" in plan.formats:
            tmp = _atomic_target(plan.out / "report.html")
            temps["report.html"] = tmp
            _write_temporary(tmp, plan.out / "report.html", html)
            files["report.html"] = sha256_file(tmp)
        # The statements of the same executed notebooks the report was stitched from, renamed into
        # place with it (OUT/statements.csv gathers them; see peel.pipeline.statements_table).
        tmp = _atomic_target(plan.out / STATEMENTS_JSON)
        temps[STATEMENTS_JSON] = tmp
        _write_temporary(tmp, plan.out / STATEMENTS_JSON, statements_json(notebooks))
        tmp = _atomic_target(plan.out / FIGURES_XLSX)
        temps[FIGURES_XLSX] = tmp
        figures = [f for nb in notebooks for f in notebook_statements(nb, "figures")]
        _write_temporary(tmp, plan.out / FIGURES_XLSX, workbook_bytes(figures, context.force_name))
        if on_written is not None:  # the page first, while the PDF is laid out
            into_place()
        if "pdf" in plan.formats:
            tmp = _atomic_target(plan.out / "report.pdf")
            temps["report.pdf"] = tmp
            try:
                write_pdf(html, tmp, title=context.document_title)
            except WriteFailed as e:  # named by the file it would have become
                raise WriteFailed(plan.out / "report.pdf", e) from None
            files["report.pdf"] = sha256_file(tmp)
        into_place()
        return {name: files[name] for name in ("report.html", "report.pdf") if name in files}
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
