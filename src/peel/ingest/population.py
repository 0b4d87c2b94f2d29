"""ONS mid-year population estimates, summed from local authority districts to police force areas.

Files read:

* the ONS workbook (``mye22final.xlsx``, ``ukpopestimatesmid2021on2021geographyfinal.xls``...), sheet
  ``MYE2 - Persons``, header ``Code, Name, Geography, All ages`` (row 8); the year is in the title
  ("... mid-2022") unless given; the ``K04000001`` (England and Wales) row is the check total;
* a LAD series in a secondary layout (``code, name, year, population``, several years), and a LAD list
  of one year (``lad23cd, population_mid2023``).

LAD codes (E06/E07/E08/E09/W06) are mapped to force areas with the ONS LAD -> PFA lookup (``--lookup``),
plus the LADs created in April 2023 (:data:`LAD23_ADDITIONS`). The 43 forces' sum must equal the
workbook's England and Wales total.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from peel.ingest.common import Parsed, counts_column, duplicate_rows
from peel.ingest.forces import resolve
from peel.ingest.layout import Column, Layout, cell_text
from peel.ingest.reading import Sheet, fail, raise_collected, read_sheets, report
from peel.inputs.forces import force_ids

TABLE = "population"
PUBLISHER = "Office for National Statistics"
PUBLICATION = "Population estimates for the UK, England, Wales, Scotland and Northern Ireland: mid-year estimates"
MEASURES: dict[str, str] = {}

#: Unitary authorities created on 1 April 2023, not in the LAD21 lookup.
LAD23_ADDITIONS = {"E06000063": "cumbria", "E06000064": "cumbria", "E06000065": "north-yorkshire",
                   "E06000066": "avon-and-somerset"}
LAD_CODE = re.compile(r"^[EW]0[6-9]\d{6}$")
EW_TOTAL = "K04000001"

LAYOUTS = (
    Layout("official", "official", r"MYE ?2 - Persons", (
        Column("code", ("Code",)), Column("name", ("Name",), required=False),
        Column("geography", ("Geography",), required=False), Column("population", ("All ages",)),
    )),
    Layout("lad-series", "secondary: mpjashby/lesscrime.info-quarto post/crime-pressure-force-2022 (ONS LAD "
           "populations mid-2001 to mid-2020, 2021 geography)", None, (
        Column("code", ("code",)), Column("year", ("year",)), Column("population", ("population",)),
    ), csv=True),
    Layout("lad-list", "secondary: JuanBlanco9/Budget-Galaxy data/uk/ons/gss_population_mid2023.json (ONS "
           "mye23tablesew.xlsx, MYE2 Persons, All ages)", None, (
        Column("code", ("lad23cd", "lad22cd", "lad21cd")),
        Column("population", ("population_mid2023", "population_mid2022", "population_mid2024", "population")),
    ), csv=True),
)

LOOKUP = (
    Layout("lookup", "official", None, (
        Column("lad", ("lad21cd", "lad22cd", "lad23cd", "LAD21CD", "LAD23CD")),
        Column("pfa", ("pfa21cd", "pfa22cd", "pfa23cd", "PFA21CD", "PFA23CD")),
    )),
)


def read_lookup(path: Path | None) -> dict[str, str]:
    """LAD code -> force id, from the ONS lookup file (plus :data:`LAD23_ADDITIONS`)."""
    if path is None:
        raise fail("--lookup", "missing: the population table is by local authority district; expected the ONS "
                               "LAD to police force area lookup CSV (for example data/published/lad_pfa_lookup.csv)")
    (sh,) = read_sheets(path, LOOKUP, "LAD to police force area lookup")
    out = dict(LAD23_ADDITIONS)
    for lad, pfa, row in zip(sh.frame["lad"], sh.frame["pfa"], sh.frame["_row"], strict=True):
        try:
            fid = resolve(str(pfa))
        except KeyError as e:
            raise fail(path, e.args[0], None, int(row), sh.headers["pfa"]) from None
        if not isinstance(fid, str):
            raise fail(path, f"{pfa!r} is not a police force area: expected a PFA code E23…/W15…", None, int(row),
                       sh.headers["pfa"])
        out[str(lad).strip()] = fid
    return out


def parse(path: Path, *, lookup: Path | None = None, year: int | None = None, strict: bool = True,
          **_: object) -> Parsed:
    """Sum LAD populations to the 43 force areas; one ``population.csv`` row per force and year."""
    sheets = read_sheets(path, LAYOUTS, TABLE)
    (sh,) = sheets[:1]
    layout = sh.layout
    lad_to_force = read_lookup(lookup)
    frame = sh.frame
    # Two codes in one copy carry a trailing non-breaking space.
    codes = frame["code"].astype(str).str.replace("\u00a0", " ").str.strip()
    pops = counts_column(path, sh, "population", negative=False)
    if "year" in frame:
        years = pd.to_numeric(frame["year"], errors="coerce")
        if years.isna().any():
            i = years.isna().idxmax()
            raise fail(path, f"{cell_text(frame.at[i, 'year'])!r} is not a year: expected a calendar year "
                             "such as 2020",
                       sh.name or None, sh.row_at(i), sh.headers["year"])
        years = years.astype(int)
    else:
        y = year or _year_of(path, sh)
        years = pd.Series(y, index=frame.index)
    parsed = Parsed(TABLE, [], layout, [sh.name] if sh.name else [], Counter())
    lad = codes.str.match(LAD_CODE)
    # A district given twice would add its population to its force area twice.
    duplicate_rows(path, [sh], pd.DataFrame({"code": codes, "year": years})[lad], ["code", "year"],
                   "district and year")
    raise_collected()
    sums: dict[tuple[str, int], float] = {}
    for code, y, pop, row in zip(codes[lad], years[lad], pops[lad], frame["_row"][lad], strict=True):
        fid = lad_to_force.get(code)
        if fid is None:
            raise fail(path, f"local authority {code} is not in the lookup {lookup.name if lookup else ''}: expected "
                             "a LAD code of the lookup's geography (or one of the April 2023 additions)",
                       sh.name or None, int(row), sh.headers["code"])
        if pop != pop:
            raise fail(path, f"no population for {code}: expected the mid-year estimate", sh.name or None,
                       int(row), sh.headers["population"])
        sums[(fid, int(y))] = sums.get((fid, int(y)), 0.0) + pop
    if (~lad).any():
        label = "rows that are not districts of England and Wales (totals, regions, counties, Scotland, N. Ireland)"
        parsed.set_aside[label] = int((~lad).sum())
    if not sums:
        raise fail(path, "no local authority district rows (codes E06/E07/E08/E09/W06): expected the table by LAD",
                   sh.name or None)
    for y in sorted({y for _, y in sums}):
        absent = [f for f in force_ids() if (f, y) not in sums]
        if absent:
            raise fail(path, f"mid-{y}: no districts for {', '.join(absent)}: expected every force area to have "
                             "its districts in the table", sh.name or None)
        for f in force_ids():
            parsed.rows.append({"force_id": f, "year": str(y), "population": str(int(round(sums[(f, y)])))})
        total = frame.loc[codes.eq(EW_TOTAL) & years.eq(y), "population"]
        got = sum(sums[(f, y)] for f in force_ids())
        if len(total):
            published = pops[total.index[0]]
            if abs(got - published) >= 0.5:
                msg = (f"mid-{y}: the 43 force areas add up to {got:,.0f}, the table's England and Wales total "
                       f"({EW_TOTAL}) is {published:,.0f} (difference {got - published:+,.0f})")
                if strict:
                    report(fail(path, msg + ": expected them to agree (--warn-totals makes this a warning)",
                                sh.name or None))
                else:
                    parsed.warnings.append(msg)
            else:
                parsed.info.append(f"mid-{y}: the 43 force areas add up to the England and Wales total, {got:,.0f}")
        else:
            parsed.info.append(f"mid-{y}: England and Wales (43 force areas) {got:,.0f}")
    return parsed


def _year_of(path: Path, sh: Sheet) -> int:
    """The year from the header (``population_mid2023``) or the sheet's title ("... mid-2022")."""
    for text in (sh.headers.get("population", ""), sh.title):
        m = re.search(r"mid[-_ ]?(\d{4})", text, flags=re.IGNORECASE)
        if m:
            return int(m.group(1))
    raise fail(path, "the year of the estimates is not in the file's title or header: expected --year YEAR",
               sh.name or None)
