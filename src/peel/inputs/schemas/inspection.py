"""The schema of ``params/<force_id>.yaml``: a force's inspection inputs (documented in params/README.md).

The model checks everything a file can be checked for on its own: keys, types, grades, units, numbers,
text limits, ``k`` at most ``n``, and that every ``{placeholder}`` of a sentence is one its figure can
fill. What needs other files (the report's areas, the measure catalogue, the file's name) is checked by
:mod:`peel.inputs.inspection` after it.
"""

from __future__ import annotations

import datetime as _dt
import re
import string
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from peel.inputs import inspection_figures as fig
from peel.inputs.forces import force_ids
from peel.inputs.schemas.base import (
    Checked,
    Flag,
    StrictModel,
    choice,
    describe,
    fail,
    fail_many,
    items_of,
    mapping_of,
    number,
    one_mapping,
    placeholder_format_problem,
    real_date,
    suggest,
    text,
)
from peel.inputs.schemas.report import GradeName

#: Longest text accepted in one field (a finding, a summary, a sentence). A report section longer
#: than this is almost certainly a paste gone wrong; split real long text into several findings.
MAX_TEXT_CHARS = 20_000
#: Longest heading accepted: headings are one line in the report's contents.
MAX_HEADING_CHARS = 300

FigureUnit = Literal["count", "percent", "gbp"]
FORCE_ID = re.compile(r"^[a-z][a-z-]*[a-z]$")
VALUE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
#: Dates of publication: a year, a month or a day in ISO 8601.
PUBLISHED_PATTERN = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?$")
#: A source's date may also be two years, ``2024/25``, when the source gives no more.
TWO_YEARS_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")
URL_PATTERN = re.compile(r"^https?://\S+$")
# Placeholders that exist only when an optional key is given: placeholder -> the key it needs.
_NEEDS = {
    "period": "period", "what": "what", "held": "held",
    **{p: "previous" for p in ("previous_period", "previous_k", "previous_n", "previous_percent",
                                "previous_ci", "change", "difference")},
}

Heading = Annotated[str, text(MAX_HEADING_CHARS, nonempty=True)]
LongText = Annotated[str, text(MAX_TEXT_CHARS)]
Count = Annotated[int, number(whole=True)]
Size = Annotated[int, number(whole=True, positive=True)]
Amount = Annotated[float, number()]
Total = Annotated[float, number(positive=True)]
Grade = Annotated[GradeName, choice(GradeName, "{found} is not on the grading scale")]
Unit = Annotated[FigureUnit, choice(FigureUnit, "{found} is not a unit")]


def _check_published(value: Any) -> str:
    expected = "expected a date of publication such as 2024-08-09 (or a year, 2024)"
    day = real_date(value, expected) if isinstance(value, _dt.date) else None
    if day is not None:
        return day.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
        return str(value)
    if not isinstance(value, str) or not PUBLISHED_PATTERN.fullmatch(value):
        raise fail(f"{expected}, found {describe(value)}")
    if len(value) == 10:
        real_date(value, expected)  # 2023-02-30 has the right shape but is not a day
    return value


def _check_name(pattern: re.Pattern[str], example: str) -> Checked:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise fail(f"expected {example}, found {describe(value)}")
        return value
    return Checked(PlainValidator(check), WithJsonSchema({"type": "string", "pattern": pattern.pattern}))


Published = Annotated[str, PlainValidator(_check_published), WithJsonSchema({"anyOf": [
    {"type": "integer", "minimum": 1900, "maximum": 2100},
    {"type": "string", "pattern": PUBLISHED_PATTERN.pattern}]})]


def _check_source_date(value: Any) -> str:
    two = TWO_YEARS_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if two is None:
        return _check_published(value)
    if (int(two.group(1)) + 1) % 100 != int(two.group(2)):
        raise fail(f"expected two consecutive years such as 2024/25, found {describe(value)}")
    return value


SourceDate = Annotated[str, PlainValidator(_check_source_date), WithJsonSchema({"anyOf": [
    {"type": "integer", "minimum": 1900, "maximum": 2100},
    {"type": "string", "pattern": PUBLISHED_PATTERN.pattern},
    {"type": "string", "pattern": TWO_YEARS_PATTERN.pattern}]})]
