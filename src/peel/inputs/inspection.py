"""A force's inspection inputs: grades, the HM Inspector's summary, findings and inspection figures.

Inspectors and analysts write one file per force, ``params/<force_id>.yaml`` (the schema is in
``params/README.md``). This module reads it into :class:`ForceInputs` and checks it against the
schema, listing every problem with the file, the key path (``areas.police_powers.grade``) and what
was expected, so that a typo can never pass silently into a published report.

Inspection figures (:class:`InspectionFigure`) are numbers the inspectors found or the force reported
(a sample of stop and search records, hours freed by a scheme, a budget gap). Each carries the
inspector's sentence with ``{placeholders}``; :meth:`InspectionFigure.sentence` fills them with
numbers computed by :mod:`peel.method` and written by :mod:`peel.numbers`, so a sentence states a
figure at its published precision and never says ``nan`` or ``None``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from peel.inputs.areas import GRADES, NOT_YET_GRADED, ReportSpec, load_report
from peel.errors import InputError, Problem, problem
from peel.inputs.forces import FORCE_ID_PATTERN, Force, get_force
from peel.analysis.method import (
    budget_gap,
    change_test,
    proportion,
    prudent_reserve,
    sample_estimate,
    shortfall,
)
from peel.analysis.numbers import (
    decimals_of,
    format_gbp,
    format_number,
    format_percent,
    format_points,
)
from peel.paths import notebooks_dir
from peel.inputs.yamlfile import read_yaml as _read_yaml

#: Longest text accepted in one field (a finding, a summary, a sentence). A report section longer
#: than this is almost certainly a paste gone wrong; split real long text into several findings.
MAX_TEXT_CHARS = 20_000

#: Longest heading accepted: headings are one line in the report's contents.
MAX_HEADING_CHARS = 300

#: Decimal places of percentages and confidence half-widths computed from inspection samples
#: (PEEL reports write "94.6 percent, plus or minus 2.6 percentage points").
SAMPLE_DECIMALS = 1

#: Units an inspection figure's numbers can have.
FIGURE_UNITS = ("count", "percent", "gbp")

#: Kinds of inspection figure and the rules a derived figure can follow.
FIGURE_KINDS = ("sample_estimate", "sample_count", "reported", "change", "derived")
DERIVED_RULES = ("prudent_reserve", "budget_gap", "shortfall")

#: Names of values in a ``reported`` figure: they become placeholders, so keep them plain.
VALUE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

#: Dates of publication: a year, a month or a day in ISO 8601.
PUBLISHED_PATTERN = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# Keys of each mapping in the schema: key -> required.
_TOP_KEYS = {"force": True, "demonstration": True, "draft": False, "inspection": True, "summary": True,
             "areas": True}
_INSPECTION_KEYS = {"name": True, "published": False, "inspector": False}
_AREA_KEYS = {"grade": False, "causes_of_concern": False, "areas_for_improvement": False, "findings": False}
_FINDING_KEYS = {"heading": True, "text": True, "measures": False, "figures": False}
_NOTE_KEYS = {"heading": True, "text": False}  # causes of concern and areas for improvement
_FIGURE_COMMON = {"kind": True, "says": True, "what": False, "period": False}
_FIGURE_KEYS = {
    "sample_estimate": {"k": True, "n": True, "previous": False},
    "sample_count": {"k": True, "n": True},
    "reported": {"values": True, "units": False},
    "change": {"unit": False, "from": True, "to": True},
    "derived": {"rule": True},
}
_PREVIOUS_KEYS = {"period": False, "k": True, "n": True}
_POINT_KEYS = {"label": True, "value": True}
_DERIVED_KEYS = {
    "prudent_reserve": {"budget": True, "held": False},
    "budget_gap": {"requirement": True, "funding": True},
    "shortfall": {"target": True, "achieved": True, "unit": False},
}
# Placeholders that exist only when an optional key is given: placeholder -> the key it needs.
_NEEDS = {
    "period": "period", "what": "what", "held": "held",
    **{p: "previous" for p in ("previous_period", "previous_k", "previous_n", "previous_percent",
                                "previous_ci", "change", "difference")},
}


# ---------------------------------------------------------------------------------------------
# The inputs as the report uses them
# ---------------------------------------------------------------------------------------------

def _decimals(x: float | int) -> int:
    """Decimal places a number was typed with (kept by the loader for floats such as ``94.0``)."""
    typed = getattr(x, "decimals", None)
    return typed if isinstance(typed, int) else decimals_of(x)


def _exact_difference(a: float | int, b: float | int) -> float:
    """``a - b`` computed on the numbers as typed, so 57 - 13.4 is 43.6 and not 43.599999..."""
    return float(Decimal(repr(a) if isinstance(a, float) else str(a)) -
                 Decimal(repr(b) if isinstance(b, float) else str(b)))


def _format(x: float | int, unit: str, decimals: int) -> str:
    if unit == "percent":
        return format_percent(x, decimals)
    if unit == "gbp":
        return format_gbp(x)
    return format_number(x, decimals)


def fill(says: str, values: Mapping[str, str]) -> str:
    """Replace each ``{name}`` in ``says`` with ``values[name]``; ``{{`` and ``}}`` are literal braces.

    Raises
    ------
    KeyError
        For a placeholder ``values`` does not have (validation rules this out for loaded inputs).
    """
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(says):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


def placeholders_in(says: str) -> list[str]:
    """The placeholder names in ``says``, in order (``ValueError`` for unbalanced braces)."""
    return [name for _lit, name, _spec, _conv in string.Formatter().parse(says) if name is not None]


@dataclass(frozen=True, kw_only=True)
class InspectionFigure:
    """A number stated in a finding, with the inspector's sentence for it.

    Parameters
    ----------
    kind
        ``sample_estimate``, ``sample_count``, ``reported``, ``change`` or ``derived``.
    says
        The sentence, with ``{placeholders}`` filled by :meth:`sentence`.
    what
        What the figure counts (for tables, alt text and traceability).
    period
        The period it covers, as written ("1 October 2022 to 30 September 2023").
    """

    kind: str
    says: str
    what: str | None = None
    period: str | None = None

    def placeholders(self) -> dict[str, str]:
        """Every placeholder this figure can fill, with its text."""
        out = {}
        if self.what is not None:
            out["what"] = self.what
        if self.period is not None:
            out["period"] = self.period
        return out

    def sentence(self) -> str:
        """``says`` with its placeholders filled: plain text, numbers written by :mod:`peel.numbers`."""
        return fill(self.says, self.placeholders())

    def values(self) -> dict[str, float]:
        """The numbers behind the sentence, unrounded, for tables and traceability checks."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PreviousSample:
    """The previous inspection's sample of the same records."""

    k: int
    n: int
    period: str | None = None


