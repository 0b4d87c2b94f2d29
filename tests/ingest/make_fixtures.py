"""Small files in the exact published layouts of the Home Office tables, and broken ones for the corpus.

Run by the tests into a temporary folder (nothing here is committed output)::

    python tests/ingest/make_fixtures.py OUT_DIR

Each good file carries the quirks of its table (FORMATS notes): one sheet per financial year, "N/A"
in several spellings, negative correction rows, British Transport Police, fraud-body and total rows, a
force with a missing quarter, and each edition's header spellings. :func:`expected` gives the figures
an importer must produce from them, worked out here by plain loops over the same rows.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from peel.inputs.forces import all_forces

#: How the Home Office tables spell some forces (others use the PFA name).
HO_NAMES = {"metropolitan": "Metropolitan Police", "city-of-london": "London, City of",
            "devon-and-cornwall": "Devon & Cornwall", "avon-and-somerset": "Avon & Somerset"}
GAP_FORCE = "greater-manchester"      # a quarter missing (GMP's outcomes from July 2019)
NA_FORCE = "dyfed-powys"              # "N/A - data not provided" in one quarter
CORRECTION_FORCE = "kent"             # a negative correction row
NA_SPELLINGS = ["N/A", "n/a", "N/A - data not provided", "NA", ".."]


def ho_name(fid: str, pfa: str) -> str:
    return HO_NAMES.get(fid, pfa)


def _write(frames: dict[str, pd.DataFrame], path: Path) -> Path:
    engine = "odf" if path.suffix == ".ods" else "openpyxl"
    with pd.ExcelWriter(path, engine=engine) as w:
        for sheet, df in frames.items():
            df.to_excel(w, sheet_name=sheet, index=False)
    return path


# ------------------------------------------------------------------------------------------------ rows


def prc_rows(first_year: int, missing_quarter: bool) -> list[dict[str, Any]]:
    """Recorded crime: force x quarter x two offence codes, plus the extra 'forces' of the real table."""
    fy = f"{first_year}/{(first_year + 1) % 100:02d}"
    rows = []
    for i, f in enumerate(all_forces()):
        for q in (1, 2, 3, 4):
            if missing_quarter and f.id == GAP_FORCE and q == 3:
                continue
            for k, (code, desc) in enumerate((("8N", "Assault with injury"), ("28E", "Burglary - residential"))):
                rows.append({"Financial Year": fy, "Financial Quarter": q, "Force Name": ho_name(f.id, f.pfa_name),
                             "Offence Description": desc, "Offence Group": "Violence against the person",
                             "Offence Subgroup": "Violence with injury", "Offence Code": code,
                             "Number of Offences": 100 * (i + 1) + 10 * q + k + first_year % 10})
            if f.id == CORRECTION_FORCE and q == 2:
                rows.append({**rows[-1], "Offence Code": "8N", "Number of Offences": -7})
    for q in (1, 2, 3, 4):
        for extra in ("British Transport Police", "Action Fraud", "CIFAS", "UK Finance"):
            rows.append({"Financial Year": fy, "Financial Quarter": q, "Force Name": extra,
                         "Offence Description": "Fraud", "Offence Group": "Fraud offences",
                         "Offence Subgroup": "Fraud", "Offence Code": "AF", "Number of Offences": 5000 + q})
    return rows


def outcomes_rows(first_year: int, recorded_header: str) -> list[dict[str, Any]]:
    fy = f"{first_year}/{(first_year + 1) % 100:02d}"
    rows = []
    for i, f in enumerate(all_forces()):
        for q in (1, 2, 3, 4):
            if f.id == GAP_FORCE and q >= 2:
                continue
            for otype, desc in ((0, "Not yet assigned an outcome"), (1, "Charged/Summonsed"), (2, "Caution - youths"),
                                (8, "Community Resolution")):
                n: Any = (i + 1) * (5 if otype == 0 else 3 if otype == 1 else 1) + q
                if f.id == NA_FORCE and q == 2 and otype == 8:
                    n = "N/A - data not provided"
                rows.append({"Financial Year": fy, "Financial Quarter": q, "Force Name": ho_name(f.id, f.pfa_name),
                             "Offence Description": "Assault with injury",
                             "Offence Group": "Violence against the person",
                             "Offence Subgroup": "Violence with injury", "Offence Code": "8N",
                             "Offence code expired": "x" if otype == 2 else "",
                             "Outcome Description": desc, "Outcome Group": desc, "Outcome Type": otype,
                             recorded_header: n,
                             "Number of outcomes for investigations that were closed in the quarter":
                                 NA_SPELLINGS[(i + q) % len(NA_SPELLINGS)] if otype == 8 else n})
            if f.id == CORRECTION_FORCE and q == 4:
                rows.append({**rows[-1], "Outcome Type": 1, recorded_header: -2})
        if f.id == "cumbria":
            pass
    rows.append({**rows[0], "Force Name": "British Transport Police", recorded_header: 99999})
    return rows


def workforce_rows(years: tuple[int, ...], new_edition: bool) -> list[dict[str, Any]]:
    code_col, rank_col = ("Geocode", "Rank") if new_edition else ("Geo code", "Rank description")
    rows = []
    for i, f in enumerate(all_forces()):
        name = ho_name(f.id, f.pfa_name)
        if f.id == "hampshire" and new_edition:
            name = "Hampshire and Isle of Wight"
        for y in years:
            for sex in ("Female", "Male"):
                for worker, rank, fte in (("Police Officer", "Constable", 100.5 * (i + 1)),
                                          ("Police Officer", "Sergeant", 10.25 * (i + 1)),
                                          ("Police Community Support Officer", "Community Support Officer", 7.5 + i),
                                          ("Special Constable", "Special Constable", "N/A"),
                                          ("Police Staff", "Police Staff", 50.0 + y % 10)):
                    rows.append({"As at 31 March": y, code_col: f.ons_code, "Force name": name, "Region": "Region",
                                 "Sex": sex, rank_col: rank, "Worker type": worker,
                                 "Total (Headcount)": 3 * (i + 1), "Total (FTE)": fte})
    rows.append({**rows[0], code_col: "", "Force name": "British Transport Police", "Total (FTE)": 2999.0})
    return rows


SS_COLUMNS = ["financial_year", "financial_year_quarter", "police_force_area", "region", "legislation",
              "reason_for_search", "outcome", "self_defined_ethnicity_group", "self_defined_ethnicity",
              "officer_defined_ethnicity", "sex", "age_group", "number_of_searches"]


def stop_search_rows(first_years: tuple[int, ...], total_error: int = 0) -> list[dict[str, Any]]:
    rows = []
    for y in first_years:
        fy = f"{y}/{(y + 1) % 100:02d}"
        for i, f in enumerate(all_forces()):
            for q in (1, 2, 3, 4):
                if f.id == GAP_FORCE and y == first_years[-1] and q == 4:
                    continue
                for eth, n in (("White", 20 * (i + 1) + q), ("N/A - vehicle search", 1 + q)):
                    rows.append(dict(zip(SS_COLUMNS, [fy, q, ho_name(f.id, f.pfa_name), "Region",
                                                     "Section 1 (PACE)", "Drugs", "No further action", eth, eth,
                                                     eth, "Male", "18-24", n], strict=True)))
        for q in (1, 2, 3, 4):
            rows.append(dict(zip(SS_COLUMNS, [fy, q, "British Transport Police", "0", "Section 1 (PACE)", "Drugs",
                                             "Arrest", "White", "White", "White", "Male", "18-24", 300], strict=True)))
        # The table's own England and Wales total (BTP not in it), checked against the 43 forces.
        forces = sum(r["number_of_searches"] for r in rows if r["financial_year"] == fy
                     and r["police_force_area"] != "British Transport Police")
        rows.append(dict(zip(SS_COLUMNS, [fy, 4, "England and Wales", "", "", "", "", "", "", "", "", "",
                                         forces + total_error], strict=True)))
    return rows


# -------------------------------------------------------------------------------------------- expected


def _sum(rows: list[dict[str, Any]], force: str, key: str, **match: Any) -> float:
    f = next(x for x in all_forces() if x.id == force)
    names = {ho_name(f.id, f.pfa_name), "Hampshire and Isle of Wight" if force == "hampshire" else ""}
    return float(sum(r[key] for r in rows if r.get("Force Name", r.get("Force name", r.get("police_force_area")))
                     in names and all(r.get(k) == v for k, v in match.items())))


def expected() -> dict[str, Any]:
    """The figures the importers must produce from the good files."""
    out: dict[str, Any] = {"recorded-crime": {}, "outcomes": {}, "officers": {}, "pcsos": {}, "stop-search": {}}
    for y, gap in ((2022, False), (2023, True)):
        rows = prc_rows(y, gap)
        for f in all_forces():
            period = f"{y}-04-01/{y + 1}-03-31"
            out["recorded-crime"][(f.id, period)] = None if gap and f.id == GAP_FORCE else \
                _sum(rows, f.id, "Number of Offences")
    header = "Number of outcomes for offences that were recorded in the quarter"
    rows = outcomes_rows(2023, header)
    for f in all_forces():
        period = "2023-04-01/2024-03-31"
        if f.id in (GAP_FORCE, NA_FORCE) and f.id == GAP_FORCE:
            out["outcomes"][(f.id, period)] = None
        else:
            num = _sum(rows, f.id, header, **{"Outcome Type": 1})
            den = None if f.id == NA_FORCE else sum(r[header] for r in rows if r["Force Name"] ==
                                                    ho_name(f.id, f.pfa_name))
            out["outcomes"][(f.id, period)] = (num, den)
    for y in (2024, 2025):
        rows = workforce_rows((2024, 2025), True)
        for f in all_forces():
            period = f"{y}-03-31/{y}-03-31"
            out["officers"][(f.id, period)] = _sum(rows, f.id, "Total (FTE)", **{"Worker type": "Police Officer",
                                                                                  "As at 31 March": y})
            out["pcsos"][(f.id, period)] = _sum(rows, f.id, "Total (FTE)",
                                                **{"Worker type": "Police Community Support Officer",
                                                   "As at 31 March": y})
    rows = stop_search_rows((2023, 2024))
    for y in (2023, 2024):
        for f in all_forces():
            period = f"{y}-04-01/{y + 1}-03-31"
            fy = f"{y}/{(y + 1) % 100:02d}"
            out["stop-search"][(f.id, period)] = None if (y == 2024 and f.id == GAP_FORCE) else \
                _sum(rows, f.id, "number_of_searches", financial_year=fy)
    return out


# ------------------------------------------------------------------------------------------------ files


def write_good(out: Path) -> dict[str, Path]:
    """The good files, by name."""
    out.mkdir(parents=True, exist_ok=True)
    prc = {"2023_24": pd.DataFrame(prc_rows(2023, True)), "2022_23": pd.DataFrame(prc_rows(2022, False))}
    files = {
        "prc.ods": _write(prc, out / "prc-pfa-mar2013-onwards-tables.ods"),
        "prc.xlsx": _write(prc, out / "prc-pfa-mar2013-onwards-tables.xlsx"),
    }
    under = pd.DataFrame(prc_rows(2022, False))
    under.columns = [c.replace(" ", "_") for c in under.columns]
    under["Policeuk_Cat"] = "Other crime"
    under.to_csv(out / "prc-pfa-underscored.csv")  # with the unnamed index column of the copy
    files["prc-underscored.csv"] = out / "prc-pfa-underscored.csv"
    header = "Number of outcomes for offences that were recorded in the quarter"
    files["outcomes.xlsx"] = _write({"Data": pd.DataFrame(outcomes_rows(2023, header))},
                                    out / "prc-outcomes-open-data-mar2024-tables.xlsx")
    files["outcomes.ods"] = _write({"Data": pd.DataFrame(outcomes_rows(2023, "Number of outcomes for offences "
                                                                             "recorded in the quarter"))},
                                   out / "prc-outcomes-open-data-mar2024-tables.ods")
    files["workforce.ods"] = _write({"Data": pd.DataFrame(workforce_rows((2024, 2025), True))},
                                    out / "open-data-table-police-workforce-290125.ods")
    files["workforce-old.ods"] = _write({"Data": pd.DataFrame(workforce_rows((2024, 2025), False))},
                                        out / "open-data-table-police-workforce-270722.ods")
    files["workforce.xlsx"] = _write({"Data": pd.DataFrame(workforce_rows((2024, 2025), True))},
                                     out / "open-data-table-police-workforce-290125.xlsx")
    ss = {"Contents": pd.DataFrame({"Sheet": ["open_data"]}), "open_data": pd.DataFrame(stop_search_rows((2023, 2024)))}
    files["stop-search.ods"] = _write(ss, out / "stop-search-open-data-tables-mar21-mar25.ods")
    old = [{"Financial Year": r["financial_year"], "Force Name": r["police_force_area"],
            "Legislation": r["legislation"],
            "Ethnic Group (self-defined - new style)": r["self_defined_ethnicity_group"],
            "Ethnicity (self-defined)": r["self_defined_ethnicity"], "Searches": r["number_of_searches"]}
           for r in stop_search_rows((2023, 2024)) if r["financial_year"] == "2023/24"]
    files["stop-search-2020.ods"] = _write({"S&S_OD": pd.DataFrame(old)},
                                           out / "stop-search-open-data-tables-ppp-mar2020.ods")
    pd.DataFrame(workforce_rows((2024, 2025), True)).to_csv(out / "open-data-table-police-workforce.csv", index=False)
    files["workforce.csv"] = out / "open-data-table-police-workforce.csv"
    files["stop-search.xlsx"] = _write(ss, out / "stop-search-open-data-tables-mar21-mar25.xlsx")
    return files


def _edit(rows: list[dict[str, Any]], index: int, **cells: Any) -> list[dict[str, Any]]:
    rows = [dict(r) for r in rows]
    rows[index].update(cells)
    return rows


def write_bad(out: Path) -> dict[str, Path]:
    """Broken files for the bad-input corpus (tests/corpus/cases.yaml); row 2 is the first data row."""
    bad = out / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    prc = prc_rows(2023, False)
    frames = {
        "prc-wrong-sheet.ods": {"Sheet1": pd.DataFrame(prc)},
        "prc-renamed-column.ods": {"2023_24": pd.DataFrame(prc).rename(
            columns={"Number of Offences": "Number of Offence"})},
        "prc-missing-column.ods": {"2023_24": pd.DataFrame(prc).drop(columns=["Force Name"])},
        "prc-unknown-force.ods": {"2023_24": pd.DataFrame(_edit(prc, 4, **{"Force Name": "Gotham"}))},
        "prc-misspelt-force.xlsx": {"2023_24": pd.DataFrame(_edit(prc, 9, **{"Force Name": "Lancashre"}))},
        "prc-text-count.ods": {"2023_24": pd.DataFrame(_edit(prc, 6, **{"Number of Offences": "twelve"}))},
        "prc-fraction-count.xlsx": {"2023_24": pd.DataFrame(_edit(prc, 2, **{"Number of Offences": 12.5}))},
        "prc-bad-quarter.ods": {"2023_24": pd.DataFrame(_edit(prc, 3, **{"Financial Quarter": 5}))},
        "prc-bad-year.ods": {"2023_24": pd.DataFrame(_edit(prc, 5, **{"Financial Year": "23-4"}))},
        "prc-empty.ods": {"2023_24": pd.DataFrame(columns=list(prc[0]))},
        "prc-empty-force.xlsx": {"2023_24": pd.DataFrame(_edit(prc, 7, **{"Force Name": ""}))},
        "outcomes-text-type.xlsx": {"Data": pd.DataFrame(_edit(outcomes_rows(2023, "Number of outcomes for offences "
                                                                                   "that were recorded in the quarter"),
                                                               3, **{"Outcome Type": "one"}))},
        "outcomes-renamed-count.xlsx": {"Data": pd.DataFrame(outcomes_rows(2023, "Number of outcomes"))},
        "outcomes-unknown-force.xlsx": {"Data": pd.DataFrame(_edit(outcomes_rows(2023, "Number of outcomes for "
                                                                                       "offences that were recorded "
                                                                                       "in the quarter"),
                                                                   10, **{"Force Name": "Ruritania"}))},
        "workforce-wrong-sheet.ods": {"Data tables": pd.DataFrame(workforce_rows((2025,), True))},
        "workforce-text-fte.ods": {"Data": pd.DataFrame(_edit(workforce_rows((2025,), True), 0,
                                                              **{"Total (FTE)": "lots"}))},
        "workforce-bad-year.ods": {"Data": pd.DataFrame(_edit(workforce_rows((2025,), True), 1,
                                                              **{"As at 31 March": "March"}))},
        "stop-search-wrong-sheet.ods": {"Table_1": pd.DataFrame(stop_search_rows((2024,)))},
        "stop-search-text-count.ods": {"open_data": pd.DataFrame(_edit(stop_search_rows((2024,)), 8,
                                                                       number_of_searches="many"))},
        "stop-search-unknown-code.ods": {"open_data": pd.DataFrame(_edit(stop_search_rows((2024,)), 0,
                                                                         police_force_area="E23000099"))},
    }
    # Kent's rows given twice (summed, they would double its searches).
    searches = stop_search_rows((2024,))
    kent = [r for r in searches if r["police_force_area"] == "Kent"]
    assert kent, "the stop and search fixture names Kent"
    frames["stop-search-kent-twice.ods"] = {"open_data": pd.DataFrame(searches + kent)}
    # A true/false cell in a count column (a spreadsheet's boolean; pandas would read TRUE as 1).
    frames["prc-true-count.xlsx"] = {"2023_24": pd.DataFrame(_edit(prc, 6, **{"Number of Offences": True}))}
    files = {name: _write(f, bad / name) for name, f in frames.items()}
    # A copy of yearly totals with every kind of bad number, and a force and year given twice.
    files["denominators-bad-numbers.csv"] = bad / "denominators-bad-numbers.csv"
    files["denominators-bad-numbers.csv"].write_text(
        "force,fy,recorded_crime\nKent,2023/24,1592\nEssex,2023/24,inf\nSurrey,2023/24,Infinity\n"
        "Sussex,2023/24,1e400\nDorset,2023/24,-5\nKent,2023/24,1592\n", encoding="utf-8")
    # A district given twice in a population file (its population would count twice towards its force).
    files["lad-twice.csv"] = bad / "lad-twice.csv"
    files["lad-twice.csv"].write_text("lad23cd,population_mid2023\nE06000047,532182\nE06000005,108000\n"
                                      "E06000047,532182\n", encoding="utf-8")
    # An analyst's own table (peel import csv): a misspelt force, a force and period twice under two spellings,
    # a negative count, an empty count and a period in no form it reads.
    files["own-table-bad.csv"] = bad / "own-table-bad.csv"
    files["own-table-bad.csv"].write_text("Force,Year,Count\nLancashre,2022/23,100\nMet,2022/23,5\n"
                                          "Metropolitan Police,year ending March 2023,6\nKent,2022/23,-3\n"
                                          "Essex,2022/23,\nSurrey,Q1 2023,4\n", encoding="utf-8")
    files["not-a-spreadsheet.ods"] = bad / "not-a-spreadsheet.ods"
    files["not-a-spreadsheet.ods"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    files["damaged.xlsx"] = bad / "damaged.xlsx"
    files["damaged.xlsx"].write_bytes((out / "prc-pfa-mar2013-onwards-tables.xlsx").read_bytes()[:3000])
    files["zip-not-spreadsheet.ods"] = bad / "zip-not-spreadsheet.ods"
    with zipfile.ZipFile(files["zip-not-spreadsheet.ods"], "w") as z:
        z.writestr("readme.txt", "not a spreadsheet")
    files["empty-file.csv"] = bad / "empty-file.csv"
    files["empty-file.csv"].write_bytes(b"")
    files["ragged.csv"] = bad / "ragged.csv"
    files["ragged.csv"].write_text("Financial_Year,Financial_Quarter,Force_Name,Number_of_Offences\n"
                                   "2023/24,1,Kent,12\n2023/24,2,Kent,13,14,15\n", encoding="utf-8")
    import gzip
    files["truncated.csv.gz"] = bad / "truncated.csv.gz"
    whole = gzip.compress(pd.DataFrame(workforce_rows((2025,), True)).to_csv(index=False).encode("utf-8"), mtime=0)
    files["truncated.csv.gz"].write_bytes(whole[: len(whole) // 2])
    files["folder.ods"] = bad / "folder.ods"
    files["folder.ods"].mkdir(exist_ok=True)
    fifo = bad / "fifo.csv"
    if not fifo.exists():
        os.mkfifo(fifo)
    files["fifo.csv"] = fifo
    files["lad-unknown.csv"] = bad / "lad-unknown.csv"
    files["lad-unknown.csv"].write_text("lad23cd,population_mid2023\nE06000047,532182\nE06000999,1000\n",
                                        encoding="utf-8")
    files["lookup-bad-pfa.csv"] = bad / "lookup-bad-pfa.csv"
    files["lookup-bad-pfa.csv"].write_text("lad21cd,pfa21cd,pfa21nm\nE06000047,E23000008,Durham\n"
                                           "E06000005,E23000077,Nowhere\n", encoding="utf-8")
    return files


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("ingest-fixtures")
    if out.exists():
        shutil.rmtree(out)
    write_good(out)
    write_bad(out)
    print(f"wrote fixtures to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