Url = Annotated[str, _check_name(URL_PATTERN, "a web address starting https:// or http://, without spaces")]


def _check_force(value: Any) -> str:
    if not isinstance(value, str) or not FORCE_ID.fullmatch(value):
        raise fail(f"expected a force id such as 'metropolitan', found {describe(value)}")
    if value not in force_ids():
        raise fail(f"unknown force '{value}'{suggest(value, force_ids())}: expected one of the 43 ids listed by "
                   f"'peel forces'")
    return value


ForceId = Annotated[str, PlainValidator(_check_force), WithJsonSchema({"enum": list(force_ids())})]
AreaId = Annotated[str, _check_name(re.compile(r"^[a-z][a-z0-9_]*$"), "an area id such as 'police_powers'")]
ValueName = Annotated[str, _check_name(VALUE_NAME_PATTERN, "a lower-case name such as 'hours'")]
MeasureId = Annotated[str, _check_name(re.compile(r"^[a-z][a-z0-9_]*$"), "a measure id from data/measures.yaml")]


def says_problems(says: str, available: dict[str, str], given: set[str]) -> list[str]:
    """What is wrong with a figure's sentence, given the placeholders it can fill and the keys given."""
    try:
        parts = list(string.Formatter().parse(says))
    except ValueError as e:
        return [f"unbalanced braces ({e}): write {{name}} for a placeholder and {{{{ or }}}} for a literal brace"]
    out = []
    names = [name for _l, name, _s, _c in parts if name is not None]
    for _lit, name, spec, conversion in parts:
        # numbers arrive already written by peel.numbers: a format such as {percent:.2f} cannot apply
        if name is not None and (spec or conversion):
            out.append(placeholder_format_problem(name, spec, conversion))
    choices = ", ".join("{" + n + "}" for n in available)
    for name in names:
        if name in available:
            continue
        if not name or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            out.append(f"placeholder {{{name}}} is not a plain name: expected one of {choices}")
            continue
        needs = _NEEDS.get(name)
        hint = f" (it needs the key '{needs}')" if needs and needs not in given else ""
        out.append(f"unknown placeholder {{{name}}}{hint}{suggest(name, available)}: expected one of {choices}")
    if not names:
        # a sentence with no numbers in it states nothing the figure holds: almost certainly a slip
        out.append("states none of the figure's numbers: expected placeholders such as "
                   f"{', '.join('{' + n + '}' for n in list(available)[:4])}")
    return out


class _Figure(StrictModel):
    """What every figure has: its sentence, what it counts and the period it covers."""

    what: ClassVar[str] = "an inspection figure (a mapping with kind and says)"

    says: Annotated[str, text(MAX_TEXT_CHARS, nonempty=True)]
    what_: Heading | None = Field(None, alias="what")
    period: Heading | None = None

    def common(self) -> dict[str, Any]:
        return {"says": self.says, "what": self.what_, "period": self.period}

    def figure(self) -> fig.InspectionFigure:
        """The figure as reports use it."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _says_what_it_can(self) -> _Figure:
        given = {(f.alias or name) for name, f in type(self).model_fields.items() if getattr(self, name) is not None}
        problems = self.checks() or [("says", m) for m in says_problems(self.says, self.figure().placeholders(),
                                                                        given)]
        if problems:
            raise fail_many(problems)
        return self

    def checks(self) -> list[tuple[str | tuple[str, ...], str]]:
        """Problems between this figure's numbers (such as k above n), before its sentence is looked at."""
        return []


def _k_within_n(k: int, n: int, key: Any) -> list[tuple[Any, str]]:
    return [(key, f"k ({k}) is larger than n ({n}): expected k to be at most n")] if k > n else []


class PreviousSample(StrictModel):
    """The previous inspection's sample of the same records."""

    what: ClassVar[str] = "the previous sample"

    period: Heading | None = None
    k: Count
    n: Size