@dataclass(frozen=True, kw_only=True)
class SampleEstimateFigure(InspectionFigure):
    """A proportion estimated from an inspection sample, with its 95% confidence interval.

    Placeholders: ``{k} {n} {percent} {ci} {low} {high}``; with ``previous``:
    ``{previous_k} {previous_n} {previous_percent} {previous_ci} {previous_period} {change}
    {difference}``, where ``{change}`` is the result of the significance test in words
    ("a statistically significant improvement").
    """

    kind: str = "sample_estimate"
    k: int
    n: int
    previous: PreviousSample | None = None

    def placeholders(self) -> dict[str, str]:
        est = sample_estimate(self.k, self.n)
        out = super().placeholders()
        out.update(k=format_number(self.k), n=format_number(self.n),
                   percent=format_percent(est.percent, SAMPLE_DECIMALS),
                   ci=format_points(est.half_width, SAMPLE_DECIMALS),
                   low=format_percent(est.low, SAMPLE_DECIMALS), high=format_percent(est.high, SAMPLE_DECIMALS))
        if self.previous is not None:
            prev = sample_estimate(self.previous.k, self.previous.n)
            test = change_test(self.k, self.n, self.previous.k, self.previous.n)
            out.update(previous_k=format_number(self.previous.k), previous_n=format_number(self.previous.n),
                       previous_percent=format_percent(prev.percent, SAMPLE_DECIMALS),
                       previous_ci=format_points(prev.half_width, SAMPLE_DECIMALS),
                       change=test.words, difference=format_points(abs(test.difference), SAMPLE_DECIMALS))
            if self.previous.period is not None:
                out["previous_period"] = self.previous.period
        return out

    def values(self) -> dict[str, float]:
        est = sample_estimate(self.k, self.n)
        out: dict[str, float] = {"k": self.k, "n": self.n, "percent": est.percent, "ci": est.half_width,
                                 "low": est.low, "high": est.high}
        if self.previous is not None:
            prev = sample_estimate(self.previous.k, self.previous.n)
            test = change_test(self.k, self.n, self.previous.k, self.previous.n)
            out.update(previous_k=self.previous.k, previous_n=self.previous.n, previous_percent=prev.percent,
                       previous_ci=prev.half_width, difference=test.difference, p_value=test.p_value,
                       significant=float(test.significant))
        return out


@dataclass(frozen=True, kw_only=True)
class SampleCountFigure(InspectionFigure):
    """``k`` out of ``n`` cases found in an inspection sample. Placeholders: ``{k} {n} {percent}``."""

    kind: str = "sample_count"
    k: int
    n: int

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        out.update(k=format_number(self.k), n=format_number(self.n),
                   percent=format_percent(proportion(self.k, self.n), SAMPLE_DECIMALS))
        return out

    def values(self) -> dict[str, float]:
        return {"k": self.k, "n": self.n, "percent": proportion(self.k, self.n)}


@dataclass(frozen=True, kw_only=True)
class ReportedFigure(InspectionFigure):
    """Figures the force reported to the inspectors, by name. Each name is a placeholder.

    ``units`` maps a name to ``count`` (the default), ``percent`` or ``gbp``; each number is written
    at the precision it was typed with (``350.1`` keeps one decimal, ``57`` none).
    """

    kind: str = "reported"
    numbers: dict[str, float | int]
    units: dict[str, str] = field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        for name, x in self.numbers.items():
            out[name] = _format(x, self.units.get(name, "count"), _decimals(x))
        return out

    def values(self) -> dict[str, float]:
        return dict(self.numbers)


