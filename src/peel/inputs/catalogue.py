"""The measure catalogue (``data/measures.yaml``): every national measure a report compares forces on.

Adding a measure is a catalogue entry plus rows in ``national.csv``; nothing here knows any
measure by name. :func:`check_catalogue` lists every problem with the file;
:func:`load_catalogue` refuses a catalogue that has any.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peel.errors import InputError, Problem, problem
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, force_ids
from peel.inputs.periods import PERIOD_STYLES, Period, parse_period
from peel.inputs.yamlfile import read_yaml

#: Units a measure's value can have.
UNITS = ("per_1000_population", "gbp_per_1000_population", "percent", "count")
#: Units whose value is computed from the numerator and the ONS population.
POPULATION_UNITS = ("per_1000_population", "gbp_per_1000_population")
NUMERATOR_UNITS = ("count", "gbp")
COMPARE = ("band", "standard", "none")
ENGLAND_AND_WALES = ("pooled", "mean", "none")
#: Fields a statement may use.
STATEMENT_FIELDS = ("value", "numerator", "denominator", "period", "force")

REQUIRED = ("title", "area", "unit", "decimals", "period", "source", "figure_title", "compare",
            "england_and_wales", "statement")
OPTIONAL = ("numerator_unit", "period_style", "standard", "trend", "latest_month", "exclude", "note")

MEASURE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Measure:
    """One catalogue entry (see the header of ``data/measures.yaml`` for what each field means)."""

    id: str
    title: str
    area: str
    unit: str
    decimals: int
    period: Period
    source: str
    figure_title: str
    compare: str
    england_and_wales: str
    statement: str
    numerator_unit: str = "count"
    period_style: str | None = None
    standard: float | None = None
    trend: bool = False
    latest_month_decimals: int | None = None
    exclude: dict[str, str] = field(default_factory=dict)
    note: str | None = None

    @property
    def uses_population(self) -> bool:
        """True when the value is a rate per 1,000 population computed from population.csv."""
        return self.unit in POPULATION_UNITS

    @property
    def period_label(self) -> str:
        """The quoted period in the report's words ("the year ending 31 March 2023", "2023/24")."""
        return self.period.label(self.period_style)

    @property
    def scale(self) -> float:
        """What numerator / denominator is multiplied by to give the value."""
        if self.unit in POPULATION_UNITS:
            return 1000.0
        if self.unit == "percent":
            return 100.0
        return 1.0


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    return read_yaml(path, problems, "the measure catalogue (measures.yaml)")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def statement_fields(text: str) -> list[str]:
    """The ``{placeholders}`` a statement uses, in order (raises ValueError on unbalanced braces)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _check_entry(path: Path, mid: Any, entry: Any, area_ids: Iterable[str] | None) -> list[Problem]:
    out: list[Problem] = []
    key = f"measures.{mid}"
    if not isinstance(mid, str) or not MEASURE_ID_PATTERN.fullmatch(mid):
        out.append(problem(path, key, "measure id must be lower-case letters, digits and underscores, "
                                      "starting with a letter (such as stop_search_rate)"))
    if not isinstance(entry, dict):
        return out + [problem(path, key, "expected a mapping of the measure's fields (title, area, unit, ...)")]
    for f in REQUIRED:
        if f not in entry or entry[f] is None or entry[f] == "":
            out.append(problem(path, f"{key}.{f}", f"missing required field '{f}'"))
    for f in entry:
        if f not in REQUIRED and f not in OPTIONAL:
            out.append(problem(path, f"{key}.{f}", f"unknown field '{f}': expected one of "
                                                    f"{', '.join(REQUIRED + OPTIONAL)}"))
    for f in ("title", "source", "figure_title", "statement", "note"):
        if f in entry and entry[f] is not None and not isinstance(entry[f], str):
            out.append(problem(path, f"{key}.{f}", "expected text"))
    if "unit" in entry and entry["unit"] not in UNITS:
        out.append(problem(path, f"{key}.unit", f"unknown unit {entry['unit']!r}: expected one of {', '.join(UNITS)}"))
    nu = entry.get("numerator_unit", "count")
    if nu not in NUMERATOR_UNITS:
        out.append(problem(path, f"{key}.numerator_unit",
                           f"unknown numerator unit {nu!r}: expected one of {', '.join(NUMERATOR_UNITS)}"))
    if "decimals" in entry and not (isinstance(entry["decimals"], int) and not isinstance(entry["decimals"], bool)
                                    and 0 <= entry["decimals"] <= 6):
        out.append(problem(path, f"{key}.decimals", f"expected a whole number from 0 to 6, got {entry['decimals']!r}"))
    if entry.get("period") not in (None, ""):
        try:
            parse_period(str(entry["period"]))
        except ValueError as e:
            out.append(problem(path, f"{key}.period", str(e)))
    if "period_style" in entry and entry["period_style"] not in PERIOD_STYLES:
        out.append(problem(path, f"{key}.period_style",
                           f"unknown period style {entry['period_style']!r}: expected one of {', '.join(PERIOD_STYLES)}"))
    compare = entry.get("compare")
    if "compare" in entry and compare not in COMPARE:
        out.append(problem(path, f"{key}.compare", f"unknown comparison {compare!r}: expected one of {', '.join(COMPARE)}"))
    if compare == "standard" and not _is_number(entry.get("standard")):
        out.append(problem(path, f"{key}.standard",
                           "compare: standard needs 'standard', the national standard as a number (such as 90)"))
    elif "standard" in entry and not _is_number(entry["standard"]):
        out.append(problem(path, f"{key}.standard", f"expected a number, got {entry['standard']!r}"))
    if "england_and_wales" in entry and entry["england_and_wales"] not in ENGLAND_AND_WALES:
        out.append(problem(path, f"{key}.england_and_wales", f"unknown England and Wales figure "
                           f"{entry['england_and_wales']!r}: expected one of {', '.join(ENGLAND_AND_WALES)}"))
    if isinstance(entry.get("statement"), str):
        try:
            names = statement_fields(entry["statement"])
        except ValueError as e:
            out.append(problem(path, f"{key}.statement", f"unbalanced braces ({e}): write fields as {{value}}"))
        else:
            for name in names:
                if name not in STATEMENT_FIELDS:
                    out.append(problem(path, f"{key}.statement", f"unknown placeholder {{{name}}}: expected one of "
                                       + ", ".join(f"{{{s}}}" for s in STATEMENT_FIELDS)))
    if "trend" in entry and not isinstance(entry["trend"], bool):
        out.append(problem(path, f"{key}.trend", f"expected true or false, got {entry['trend']!r}"))
    if "latest_month" in entry:
        lm = entry["latest_month"]
        d = lm.get("decimals") if isinstance(lm, dict) else None
        if not isinstance(lm, dict) or set(lm) - {"decimals"} or not isinstance(d, int) or isinstance(d, bool) or d < 0:
            out.append(problem(path, f"{key}.latest_month", "expected {decimals: N} with N a whole number"))
    if "exclude" in entry and entry["exclude"] is not None:
        ex = entry["exclude"]
        if not isinstance(ex, dict):
            out.append(problem(path, f"{key}.exclude", "expected a mapping of force id to the reason it is left out"))
        else:
            known = set(force_ids())
            for fid, reason in ex.items():
                if fid not in known:
                    why = (" (British Transport Police is never compared; do not list it)"
                           if fid in EXCLUDED_FROM_ENGLAND_AND_WALES else "")
                    out.append(problem(path, f"{key}.exclude.{fid}",
                                       f"unknown force {fid!r}: expected one of the 43 ids listed by 'peel forces'{why}"))
                if not isinstance(reason, str) or not reason.strip():
                    out.append(problem(path, f"{key}.exclude.{fid}", "expected the reason the force is left out, as text"))
    if area_ids is not None and "area" in entry:
        areas = list(area_ids)
        if entry["area"] not in areas:
            out.append(problem(path, f"{key}.area",
                               f"unknown area {entry['area']!r}: expected one of {', '.join(areas)} (notebooks/report.yaml)"))
    return out


def _entries(path: Path, problems: list[Problem]) -> dict[Any, Any] | None:
    doc = _read_yaml(path, problems)
    if doc is None and not problems:
        problems.append(problem(path, "", "empty file: expected a 'measures:' mapping"))
        return None
    if problems:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), dict) or not doc["measures"]:
        problems.append(problem(path, "measures", "expected a top-level 'measures:' mapping of measure id to entry"))
        return None
    for k in doc:
        if k not in ("measures", NOT_AVAILABLE_KEY):
            problems.append(problem(path, str(k), f"unknown top-level key: expected only 'measures' and "
                                                  f"'{NOT_AVAILABLE_KEY}'"))
    _check_not_available(path, doc.get(NOT_AVAILABLE_KEY), doc["measures"], problems)
    return doc["measures"]


#: Top-level key of measures a dataset knows of but has no figures for (see :func:`load_not_available`).
NOT_AVAILABLE_KEY = "not_available"


def _check_not_available(path: Path, value: Any, measures: dict[Any, Any], problems: list[Problem]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        problems.append(problem(path, NOT_AVAILABLE_KEY, "expected a mapping of measure id to {title, reason}"))
        return
    for mid, entry in value.items():
        where = f"{NOT_AVAILABLE_KEY}.{mid}"
        if mid in measures:
            problems.append(problem(path, where, "also in 'measures': expected a measure to be either in the "
                                                 "catalogue or not available, not both"))
        if not isinstance(entry, dict) or set(entry) != {"title", "reason"} or not all(
                isinstance(v, str) and v.strip() for v in entry.values()):
            problems.append(problem(path, where, "expected a mapping with exactly 'title' and 'reason', both text"))


def load_not_available(path: str | Path) -> dict[str, tuple[str, str]]:
    """Measures the dataset has no figures for, which inspection findings may still cite.

    A dataset built only from published tables lacks measures that other datasets have (the
    demonstration dataset's antisocial behaviour figures, say). Listing them under ``not_available``
    in ``measures.yaml``, with a title and the reason, lets findings that cite them pass validation
    (a misspelt id still fails), and the report says why their charts are absent.

    Returns
    -------
    dict
        Measure id -> (title, reason); empty when the catalogue has no such list or cannot be read
        (its problems are reported by :func:`check_catalogue`).
    """
    problems: list[Problem] = []
    doc = _read_yaml(Path(path), problems)
    if problems or not isinstance(doc, dict) or not isinstance(doc.get(NOT_AVAILABLE_KEY), dict):
        return {}
    return {str(k): (" ".join(str(v.get("title", "")).split()), " ".join(str(v.get("reason", "")).split()))
            for k, v in doc[NOT_AVAILABLE_KEY].items() if isinstance(v, dict)}


def check_catalogue(path: str | Path, area_ids: Iterable[str] | None = None) -> list[Problem]:
    """Every problem with the measure catalogue.

    Parameters
    ----------
    path
        The catalogue file (``data/measures.yaml``).
    area_ids
        Ids of the report's areas (``notebooks/report.yaml``); ``None`` skips the area check.

    Returns
    -------
    list of Problem
        Empty when the catalogue is usable; each problem names the key (``measures.<id>.<field>``).
    """
    path = Path(path)
    problems: list[Problem] = []
    entries = _entries(path, problems)
    if entries is None:
        return problems
    areas = list(area_ids) if area_ids is not None else None
    for mid, entry in entries.items():
        problems.extend(_check_entry(path, mid, entry, areas))
    return problems


def _measure(mid: str, e: dict[str, Any]) -> Measure:
    lm = e.get("latest_month")
    return Measure(
        id=mid,
        title=e["title"].strip(),
        area=e["area"],
        unit=e["unit"],
        decimals=int(e["decimals"]),
        period=parse_period(str(e["period"])),
        source=e["source"].strip(),
        figure_title=e["figure_title"].strip(),
        compare=e["compare"],
        england_and_wales=e["england_and_wales"],
        statement=e["statement"].strip(),
        numerator_unit=e.get("numerator_unit", "count"),
        period_style=e.get("period_style"),
        standard=float(e["standard"]) if _is_number(e.get("standard")) else None,
        trend=bool(e.get("trend", False)),
        latest_month_decimals=int(lm["decimals"]) if isinstance(lm, dict) else None,
        exclude={k: " ".join(str(v).split()) for k, v in (e.get("exclude") or {}).items()},
        note=" ".join(e["note"].split()) if isinstance(e.get("note"), str) else None,
    )


def load_catalogue(path: str | Path, area_ids: Iterable[str] | None = None) -> dict[str, Measure]:
    """Read the measure catalogue, in file order.

    Raises
    ------
    InputError
        Listing every problem :func:`check_catalogue` finds.
    """
    path = Path(path)
    problems = check_catalogue(path, area_ids)
    if problems:
        raise InputError(problems)
    entries = _entries(path, [])
    assert entries is not None  # checked above
    return {mid: _measure(mid, e) for mid, e in entries.items()}
