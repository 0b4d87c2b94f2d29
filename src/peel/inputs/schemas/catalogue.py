"""The schema of ``data/measures.yaml``: the measure catalogue (field meanings are in the file's header)."""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, PlainValidator, ValidationInfo, WithJsonSchema, WrapValidator, model_validator

from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, force_ids
from peel.inputs.periods import parse_period
from peel.inputs.schemas.base import (
    Flag,
    StrictModel,
    choice,
    describe,
    fail,
    number,
    placeholder_format_problem,
    suggest,
    text,
)

UnitName = Literal["per_1000_population", "gbp_per_1000_population", "percent", "count"]
NumeratorUnit = Literal["count", "gbp"]
CompareName = Literal["band", "standard", "group", "none"]
BelowName = Literal["note", "exclude"]
EnglandAndWales = Literal["pooled", "mean", "none"]
PeriodStyle = Literal["year_ending", "financial_year", "month", "day", "range"]

#: Fields a statement may use.
STATEMENT_FIELDS = ("value", "numerator", "denominator", "period", "force")
MEASURE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def template_problem(template: str, fields: tuple[str, ...] | list[str]) -> str | None:
    """What is wrong with a sentence's ``{placeholders}`` (unbalanced braces, a format such as ``{value:.2f}``,
    an unknown name), or ``None``. Numbers are written by peel at their published precision, so a format
    or conversion could only contradict it."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as e:
        return f"unbalanced braces ({e}): write fields as {{value}} and a literal brace as {{{{ or }}}}"
    for _lit, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            return placeholder_format_problem(name, spec, conversion)
        if name not in fields:
            return (f"unknown placeholder {{{name}}}{suggest(name, fields)}: expected one of "
                    + ", ".join(f"{{{s}}}" for s in fields))
    return None


def _check_statement(value: Any, handler: Any) -> str:
    value = handler(value)
    bad = template_problem(value, STATEMENT_FIELDS)
    if bad:
        raise fail(bad)
    return value


def _check_period(value: Any, handler: Any) -> str:
    value = handler(value)
    try:
        parse_period(value)
    except ValueError as e:
        raise fail(str(e)) from None
    return value


def _check_area(value: Any, handler: Any, info: ValidationInfo) -> str:
    value = handler(value)
    areas = (info.context or {}).get("areas")
    if areas is not None and value not in areas:
        raise fail(f"unknown area {value!r}{suggest(value, areas)}: expected one of {', '.join(areas)} "
                   f"(notebooks/report.yaml)")
    return value


def _check_force(value: Any) -> str:
    known = force_ids()
    if value not in known:
        why = (" (British Transport Police is never compared; do not list it)"
               if value in EXCLUDED_FROM_ENGLAND_AND_WALES else "")
        raise fail(f"unknown force {value!r}{suggest(value, known)}: expected one of the 43 ids listed by "
                   f"'peel forces'{why}")
    return value


def _check_measure_id(value: Any) -> str:
    if not isinstance(value, str) or not MEASURE_ID_PATTERN.fullmatch(value):
        raise fail(f"measure id must be lower-case letters, digits and underscores, starting with a letter "
                   f"(such as stop_search_rate), found {describe(value)}")
    return value


Line = Annotated[str, text(300, nonempty=True)]
Sentence = Annotated[str, text(2000, nonempty=True)]
ForceId = Annotated[str, PlainValidator(_check_force), WithJsonSchema({"enum": list(force_ids())})]
MeasureId = Annotated[str, PlainValidator(_check_measure_id),
                      WithJsonSchema({"type": "string", "pattern": MEASURE_ID_PATTERN.pattern})]


class LatestMonth(StrictModel):
    """Also state the latest single month, at this many decimals."""

    what: ClassVar[str] = "the latest month's precision"

    decimals: Annotated[int, number(whole=True, maximum=6)]


class PublishedNumerator(StrictModel):
    """An amount a publication states for a force that differs from the numerator behind its value."""

    what: ClassVar[str] = "a published amount"
    key_word: ClassVar[str] = "field"

    amount: Annotated[float, number()]
    note: Sentence


class Completeness(StrictModel):
    """The share of a force-period's count a figure must cover to be compared as it stands."""

    what: ClassVar[str] = "a measure's completeness rule"
    key_word: ClassVar[str] = "field"

    min_share: Annotated[float, number(positive=True, maximum=1)]
    below: Annotated[BelowName, choice(BelowName, "unknown completeness action {found}")]


class MeasureEntry(StrictModel):
    """One catalogue entry."""

    what: ClassVar[str] = "a measure's fields"
    key_word: ClassVar[str] = "field"
    # what the after-validator checks, said again for editors
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"compare": {"const": "standard"}}, "required": ["compare"]},
        "then": {"properties": {"standard": {"type": "number"}}, "required": ["standard"]}})

    title: Line
    area: Annotated[Line, WrapValidator(_check_area)]
    unit: Annotated[UnitName, choice(UnitName, "unknown unit {found}")]
    decimals: Annotated[int, number(whole=True, maximum=6)]
    period: Annotated[Line, WrapValidator(_check_period)]
    source: Sentence
    figure_title: Line
    compare: Annotated[CompareName, choice(CompareName, "unknown comparison {found}")]
    england_and_wales: Annotated[EnglandAndWales, choice(EnglandAndWales, "unknown England and Wales figure {found}")]
    statement: Annotated[Sentence, WrapValidator(_check_statement)]
    numerator_unit: Annotated[NumeratorUnit, choice(NumeratorUnit, "unknown numerator unit {found}")] = "count"
    period_style: Annotated[PeriodStyle, choice(PeriodStyle, "unknown period style {found}")] | None = None
    standard: Annotated[float, number()] | None = None
    trend: Flag = False
    latest_month: LatestMonth | None = None
    exclude: dict[ForceId, Sentence] | None = None
    published_numerator: dict[ForceId, PublishedNumerator] | None = None
    note: Annotated[str, text(2000)] | None = None
    completeness: Completeness | None = None

    @model_validator(mode="after")
    def _standard_for_compare(self) -> MeasureEntry:
        if self.compare == "standard" and self.standard is None:
            raise fail("compare: standard needs 'standard', the national standard as a number (such as 90)",
                       key="standard")
        if self.unit == "percent" and self.standard is not None and self.standard > 100:
            raise fail(f"{self.standard} percent is over 100: expected a percentage from 0 to 100", key="standard")
        return self


class NotAvailable(StrictModel):
    """A measure the dataset has no figures for, which inspection findings may still cite."""

    what: ClassVar[str] = "a measure that is not available"
    key_word: ClassVar[str] = "field"

    title: Line
    reason: Sentence


class CatalogueModel(StrictModel):
    """``data/measures.yaml``."""

    what: ClassVar[str] = "the measure catalogue"

    measures: Annotated[dict[MeasureId, MeasureEntry], Field(min_length=1)]
    # Measures a dataset built only from published tables lacks (the report says why their charts are absent).
    not_available: dict[MeasureId, NotAvailable] | None = None

    @model_validator(mode="after")
    def _not_in_both(self) -> CatalogueModel:
        for mid in self.not_available or {}:
            if mid in self.measures:
                raise fail("also in 'measures': expected a measure to be either in the catalogue or not available, "
                           "not both", key=("not_available", mid))
        return self