@dataclass(frozen=True, kw_only=True)
class ChangePoint:
    """One end of a change: its label ("2022", "February 2024") and value."""

    label: str
    value: float | int


@dataclass(frozen=True, kw_only=True)
class ChangeFigure(InspectionFigure):
    """The same figure at two dates.

    Placeholders: ``{from} {to} {from_label} {to_label} {difference} {direction}``. ``{difference}``
    is the size of the change (in percentage points for a percentage); ``{direction}`` is
    "an increase", "a reduction" or "no change".
    """

    kind: str = "change"
    unit: str = "count"
    start: ChangePoint
    end: ChangePoint

    @property
    def difference(self) -> float:
        """Later minus earlier, exactly as typed."""
        return _exact_difference(self.end.value, self.start.value)

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        d0, d1 = _decimals(self.start.value), _decimals(self.end.value)
        diff = self.difference
        size = abs(diff)
        if self.unit == "percent":
            difference = format_points(size, max(d0, d1))
        else:
            difference = _format(size, self.unit, max(d0, d1))
        direction = "an increase" if diff > 0 else "a reduction" if diff < 0 else "no change"
        out.update({"from": _format(self.start.value, self.unit, d0), "to": _format(self.end.value, self.unit, d1),
                    "from_label": self.start.label, "to_label": self.end.label,
                    "difference": difference, "direction": direction})
        return out

    def values(self) -> dict[str, float]:
        return {"from": self.start.value, "to": self.end.value, "difference": self.difference}


@dataclass(frozen=True, kw_only=True)
class DerivedFigure(InspectionFigure):
    """Arithmetic on figures the force reported, by one of :data:`DERIVED_RULES`.

    * ``prudent_reserve`` (``budget``, optional ``held``): ``{budget} {low} {high} {held}``, the
      2 to 3 percent of the annual budget a force would prudently hold as a general reserve;
    * ``budget_gap`` (``requirement``, ``funding``): ``{requirement} {funding} {gap}``;
    * ``shortfall`` (``target``, ``achieved``, optional ``unit``): ``{target} {achieved} {shortfall}``.
    """

    kind: str = "derived"
    rule: str
    inputs: dict[str, float | int]
    unit: str = "gbp"

    def values(self) -> dict[str, float]:
        x = self.inputs
        out: dict[str, float] = dict(x)
        if self.rule == "prudent_reserve":
            r = prudent_reserve(x["budget"])
            out.update(low=r.low, high=r.high)
        elif self.rule == "budget_gap":
            out["gap"] = budget_gap(x["requirement"], x["funding"])
        elif self.rule == "shortfall":
            out["shortfall"] = shortfall(x["target"], x["achieved"])
        return out

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        decimals = max((_decimals(v) for v in self.inputs.values()), default=0)
        for name, v in self.values().items():
            out[name] = _format(v, self.unit, decimals)
        return out


@dataclass(frozen=True)
class Finding:
    """A finding (or a cause of concern, or an area for improvement) in an area.

    Parameters
    ----------
    heading
        One line, as in the report's contents.
    text
        Markdown.
    figures
        Inspection figures stated in the finding.
    measures
        Ids of catalogue measures (``data/measures.yaml``) whose comparison is shown inside it.
    """

    heading: str
    text: str
    figures: list[InspectionFigure] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AreaInputs:
    """What the inspection found in one area for one force."""

    id: str
    grade: str | None
    causes_of_concern: list[Finding] = field(default_factory=list)
    areas_for_improvement: list[Finding] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    graded: bool = False

    @property
    def grade_label(self) -> str:
        """The grade, "not yet graded" for a graded area of a draft without one, "" when ungraded."""
        if self.grade:
            return self.grade
        return NOT_YET_GRADED if self.graded else ""

    @property
    def measures(self) -> list[str]:
        """Every catalogue measure placed in this area's findings, in order."""
        return [m for f in self.findings for m in f.measures]


@dataclass(frozen=True)
class InspectionInfo:
    """Which inspection the inputs belong to."""

    name: str
    published: str | None = None
    inspector: str | None = None


@dataclass(frozen=True)
class ForceInputs:
    """A force's inspection inputs, with its areas in report order.

    ``draft`` is true when the file says so or when no area has any findings; a draft's graded
    areas may lack a grade (shown as "not yet graded").
    """

    force: Force
    demonstration: bool
    draft: bool
    inspection: InspectionInfo
    summary: str
    areas: dict[str, AreaInputs]
    path: Path | None = None

    def area(self, area_id: str) -> AreaInputs | None:
        """The inputs for an area, or ``None`` when the force was not inspected on it."""
        return self.areas.get(area_id)

    @property
    def graded_areas(self) -> list[AreaInputs]:
        """The graded areas the force was inspected on, in report order."""
        return [a for a in self.areas.values() if a.graded]


# ---------------------------------------------------------------------------------------------
# Reading the YAML: duplicate keys are errors and floats remember how they were typed
# ---------------------------------------------------------------------------------------------