class SampleEstimate(_Figure):
    """A proportion estimated from an inspection sample, with its 95% confidence interval."""

    kind: Literal["sample_estimate"]
    k: Count
    n: Size
    previous: PreviousSample | None = None

    def checks(self) -> list[tuple[Any, str]]:
        p = self.previous
        return _k_within_n(self.k, self.n, "k") + (_k_within_n(p.k, p.n, ("previous", "k")) if p else [])

    def figure(self) -> fig.InspectionFigure:
        p = self.previous
        previous = fig.PreviousSample(k=p.k, n=p.n, period=p.period) if p else None
        return fig.SampleEstimateFigure(k=self.k, n=self.n, previous=previous, **self.common())


class SampleCount(_Figure):
    """``k`` out of ``n`` cases found in an inspection sample."""

    kind: Literal["sample_count"]
    k: Count
    n: Size

    def checks(self) -> list[tuple[Any, str]]:
        return _k_within_n(self.k, self.n, "k")

    def figure(self) -> fig.InspectionFigure:
        return fig.SampleCountFigure(k=self.k, n=self.n, **self.common())


class Reported(_Figure):
    """Figures the force reported to the inspectors, by name; each name is a placeholder."""

    kind: Literal["reported"]
    values: Annotated[dict[ValueName, Amount], Field(min_length=1),
                      mapping_of("names to numbers, such as {hours: 140000}")]
    units: Annotated[dict[ValueName, Unit], mapping_of("value names to units")] | None = None

    def checks(self) -> list[tuple[Any, str]]:
        out = []
        for name in set(self.values) & {"what", "period"}:
            out.append((("values", name), "expected a lower-case name such as 'hours' (not 'what' or 'period', "
                                          "which are taken)"))
        for name in self.units or {}:
            if name not in self.values:
                out.append((("units", name), f"no value named '{name}'{suggest(name, self.values)}: expected one "
                                             f"of {', '.join(self.values)}"))
        return out

    def figure(self) -> fig.InspectionFigure:
        return fig.ReportedFigure(numbers=dict(self.values), units=dict(self.units or {}), **self.common())


class ChangePoint(StrictModel):
    """One end of a change: its label ("2022", "February 2024") and value."""

    what: ClassVar[str] = "one end of the change"

    label: Heading
    value: Amount


class Change(_Figure):
    """The same figure at two dates."""

    kind: Literal["change"]
    unit: Unit = "count"
    start: ChangePoint = Field(alias="from")
    end: ChangePoint = Field(alias="to")

    def figure(self) -> fig.InspectionFigure:
        return fig.ChangeFigure(unit=self.unit, start=fig.ChangePoint(label=self.start.label, value=self.start.value),
                                end=fig.ChangePoint(label=self.end.label, value=self.end.value), **self.common())


class PrudentReserve(_Figure):
    """2 to 3 percent of the annual budget, the general reserve a force would prudently hold."""

    kind: Literal["derived"]
    rule: Literal["prudent_reserve"]
    budget: Total
    held: Amount | None = None

    def figure(self) -> fig.InspectionFigure:
        inputs = {"budget": self.budget, **({"held": self.held} if self.held is not None else {})}
        return fig.DerivedFigure(rule=self.rule, inputs=inputs, unit="gbp", **self.common())


class BudgetGap(_Figure):
    """The requirement minus funding."""

    kind: Literal["derived"]
    rule: Literal["budget_gap"]
    requirement: Total
    funding: Amount

    def checks(self) -> list[tuple[Any, str]]:
        if self.funding > self.requirement:
            return [("funding", f"funding ({self.funding}) is more than the requirement ({self.requirement}): "
                                f"there is no gap to state")]
        return []

    def figure(self) -> fig.InspectionFigure:
        inputs = {"requirement": self.requirement, "funding": self.funding}
        return fig.DerivedFigure(rule=self.rule, inputs=inputs, unit="gbp", **self.common())


class Shortfall(_Figure):
    """The target minus what was achieved."""

    kind: Literal["derived"]
    rule: Literal["shortfall"]
    target: Total
    achieved: Amount
    unit: Annotated[Literal["count", "gbp"], choice(Literal["count", "gbp"], "{found} is not a unit")] = "count"

    def checks(self) -> list[tuple[Any, str]]:
        if self.achieved > self.target:
            return [("achieved", f"achieved ({self.achieved}) is more than the target ({self.target}): there is "
                                 f"no shortfall to state")]
        return []

    def figure(self) -> fig.InspectionFigure:
        inputs = {"target": self.target, "achieved": self.achieved}
        return fig.DerivedFigure(rule=self.rule, inputs=inputs, unit=self.unit, **self.common())


