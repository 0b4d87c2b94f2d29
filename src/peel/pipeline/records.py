"""What a build did, per force and per area, as objects: written to ``build.json``, read by the index,
the progress display and the summary.

A failed force keeps its previous good report on disk; its record then carries that report's files and
grades (``previous_report_kept``), so that every record describes the report that is actually there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peel.errors import ExecutionFailure, cell_place, display_path, one_line

#: Area and force statuses.
EXECUTED, REUSED, FAILED, NOT_RUN, BUILT = "executed", "reused", "failed", "not_run", "built"


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` (as stored in records), or as it is when outside."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


@dataclass
class Failure:
    """Why a force failed: where (area, cell) and what (error name and message)."""

    error: str | None
    message: str
    area: str | None = None
    #: The failing cell's position in the source notebook (1 for its first cell).
    cell: int | None = None
    #: The executed notebook kept for reading, relative to the output folder.
    executed_notebook: str | None = None
    kind: str | None = None
    traceback: str | None = None
    #: The source notebook (as the user would type its path) and the first line of the failing cell.
    notebook: str | None = None
    cell_begins: str | None = None

    @classmethod
    def of_execution(cls, e: ExecutionFailure, out_dir: Path) -> Failure:
        """From a notebook that did not run to the end."""
        return cls(e.ename, e.evalue if e.evalue is not None else str(e), area=e.area_id, cell=e.cell,
                   executed_notebook=relative(e.executed, out_dir) if e.executed else None, kind=e.kind,
                   notebook=display_path(e.notebook), cell_begins=e.cell_begins)

    @classmethod
    def of_exception(cls, e: BaseException, *, area: str | None = None, message: str | None = None,
                     traceback: str | None = None) -> Failure:
        """From any other exception (its type names the error)."""
        return cls(type(e).__name__, message or str(e) or repr(e), area=area, traceback=traceback)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"area": self.area, "cell": self.cell, "error": self.error,
                               "message": self.message, "executed_notebook": self.executed_notebook}
        if self.kind:
            doc["kind"] = self.kind
        if self.traceback:
            doc["traceback"] = self.traceback
        if self.notebook:
            doc["notebook"] = self.notebook
        if self.cell_begins:
            doc["cell_begins"] = self.cell_begins
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> Failure:
        doc = doc if isinstance(doc, dict) else {}
        return cls(doc.get("error"), str(doc.get("message") or ""), area=doc.get("area"), cell=doc.get("cell"),
                   executed_notebook=doc.get("executed_notebook"), kind=doc.get("kind"),
                   traceback=doc.get("traceback"), notebook=doc.get("notebook"), cell_begins=doc.get("cell_begins"))

    def where(self) -> list[str]:
        """``["area alpha", "notebooks/alpha.ipynb, cell 3 (the 3rd cell), which begins `x = 1/0`"]``, as far
        as known; the cell is counted in the source notebook the analyst edits."""
        parts = [f"area {self.area}"] if self.area else []
        if self.cell is not None:
            parts.append(cell_place(self.notebook, self.cell, self.cell_begins))
        return parts

    def what(self) -> str:
        """``"ValueError: the message"`` on one line."""
        return f"{self.error or 'Error'}: {one_line(self.message)}"

    def describe(self, out_dir: Path | None = None) -> str:
        """Where and what, and the executed notebook to read when ``out_dir`` is given."""
        where = self.where()
        text = f"{', '.join(where)}: {self.what()}" if where else self.what()
        if out_dir is not None and self.executed_notebook:
            text += f" (executed notebook: {display_path(Path(out_dir) / self.executed_notebook)})"
        return text


def describe_left_out(area: str, items: list[dict[str, Any]], executed: str) -> str:
    """One line for the build's output: what an area's notebook showed that its report leaves out.

    ``items`` are ``{"cell", "what", "mime"}`` (:func:`peel.render.assemble.left_out`), for example
    ``"police_powers: 2 outputs left out of the report (cell 7: a DataFrame (text/html); cell 8: a
    matplotlib figure (image/png)); they are in outputs/kent/notebooks/03_police_powers.ipynb"``.
    """
    n = len(items)
    listed = "; ".join(f"cell {i.get('cell')}: {i.get('what')} ({i.get('mime')})" for i in items)
    return (f"{area}: {n} output{'s' if n != 1 else ''} left out of the report ({listed}); "
            f"{'they are' if n != 1 else 'it is'} in {executed}")


@dataclass
class AreaRecord:
    """One area of one force: executed, reused, failed or not run, why, and how long it took.

    ``left_out`` lists the outputs of the executed notebook that the report leaves out (not
    displayed by :mod:`peel.analysis.present`), each ``{"cell", "what", "mime"}``.
    """

    status: str
    executed_notebook: str | None = None
    reason: str | None = None
    duration: float | None = None
    attempts: int | None = None
    error: Failure | None = None
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"status": self.status, "executed_notebook": self.executed_notebook}
        for name in ("reason", "duration", "attempts"):
            if getattr(self, name) is not None:
                doc[name] = getattr(self, name)
        if self.error is not None:
            doc["error"] = self.error.to_json()
        if self.left_out:
            doc["left_out"] = [dict(i) for i in self.left_out]
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> AreaRecord:
        doc = doc if isinstance(doc, dict) else {}
        left = doc.get("left_out") if isinstance(doc.get("left_out"), list) else []
        return cls(str(doc.get("status", "")), doc.get("executed_notebook"), doc.get("reason"),
                   doc.get("duration"), doc.get("attempts"),
                   Failure.from_json(doc["error"]) if doc.get("error") else None,
                   [dict(i) for i in left if isinstance(i, dict)])

    def describe(self) -> str:
        return f"{self.status} ({self.reason})" if self.reason else self.status


@dataclass
class ForceRecord:
    """One force of a build: its status, its areas, and the report files and grades now on disk."""

    force_id: str
    status: str
    grades: dict[str, str | None] = field(default_factory=dict)
    params_sha256: str | None = None
    areas: dict[str, AreaRecord] = field(default_factory=dict)
    #: ``{"report.html": sha256, ...}`` of the report on disk (the previous one when this build failed).
    files: dict[str, str] = field(default_factory=dict)
    duration: float = 0.0
    rendered: str | None = None
    error: Failure | None = None
    #: This build failed and the report of an earlier good build is still on disk.
    previous_report_kept: bool = False
    #: ``{"report.html": vintage, ...}``: what each file of the report on disk was built from
    #: (:mod:`peel.pipeline.vintage`).
    built_from: dict[str, dict[str, str]] = field(default_factory=dict)
    #: What this build did to the force's other files, one line each to print (an older PDF it removed).
    notices: list[str] = field(default_factory=list)
    #: ``{area_id: "published" | "illustrative"}``: what the demonstration grades of the report on disk rest on.
    grade_basis: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def reports(self) -> dict[str, str]:
        """The report files on disk, relative to the output folder."""
        return {name: f"{self.force_id}/{name}" for name in self.files}

    def keep_previous(self, kept: dict[str, Any] | None) -> None:
        """Fail over to the previous good report: its files and grades become this record's."""
        kept = kept or {}
        self.files = dict(kept.get("files") or {})
        if "grades" in kept:
            self.grades = dict(kept["grades"] or {})
            self.grade_basis = dict(kept.get("grade_basis") or {})
        self.built_from = {k: dict(v) for k, v in (kept.get("built_from") or {}).items() if isinstance(v, dict)}
        self.previous_report_kept = bool(self.files)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "status": self.status, "duration": self.duration, "grades": self.grades, "grade_basis": self.grade_basis,
            "params_sha256": self.params_sha256, "areas": {k: a.to_json() for k, a in self.areas.items()},
            "files": self.files, "reports": self.reports,
        }
        if self.rendered is not None:
            doc["rendered"] = self.rendered
        if self.error is not None:
            doc["error"] = self.error.to_json()
        if self.previous_report_kept:
            doc["previous_report_kept"] = True
        if self.built_from:
            doc["built_from"] = {k: dict(v) for k, v in sorted(self.built_from.items())}
        if self.notices:
            doc["notices"] = list(self.notices)
        return doc

    @classmethod
    def from_json(cls, force_id: str, doc: Any) -> ForceRecord:
        doc = doc if isinstance(doc, dict) else {}
        areas = doc.get("areas") if isinstance(doc.get("areas"), dict) else {}
        built_from = doc.get("built_from") if isinstance(doc.get("built_from"), dict) else {}
        notices = doc.get("notices") if isinstance(doc.get("notices"), list) else []
        return cls(force_id, str(doc.get("status", "")), dict(doc.get("grades") or {}), doc.get("params_sha256"),
                   {k: AreaRecord.from_json(v) for k, v in areas.items()}, dict(doc.get("files") or {}),
                   float(doc.get("duration") or 0.0), doc.get("rendered"),
                   Failure.from_json(doc["error"]) if doc.get("error") else None,
                   bool(doc.get("previous_report_kept")),
                   {k: {str(a): str(b) for a, b in v.items()} for k, v in built_from.items() if isinstance(v, dict)},
                   [str(r) for r in notices],
                   {str(k): str(v) for k, v in (doc.get("grade_basis") or {}).items()}
                   if isinstance(doc.get("grade_basis"), dict) else {})

    def count(self, status: str) -> int:
        return sum(1 for a in self.areas.values() if a.status == status)

    def describe(self) -> str:
        """One line for the progress display: built in how long, or where and why it failed."""
        if self.failed:
            err = self.error or Failure(None, "")
            where = f"FAILED in {err.area}" if err.area else "FAILED"
            return f"{self.force_id}: {where}: {err.what()}"
        return (f"{self.force_id}: built in {self.duration:.1f} s "
                f"({self.count(EXECUTED)} notebooks executed, {self.count(REUSED)} reused)")
