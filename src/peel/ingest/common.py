"""What the Home Office importers share: forces and counts read from a sheet, financial years, yearly
sums that refuse incomplete years, rows in the ``national.csv`` contract and the checks against totals."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from peel.ingest.forces import resolve
from peel.ingest.layout import Layout, cell_text, parse_count, whole
from peel.ingest.reading import Sheet, fail, raise_collected, read_sheets, report
from peel.inputs.forces import force_ids
from peel.inputs.periods import financial_year


@dataclass
class Parsed:
    """What one import produces before it is written.

    Attributes
    ----------
    table
        The table id (``recorded-crime``, ``population``...).
    rows
        ``national.csv`` rows (force_id, measure, period, value, numerator, denominator, note) or
        ``population.csv`` rows (force_id, year, population), all values as text.
    layout
        The layout the file matched.
    sheets
        The sheets read.
    set_aside
        Label -> rows set aside (British Transport Police, fraud bodies, totals).
    warnings
        Differences from the publication's totals and other things the analyst should see.
    info
        Other lines for the summary (incomplete years skipped, which denominator was used).
    """

    table: str
    rows: list[dict[str, str]]
    layout: Layout
    sheets: list[str]
    set_aside: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)


def forces_column(path: Path, sheet: Sheet, key: str, set_aside: Counter[str]) -> pd.Series:
    """The force id of each row; ``"~" + label`` for a row set aside (counted in ``set_aside`` by label).

    Raises
    ------
    IngestError
        On the first row whose name is unknown, naming file, sheet, row and column.
    """
    col = sheet.frame[key]
    ids: dict[object, str] = {}
    for value in pd.unique(col):
        text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
        try:
            got = resolve(text) if text else ("",)
        except KeyError as e:
            row = sheet.first_row(col.eq(value))
            raise fail(path, e.args[0], sheet.name or None, row, sheet.headers[key]) from None
        if got == ("",):
            row = sheet.first_row(col.isna() | col.astype(str).str.strip().eq(""))
            raise fail(path, "empty force name: expected one of the 43 police force areas", sheet.name or None,
                       row, sheet.headers[key])
        ids[value] = got if isinstance(got, str) else "~" + got[0]
        if not isinstance(got, str):
            set_aside[got[0]] += int(col.eq(value).sum())
    return col.map(ids)


#: The largest count accepted (the population of England and Wales is about 61 million; no force
#: records a billion of anything): a larger cell is a wrong column or a damaged file.
MAX_COUNT = 1e9

#: How many bad cells of one column a message lists (then how many more).
SHOWN = 10


def counts_column(path: Path, sheet: Sheet, key: str, integer: bool = True, negative: bool | None = None) -> pd.Series:
    """A count column as floats (NaN for an empty or "N/A" cell: missing, not zero).

    Every bad cell is reported (:func:`peel.ingest.reading.report`), up to :data:`SHOWN` of them per
    column, naming its row and column; a bad cell reads as NaN. Bad means: text, a true/false cell, a
    number that is not finite (``inf``, ``Infinity``, ``1e400``) or over :data:`MAX_COUNT`, a fraction
    (with ``integer``), or a negative number unless ``negative`` (default: in the detailed tables,
    whose correction rows are real and are summed; never in a copy of yearly totals).
    """
    if negative is None:
        negative = not sheet.layout.totals
    col = sheet.frame[key]
    # A true/false cell (a spreadsheet's boolean) is not a count, though pandas would read TRUE as 1.
    booleans = col.map(lambda v: isinstance(v, bool))
    fast = pd.to_numeric(col.where(~booleans), errors="coerce")
    out = fast.astype(float)
    bad: list[tuple[Hashable, str]] = []
    for i in col.index[fast.isna()]:
        value, ok = parse_count(col[i])
        if not ok:
            what = "a true/false cell" if booleans[i] else "not a number"
            bad.append((i, f"{cell_text(col[i])!r} is {what}: expected a count (a whole number; empty or N/A "
                           "when not supplied)"))
            value = None
        out[i] = float("nan") if value is None else value
    # Checked as whole columns (the largest table has half a million rows); only bad cells are looped over.
    values = out.to_numpy()
    with np.errstate(invalid="ignore"):
        suspect = (np.isinf(values) | (np.abs(values) > MAX_COUNT) | ((values < 0) & (not negative))
                   | (integer & (values != np.round(values)) & ~np.isnan(values)))
    for i in out.index[suspect]:
        x = float(out[i])
        if not math.isfinite(x) or abs(x) > MAX_COUNT:
            kind = "not a finite number" if not math.isfinite(x) else "out of range"
            bad.append((i, f"{cell_text(col[i])!r} is {kind}: expected a count of at most {MAX_COUNT:,.0f}"))
        elif x < 0 and not negative:
            bad.append((i, f"{cell_text(col[i])} is negative: expected a count of 0 or more (a table of "
                           "yearly totals has no correction rows)"))
        else:
            bad.append((i, f"{cell_text(col[i])} is not a whole number: expected a count"))
        out[i] = float("nan")
    bad.sort(key=lambda b: sheet.row_at(b[0]))
    for i, message in bad[:SHOWN]:
        report(fail(path, message, sheet.name or None, sheet.row_at(i), sheet.headers[key]))
    if len(bad) > SHOWN:
        report(fail(path, f"and {len(bad) - SHOWN} more cells like these", sheet.name or None, None,
                    sheet.headers[key]))
    return out


def duplicate_rows(path: Path, sheets: Sequence[Sheet], frame: pd.DataFrame, key: Sequence[str],
                   what: str) -> None:
    """Report every row whose ``key`` columns repeat an earlier row's (summed, it would count twice).

    ``frame`` is the sheets' rows concatenated, in order, with the ``key`` columns; rows whose
    ``force_id`` starts with ``~`` (set aside) are not checked.
    """
    rows = frame
    if "force_id" in rows:
        rows = rows[~rows["force_id"].astype(str).str.startswith("~")]
    dup = rows.duplicated(subset=list(key), keep=False)
    if not dup.any():
        return
    where = [(s, n) for s in sheets for n in s.frame["_row"]]
    found = []
    for _, g in rows[dup].groupby(list(key), sort=False):
        first, *again = [where[i] for i in g.index]
        shown = ", ".join(str(g.iloc[0][k]) for k in key if k != "_whole") or str(g.iloc[0].get("force_id", ""))
        for sh, n in again:
            of = f" of sheet {first[0].name!r}" if first[0] is not sh else ""
            found.append(fail(path, f"repeats row {first[1]}{of} ({shown}): expected each {what} once (a row given "
                                    "twice would be counted twice)", sh.name or None, int(n),
                              sh.headers.get("force", sh.headers.get("code"))))
    for e in found[:SHOWN]:
        report(e)
    if len(found) > SHOWN:
        report(fail(path, f"and {len(found) - SHOWN} more repeated rows"))


_FY = re.compile(r"^(\d{4})\s*[/_-]\s*(\d{2}|\d{4})$")


def year_column(path: Path, sheet: Sheet, key: str) -> pd.Series:
    """The first calendar year of each row's financial year (``2022/23`` -> 2022)."""
    col = sheet.frame[key]
    years: dict[object, int] = {}
    for value in pd.unique(col):
        m = _FY.match(str(value).strip())
        # The second year must follow the first: 2022/23, not 2022/24.
        start = int(m.group(1)) if m and int(m.group(2)) % 100 == (int(m.group(1)) + 1) % 100 else None
        if start is None:
            row = sheet.first_row(col.eq(value))
            raise fail(path, f"{cell_text(value)!r} is not a financial year: expected the form 2022/23",
                       sheet.name or None, row, sheet.headers[key])
        years[value] = start
    return col.map(years)


