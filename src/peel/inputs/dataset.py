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

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from peel.inputs.catalogue import Measure, check_catalogue, load_catalogue
from peel.errors import InputError, Problem, problem
from peel.files import InputFileError, read_input
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, force_ids
from peel.inputs.groups import Groups, check_group_measures, check_groups_source, read_groups
from peel.analysis.numbers import round_half_up
from peel.inputs.periods import Period, parse_period
from peel.inputs.schemas.base import MAX_NUMBER, problems_from
from peel.inputs.schemas.dataset import DatasetInfoModel
from peel.inputs.yamlfile import read_yaml

DATASET_FILE = "dataset.yaml"
CATALOGUE_FILE = "measures.yaml"
NATIONAL_FILE = "national.csv"
POPULATION_FILE = "population.csv"

NATIONAL_COLUMNS = ("force_id", "measure", "period", "value", "numerator", "denominator")
POPULATION_COLUMNS = ("force_id", "year", "population")
#: Optional columns written by ``peel import``: why a figure is not available, and the id of the source
#: (an entry of ``sources`` in dataset.yaml; empty or absent = the dataset's own figures).
NATIONAL_OPTIONAL = ("note", "source")
POPULATION_OPTIONAL = ("source",)

# Plain decimal numbers only: "1,234", "12%", "nan" or "inf" in a cell is a data-entry problem, not a number.
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
NUMBER_EXPECTED = "expected a plain number such as 1234 or 19.8 (no thousands separators, units or % sign)"


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
            for (mid, iso), g in self.national.groupby(["measure", "period"], sort=False):
                groups[(mid, iso)] = g.set_index("force_id")[["value", "numerator", "denominator", "population"]].reindex(ids)
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


# ---------------------------------------------------------------------------------------------------
# Reading and checking


class NumberOutOfRange(ValueError):
    """A plain number too large to be a count, an amount or a population (``1e400`` reads as infinity)."""


def _number(text: str) -> float | None:
    """A cell as a number; ``None`` when empty; ValueError when it is not a plain number, NumberOutOfRange
    when it is beyond :data:`~peel.inputs.schemas.base.MAX_NUMBER` (so ``1e400`` is refused here rather
    than becoming an infinite rate, or a figure the force "did not supply")."""
    t = text.strip()
    if t == "":
        return None
    if not _NUMBER.fullmatch(t):
        raise ValueError(t)
    x = float(t)
    if not math.isfinite(x) or abs(x) > MAX_NUMBER:
        raise NumberOutOfRange(f"is out of range: expected a number of at most {MAX_NUMBER:g} in size")
    return x


def _not_a_number(cell: str, error: ValueError) -> str:
    """The message for a cell :func:`_number` refused."""
    if isinstance(error, NumberOutOfRange):
        return f"{cell!r} {error}"
    return f"{cell!r} is not a number: {NUMBER_EXPECTED}"