class TypedFloat(float):
    """A float that remembers its decimal places as typed (``94.0`` -> 1)."""

    decimals: int

    def __new__(cls, value: float, decimals: int) -> TypedFloat:
        obj = super().__new__(cls, value)
        obj.decimals = decimals
        return obj


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys (the later one would silently win)."""

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                try:
                    key = self.construct_object(key_node, deep=True)
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"found the key {key!r} twice: expected each key once", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if math.isfinite(value):
        return TypedFloat(value, decimals_of(str(node.value).replace("_", "")))
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse an inspection inputs file (duplicate keys refused); problems are appended, ``None`` returned."""
    return _read_yaml(path, problems, "a force's inspection inputs", loader=_Loader)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _suggest(word: str, choices: Iterable[str]) -> str:
    hint = difflib.get_close_matches(str(word), list(choices), n=1)
    if not hint:
        lower = {c.lower(): c for c in choices}
        if str(word).strip().lower() in lower:
            hint = [lower[str(word).strip().lower()]]
    return f" (did you mean '{hint[0]}'?)" if hint else ""


class _Checker:
    """Collects the problems in one file while its content is parsed."""

    def __init__(self, path: Path, measures: Mapping[str, str | None] | None):
        self.path = path
        self.measures = measures
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(problem(self.path, where, message))

    # -- generic pieces ------------------------------------------------------------------------
    def mapping(self, value: Any, where: str, keys: Mapping[str, bool], what: str) -> dict | None:
        """A mapping with only known keys and all required ones; ``None`` when it is not a mapping."""
        if not isinstance(value, dict):
            self.bad(where, f"expected {what} (a mapping with keys {', '.join(keys)}), found {_describe(value)}")
            return None
        prefix = f"{where}." if where else ""
        for key in value:
            if key not in keys:
                self.bad(f"{prefix}{key}", f"unknown key{_suggest(key, keys)}: expected one of {', '.join(keys)}")
        for key, required in keys.items():
            if required and key not in value:
                self.bad(f"{prefix}{key}", f"missing required key ({what} needs {key})")
        return value

    def text(self, value: Any, where: str, *, nonempty: bool = False, cap: int = MAX_TEXT_CHARS) -> str | None:
        if not isinstance(value, str):
            self.bad(where, f"expected text, found {_describe(value)}")
            return None
        if nonempty and not value.strip():
            self.bad(where, "expected non-empty text")
            return None
        if len(value) > cap:
            self.bad(where, f"text is {len(value):,} characters long: expected at most {cap:,} "
                            f"(split long text into several findings)")
            return None
        return value

    def optional_text(self, d: dict, key: str, where: str, **kw: Any) -> str | None:
        if key not in d or d[key] is None:
            return None
        return self.text(d[key], f"{where}.{key}", **kw)

    def flag(self, value: Any, where: str) -> bool | None:
        if not isinstance(value, bool):
            self.bad(where, f"expected true or false, found {_describe(value)}")
            return None
        return value

    def number(self, value: Any, where: str, *, whole: bool = False, positive: bool = False) -> float | int | None:
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(where, f"expected {kind}, found {_describe(value)}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.bad(where, f"expected {kind}, found {value!r}")
            return None
        if whole and not isinstance(value, int):
            self.bad(where, f"expected a whole number, found {value!r}")
            return None
        if value < 0:
            self.bad(where, f"must not be negative: found {value!r}")
            return None
        if positive and value == 0:
            self.bad(where, "expected a number greater than 0, found 0")
            return None
        return value

    def items(self, value: Any, where: str, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(where, f"expected a list of {what}, found {_describe(value)}")
            return []
        return value

    # -- the schema --------------------------------------------------------------------------
    def force_inputs(self, doc: Any, expected_force: str | None, report: ReportSpec) -> ForceInputs | None:
        before = len(self.problems)
        if doc is None:
            self.bad("", "the file is empty: expected force, demonstration, inspection, summary and areas")
            return None
        top = self.mapping(doc, "", _TOP_KEYS, "the inspection inputs")
        if top is None:
            return None

        force: Force | None = None
        force_id = top.get("force")
        if "force" in top:
            if not isinstance(force_id, str) or not FORCE_ID_PATTERN.fullmatch(force_id):
                self.bad("force", f"expected a force id such as 'metropolitan', found {_describe(force_id)}")
            elif expected_force is not None and force_id != expected_force:
                self.bad("force", f"is '{force_id}' but the file is {self.path.name}: expected '{expected_force}' "
                                  f"(the force must match the file name)")
            else:
                try:
                    force = get_force(force_id)
                except InputError:
                    self.bad("force", f"unknown force '{force_id}': expected one of the 43 ids listed by "
                                      f"'peel forces'")

        demonstration = self.flag(top["demonstration"], "demonstration") if "demonstration" in top else None
        declared_draft = self.flag(top["draft"], "draft") if "draft" in top else False

        inspection = None
        if "inspection" in top:
            inspection = self.inspection(top["inspection"])
        summary = None
        if "summary" in top:
            # an empty `summary:` reads as nothing; for a draft that is the same as empty text
            summary = "" if top["summary"] is None else self.text(top["summary"], "summary")

        areas: dict[str, AreaInputs] = {}
        grade_missing: list[str] = []
        raw_areas = top.get("areas")
        if raw_areas is None:
            raw_areas = {}
        if not isinstance(raw_areas, dict):
            self.bad("areas", f"expected a mapping of area id to its inputs, found {_describe(raw_areas)}")
            raw_areas = {}
        inspection_ids = report.inspection_area_ids
        for area_id, raw in raw_areas.items():
            where = f"areas.{area_id}"
            if area_id not in report.ids:
                self.bad(where, f"unknown area{_suggest(area_id, inspection_ids)}: expected one of "
                                f"{', '.join(inspection_ids)}")
                continue
            spec = report.area(area_id)
            if spec.always:
                self.bad(where, f"'{area_id}' is in every report and takes no inspection inputs: expected one of "
                                f"{', '.join(inspection_ids)}")
                continue
            area = self.area(raw, where, spec.id, spec.graded)
            if area is not None:
                areas[area_id] = area
                # a grade that is there but wrong has been reported already; only absence is "missing"
                if spec.graded and (not isinstance(raw, dict) or raw.get("grade") is None):
                    grade_missing.append(area_id)

        # Report order, whatever order the file lists the areas in.
        ordered = {i: areas[i] for i in report.ids if i in areas}
        has_findings = any(a.findings for a in ordered.values())
        draft = bool(declared_draft) or not has_findings
        if not draft:
            for area_id in grade_missing:
                self.bad(f"areas.{area_id}.grade", f"missing: a graded area needs one of {', '.join(GRADES)} "
                                                   f"(only a draft may leave a graded area not yet graded)")
            if summary is not None and not summary.strip():
                self.bad("summary", "expected the HM Inspector's summary (only a draft may leave it empty)")
        self.measure_duplicates(ordered)
        if len(self.problems) > before or force is None or inspection is None or summary is None \
                or demonstration is None:
            return None
        return ForceInputs(force, demonstration, draft, inspection, summary, ordered, self.path)

    def inspection(self, value: Any) -> InspectionInfo | None:
        d = self.mapping(value, "inspection", _INSPECTION_KEYS, "the inspection")
        if d is None:
            return None
        name = self.text(d["name"], "inspection.name", nonempty=True, cap=MAX_HEADING_CHARS) if "name" in d else None
        published = None
        if d.get("published") is not None:
            raw = d["published"]
            if isinstance(raw, _dt.datetime):
                raw = raw.date()
            if isinstance(raw, _dt.date):
                published = raw.isoformat()
            elif isinstance(raw, int) and not isinstance(raw, bool):
                published = str(raw)
            elif isinstance(raw, str):
                published = raw
            if published is None or not PUBLISHED_PATTERN.fullmatch(published):
                self.bad("inspection.published", f"expected a date of publication such as 2024-08-09 (or a year, "
                                                 f"2024), found {_describe(raw)}")
                published = None
        inspector = self.optional_text(d, "inspector", "inspection", nonempty=True, cap=MAX_HEADING_CHARS)
        if name is None:
            return None
        return InspectionInfo(name, published, inspector)

    def area(self, value: Any, where: str, area_id: str, graded: bool) -> AreaInputs | None:
        if value is None:
            value = {}  # "inspected, nothing written yet"
        d = self.mapping(value, where, _AREA_KEYS, "an area's inputs")
        if d is None:
            return None
        grade = None
        if "grade" in d:
            raw = d["grade"]
            if not graded:
                self.bad(f"{where}.grade", f"'{area_id}' is not a graded area: expected no grade")
            elif raw is None:
                pass  # an explicit empty grade is the same as none (a draft)
            elif not isinstance(raw, str) or raw not in GRADES:
                self.bad(f"{where}.grade", f"{_describe(raw)} is not on the grading scale{_suggest(str(raw), GRADES)}: "
                                           f"expected one of {', '.join(GRADES)}")
            else:
                grade = raw
        concerns = [self.note(x, f"{where}.causes_of_concern[{i}]")
                    for i, x in enumerate(self.items(d.get("causes_of_concern"), f"{where}.causes_of_concern",
                                                     "causes of concern (heading, text)"))]
        afis = [self.note(x, f"{where}.areas_for_improvement[{i}]")
                for i, x in enumerate(self.items(d.get("areas_for_improvement"), f"{where}.areas_for_improvement",
                                                 "areas for improvement (heading, text)"))]
        findings = [self.finding(x, f"{where}.findings[{i}]", area_id)
                    for i, x in enumerate(self.items(d.get("findings"), f"{where}.findings",
                                                     "findings (heading, text, measures, figures)"))]
        return AreaInputs(area_id, grade, [c for c in concerns if c], [a for a in afis if a],
                          [f for f in findings if f], graded)

    def note(self, value: Any, where: str) -> Finding | None:
        d = self.mapping(value, where, _NOTE_KEYS, "a cause of concern or area for improvement")
        if d is None:
            return None
        heading = self.text(d["heading"], f"{where}.heading", nonempty=True, cap=MAX_HEADING_CHARS) \
            if "heading" in d else None
        text = self.optional_text(d, "text", where)
        if heading is None:
            return None
        return Finding(heading, text or "")

    def finding(self, value: Any, where: str, area_id: str) -> Finding | None:
        d = self.mapping(value, where, _FINDING_KEYS, "a finding")
        if d is None:
            return None
        heading = self.text(d["heading"], f"{where}.heading", nonempty=True, cap=MAX_HEADING_CHARS) \
            if "heading" in d else None
        text = self.text(d["text"], f"{where}.text") if "text" in d else None
        measures = []
        for i, m in enumerate(self.items(d.get("measures"), f"{where}.measures", "measure ids")):
            mw = f"{where}.measures[{i}]"
            if not isinstance(m, str):
                self.bad(mw, f"expected a measure id from data/measures.yaml, found {_describe(m)}")
            elif self.measures is not None and m not in self.measures:
                self.bad(mw, f"unknown measure '{m}'{_suggest(m, self.measures)}: expected a measure id from "
                             f"data/measures.yaml")
            elif self.measures is not None and self.measures[m] not in (None, area_id):
                self.bad(mw, f"measure '{m}' belongs to the area '{self.measures[m]}' in data/measures.yaml: "
                             f"expected a measure of '{area_id}'")
            elif m in measures:
                self.bad(mw, f"measure '{m}' is listed twice: expected each measure once")
            else:
                measures.append(m)
        figures = [self.figure(x, f"{where}.figures[{i}]")
                   for i, x in enumerate(self.items(d.get("figures"), f"{where}.figures", "inspection figures"))]
        if heading is None or text is None:
            return None
        return Finding(heading, text, [f for f in figures if f is not None], measures)

    def measure_duplicates(self, areas: Mapping[str, AreaInputs]) -> None:
        seen: dict[str, str] = {}
        for area in areas.values():
            for i, f in enumerate(area.findings):
                for m in f.measures:
                    here = f"areas.{area.id}.findings[{i}].measures"
                    if m in seen and seen[m] != here:
                        self.bad(here, f"measure '{m}' is already shown in {seen[m]}: expected each measure in "
                                       f"one finding")
                    seen.setdefault(m, here)

    # -- figures -------------------------------------------------------------------------------
    def figure(self, value: Any, where: str) -> InspectionFigure | None:
        if not isinstance(value, dict):
            self.bad(where, f"expected an inspection figure (a mapping with kind and says), found {_describe(value)}")
            return None
        kind = value.get("kind")
        if kind not in FIGURE_KINDS:
            self.bad(f"{where}.kind", f"{_describe(kind)} is not a kind of figure{_suggest(str(kind), FIGURE_KINDS)}: "
                                      f"expected one of {', '.join(FIGURE_KINDS)}")
            return None
        keys = {**_FIGURE_COMMON, **_FIGURE_KEYS[kind]}
        if kind == "derived":
            rule = value.get("rule")
            if "rule" not in value:
                self.bad(f"{where}.rule", f"missing required key (a derived figure needs a rule: one of "
                                          f"{', '.join(DERIVED_RULES)})")
                return None
            if rule in _DERIVED_KEYS:
                keys.update(_DERIVED_KEYS[rule])
            else:
                self.bad(f"{where}.rule", f"{_describe(rule)} is not a rule{_suggest(str(rule), DERIVED_RULES)}: "
                                          f"expected one of {', '.join(DERIVED_RULES)}")
                return None
        before = len(self.problems)
        self.mapping(value, where, keys, f"a {kind} figure")
        says = self.text(value["says"], f"{where}.says", nonempty=True) if "says" in value else None
        what = self.optional_text(value, "what", where, nonempty=True, cap=MAX_HEADING_CHARS)
        period = self.optional_text(value, "period", where, nonempty=True, cap=MAX_HEADING_CHARS)
        build: Callable[..., InspectionFigure | None] = getattr(self, f"_{kind}")
        fig = build(value, where, says=says or "", what=what, period=period)
        if fig is None or says is None or len(self.problems) > before:
            return None
        self.check_says(fig, value, where)
        return fig if len(self.problems) == before else None

    def sample(self, d: dict, where: str) -> tuple[int, int] | None:
        k = self.number(d["k"], f"{where}.k", whole=True) if "k" in d else None
        n = self.number(d["n"], f"{where}.n", whole=True, positive=True) if "n" in d else None
        if k is None or n is None:
            return None
        if k > n:
            self.bad(f"{where}.k", f"k ({k}) is larger than n ({n}): expected k to be at most n")
            return None
        return int(k), int(n)

    def _sample_estimate(self, d: dict, where: str, **common: Any) -> InspectionFigure | None:
        kn = self.sample(d, where)
        previous = None
        if d.get("previous") is not None:
            p = self.mapping(d["previous"], f"{where}.previous", _PREVIOUS_KEYS, "the previous sample")
            if p is not None:
                pkn = self.sample(p, f"{where}.previous")
                period = self.optional_text(p, "period", f"{where}.previous", nonempty=True, cap=MAX_HEADING_CHARS)
                if pkn is not None:
                    previous = PreviousSample(k=pkn[0], n=pkn[1], period=period)
        if kn is None:
            return None
        return SampleEstimateFigure(k=kn[0], n=kn[1], previous=previous, **common)

    def _sample_count(self, d: dict, where: str, **common: Any) -> InspectionFigure | None:
        kn = self.sample(d, where)
        return None if kn is None else SampleCountFigure(k=kn[0], n=kn[1], **common)

    def unit(self, value: Any, where: str, allowed: tuple[str, ...] = FIGURE_UNITS) -> str | None:
        if value not in allowed:
            self.bad(where, f"{_describe(value)} is not a unit{_suggest(str(value), allowed)}: "
                            f"expected one of {', '.join(allowed)}")
            return None
        return value

    def _reported(self, d: dict, where: str, **common: Any) -> InspectionFigure | None:
        raw = d.get("values")
        if not isinstance(raw, dict) or not raw:
            if "values" in d:
                self.bad(f"{where}.values", f"expected a mapping of names to numbers, such as {{hours: 140000}}, "
                                            f"found {_describe(raw)}")
            return None
        numbers: dict[str, float | int] = {}
        for name, x in raw.items():
            if not isinstance(name, str) or not VALUE_NAME_PATTERN.fullmatch(name) or name in ("what", "period"):
                self.bad(f"{where}.values.{name}", "expected a lower-case name such as 'hours' (not 'what' or "
                                                   "'period', which are taken)")
                continue
            v = self.number(x, f"{where}.values.{name}")
            if v is not None:
                numbers[name] = v
        units: dict[str, str] = {}
        raw_units = d.get("units")
        if raw_units is not None:
            if not isinstance(raw_units, dict):
                self.bad(f"{where}.units", f"expected a mapping of value names to units, found {_describe(raw_units)}")
            else:
                for name, u in raw_units.items():
                    if name not in raw:
                        self.bad(f"{where}.units.{name}", f"no value named '{name}'{_suggest(str(name), raw)}: "
                                                          f"expected one of {', '.join(map(str, raw))}")
                    elif self.unit(u, f"{where}.units.{name}"):
                        units[name] = u
        return ReportedFigure(numbers=numbers, units=units, **common)

    def _change(self, d: dict, where: str, **common: Any) -> InspectionFigure | None:
        unit = self.unit(d.get("unit", "count"), f"{where}.unit")
        points = []
        for key in ("from", "to"):
            if key not in d:
                continue
            p = self.mapping(d[key], f"{where}.{key}", _POINT_KEYS, f"the '{key}' end of the change")
            if p is None:
                continue
            label = self.text(p["label"], f"{where}.{key}.label", nonempty=True, cap=MAX_HEADING_CHARS) \
                if "label" in p else None
            value = self.number(p["value"], f"{where}.{key}.value") if "value" in p else None
            if label is not None and value is not None:
                points.append(ChangePoint(label=label, value=value))
        if unit is None or len(points) != 2:
            return None
        return ChangeFigure(unit=unit, start=points[0], end=points[1], **common)

    def _derived(self, d: dict, where: str, **common: Any) -> InspectionFigure | None:
        rule = d.get("rule")
        if rule not in _DERIVED_KEYS:
            return None
        inputs: dict[str, float | int] = {}
        for key in _DERIVED_KEYS[rule]:
            if key == "unit" or key not in d:
                continue
            v = self.number(d[key], f"{where}.{key}", positive=key in ("budget", "requirement", "target"))
            if v is not None:
                inputs[key] = v
        unit = "gbp"
        if rule == "shortfall":
            unit = self.unit(d.get("unit", "count"), f"{where}.unit", ("count", "gbp")) or "count"
            if {"target", "achieved"} <= inputs.keys() and inputs["achieved"] > inputs["target"]:
                self.bad(f"{where}.achieved", f"achieved ({inputs['achieved']}) is more than the target "
                                              f"({inputs['target']}): there is no shortfall to state")
                return None
        if rule == "budget_gap" and {"requirement", "funding"} <= inputs.keys() \
                and inputs["funding"] > inputs["requirement"]:
            self.bad(f"{where}.funding", f"funding ({inputs['funding']}) is more than the requirement "
                                         f"({inputs['requirement']}): there is no gap to state")
            return None
        required = [k for k, req in _DERIVED_KEYS[rule].items() if req]
        if any(k not in inputs for k in required):
            return None
        return DerivedFigure(rule=rule, inputs=inputs, unit=unit, **common)

    def check_says(self, fig: InspectionFigure, raw: dict, where: str) -> None:
        """Every ``{placeholder}`` in ``says`` must be one the figure can fill."""
        try:
            names = placeholders_in(fig.says)
            # numbers arrive already written by peel.numbers: a format such as {percent:.2f} cannot apply
            for _lit, name, spec, conversion in string.Formatter().parse(fig.says):
                if name is not None and (spec or conversion):
                    self.bad(f"{where}.says", f"placeholder {{{name}}} has a format ('{spec or '!' + conversion}'): "
                                              f"expected a plain {{{name}}}; numbers are written at their "
                                              f"published precision")
        except ValueError as e:
            self.bad(f"{where}.says", f"unbalanced braces ({e}): write {{name}} for a placeholder and {{{{ or }}}} "
                                      f"for a literal brace")
            return
        available = fig.placeholders()
        for name in names:
            if name in available:
                continue
            if not name or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                self.bad(f"{where}.says", f"placeholder {{{name}}} is not a plain name: expected one of "
                                          f"{', '.join('{' + n + '}' for n in available)}")
                continue
            needs = _NEEDS.get(name)
            hint = f" (it needs the key '{needs}')" if needs and needs not in raw else ""
            self.bad(f"{where}.says", f"unknown placeholder {{{name}}}{hint}{_suggest(name, available)}: expected "
                                      f"one of {', '.join('{' + n + '}' for n in available)}")
        if not names:
            # a sentence with no numbers in it states nothing the figure holds: almost certainly a slip
            self.bad(f"{where}.says", "states none of the figure's numbers: expected placeholders such as "
                                      f"{', '.join('{' + n + '}' for n in list(available)[:4])}")


def _measure_areas(measure_ids: Iterable[str] | Mapping[str, Any] | None) -> dict[str, str | None] | None:
    """Measure id -> its catalogue area (``None`` when unknown), from ids or a catalogue mapping."""
    if measure_ids is None:
        return None
    if isinstance(measure_ids, Mapping):
        out: dict[str, str | None] = {}
        for k, v in measure_ids.items():
            area = v if isinstance(v, str) else getattr(v, "area", None)
            out[str(k)] = area if isinstance(area, str) else None
        return out
    return {str(m): None for m in measure_ids}


def parse_force_inputs(path: str | Path, report: ReportSpec, expected_force: str | None = None,
                       measure_ids: Iterable[str] | Mapping[str, Any] | None = None,
                       ) -> tuple[ForceInputs | None, list[Problem]]:
    """Read and check one inputs file without raising.

    Returns
    -------
    (ForceInputs or None, problems)
        The inputs when there were no problems.
    """
    path = Path(path)
    checker = _Checker(path, _measure_areas(measure_ids))
    doc = read_yaml(path, checker.problems)
    if checker.problems:
        return None, checker.problems
    inputs = checker.force_inputs(doc, expected_force, report)
    return (inputs if not checker.problems else None), checker.problems


def load_force_inputs(params_dir: str | Path, force_id: str, report: ReportSpec | None = None,
                      measure_ids: Iterable[str] | Mapping[str, Any] | None = None) -> ForceInputs:
    """Load and validate ``params/<force_id>.yaml``.

    Parameters
    ----------
    params_dir
        The folder of inspection inputs.
    force_id
        The force, as listed by ``peel forces``.
    report
        The report structure; read from the default notebooks folder when not given.
    measure_ids
        When given (ids, or a catalogue mapping id -> measure), ``measures:`` entries are checked
        against them as well.

    Returns
    -------
    ForceInputs

    Raises
    ------
    InputError
        Listing every problem in the file, or naming the file that is missing.
    """
    force = get_force(force_id, source="force id")
    if report is None:
        report = load_report(notebooks_dir(), check_notebooks=False)
    path = Path(params_dir) / f"{force.id}.yaml"
    if not path.is_file():
        raise InputError(problem(path, "", f"no inspection inputs for {force.name}: expected this file "
                                           f"(see params/README.md; a force not yet inspected needs a draft)"))
    inputs, problems = parse_force_inputs(path, report, force.id, measure_ids)
    if problems or inputs is None:
        raise InputError(problems or [problem(path, "", "could not be read")])
    return inputs


def check_params(params_dir: str | Path, report: ReportSpec,
                 measure_ids: Iterable[str] | Mapping[str, Any] | None,
                 force_ids: Iterable[str]) -> list[Problem]:
    """Check every ``*.yaml`` file in ``params_dir``; return all problems (empty when all is well).

    Besides each file's content this checks that every file is named after a force and that every
    force in ``force_ids`` has a file (a force not yet inspected has a draft), so that a build of all
    forces cannot fail for want of inputs.
    """
    folder = Path(params_dir)
    if not folder.is_dir():
        return [problem(folder, "", "folder not found: expected the inspection inputs, one <force_id>.yaml per "
                                    "force")]
    known = list(force_ids)
    problems: list[Problem] = []
    found: set[str] = set()
    for path in sorted(folder.iterdir()):
        if path.suffix == ".yml":
            problems.append(problem(path, "", f"expected the extension .yaml: rename it to {path.stem}.yaml"))
            continue
        if path.suffix != ".yaml" or not path.is_file():
            continue  # README.md and the like
        stem = path.stem
        expected: str | None = stem
        if stem not in known:
            problems.append(problem(path, "", f"'{stem}' is not a force id{_suggest(stem, known)}: expected "
                                              f"<force_id>.yaml for one of the forces listed by 'peel forces'"))
            expected = None
        else:
            found.add(stem)
        problems.extend(parse_force_inputs(path, report, expected, measure_ids)[1])
    for force_id in known:
        if force_id not in found:
            problems.append(problem(folder / f"{force_id}.yaml", "", "missing: every force needs inspection inputs "
                                    "(a force not yet inspected needs a draft with an empty summary and no findings)"))
    return problems
