"""The schema of ``data/dataset.yaml``: the dataset's name, whether it is demonstration data, its
notice, and where each table of figures came from (``sources``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, PlainValidator, WithJsonSchema, model_validator

from peel.inputs.schemas.base import Flag, StrictModel, describe, fail, number, text
from peel.inputs.schemas.groups import GroupsDeclaration

#: Ids of sources: they are keys in dataset.yaml and may be quoted in national.csv.
SOURCE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_./-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Line = Annotated[str, text(1000, nonempty=True)]


def _check_sha256(value: Any) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise fail(f"expected the file's SHA-256 as 64 lower-case hexadecimal digits, found {describe(value)}")
    return value


Sha256 = Annotated[str, PlainValidator(_check_sha256), WithJsonSchema({"type": "string", "pattern": _SHA256.pattern})]


def _check_edition(value: Any) -> str:
    # An unquoted date in YAML reads as a date; quoted, as text: either is the edition's day.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise fail(f"expected the date the edition was published, YYYY-MM-DD (such as 2024-01-23), found "
               f"{describe(value)}")


EditionDate = Annotated[str, PlainValidator(_check_edition),
                        WithJsonSchema({"type": "string", "format": "date"})]


class Source(StrictModel):
    """Where one table of figures came from: enough to fetch the same file again and check it."""

    what: ClassVar[str] = "a source"
    # what the after-validator checks, said again for editors
    model_config = ConfigDict(json_schema_extra={
        "if": {"not": {"properties": {"table": {"const": "none"}}, "required": ["table"]}},
        "then": {"required": ["licence"]}})

    publisher: Line
    # Every published table has a licence; only the project's own synthetic figures (table: none) have none.
    licence: Line | None = None
    table: Line | None = None
    publication: Line | None = None
    # The table's name across its editions, and the date this edition was published (src/peel/ingest/editions.py).
    table_id: Line | None = None
    edition: EditionDate | None = None
    file: Line | None = None
    sha256: Sha256 | None = None
    sheet: Line | None = None
    attribution: Line | None = None
    layout: Line | None = None
    via: Line | None = None
    rows: Annotated[int, number(whole=True)] | None = None
    # The figures the edition gave (kept in editions/<source id>.csv); 'rows' of them are current.
    edition_rows: Annotated[int, number(whole=True)] | None = None
    # What 'peel import' was told to leave out (--exclude, --only-with-population), kept with the source.
    excluded: dict[str, Line] | None = None
    left_out: Line | None = None
    # An analyst's own table ('peel import csv') says whether it is official statistics; false puts
    # "not official statistics" in words beside every chart and table showing its figures. Absent: the
    # published official tables the other imports read.
    official: Flag | None = None

    @model_validator(mode="after")
    def _licence_for_published(self) -> Source:
        if self.licence is None and self.table != "none":
            raise fail("missing required key 'licence': expected the licence of the published table (such as "
                       "Open Government Licence v3.0); only synthetic figures (table: none) have none", key="licence")
        return self


def _check_source_id(value: Any) -> str:
    if not isinstance(value, str) or not SOURCE_ID_PATTERN.fullmatch(value):
        raise fail(f"expected a source id of lower-case letters, digits, '.', '-', '_' and '/' "
                   f"(such as population/mye22final), "
                   f"found {describe(value)}")
    return value


SourceId = Annotated[str, PlainValidator(_check_source_id),
                     WithJsonSchema({"type": "string", "pattern": SOURCE_ID_PATTERN.pattern})]


class DatasetInfoModel(StrictModel):
    """``data/dataset.yaml``."""

    what: ClassVar[str] = "the dataset's description"
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"demonstration": {"const": True}}, "required": ["demonstration"]},
        "then": {"properties": {"notice": {"type": "string", "pattern": "\\S"}}, "required": ["notice"]}})

    name: Annotated[str, text(300, nonempty=True, what="the dataset's name as text")]
    demonstration: Flag
    notice: Annotated[str, text(5000)] | None = None
    sources: dict[SourceId, Source] | None = None
    # Groups of most similar forces, for measures with compare: group (data/README.md, "Most similar groups").
    groups: GroupsDeclaration | None = None

    @model_validator(mode="after")
    def _notice_for_demonstration(self) -> DatasetInfoModel:
        # the notice is what tells a reader the figures are synthetic: demonstration data cannot go without it
        if self.demonstration and not (self.notice or "").strip():
            raise fail("demonstration data need a notice saying which figures are synthetic", key="notice")
        return self