def quarter_column(path: Path, sheet: Sheet, key: str) -> pd.Series:
    """Financial quarters 1 to 4 (``Q1`` and ``1`` alike)."""
    col = sheet.frame[key]
    quarters: dict[object, int] = {}
    for value in pd.unique(col):
        m = re.fullmatch(r"(?:q)?\s*([1-4])(?:\.0)?", str(value).strip().casefold())
        if not m:
            row = sheet.first_row(col.eq(value))
            raise fail(path, f"{cell_text(value)!r} is not a financial quarter: expected 1, 2, 3 or 4",
                       sheet.name or None, row, sheet.headers[key])
        quarters[value] = int(m.group(1))
    return col.map(quarters)


def fy_period(first_year: int) -> str:
    """``2022`` -> ``2022-04-01/2023-03-31``."""
    return financial_year(first_year).iso


def yearly(frame: pd.DataFrame, annual: bool) -> tuple[dict[tuple[str, int], float | None], dict[tuple[str, int], str]]:
    """Sum ``count`` by force and financial year; a year with a missing quarter or an N/A cell has no total.

    Parameters
    ----------
    frame
        Columns ``force_id``, ``year``, ``count`` and (unless ``annual``) ``quarter``.

    Returns
    -------
    totals, notes
        (force, year) -> total (None when not available) and, for those, the reason.
    """
    totals: dict[tuple[str, int], float | None] = {}
    notes: dict[tuple[str, int], str] = {}
    for (fid, year), g in frame.groupby(["force_id", "year"], sort=True):
        key = (str(fid), whole(year))
        label = f"{year}/{(whole(year) + 1) % 100:02d}"
        if not annual:
            missing = sorted({1, 2, 3, 4} - set(int(q) for q in g["quarter"].unique()))
            if missing:
                totals[key] = None
                notes[key] = (f"not available: quarter{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(map(str, missing))} of {label} missing from the table")
                continue
        if g["count"].isna().any():
            qs = sorted(set(int(q) for q in g.loc[g["count"].isna(), "quarter"])) if not annual else []
            totals[key] = None
            notes[key] = ("not available: N/A (not supplied) in the table" +
                          (f" for quarter {', '.join(map(str, qs))} of {label}" if qs else f" for {label}"))
            continue
        totals[key] = float(g["count"].sum())
    return totals, notes


