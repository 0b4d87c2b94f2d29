"""Crime outcomes open data (``prc-outcomes-open-data-marYYYY-tables-DDMMYY.xlsx``).

One row per force x quarter x offence code x outcome type, with two counts: outcomes for offences
*recorded* in the quarter and for investigations *closed* in the quarter. The charge/summons rate uses
the recorded basis: numerator = outcome type 1 summed over the financial year.

Denominator (offences recorded in the year), decided as follows and said in the import's summary:

1. the ``recorded_crime_per_1000`` numerator for the same force and year, when the dataset has it
   (import ``recorded-crime`` first): the published count of recorded offences;
2. otherwise, in the official layout, the table's own total of *all* outcome types including type 0
   ("not yet assigned"), which counts every offence recorded in the year once;
3. otherwise (the secondary copy carries no type-0 count) the row is "not available", with the reason.

Outcome type 0 is excluded from every outcome total; "N/A" in any spelling is missing, not zero; negative
correction rows are summed; a force with a missing quarter gets no value for that year.

Completeness: each row's ``coverage`` is the share of the offences recorded (the denominator) that have an
outcome assigned: all outcome types but 0 in the official layout, ``recorded_all_assigned`` in the secondary
copy (left empty when the copy has no such column, or the share cannot be had).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pandas as pd

from peel.ingest.common import (
    Parsed,
    complete_years,
    counts_column,
    forces_only,
    fy_period,
    national_rows,
    quarter_column,
    read_table,
    year_column,
    yearly,
)
from peel.ingest.layout import Column, Layout, cell_text, whole
from peel.ingest.reading import Sheet, fail, read_dataset_file

TABLE = "outcomes"
PUBLISHER = "Home Office"
PUBLICATION = "Crime outcomes in England and Wales: outcomes open data"
MEASURES = {"charge": "charge_summons_rate"}
RECORDED_CRIME = "recorded_crime_per_1000"

_RECORDED = ("Number of outcomes for offences that were recorded in the quarter",
             "Number of outcomes for offences recorded in the quarter",
             "Number of Outcomes for offences recorded in quarter", "Outcomes (offences recorded in quarter)")
_CLOSED = ("Number of outcomes for investigations that were closed in the quarter",
           "Number of outcomes for investigations closed in the quarter",
           "Number of Outcomes for investigations closed in quarter")

LAYOUTS = (
    Layout("official", "official", None, (
        Column("year", ("Financial Year",)),
        Column("quarter", ("Financial Quarter",)),
        Column("force", ("Force Name", "Force", "Police Force Area")),
        Column("type", ("Outcome Type", "Outcome Type Number", "Outcome Number")),
        Column("recorded", _RECORDED),
        Column("closed", _CLOSED, required=False),
    )),
    Layout("force-year", "secondary: SGilr/oocd-dashboard data/processed/force_year.csv (outcome counts by type, "
           "force and financial year)", None, (
        Column("force", ("force",)), Column("year", ("fy",)), Column("t1", ("recorded_all_t1",)),
        Column("assigned", ("recorded_all_assigned",), required=False),
    ), annual=True, csv=True, totals=True),
)


def _recorded_crime(data_dir: Path | None) -> dict[tuple[str, str], float]:
    """(force, period) -> recorded offences, from the dataset's recorded_crime_per_1000 numerators.

    The dataset's ``national.csv`` is read through the bounded reader: a FIFO or a link to a device in
    its place is refused, not waited on or read without end.
    """
    path = None if data_dir is None else Path(data_dir) / "national.csv"
    if path is None:
        return {}

    text = read_dataset_file(path) or ""
    out = {}
    for r in csv.DictReader(io.StringIO(text, newline="")):
        if r.get("measure") == RECORDED_CRIME and (r.get("numerator") or "").strip():
            try:
                out[(r["force_id"], r["period"])] = float(r["numerator"])
            except ValueError:
                continue
    return out


def parse(path: Path, *, measures: dict[str, str], data_dir: Path | None = None, **_: object) -> Parsed:
    """Read the table; one charge/summons row per force and complete financial year (see the module notes)."""
    def columns(sh: Sheet, force_ids: pd.Series) -> pd.DataFrame:
        f = pd.DataFrame({"force_id": force_ids, "year": year_column(path, sh, "year")})
        if sh.layout.annual:
            f["t1"] = counts_column(path, sh, "t1")
            if "assigned" in sh.headers:
                f["assigned"] = counts_column(path, sh, "assigned")
        else:
            f["quarter"] = quarter_column(path, sh, "quarter")
            f["type"] = sh.frame["type"].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
            bad = ~f["type"].str.fullmatch(r"\d{1,2}[a-z]?")
            if bad.any():
                i = bad.idxmax()
                raise fail(path, f"{cell_text(sh.frame.at[i, 'type'])!r} is not an outcome type: expected a "
                                 "number from 0 to 22",
                           sh.name or None, sh.row_at(i), sh.headers["type"])
            f["recorded"] = counts_column(path, sh, "recorded")
        return f

    table, parsed = read_table(path, LAYOUTS, TABLE, columns)
    frame = forces_only(table)
    layout = parsed.layout
    if layout.annual:
        t1, t1_notes = yearly(frame.rename(columns={"t1": "count"}), True)
        own: dict[tuple[str, int], float | None] = {}
        assigned: dict[tuple[str, int], float | None] = {}
        if "assigned" in frame.columns:
            assigned = dict(yearly(frame[["force_id", "year", "assigned"]].rename(columns={"assigned": "count"}),
                                   True)[0])
    else:
        t1, t1_notes, own, assigned = {}, {}, {}, {}
        for (fid, y), g in frame.groupby(["force_id", "year"], sort=True):
            key, label = (str(fid), whole(y)), f"{whole(y)}/{(whole(y) + 1) % 100:02d}"
            missing = sorted({1, 2, 3, 4} - set(int(q) for q in g["quarter"].unique()))
            ones = g.loc[g["type"] == "1", "recorded"]
            if missing:
                t1[key], t1_notes[key] = None, (f"not available: quarter{'s' if len(missing) > 1 else ''} "
                                                f"{', '.join(map(str, missing))} of {label} missing from the table")
            elif ones.isna().any():
                t1[key], t1_notes[key] = None, f"not available: N/A (not supplied) in the table for {label}"
            else:
                t1[key] = float(ones.sum())
                # Each offence recorded in the year has exactly one outcome state (type 0 = not yet assigned).
                own[key] = None if g["recorded"].isna().any() else float(g["recorded"].sum())
                outcome = g.loc[g["type"] != "0", "recorded"]
                assigned[key] = None if outcome.isna().any() else float(outcome.sum())
    years = complete_years(t1, parsed.info)
    recorded = _recorded_crime(data_dir)
    used: Counter[str] = Counter()
    periods: dict[str, dict[str, tuple[float | None, float | None, str]]] = {}
    shares: dict[tuple[str, str], float] = {}
    for y in years:
        period = fy_period(y)
        got: dict[str, tuple[float | None, float | None, str]] = {}
        for (fid, yy), n in t1.items():
            if yy != y:
                continue
            if n is None:
                got[fid] = (None, None, t1_notes.get((fid, yy), "not available"))
                continue
            den = recorded.get((fid, period))
            own_total = own.get((fid, yy))
            if den is not None:
                used["recorded crime in the dataset"] += 1
            elif own_total is not None:
                den = own_total
                used["the outcomes table's total of all outcome types"] += 1
            else:
                got[fid] = (None, None, f"not available: no recorded crime for {period} in the dataset "
                                        "(import recorded-crime first)")
                continue
            if n > den:
                parsed.warnings.append(f"{fid} {period}: {n:.0f} charges/summonses exceed {den:.0f} offences recorded")
            got[fid] = (n, den, "")
            done = assigned.get((fid, yy))
            if done is not None and den > 0:
                if done > den:
                    parsed.warnings.append(f"{fid} {period}: {done:.0f} offences with an outcome assigned exceed "
                                           f"{den:.0f} offences recorded")
                shares[(period, fid)] = min(done / den, 1.0)
        periods[period] = got
    parsed.rows = national_rows(measures["charge"], periods, shares)
    for what, n in sorted(used.items()):
        parsed.info.append(f"denominator from {what}: {n} rows")
    return parsed