Derived = Annotated[PrudentReserve | BudgetGap | Shortfall, Field(discriminator="rule")]
Figure = Annotated[SampleEstimate | SampleCount | Reported | Change | Derived, Field(discriminator="kind"),
                   one_mapping("an inspection figure (a mapping with kind and says)")]


class Note(StrictModel):
    """A cause of concern or an area for improvement."""

    what: ClassVar[str] = "a cause of concern or area for improvement"

    heading: Heading
    text: LongText | None = None


def _each_once(key: str, measures: list[str] | None) -> None:
    """Refuse a measure id listed twice under ``key``, naming each repeat's position."""
    ms = measures or []
    twice = [((key, i), f"measure '{m}' is listed twice: expected each measure once")
             for i, m in enumerate(ms) if m in ms[:i]]
    if twice:
        raise fail_many(twice)


class Finding(StrictModel):
    """A finding: a heading, Markdown text, the national measures shown in it and its figures."""

    what: ClassVar[str] = "a finding"

    heading: Heading
    text: LongText
    measures: Annotated[list[MeasureId], items_of("measure ids")] | None = None
    figures: Annotated[list[Figure], items_of("inspection figures")] | None = None

    @model_validator(mode="after")
    def _each_measure_once(self) -> Finding:
        _each_once("measures", self.measures)
        return self


class GradeSource(StrictModel):
    """Where a published grade was published: the publication's title, its address and its date."""

    what: ClassVar[str] = "the grade's source (title, url, published)"

    title: Heading
    url: Url
    published: SourceDate


class Area(StrictModel):
    """What the inspection found in one area."""

    what: ClassVar[str] = "an area's inputs"

    grade: Grade | None = None
    #: The grade was published for the force: where (demonstration inputs reproducing a published grade).
    grade_source: GradeSource | None = None
    #: The grade was made up for the demonstration, not published for the force. (In demonstration inputs a
    #: grade without ``grade_source`` is illustrative whether or not this says so.)
    grade_illustrative: Flag | None = None
    causes_of_concern: Annotated[list[Note], items_of("causes of concern (heading, text)")] | None = None
    areas_for_improvement: Annotated[list[Note], items_of("areas for improvement (heading, text)")] | None = None
    findings: Annotated[list[Finding], items_of("findings (heading, text, measures, figures)")] | None = None
    #: National measures of the area this force's report leaves out (a report reproducing a published one
    #: shows only the charts the publication has).
    measures_not_shown: Annotated[list[MeasureId], items_of("measure ids")] | None = None

    @model_validator(mode="after")
    def _each_left_out_once(self) -> Area:
        _each_once("measures_not_shown", self.measures_not_shown)
        return self

    @model_validator(mode="after")
    def _grade_is_published_or_illustrative(self) -> Area:
        if self.grade_source is not None and self.grade_illustrative:
            raise fail("a grade is either published (grade_source) or illustrative (grade_illustrative: true): "
                       "expected one of them, not both", "grade_illustrative")
        if self.grade is None and (self.grade_source is not None or self.grade_illustrative):
            key = "grade_source" if self.grade_source is not None else "grade_illustrative"
            raise fail(f"{key} describes a grade, but the area has none: expected a grade", "grade")
        return self


class Inspection(StrictModel):
    """Which inspection the inputs belong to."""

    what: ClassVar[str] = "the inspection"

    name: Heading
    published: Published | None = None
    inspector: Heading | None = None
    inspector_title: Heading | None = None


class ForceInputsModel(StrictModel):
    """``params/<force_id>.yaml``."""

    what: ClassVar[str] = "the inspection inputs"

    force: ForceId
    demonstration: Flag
    draft: Flag = False
    inspection: Inspection
    summary: LongText | None
    areas: Annotated[dict[AreaId, Area | None], mapping_of("area id to its inputs")] | None