def _read_csv(path: Path, columns: tuple[str, ...], problems: list[Problem],
              optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]] | None:
    """Rows of a CSV file as (spreadsheet row number, cells), checking encoding and columns.

    ``optional`` columns may be absent (their cells then read as empty).
    """
    try:
        raw = read_input(path)
    except FileNotFoundError:
        problems.append(problem(path, "", f"file not found: expected a CSV file with columns {', '.join(columns)}"))
        return None
    except InputFileError as e:
        problems.append(problem(path, "", f"{e}: expected a CSV file with columns {', '.join(columns)}"))
        return None
    try:
        # utf-8-sig: a byte order mark (which spreadsheet programs add) is still UTF-8.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        problems.append(problem(path, f"row {line}", f"not UTF-8 text (byte {e.start}): save the file as "
                                                     "UTF-8 (in a spreadsheet: 'CSV UTF-8')"))
        return None
    if not text.strip():
        problems.append(problem(path, "", f"empty file: expected a header row with columns {', '.join(columns)}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as e:
        problems.append(_csv_problem(path, reader, e))
        return None
    missing = [c for c in columns if c not in header]
    extra = [h for h in header if h not in columns and h not in optional]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if missing:
        problems.append(problem(path, "row 1 (header)", f"missing column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)}: expected columns {', '.join(columns)}"))
    if extra:
        problems.append(problem(path, "row 1 (header)", f"unexpected column{'s' if len(extra) > 1 else ''} "
                                f"{', '.join(repr(e) for e in extra)}: expected only {', '.join(columns)}"
                                + (f" (and optionally {', '.join(optional)})" if optional else "")))
    if dupes:
        problems.append(problem(path, "row 1 (header)", f"column{'s' if len(dupes) > 1 else ''} "
                                f"{', '.join(dupes)} appear more than once: expected each column once"))
    if missing or dupes:
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    # Row numbers as a spreadsheet shows them: the header is row 1, the first data row is row 2.
    try:
        for n, rec in enumerate(reader, start=2):
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                problems.append(problem(path, f"row {n}", f"{len(rec)} fields: expected {len(header)} "
                                        f"({', '.join(header)})"))
                continue
            cells = {h: c.strip() for h, c in zip(header, rec) if h in columns or h in optional}
            rows.append((n, {**{o: "" for o in optional}, **cells}))
    except csv.Error as e:
        problems.append(_csv_problem(path, reader, e))
        return None
    if not rows:
        problems.append(problem(path, "", "no data rows: expected at least one row under the header"))
    return rows


def _csv_problem(path: Path, reader: Any, error: csv.Error) -> Problem:
    """The csv module's own refusals (a cell over its size limit, a stray quote) as a Problem."""
    return problem(path, f"row {reader.line_num}", f"cannot be read as CSV ({error}): expected short, plain "
                   "cells, with any quote closed on the same row")


def _unknown_force(path: Path, where: str, fid: str) -> Problem:
    close = difflib.get_close_matches(fid, force_ids(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    what = "missing force_id" if not fid else f"unknown force {fid!r}{hint}"
    return problem(path, where, f"{what}: expected one of the 43 ids listed by 'peel forces' "
                                f"(or british-transport-police, whose rows are ignored)")


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


def _read_population(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    rows = _read_csv(path, POPULATION_COLUMNS, problems, POPULATION_OPTIONAL)
    if rows is None:
        return None
    known = set(force_ids())
    seen: dict[tuple[str, int], int] = {}
    records = []
    for n, r in rows:
        where = f"row {n}"
        fid = r["force_id"]
        ok = True
        if fid not in known and fid not in EXCLUDED_FROM_ENGLAND_AND_WALES:
            problems.append(_unknown_force(path, where, fid))
            ok = False
        year: int | None = None
        try:
            y = _number(r["year"])
            if y is None or y != int(y) or not 1900 <= y <= 2100:
                raise ValueError
            year = int(y)
        except ValueError:
            problems.append(problem(path, where, f"column year: {r['year']!r} is not a year: expected a calendar "
                                                 "year such as 2022"))
            ok = False
        try:
            pop = _number(r["population"])
            if pop is None:
                problems.append(problem(path, where, "column population: empty: expected the ONS mid-year estimate"))
                ok = False
            elif pop <= 0:
                problems.append(problem(path, where, f"column population: {r['population']} is not positive: "
                                                     "expected the number of residents"))
                ok = False
        except ValueError as e:
            problems.append(problem(path, where, f"column population: {_not_a_number(r['population'], e)}"))
            ok = False
        if fid and year is not None:
            if (fid, year) in seen:
                problems.append(problem(path, where, f"duplicate of row {seen[(fid, year)]} ({fid}, {year}): "
                                                     "expected one row per force and year"))
                ok = False
            else:
                seen[(fid, year)] = n
        if ok and fid not in EXCLUDED_FROM_ENGLAND_AND_WALES:
            records.append((fid, year, pop))
    return pd.DataFrame.from_records(records, columns=list(POPULATION_COLUMNS))


def _agrees(computed: float, given: float, decimals: int) -> bool:
    return round_half_up(computed, decimals) == round_half_up(given, decimals)


def _read_national(path: Path, catalogue: dict[str, Measure] | None, population: pd.DataFrame | None,
                   problems: list[Problem]) -> tuple[pd.DataFrame | None, int]:
    rows = _read_csv(path, NATIONAL_COLUMNS, problems, NATIONAL_OPTIONAL)
    if rows is None:
        return None, 0
    known = set(force_ids())
    pops: dict[tuple[str, int], float] = {}
    if population is not None:
        pops = {(f, int(y)): float(p) for f, y, p in population.itertuples(index=False)}
    seen: dict[tuple[str, str, str], int] = {}
    records: list[dict[str, Any]] = []
    ignored = 0
    for n, r in rows:
        where = f"row {n}"
        before = len(problems)
        fid, mid = r["force_id"], r["measure"]
        btp = fid in EXCLUDED_FROM_ENGLAND_AND_WALES
        if fid not in known and not btp:
            problems.append(_unknown_force(path, where, fid))
        m: Measure | None = None
        if catalogue is not None:
            m = catalogue.get(mid)
            if m is None:
                close = difflib.get_close_matches(mid, list(catalogue), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(problem(path, where, f"unknown measure {mid!r}{hint}: expected one of the ids in "
                                                     f"measures.yaml ({', '.join(catalogue)})"))
        period: Period | None = None
        try:
            period = parse_period(r["period"])
        except ValueError as e:
            problems.append(problem(path, where, f"column period: {e}"))
        nums: dict[str, float | None] = {}
        for col in ("value", "numerator", "denominator"):
            try:
                nums[col] = _number(r[col])
            except ValueError as e:
                problems.append(problem(path, where, f"column {col}: {_not_a_number(r[col], e)}"))
                nums[col] = None
                continue
            if nums[col] is not None and nums[col] < 0:
                what = "count" if col != "value" else "value"
                problems.append(problem(path, where, f"column {col}: {r[col]} is negative: expected a {what} of "
                                                     "zero or more"))
        value, num, den = nums["value"], nums["numerator"], nums["denominator"]
        computed: float | None = None
        pop: float | None = None
        if m is not None and len(problems) == before:
            if m.uses_population:
                if den is not None:
                    problems.append(problem(path, where, f"column denominator: {r['denominator']} given for "
                                            f"{mid}, a rate per 1,000 population: expected it empty (the population "
                                            f"comes from population.csv)"))
                if num is None and value is not None:
                    problems.append(problem(path, where, f"column numerator: empty: {mid} is computed from the "
                                            "count (or amount) in numerator and the population; expected numerator"))
                elif num is not None and period is not None and not btp:
                    year = period.midpoint_year
                    pop = pops.get((fid, year))
                    if pop is None:
                        problems.append(problem(path, where, f"no population for {fid} in {year} in "
                                                f"{POPULATION_FILE}: {mid} for {period.iso} is a rate per 1,000 "
                                                f"population and needs the mid-{year} estimate"))
                    else:
                        computed = num / pop * 1000.0
            elif m.unit == "percent":
                if (num is None) != (den is None):
                    problems.append(problem(path, where, f"{mid} has {'numerator' if den is None else 'denominator'}"
                                            " without the other: expected both numerator and denominator, or value alone"))
                elif num is not None and den is not None:
                    if den == 0:
                        problems.append(problem(path, where, "column denominator: 0: expected a positive number"))
                    elif num > den:
                        problems.append(problem(path, where, f"numerator {r['numerator']} is larger than denominator "
                                                f"{r['denominator']}: expected numerator <= denominator for {mid}, "
                                                "a percentage"))
                    else:
                        computed = num / den * 100.0
                if value is not None and value > 100:
                    problems.append(problem(path, where, f"column value: {r['value']} percent is over 100: expected "
                                                         "a percentage from 0 to 100"))
                if (m.england_and_wales == "pooled" and num is None and value is not None):
                    problems.append(problem(path, where, f"value without numerator and denominator: {mid}'s England "
                                            "and Wales figure is pooled (total numerator over total denominator), so "
                                            "expected numerator and denominator"))
            else:  # count
                if den is not None:
                    problems.append(problem(path, where, f"column denominator: given for {mid}, a count: expected it "
                                                         "empty"))
                computed = num
            if computed is not None and value is not None and not _agrees(computed, value, m.decimals):
                problems.append(problem(path, where, f"column value: {r['value']} disagrees with the value computed "
                                        f"from the numerator{' and population' if m.uses_population else ''}"
                                        f"{' and denominator' if m.unit == 'percent' else ''} "
                                        f"({format(computed, '.6g')}, which is "
                                        f"{round_half_up(computed, m.decimals)} at {m.decimals} decimal places): "
                                        "expected the two to agree, or value left empty"))
        if period is not None:
            key = (fid, mid, period.iso)
            if key in seen:
                problems.append(problem(path, where, f"duplicate of row {seen[key]} ({fid}, {mid}, {period.iso}): "
                                                     "expected one row per force, measure and period"))
            else:
                seen[key] = n
        if len(problems) > before:
            continue
        if btp:
            ignored += 1
            continue
        if m is None or period is None:
            continue
        final = computed if computed is not None else value
        records.append({
            "force_id": fid, "measure": mid, "period": period.iso,
            "start": pd.Timestamp(period.start), "end": pd.Timestamp(period.end),
            "value": math.nan if final is None else float(final),
            "numerator": math.nan if num is None else num,
            "denominator": math.nan if den is None else den,
            "population": math.nan if pop is None else pop,
            "row": n, "note": r["note"], "source": r["source"],
        })
    cols = ["force_id", "measure", "period", "start", "end", "value", "numerator", "denominator", "population", "row",
            "note", "source"]
    frame = pd.DataFrame.from_records(records, columns=cols)
    for c in ("value", "numerator", "denominator", "population"):
        frame[c] = frame[c].astype(float)
    return frame, ignored


def _check_and_read(data_dir: Path, area_ids: Iterable[str] | None) -> tuple[list[Problem], Dataset | None]:
    problems: list[Problem] = []
    info = _read_info(data_dir / DATASET_FILE, problems)
    cat_problems = check_catalogue(data_dir / CATALOGUE_FILE, area_ids)
    problems.extend(cat_problems)
    catalogue = None if cat_problems else load_catalogue(data_dir / CATALOGUE_FILE)
    population = _read_population(data_dir / POPULATION_FILE, problems)
    national, ignored = _read_national(data_dir / NATIONAL_FILE, catalogue, population, problems)
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
    return [], Dataset(data_dir, info, catalogue, national, population, ignored, groups)


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
