"""The national data folder: the data contract of ``data/README.md`` as code.

``data/`` holds four files:

* ``dataset.yaml``: the dataset's name and whether it is demonstration data (with a notice that every
  output shows);
* ``measures.yaml``: the measure catalogue (:mod:`peel.catalogue`);
* ``national.csv``: one tidy long table, a row per force, measure and period;
* ``population.csv``: ONS mid-year population estimates by force and year.

:func:`check_dataset` lists every problem in the folder; :func:`load_dataset` refuses a folder
with any and returns a :class:`Dataset` whose values are computed per unit (rates from the numerator
and the population of the period's midpoint year, percentages from numerator and denominator).
Rows for British Transport Police are accepted, checked for form and then ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from peel.errors import InputError, Problem, problem
from peel.inputs.catalogue import Measure, check_catalogue, load_catalogue
from peel.inputs.forces import all_forces, force_ids
from peel.inputs.groups import Groups, check_group_measures, check_groups_source, read_groups
from peel.inputs.periods import Period, parse_period
from peel.inputs.schemas.base import problems_from
from peel.inputs.schemas.dataset import DatasetInfoModel
from peel.inputs.tables import (
    NATIONAL_FILE,
    POPULATION_FILE,
    read_national,
    read_population,
)
from peel.inputs.yamlfile import read_yaml
from peel.numbers import share_percent

DATASET_FILE = "dataset.yaml"
CATALOGUE_FILE = "measures.yaml"

@dataclass(frozen=True)
class DatasetInfo:
    """What ``dataset.yaml`` says about the data.

    Attributes
    ----------
    name
        The dataset's name.
    demonstration
        True when the figures are (partly) synthetic; every output then shows ``notice``.
    notice
        Text shown prominently on every output ("" when there is nothing to say).
    sources
        Source id -> what ``peel import`` recorded about a published table (table, publisher,
        publication, file, sha256, sheet, licence, attribution, layout, via, rows), as plain values
        checked by :class:`peel.inputs.schemas.dataset.Source`.
    """

    name: str
    demonstration: bool
    notice: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``groups:`` of dataset.yaml as plain values (file, title, illustrative, source), or None.
    groups: dict[str, Any] | None = None


@dataclass(eq=False)
class Dataset:
    """A validated national data folder.

    Attributes
    ----------
    root
        The folder it was read from.
    info
        From ``dataset.yaml``.
    catalogue
        Measure id -> :class:`~peel.inputs.catalogue.Measure`, in catalogue order.
    national
        One row per force, measure and period of the 43 forces (British Transport Police rows are
        dropped), columns ``force_id, measure, period`` (ISO interval), ``start, end`` (dates),
        ``value`` (computed per unit; NaN = not available), ``numerator, denominator``,
        ``population`` (the estimate a rate used), ``row`` (the row in national.csv), ``note`` (why a
        figure is not available) and ``source`` (a source id of ``info.sources``; "" = the dataset's own).
    population
        Columns ``force_id, year, population``.
    ignored_rows
        Number of British Transport Police rows read and ignored.
    """

    root: Path
    info: DatasetInfo
    catalogue: dict[str, Measure]
    national: pd.DataFrame
    population: pd.DataFrame
    ignored_rows: int = 0
    #: The groups of most similar forces the dataset declares (``None``: none).
    groups: Groups | None = None
    # Per-dataset memo (values by measure and period, comparisons): a Dataset is never changed after loading.
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def measure(self, measure_id: str) -> Measure:
        """The catalogue entry ``measure_id`` (KeyError naming the known ids if there is none)."""
        try:
            return self.catalogue[measure_id]
        except KeyError:
            raise KeyError(f"unknown measure {measure_id!r}: expected one of {', '.join(self.catalogue)}") from None

    def _by_measure_period(self) -> dict[tuple[str, str], pd.DataFrame]:
        key = "by_measure_period"
        if key not in self._cache:
            ids = list(force_ids())
            groups: dict[tuple[str, str], pd.DataFrame] = {}
            columns = ["value", "numerator", "denominator", "population"]
            for (mid, iso), g in self.national.groupby(["measure", "period"], sort=False):
                groups[(str(mid), str(iso))] = g.set_index("force_id")[columns].reindex(ids)
            self._cache[key] = groups
        return self._cache[key]

    def rows(self, measure_id: str, period: Period | str | None = None) -> pd.DataFrame:
        """Value, numerator, denominator and population of each of the 43 forces (NaN where not supplied).

        Parameters
        ----------
        measure_id
            A catalogue id.
        period
            Defaults to the period the catalogue says the report quotes.
        """
        m = self.measure(measure_id)
        iso = (m.period if period is None else parse_period(period)).iso
        got = self._by_measure_period().get((measure_id, iso))
        if got is None:
            return pd.DataFrame(index=pd.Index(force_ids(), name="force_id"),
                                columns=["value", "numerator", "denominator", "population"], dtype=float)
        return got.copy()

    def source(self, force_id: str, measure_id: str, period: Period | str) -> str:
        """The source id of one figure ("" = the dataset's own, or no such row)."""
        key = "sources"
        if key not in self._cache:
            n = self.national
            self._cache[key] = {(f, m, p): str(src) for f, m, p, src in
                                zip(n["force_id"], n["measure"], n["period"], n["source"].fillna(""), strict=True)}
        return self._cache[key].get((force_id, measure_id, parse_period(period).iso), "")

    def is_synthetic(self, force_id: str, measure_id: str, period: Period | str) -> bool:
        """Whether one figure comes from a synthetic source (a source entry with ``table: none``)."""
        entry = self.info.sources.get(self.source(force_id, measure_id, period)) or {}
        return entry.get("table") == "none"

    def values(self, measure_id: str, period: Period | str | None = None) -> pd.Series:
        """The value of each of the 43 forces, in reference order (NaN = not available)."""
        s = self.rows(measure_id, period)["value"].astype(float)
        s.name = measure_id
        return s

    def periods(self, measure_id: str) -> list[Period]:
        """Every period the data hold for ``measure_id``, in time order."""
        self.measure(measure_id)
        return sorted(parse_period(iso) for mid, iso in self._by_measure_period() if mid == measure_id)




def read_info(data_dir: Path) -> DatasetInfo:
    """Only ``dataset.yaml``: whether the data is demonstration data and its notice (cheap; no CSV read).

    Raises
    ------
    InputError
        When the file is missing or malformed.
    """
    problems: list[Problem] = []
    info = _read_info(Path(data_dir) / DATASET_FILE, problems)
    if problems or info is None:
        raise InputError(problems or [problem(Path(data_dir) / DATASET_FILE, "", "could not be read")])
    return info


def _read_info(path: Path, problems: list[Problem]) -> DatasetInfo | None:
    before = len(problems)
    doc = read_yaml(path, problems, "name, demonstration (true or false) and notice")
    if len(problems) > before:
        return None
    try:
        model = DatasetInfoModel.model_validate(doc)
    except ValidationError as e:
        problems.extend(problems_from(e, path, DatasetInfoModel))
        return None
    return DatasetInfo(model.name.strip(), model.demonstration, " ".join((model.notice or "").split()),
                       {sid: s.model_dump(exclude_none=True) for sid, s in (model.sources or {}).items()},
                       model.groups.model_dump() if model.groups is not None else None)



def _check_and_read(data_dir: Path, area_ids: Iterable[str] | None) -> tuple[list[Problem], Dataset | None]:
    problems: list[Problem] = []
    info = _read_info(data_dir / DATASET_FILE, problems)
    cat_problems = check_catalogue(data_dir / CATALOGUE_FILE, area_ids)
    problems.extend(cat_problems)
    catalogue = None if cat_problems else load_catalogue(data_dir / CATALOGUE_FILE)
    population = read_population(data_dir / POPULATION_FILE, problems)
    national, ignored = read_national(data_dir / NATIONAL_FILE, catalogue, population, problems)
    groups = None
    if info is not None and info.groups is not None:
        g = info.groups
        problems.extend(check_groups_source(data_dir / DATASET_FILE, g, info.sources))
        groups = read_groups(data_dir / g["file"], g["title"], g["illustrative"], g["source"], problems)
    if catalogue is not None and info is not None and info.groups is None:
        problems.extend(check_group_measures(data_dir / CATALOGUE_FILE, catalogue, None, data_dir / DATASET_FILE))
    if problems:
        return problems, None
    assert info is not None and catalogue is not None and national is not None and population is not None
    catalogue = {mid: apply_completeness(m, national) for mid, m in catalogue.items()}
    return [], Dataset(data_dir, info, catalogue, national, population, ignored, groups)


def partial_figures(national: pd.DataFrame, measure: str, period: str, min_share: float) -> dict[str, float]:
    """Force id -> coverage, for the forces whose figure for ``measure`` and ``period`` covers less than
    ``min_share`` of its count (the ``coverage`` column of national.csv; empty counts as complete)."""
    rows = national[(national["measure"] == measure) & (national["period"] == period)
                    & (national["coverage"] < min_share) & national["value"].notna()]
    return {str(f): float(c) for f, c in zip(rows["force_id"], rows["coverage"], strict=True)}


def pooled_coverage(national: pd.DataFrame, measure: str, period: str) -> float | None:
    """The share of the whole count the figures of ``period`` cover, over the forces with a figure: each
    force's coverage weighted by its denominator (by its numerator when it has none); None when no row
    states a coverage (the figures are then taken as complete)."""
    rows = national[(national["measure"] == measure) & (national["period"] == period) & national["value"].notna()]
    if rows.empty or rows["coverage"].isna().all():
        return None
    share = rows["coverage"].fillna(1.0)
    weight = rows["denominator"].where(rows["denominator"].notna(), rows["numerator"]).fillna(1.0)
    total = float(weight.sum())
    return float((share * weight).sum() / total) if total > 0 else None


def _complete_period(m: Measure, national: pd.DataFrame, min_share: float) -> Measure:
    """The measure quoting the latest period, of the same length as the declared one and no later, whose
    pooled coverage meets ``min_share``; unchanged when the declared period meets it (or none does)."""
    declared = pooled_coverage(national, m.id, m.period.iso)
    if declared is None or declared >= min_share:
        return m
    isos = set(national.loc[national["measure"] == m.id, "period"])
    earlier = sorted((p for p in map(parse_period, isos)
                      if p.months == m.period.months and p.end < m.period.end), reverse=True)
    for p in earlier:
        got = pooled_coverage(national, m.id, p.iso)
        if got is None or got >= min_share:
            label = replace(m, period=p).period_label
            note = (f"Figures for {label}: those for {m.period_label} are incomplete (they cover "
                    f"{share_percent(declared, min_share)} of the count across forces, less than "
                    f"{share_percent(min_share)}), so this "
                    f"report quotes the latest period that is complete.")
            return replace(m, period=p, declared_period=m.period, note=f"{note} {m.note}" if m.note else note)
    return m


def apply_completeness(m: Measure, national: pd.DataFrame) -> Measure:
    """The measure with its completeness rule applied to its quoted period.

    First the quoted period: when the figures of the declared period cover less than ``min_share`` of the
    whole count (:func:`pooled_coverage`), the measure quotes the latest earlier period that meets it, and its
    note says so. Then each force: ``below: exclude`` leaves each partial force of that period out of the
    comparison, with a reason naming it; ``below: note`` adds a note naming them (printed under the chart and
    in the data table).
    """
    if m.completeness is None:
        return m
    min_share, below = m.completeness
    m = _complete_period(m, national, min_share)
    partial = partial_figures(national, m.id, m.period.iso, min_share)
    if not partial:
        return m
    names = {f.id: f.name for f in all_forces()}
    if below == "exclude":
        exclude = dict(m.exclude)
        for fid, share in partial.items():
            exclude.setdefault(fid, f"{names[fid]}'s figure for {m.period_label} is incomplete: it covers "
                                    f"{share_percent(share, min_share)} of its count, less than the "
                                    f"{share_percent(min_share)} needed to compare it with other forces.")
        return replace(m, exclude=exclude)
    listed = ", ".join(f"{names[f]} ({share_percent(s, min_share)})" for f, s in partial.items())
    note = (f"Incomplete figures: for {m.period_label}, the figure{'s' if len(partial) > 1 else ''} of {listed} "
            f"cover{'' if len(partial) > 1 else 's'} less than {share_percent(min_share)} of the count; "
            f"{'they' if len(partial) > 1 else 'it'} may rise as the count is completed.")
    return replace(m, note=f"{m.note} {note}" if m.note else note)


def check_dataset(data_dir: str | Path, area_ids: Iterable[str] | None = None) -> list[Problem]:
    """Every problem in a national data folder (including the catalogue's, via check_catalogue).

    Parameters
    ----------
    data_dir
        The folder holding dataset.yaml, measures.yaml, national.csv and population.csv.
    area_ids
        The report's area ids, to check each measure's area; ``None`` skips that check.

    Returns
    -------
    list of Problem
        Each names the file, the row (header = row 1) or key, and what was expected.
    """
    return _check_and_read(Path(data_dir), area_ids)[0]


_FILES = (DATASET_FILE, CATALOGUE_FILE, NATIONAL_FILE, POPULATION_FILE)
_MEMO: dict[tuple[Any, ...], Dataset] = {}
_MEMO_SIZE = 8


def _signature(data_dir: Path) -> tuple[Any, ...]:
    sig: list[Any] = [str(data_dir.resolve())]
    # The groups file is named in dataset.yaml: every CSV file of the folder is in the signature.
    for name in (*_FILES, *sorted(p.name for p in data_dir.glob("*.csv") if p.name not in _FILES)):
        p = data_dir / name
        try:
            st = p.stat()
            sig.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            sig.append((name, None, None))
    return tuple(sig)


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and check a national data folder.

    One process builds many forces' reports from the same data, so the result is remembered for
    as long as no file's path, size or modification time changes.

    Raises
    ------
    InputError
        Listing every problem :func:`check_dataset` finds.
    """
    data_dir = Path(data_dir)
    key = _signature(data_dir)
    hit = _MEMO.get(key)
    if hit is not None:
        return hit
    problems, ds = _check_and_read(data_dir, None)
    if problems:
        raise InputError(problems)
    assert ds is not None
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = ds
    return ds
