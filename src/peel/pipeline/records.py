"""What a build did, per force and per area, as objects: written to ``build.json``, read by the index,
the progress display and the summary.

The records are pydantic models: ``build.json`` is their ``model_dump(mode="json")``
(:mod:`peel.pipeline.manifest` writes it) and is read back with ``model_validate``. A field that
is empty or unknown (no error, no reason yet) is left out of the file rather than written as
``null``, so a record reads as what the build did. A record that does not validate (an old or
hand-edited ``build.json``) raises :class:`pydantic.ValidationError`; the manifest's readers treat
it as no record.

A failed force keeps its previous good report on disk; its record then carries that report's files and
grades (``previous_report_kept``), so that every record describes the report that is actually there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field

from peel.errors import ExecutionFailure, cell_place, display_path, one_line

#: Area and force statuses.
EXECUTED, REUSED, FAILED, NOT_RUN, BUILT = "executed", "reused", "failed", "not_run", "built"


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` (as stored in records), or as it is when outside."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _empty(value: Any) -> bool:
    """Left out of ``build.json``: a field with nothing in it (``None``, ``""``, ``False``, ``[]``, ``{}``)."""
    return not value


def _none(value: Any) -> bool:
    """Left out of ``build.json``: a field not known (a ``0`` or ``0.0`` is written)."""
    return value is None


class Record(BaseModel):
    """What every record of ``build.json`` shares.

    Keys the model does not know are ignored when read, so a ``build.json`` of a newer or older
    layout still reads; a value of the wrong type does not validate. Non-finite numbers are written
    as JSON's ``NaN`` and ``Infinity``, as :func:`json.dumps` writes them.
    """

    model_config = ConfigDict(extra="ignore", ser_json_inf_nan="constants")

    def to_json(self) -> dict[str, Any]:
        """The record as written to ``build.json`` (its ``model_dump(mode="json")``)."""
        return self.model_dump(mode="json")


class Failure(Record):
    """Why a force failed: where (area, cell) and what (error name and message)."""

    error: str | None
    message: str
    area: str | None = None
    #: The failing cell's position in the source notebook (1 for its first cell).
    cell: int | None = None
    #: The executed notebook kept for reading, relative to the output folder.
    executed_notebook: str | None = None
    kind: str | None = Field(None, exclude_if=_empty)
    traceback: str | None = Field(None, exclude_if=_empty)
    #: The source notebook (as the user would type its path) and the first line of the failing cell.
    notebook: str | None = Field(None, exclude_if=_empty)
    cell_begins: str | None = Field(None, exclude_if=_empty)

    @classmethod
    def of_execution(cls, e: ExecutionFailure, out_dir: Path) -> Failure:
        """From a notebook that did not run to the end."""
        return cls(error=e.ename, message=e.evalue if e.evalue is not None else str(e), area=e.area_id,
                   cell=e.cell, executed_notebook=relative(e.executed, out_dir) if e.executed else None,
                   kind=e.kind, notebook=display_path(e.notebook), cell_begins=e.cell_begins)

    @classmethod
    def of_exception(cls, e: BaseException, *, area: str | None = None, message: str | None = None,
                     traceback: str | None = None) -> Failure:
        """From any other exception (its type names the error)."""
        return cls(error=type(e).__name__, message=message or str(e) or repr(e), area=area, traceback=traceback)

    @classmethod
    def from_json(cls, doc: Any) -> Failure:
        """A failure as read from ``build.json``; raises :class:`pydantic.ValidationError` when it does not validate."""
        return cls.model_validate(doc)

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


class AreaRecord(Record):
    """One area of one force: executed, reused, failed or not run, why, and how long it took.

    ``left_out`` lists the outputs of the executed notebook that the report leaves out (not
    displayed by :mod:`peel.analysis.present`), each ``{"cell", "what", "mime"}``.
    """

    status: str
    executed_notebook: str | None = None
    reason: str | None = Field(None, exclude_if=_none)
    duration: float | None = Field(None, exclude_if=_none)
    attempts: int | None = Field(None, exclude_if=_none)
    error: Failure | None = Field(None, exclude_if=_none)
    left_out: list[dict[str, Any]] = Field(default_factory=list, exclude_if=_empty)

    @classmethod
    def from_json(cls, doc: Any) -> AreaRecord:
        """An area's record as read from ``build.json``; raises :class:`pydantic.ValidationError` when it
        does not validate."""
        return cls.model_validate(doc)

    def describe(self) -> str:
        return f"{self.status} ({self.reason})" if self.reason else self.status


class ForceRecord(Record):
    """One force of a build: its status, its areas, and the report files and grades now on disk.

    ``force_id`` is the record's key in ``build.json``'s ``forces``, not a field of it.
    """

    force_id: str = Field(exclude=True)
    status: str
    grades: dict[str, str | None] = Field(default_factory=dict)
    params_sha256: str | None = None
    areas: dict[str, AreaRecord] = Field(default_factory=dict)
    #: ``{"report.html": sha256, ...}`` of the report on disk (the previous one when this build failed).
    files: dict[str, str] = Field(default_factory=dict)
    duration: float = 0.0
    rendered: str | None = Field(None, exclude_if=_none)
    error: Failure | None = Field(None, exclude_if=_none)
    #: This build failed and the report of an earlier good build is still on disk.
    previous_report_kept: bool = Field(False, exclude_if=_empty)
    #: ``{"report.html": vintage, ...}``: what each file of the report on disk was built from
    #: (:mod:`peel.pipeline.vintage`).
    built_from: dict[str, dict[str, str]] = Field(default_factory=dict, exclude_if=_empty)
    #: What this build did to the force's other files, one line each to print (an older PDF it removed).
    notices: list[str] = Field(default_factory=list, exclude_if=_empty)
    #: ``{area_id: "published" | "illustrative"}``: what the demonstration grades of the report on disk rest on.
    grade_basis: dict[str, str] = Field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reports(self) -> dict[str, str]:
        """The report files on disk, relative to the output folder."""
        return {name: f"{self.force_id}/{name}" for name in self.files}

    def keep_previous(self, kept: Mapping[str, Any] | None) -> None:
        """Fail over to the previous good report: its files and grades become this record's.

        ``kept`` is the force's report record (``report.key``, :data:`peel.pipeline.plan.REPORT_RECORD`).
        """
        kept = kept or {}
        self.files = dict(kept.get("files") or {})
        if "grades" in kept:
            self.grades = dict(kept["grades"] or {})
            self.grade_basis = dict(kept.get("grade_basis") or {})
        self.built_from = {k: dict(v) for k, v in (kept.get("built_from") or {}).items() if isinstance(v, dict)}
        self.previous_report_kept = bool(self.files)

    @classmethod
    def from_json(cls, force_id: str, doc: Any) -> Self:
        """The record of ``force_id`` as read from ``build.json``'s ``forces``.

        Raises
        ------
        pydantic.ValidationError
            When ``doc`` is not a record (not a mapping, a value of the wrong type, a required key missing).
        """
        return cls.model_validate({**doc, "force_id": force_id} if isinstance(doc, Mapping) else doc)

    def count(self, status: str) -> int:
        return sum(1 for a in self.areas.values() if a.status == status)

    def describe(self) -> str:
        """One line for the progress display: built in how long, or where and why it failed."""
        if self.failed:
            err = self.error or Failure(error=None, message="")
            where = f"FAILED in {err.area}" if err.area else "FAILED"
            return f"{self.force_id}: {where}: {err.what()}"
        return (f"{self.force_id}: built in {self.duration:.1f} s "
                f"({self.count(EXECUTED)} notebooks executed, {self.count(REUSED)} reused)")