def negative_totals(path: Path, label: str, totals: dict[tuple[str, int], float | None]) -> None:
    """Report each force and year whose correction rows outweigh its counts (a negative yearly total)."""
    for (fid, year), v in sorted(totals.items()):
        if v is not None and v < 0:
            report(fail(path, f"{label}: {fid} {year}/{(year + 1) % 100:02d} adds up to {num(v)}: expected a total "
                              "of 0 or more"))


def complete_years(totals: dict[tuple[str, int], float | None], info: list[str]) -> list[int]:
    """Years with at least one force's full total; a year no force completed is skipped (and said)."""
    years = sorted({y for _, y in totals})
    kept = [y for y in years if any(v is not None for (f, yy), v in totals.items() if yy == y)]
    for y in sorted(set(years) - set(kept)):
        info.append(f"{y}/{(y + 1) % 100:02d} skipped: no force has all four quarters yet (a year in progress)")
    return kept


def num(x: float | None) -> str:
    """A figure as plain text: whole numbers without ``.0``; up to 2 decimals otherwise."""
    if x is None:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


Figures = dict[str, dict[str, tuple[float | None, float | None, str]]]
"""Period -> force -> (numerator, denominator, note)."""


def national_rows(measure: str, periods: Figures,
                  coverage: dict[tuple[str, str], float] | None = None) -> list[dict[str, str]]:
    """Rows for every one of the 43 forces and each period: a force without a figure gets an explicit
    "not available" row (value, numerator and denominator empty) with the reason in ``note``.

    ``coverage`` maps (period, force id) to the share of the count the figure covers, written to four
    decimal places in the ``coverage`` column (absent: the column is left empty, which reads as complete).
    """
    rows = []
    for period in sorted(periods):
        got = periods[period]
        for fid in force_ids():
            n, d, note = got.get(fid, (None, None, "not available: no rows for this force in the table"))
            share = (coverage or {}).get((period, fid)) if n is not None else None
            rows.append({"force_id": fid, "measure": measure, "period": period, "value": "",
                         "numerator": num(n), "denominator": num(d), "note": note if n is None else "",
                         "coverage": "" if share is None else f"{share:.4f}"})
    return rows


def check_totals(label: str, computed: dict[str, float], published: dict[str, float], strict: bool,
                 path: Path, warnings: list[str]) -> None:
    """Compare the 43 forces' sum with the publication's total for each period; warn (or, strict, fail)."""
    for period, total in sorted(published.items()):
        got = computed.get(period)
        if got is None or abs(got - total) < 0.5:
            continue
        msg = (f"{label} for {period}: the 43 forces add up to {num(got)}, the publication's total is "
               f"{num(total)} (difference {num(got - total)})")
        if strict:
            report(fail(path, msg + ": expected them to agree (--warn-totals makes this a warning)"))
        else:
            warnings.append(msg)


