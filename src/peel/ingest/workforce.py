"""Police workforce open data table (``open-data-table-police-workforce-DDMMYY.ods``, sheet ``Data``).

One row per 31 March snapshot x force x sex x rank x worker type. The officer measure's numerator is
the sum of ``Total (FTE)`` over the rows whose worker type is Police Officer; the PCSO measure's, over
Police Community Support Officer. The period is the single day 31 March (``YYYY-03-31/YYYY-03-31``):
its midpoint is that day, so a rate per 1,000 uses the mid-year estimate of the same calendar year
(the rule of ``peel.inputs.periods``: the year containing the period's midpoint).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from peel.ingest.common import Parsed, counts_column, duplicate_rows, forces_column, national_rows
from peel.ingest.layout import Column, Layout, cell_text
from peel.ingest.reading import Sheet, fail, raise_collected, read_sheets

TABLE = "workforce"
PUBLISHER = "Home Office"
PUBLICATION = "Police workforce, England and Wales: open data table"
MEASURES = {"officer": "officer_fte_per_1000", "pcso": "pcso_fte_per_1000"}
WORKER_TYPES = {"officer": "police officer", "pcso": "police community support officer"}

LAYOUTS = (
    Layout("official", "official", r"Data", (
        Column("year", ("As at 31 March", "As at 31st March", "Year")),
        Column("code", ("Geocode", "Geo code", "Geo Code"), required=False),
        Column("force", ("Force name", "Force Name", "Force")),
        Column("worker", ("Worker type",)),
        Column("rank", ("Rank", "Rank description"), required=False),
        Column("fte", ("Total (FTE)", "FTE")),
    )),
    Layout("official-csv", "official", None, (
        Column("year", ("As at 31 March", "As at 31st March")),
        Column("code", ("Geocode", "Geo code", "Geo Code"), required=False),
        Column("force", ("Force name", "Force Name")),
        Column("worker", ("Worker type",)),
        Column("rank", ("Rank", "Rank description"), required=False),
        Column("fte", ("Total (FTE)",)),
    ), csv=True),
    Layout("cleaned", "secondary: mpjashby/lesscrime.info-quarto post/police-uplift-2022 (the open data table "
           "with cleaned headers)", None, (
        Column("year", ("date",)),
        Column("code", ("geo_code",), required=False),
        Column("force", ("force_name",)),
        Column("worker", ("worker_type",)),
        Column("rank", ("rank_description", "rank"), required=False),
        Column("fte", ("total_fte",)),
    ), csv=True),
)


def _years(path: Path, sh: Sheet) -> pd.Series:
    """The snapshot year: ``2023``, ``2023.0`` or a date in that year (the cleaned copy writes 2023-03-01)."""
    col = sh.frame["year"]
    out = {}
    for value in pd.unique(col):
        m = re.match(r"^\s*(\d{4})(?:\.0|-\d{2}-\d{2}.*| \d{2}:\d{2}.*)?\s*$", str(value))
        if not m:
            row = sh.first_row(col.eq(value))
            raise fail(path, f"{cell_text(value)!r} is not a year: expected the year of the 31 March snapshot, "
                             "such as 2023", sh.name or None, row, sh.headers["year"])
        out[value] = int(m.group(1))
    return col.map(out)


def parse(path: Path, *, measures: dict[str, str], **_: object) -> Parsed:
    """Read the table; officer and PCSO FTE rows per force and 31 March."""
    sheets = read_sheets(path, LAYOUTS, TABLE)
    layout = sheets[0].layout
    set_aside: Counter[str] = Counter()
    parts = []
    for sh in sheets:
        key = "force"
        if "code" in sh.frame:
            # Prefer the ONS code where there is one (names change: "Hampshire and Isle of Wight" in 2025).
            codes = sh.frame["code"].astype(str).str.strip()
            sh.frame["force"] = sh.frame["force"].where(~codes.str.fullmatch(r"[EW]\d{8}"), codes)
        parts.append(pd.DataFrame({
            "force_id": forces_column(path, sh, key, set_aside),
            "year": _years(path, sh),
            "worker": sh.frame["worker"].astype(str).str.strip().str.casefold(),
            "fte": counts_column(path, sh, "fte", integer=False, negative=False),
            "_whole": sh.frame["_whole"],
        }))
    frame = pd.concat(parts, ignore_index=True)
    duplicate_rows(path, sheets, frame, ["_whole"], "row")
    raise_collected()
    frame = frame[~frame["force_id"].str.startswith("~")]
    parsed = Parsed(TABLE, [], layout, [s.name for s in sheets], set_aside)
    for kind, worker in WORKER_TYPES.items():
        sub = frame[frame["worker"] == worker]
        periods: dict[str, dict[str, tuple[float | None, float | None, str]]] = {}
        for year in sorted(frame["year"].unique()):
            period = f"{year}-03-31/{year}-03-31"
            got: dict[str, tuple[float | None, float | None, str]] = {}
            for fid, g in sub[sub["year"] == year].groupby("force_id"):
                if g["fte"].isna().any():
                    got[str(fid)] = (None, None, f"not available: N/A (not supplied) in the table for 31 March {year}")
                else:
                    got[str(fid)] = (round(float(g["fte"].sum()), 2), None, "")
            periods[period] = got
        parsed.rows += national_rows(measures[kind], periods)
    return parsed
