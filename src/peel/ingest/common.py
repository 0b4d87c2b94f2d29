"""What the Home Office importers share: forces and counts read from a sheet, financial years, yearly
sums that refuse incomplete years, rows in the ``national.csv`` contract and the checks against totals."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from peel.ingest.forces import resolve
from peel.ingest.layout import Layout, cell_text, parse_count, whole
from peel.ingest.reading import Sheet, fail, read_sheets
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


def counts_column(path: Path, sheet: Sheet, key: str, integer: bool = True) -> pd.Series:
    """A count column as floats (NaN for an empty or "N/A" cell: missing, not zero).

    Raises
    ------
    IngestError
        On the first cell that is text (or, with ``integer``, a fraction), naming its row and column.
    """
    col = sheet.frame[key]
    fast = pd.to_numeric(col, errors="coerce")
    out = fast.astype(float)
    for i in col.index[fast.isna()]:
        value, ok = parse_count(col[i])
        if not ok:
            raise fail(path, f"{cell_text(col[i])!r} is not a number: expected a count (a whole number; "
                             "empty or N/A when not supplied)", sheet.name or None, sheet.row_at(i),
                       sheet.headers[key])
        out[i] = float("nan") if value is None else value
    if integer:
        frac = out.notna() & (out != out.round())
        if frac.any():
            i = frac.idxmax()
            raise fail(path, f"{cell_text(col.at[i])} is not a whole number: expected a count", sheet.name or None,
                       sheet.row_at(i), sheet.headers[key])
    return out


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
            raise fail(path, msg + ": expected them to agree (--strict)")
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