def check_total_rows(frame: pd.DataFrame, periods: Figures,
                     label: str, strict: bool, path: Path, warnings: list[str], info: list[str]) -> None:
    """Compare the table's own total rows (England and Wales, or England plus Wales) with the 43 forces.

    Only years in which every force has a figure are compared (a missing force is not a difference).
    ``frame`` has ``force_id`` (``"~England and Wales total"``... for total rows), ``year`` and ``count``.
    """
    totals = frame[frame["force_id"].isin(["~England and Wales total", "~England total", "~Wales total"])]
    if totals.empty:
        return
    published: dict[str, float] = {}
    computed: dict[str, float] = {}
    for year, g in totals.groupby("year"):
        period = fy_period(whole(year))
        got = periods.get(period, {})
        if len(got) < 43 or any(v is None for v, _, _ in got.values()):
            continue
        ew = g[g["force_id"] == "~England and Wales total"]["count"]
        parts = g[g["force_id"] != "~England and Wales total"]["count"]
        published[period] = float(ew.sum()) if len(ew) else float(parts.sum())
        computed[period] = float(sum(v for v, _, _ in got.values() if v is not None))
    before = len(warnings)
    check_totals(label, computed, published, strict, path, warnings)
    if published and len(warnings) == before:
        info.append(f"{label}: the 43 forces add up to the table's England and Wales total for "
                    f"{', '.join(sorted(published))}")


def read_table(path: Path, layouts: Sequence[Layout], table: str,
               columns: Callable[[Sheet, pd.Series], pd.DataFrame]) -> tuple[pd.DataFrame, Parsed]:
    """Every sheet of ``table`` in ``path`` as one frame, and the :class:`Parsed` result to fill in.

    ``columns(sheet, force_ids)`` makes one sheet's frame from its force column, already resolved to
    force ids (rows that are no force's are marked with ``~`` and counted in ``Parsed.set_aside``); the
    force column is read first, so a file with several problems always reports the same one.
    """
    sheets = read_sheets(path, layouts, table)
    set_aside: Counter[str] = Counter()
    frame = pd.concat([columns(sh, forces_column(path, sh, "force", set_aside)) for sh in sheets],
                      ignore_index=True)
    if sheets[0].layout.totals:  # one row per force and year
        duplicate_rows(path, sheets, frame, ["force_id", "year"], "force and year")
    else:  # many rows per force and period (by offence, outcome type...): a row repeated whole
        whole_rows = pd.DataFrame({"force_id": frame["force_id"],
                                   "_whole": pd.concat([s.frame["_whole"] for s in sheets], ignore_index=True)})
        duplicate_rows(path, sheets, whole_rows, ["_whole"], "row")
    raise_collected()
    return frame, Parsed(table, [], sheets[0].layout, [s.name for s in sheets], set_aside)


def forces_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a frame that are a force's (not a total, or a body set aside)."""
    return frame[~frame["force_id"].str.startswith("~")]


def yearly_counts(path: Path, layouts: Sequence[Layout], table: str,
                  columns: Callable[[Sheet, pd.Series], pd.DataFrame], measure: str, label: str,
                  strict: bool, expect_total: float | None) -> Parsed:
    """A table of counts by force and financial year (or quarter) as one row of ``measure`` per force
    and complete financial year, checked against the table's own totals and the publication's
    headline total for the latest year (``expect_total``).

    ``columns(sheet, force_ids)`` gives a sheet's ``force_id``, ``year`` and ``count``; the ``quarter``
    of a quarterly layout is read after them.
    """
    def with_quarter(sh: Sheet, ids: pd.Series) -> pd.DataFrame:
        f = columns(sh, ids)
        if not sh.layout.annual:
            f["quarter"] = quarter_column(path, sh, "quarter")
        return f

    frame, parsed = read_table(path, layouts, table, with_quarter)
    totals, notes = yearly(forces_only(frame), parsed.layout.annual)
    negative_totals(path, label, totals)
    years = complete_years(totals, parsed.info)
    periods: Figures = {
        fy_period(y): {f: (v, None, notes.get((f, y), "")) for (f, yy), v in totals.items() if yy == y}
        for y in years}
    parsed.rows = national_rows(measure, periods)
    check_total_rows(frame, periods, label, strict, path, parsed.warnings, parsed.info)
    if expect_total is not None and years:
        latest = fy_period(years[-1])
        got = sum(v for v, _, _ in periods[latest].values() if v is not None)
        check_totals(label, {latest: got}, {latest: expect_total}, strict, path, parsed.warnings)
    return parsed
