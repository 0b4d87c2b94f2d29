"""Stop and search open data (``stop-search-open-data-tables-mar21-marYY.ods``, sheet ``open_data``).

About half a million rows, one per combination of quarter, force, legislation, reason, outcome,
ethnicity, sex and age group; the measure's numerator is the sum of ``number_of_searches`` per force and
financial year. Also read: the pre-2021 edition (sheet ``S&S_OD``, annual rows) and a copy of summary
table SS_20 (all searches by force for one year ending March).
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
from peel.ingest.layout import Column, Layout, cell_text
from peel.ingest.reading import Sheet, fail

TABLE = "stop-search"
PUBLISHER = "Home Office"
PUBLICATION = "Police powers and procedures: stop and search open data tables"
MEASURES = {"searches": "stop_search_rate"}

LAYOUTS = (
    Layout("official", "official", r"open_data", (
        Column("year", ("financial_year",)),
        Column("quarter", ("financial_year_quarter", "financial_quarter")),
        Column("force", ("police_force_area",)),
        Column("count", ("number_of_searches",)),
    )),
    Layout("official-2020", "official", r"S&S_OD", (
        Column("year", ("Financial Year",)),
        Column("force", ("Force Name", "Police Force Area")),
        Column("count", ("Searches", "Number of searches")),
    ), annual=True),
    Layout("ss20-copy", "secondary: BlackThrive/searchlight inst/extdata/ppap-totals.csv (summary table SS_20, all "
           "searches by force)", None, (
        Column("force", ("force_id",)), Column("year_end", ("year_end",)), Column("count", ("published_total",)),
    ), annual=True, csv=True, totals=True),
)


def parse(path: Path, *, measures: dict[str, str], expect_total: float | None = None, strict: bool = True,
          **_: object) -> Parsed:
    """Read the table; one row per force and complete financial year."""
    def columns(sh: Sheet, force_ids: pd.Series) -> pd.DataFrame:
        f = pd.DataFrame({"force_id": force_ids, "count": counts_column(path, sh, "count")})
        if "year_end" in sh.frame:
            ye = pd.to_numeric(sh.frame["year_end"], errors="coerce")
            if ye.isna().any() or not ye.between(1990, 2100).all():
                i = (ye.isna() | ~ye.between(1990, 2100)).idxmax()
                raise fail(path, f"{cell_text(sh.frame.at[i, 'year_end'])!r} is not a year: expected the year "
                                 "the financial year ends in March, such as 2025", sh.name or None,
                           sh.row_at(i), sh.headers["year_end"])
            f["year"] = ye.astype(int) - 1
        else:
            f["year"] = year_column(path, sh, "year")
        return f

    return yearly_counts(path, LAYOUTS, TABLE, columns, measures["searches"], "stop and search", strict,
                         expect_total)
