"""Police recorded crime, PFA open data (``prc-pfa-mar2013-onwards-tables-DDMMYY.ods``).

Official layout: one sheet per financial year (``2024_25``...), one row per force x quarter x offence
code; the figure is ``Number of Offences``. The measure's numerator is the sum over the four quarters of
a financial year; the rate per 1,000 is worked out by the loader from ``population.csv``. Action Fraud,
CIFAS, UK Finance (Financial Fraud Action UK before 2017) and British Transport Police are set aside.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from peel.ingest.common import (
    Parsed,
    counts_column,
    year_column,
    yearly_counts,
)
from peel.ingest.layout import Column, Layout
from peel.ingest.reading import Sheet

TABLE = "recorded-crime"
PUBLISHER = "Home Office"
PUBLICATION = "Police recorded crime and outcomes open data tables: police force area data tables"
MEASURES = {"count": "recorded_crime_per_1000"}

_OFFICIAL = (
    Column("year", ("Financial Year",)),
    Column("quarter", ("Financial Quarter",)),
    Column("force", ("Force Name", "Police Force Area")),
    Column("code", ("Offence Code",), required=False),
    Column("count", ("Number of Offences",)),
)
_UNDERSCORED = (
    Column("year", ("Financial_Year",)),
    Column("quarter", ("Financial_Quarter",)),
    Column("force", ("Force_Name",)),
    Column("code", ("Offence_Code",), required=False),
    Column("count", ("Number_of_Offences",)),
)

LAYOUTS = (
    Layout("official", "official", r"\d{4}[_/-]\d{2}", _OFFICIAL,
           sheet_label="2024_25 (one sheet per financial year)"),
    Layout("underscored", "secondary: crime-sim-toolkit 1.5.0 prc-pfa-201718_new.csv (the 2017/18 sheet, "
           "underscored headers)", None, _UNDERSCORED, csv=True),
    Layout("denominators", "secondary: SGilr/oocd-dashboard data/processed/denominators.csv (recorded crime by "
           "force and financial year)", None,
           (Column("force", ("force",)), Column("year", ("fy",)), Column("count", ("recorded_crime",))),
           annual=True, csv=True, totals=True),
)


def parse(path: Path, *, measures: dict[str, str], expect_total: float | None = None, strict: bool = True,
          **_: object) -> Parsed:
    """Read the table and return one row per force and complete financial year.

    Parameters
    ----------
    path
        The published file (official ODS/XLSX or a declared secondary copy).
    measures
        ``{"count": measure_id}``.
    expect_total
        The publication's headline total for the latest year, checked against the 43 forces' sum.
    strict
        A difference from a published total is an error (the default), or with False a warning.
    """
    def columns(sh: Sheet, force_ids: pd.Series) -> pd.DataFrame:
        return pd.DataFrame({
            "force_id": force_ids,
            "year": year_column(path, sh, "year"),
            "count": counts_column(path, sh, "count"),
        })

    return yearly_counts(path, LAYOUTS, TABLE, columns, measures["count"], "recorded crime", strict, expect_total)
