"""The measure catalogue (``data/measures.yaml``): every national measure a report compares forces on.

Adding a measure is a catalogue entry plus rows in ``national.csv``; nothing here knows any
measure by name. :func:`check_catalogue` lists every problem with the file;
:func:`load_catalogue` refuses a catalogue that has any.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from peel.errors import InputError, Problem, problem
from peel.inputs.periods import Period, parse_period
from peel.inputs.schemas.base import problems_from
from peel.inputs.schemas.catalogue import (
    CatalogueModel,
    CompareName,
    EnglandAndWales,
    MeasureEntry,
    NumeratorUnit,
    UnitName,
)
from peel.inputs.yamlfile import read_yaml

#: Units a measure's value can have.
UNITS: tuple[str, ...] = get_args(UnitName)
#: Units whose value is computed from the numerator and the ONS population.
POPULATION_UNITS = ("per_1000_population", "gbp_per_1000_population")
NUMERATOR_UNITS: tuple[str, ...] = get_args(NumeratorUnit)
COMPARE: tuple[str, ...] = get_args(CompareName)
ENGLAND_AND_WALES: tuple[str, ...] = get_args(EnglandAndWales)


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
    #: Force id -> (amount as published, note): the statement gives this amount for ``{numerator}`` in
    #: the quoted period, followed by the note saying why it differs from the numerator behind the value.
    published_numerator: dict[str, tuple[float, str]] = field(default_factory=dict)
    note: str | None = None
    #: The completeness rule ``(min_share, below)``: a force-period whose ``coverage`` in national.csv is
    #: under ``min_share`` is shown with a note (``below == "note"``) or left out of the comparison ("exclude").
    completeness: tuple[float, str] | None = None
    #: The period measures.yaml declares, when the completeness rule moved the quoted period to an earlier,
    #: complete one (``period`` is then that one; see :func:`peel.inputs.dataset.apply_completeness`).
    declared_period: Period | None = None

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


def _validated(path: Path, area_ids: Iterable[str] | None, problems: list[Problem]) -> CatalogueModel | None:
    doc = _read_yaml(path, problems)
    if doc is None and not problems:
        problems.append(problem(path, "", "empty file: expected a 'measures:' mapping"))
        return None
    if problems:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), dict) or not doc["measures"]:
        problems.append(problem(path, "measures", "expected a top-level 'measures:' mapping of measure id to entry"))
        return None
    try:
        return CatalogueModel.model_validate(doc, context={"areas": None if area_ids is None else list(area_ids)})
    except ValidationError as e:
        problems.extend(problems_from(e, path, CatalogueModel))
        return None


#: Top-level key of measures a dataset knows of but has no figures for (see :func:`load_not_available`).
NOT_AVAILABLE_KEY = "not_available"


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
    model = _validated(Path(path), None, problems)
    if model is None:
        return {}
    return {mid: (" ".join(e.title.split()), " ".join(e.reason.split()))
            for mid, e in (model.not_available or {}).items()}


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
    problems: list[Problem] = []
    _validated(Path(path), area_ids, problems)
    return problems


def _measure(mid: str, e: MeasureEntry) -> Measure:
    return Measure(
        id=mid,
        title=e.title.strip(),
        area=e.area,
        unit=e.unit,
        decimals=int(e.decimals),
        period=parse_period(e.period),
        source=e.source.strip(),
        figure_title=e.figure_title.strip(),
        compare=e.compare,
        england_and_wales=e.england_and_wales,
        statement=e.statement.strip(),
        numerator_unit=e.numerator_unit,
        period_style=e.period_style,
        standard=float(e.standard) if e.standard is not None else None,
        trend=e.trend,
        latest_month_decimals=int(e.latest_month.decimals) if e.latest_month is not None else None,
        exclude={k: " ".join(v.split()) for k, v in (e.exclude or {}).items()},
        published_numerator={k: (float(v.amount), " ".join(v.note.split()))
                             for k, v in (e.published_numerator or {}).items()},
        note=" ".join(e.note.split()) if e.note is not None else None,
        completeness=(float(e.completeness.min_share), e.completeness.below) if e.completeness is not None else None,
    )


def load_catalogue(path: str | Path, area_ids: Iterable[str] | None = None) -> dict[str, Measure]:
    """Read the measure catalogue, in file order.

    Raises
    ------
    InputError
        Listing every problem :func:`check_catalogue` finds.
    """
    problems: list[Problem] = []
    model = _validated(Path(path), area_ids, problems)
    if problems or model is None:
        raise InputError(problems or [problem(path, "", "could not be read")])
    return {mid: _measure(mid, e) for mid, e in model.measures.items()}
