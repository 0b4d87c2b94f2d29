"""The schema of ``notebooks/report.yaml``: the report's title block and its areas in report order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, PlainValidator, ValidationInfo, WithJsonSchema, WrapValidator, model_validator

from peel.inputs.periods import parse_period
from peel.inputs.schemas.base import Flag, StrictModel, fail, text

#: The five-point scale of graded judgments, best first.
GradeName = Literal["Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate"]

#: Area ids are also keys in the inspection inputs and parts of file names: keep them plain.
AREA_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


_INTERVAL = r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$"


def _check_reference_period(value: Any) -> str:
    if not isinstance(value, str):
        raise fail(f"expected an ISO 8601 interval such as '2022-04-01/2023-03-31', found {value!r}")
    try:
        parse_period(value)
    except ValueError as e:
        raise fail(str(e)) from None
    return value


def _check_area_id(value: Any) -> str:
    if not isinstance(value, str) or not AREA_ID_PATTERN.fullmatch(value):
        raise fail(f"expected a lower-case id such as 'police_powers', found {value!r}")
    return value


def _check_notebook(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not value.endswith(".ipynb") or Path(value).name != value:
        raise fail(f"expected a notebook file name such as '03_police_powers.ipynb', found {value!r}")
    folder = (info.context or {}).get("notebooks")
    if folder is not None and not (Path(folder) / value).is_file():
        raise fail(f"notebook '{value}' not found: expected it in {folder}")
    return value


AreaId = Annotated[str, PlainValidator(_check_area_id),
                   WithJsonSchema({"type": "string", "pattern": AREA_ID_PATTERN.pattern})]
Notebook = Annotated[str, PlainValidator(_check_notebook),
                     WithJsonSchema({"type": "string", "pattern": "^[^/\\\\]+\\.ipynb$"})]
Title = Annotated[str, text(300, nonempty=True)]


class AreaEntry(StrictModel):
    """One area of the report (see :class:`peel.inputs.areas.AreaSpec`)."""

    what: ClassVar[str] = "an area"
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"graded": {"const": True}}, "required": ["graded"]},
        "then": {"properties": {"judgment": {"type": "string"}, "always": {"const": False}},
                 "required": ["judgment"]}})

    id: AreaId
    title: Title
    judgment: Title | None = None
    notebook: Notebook
    graded: Flag = False
    always: Flag = False

    @model_validator(mode="after")
    def _graded_areas_are_judged(self) -> AreaEntry:
        if self.graded and self.always:
            raise fail("an area cannot be both graded and always: graded areas are inspection areas")
        if self.graded and self.judgment is None:
            raise fail("missing: a graded area needs the words its judgment completes, such as "
                       "'investigating crime'", key="judgment")
        return self


def _check_areas(value: Any, handler: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise fail("expected a non-empty list of areas (id, title, notebook, ...)")
    return handler(value)


class ReportModel(StrictModel):
    """``notebooks/report.yaml``."""

    what: ClassVar[str] = "the report structure"

    title: Title
    subtitle: Title
    inspectorate: Title
    areas: Annotated[list[AreaEntry], Field(min_length=1), WrapValidator(_check_areas)]
    #: The span the report's figures should fall in (ISO 8601 interval); ``peel validate`` warns about every
    #: measure whose quoted period does not.
    reference_period: Annotated[str, PlainValidator(_check_reference_period),
                                WithJsonSchema({"type": "string", "pattern": _INTERVAL})] | None = None


def duplicate_ids(doc: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """``(key path, message)`` for each area id used twice (a check across list items)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    areas = doc.get("areas") if isinstance(doc, dict) else None
    for i, raw in enumerate(areas if isinstance(areas, list) else []):
        area_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(area_id, str):
            if area_id in seen:
                out.append((("areas", i, "id"), f"duplicate area id '{area_id}': expected each area once"))
            seen.add(area_id)
    return out
