"""The dataset's two CSV tables, ``national.csv`` and ``population.csv``, read row by row and checked
against the data contract of ``data/README.md``.

Every cell a person could mistype is checked here, and each problem names the file, the row (the
header is row 1, as a spreadsheet shows it) and what was expected. :mod:`peel.inputs.dataset` puts the
tables together with ``dataset.yaml`` and the measure catalogue.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from peel.errors import Problem, problem
from peel.files import read_input_or_problem
from peel.inputs.catalogue import Measure
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, force_ids
from peel.inputs.periods import Period, parse_period
from peel.inputs.schemas.base import MAX_NUMBER
from peel.method import round_half_up

NATIONAL_FILE = "national.csv"
POPULATION_FILE = "population.csv"

NATIONAL_COLUMNS = ("force_id", "measure", "period", "value", "numerator", "denominator")
POPULATION_COLUMNS = ("force_id", "year", "population")
#: Optional columns written by ``peel import``: why a figure is not available, and the id of the source
#: (an entry of ``sources`` in dataset.yaml; empty or absent = the dataset's own figures), and the share of
#: the force-period's count the figure covers (``coverage``, from 0 to 1; empty or absent = complete).
NATIONAL_OPTIONAL = ("note", "source", "coverage")
POPULATION_OPTIONAL = ("source",)

# Plain decimal numbers only: "1,234", "12%", "nan" or "inf" in a cell is a data-entry problem, not a number.
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
NUMBER_EXPECTED = "expected a plain number such as 1234 or 19.8 (no thousands separators, units or % sign)"


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


def read_csv(path: Path, columns: tuple[str, ...], problems: list[Problem],
              optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]] | None:
    """Rows of a CSV file as (spreadsheet row number, cells), checking encoding and columns.

    ``optional`` columns may be absent (their cells then read as empty).
    """
    raw = read_input_or_problem(path, problems, f"a CSV file with columns {', '.join(columns)}")
    if raw is None:
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
            cells = {h: c.strip() for h, c in zip(header, rec, strict=True) if h in columns or h in optional}
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



def read_population(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """``population.csv`` as a frame of force_id, year and population (British Transport Police left out),
    or ``None`` when the file cannot be read; every problem is appended to ``problems``."""
    rows = read_csv(path, POPULATION_COLUMNS, problems, POPULATION_OPTIONAL)
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
            elif pop < 1 or pop != int(pop):
                # A rate per 1,000 of a population such as 1e-300 would overflow every figure made from it.
                problems.append(problem(path, where, f"column population: {r['population']} is not a whole "
                                                     "number of people: expected the number of residents, "
                                                     "a whole number of at least 1"))
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


def read_national(path: Path, catalogue: dict[str, Measure] | None, population: pd.DataFrame | None,
                   problems: list[Problem]) -> tuple[pd.DataFrame | None, int]:
    """``national.csv`` as a frame of checked rows with each value computed per unit, and the number of
    British Transport Police rows ignored; ``None`` for the frame when the file cannot be read.

    Values are checked against the ``catalogue`` (when it could be read) and rates are computed from
    the ``population`` of the period's midpoint year; every problem is appended to ``problems``.
    """
    rows = read_csv(path, NATIONAL_COLUMNS, problems, NATIONAL_OPTIONAL)
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
            got = nums[col]
            if got is not None and got < 0:
                what = "count" if col != "value" else "value"
                problems.append(problem(path, where, f"column {col}: {r[col]} is negative: expected a {what} of "
                                                     "zero or more"))
        value, num, den = nums["value"], nums["numerator"], nums["denominator"]
        share: float | None = None
        try:
            share = _number(r["coverage"])
        except ValueError as e:
            problems.append(problem(path, where, f"column coverage: {_not_a_number(r['coverage'], e)}"))
        if share is not None and not 0 <= share <= 1:
            problems.append(problem(path, where, f"column coverage: {r['coverage']} is not a share: expected a "
                                                 "number from 0 to 1 (0.85 = 85% of the count covered), or empty"))
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
                    one = "numerator" if den is None else "denominator"
                    problems.append(problem(path, where, f"{mid} has {one} without the other: "
                                            "expected both numerator and denominator, or value alone"))
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
            "coverage": math.nan if share is None else share,
        })
    cols = ["force_id", "measure", "period", "start", "end", "value", "numerator", "denominator", "population", "row",
            "note", "source", "coverage"]
    frame = pd.DataFrame.from_records(records, columns=cols)
    for c in ("value", "numerator", "denominator", "population", "coverage"):
        frame[c] = frame[c].astype(float)
    return frame, ignored
