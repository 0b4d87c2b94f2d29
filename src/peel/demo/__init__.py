"""``peel demo-data``: the demonstration dataset, generated deterministically.

The Metropolitan Police Service's figures are the ones HMICFRS published in its PEEL 2023–2025
report (19.8 stop and searches per 1,000 population, 783 antisocial behaviour orders for 237,940
incidents, £4.33 billion of funding...). Every other force's figures are synthetic: drawn from a
random number generator with a fixed seed around plausible national levels, then scaled so that the
England and Wales figures the report quotes come out equal to the published ones at the published
precision (8.6 stop and searches per 1,000 population, a linked find rate of 24.6 percent...).

The same code always writes the same bytes: a fixed seed, a fixed order of draws and rows, and
numbers written at fixed precision (whole counts and pounds, values at the catalogue's decimals).
The per-force inspection inputs (``params/``) come from :func:`peel.demo.inspection.demo_inputs`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from peel.demo.groups import GROUP_MEASURE, GROUPS_FILE, GROUPS_SOURCE, GROUPS_TITLE, groups_csv, neighbourhood_table
from peel.demo.inspection import demo_inputs
from peel.demo.sources import MET_REPORT, SYNTHETIC, demo_sources, ons_population
from peel.demo.synthetic import (
    BTP,
    FY,
    MET,
    NOT_SUPPLIED,
    YEARS,
    Table,
    generate,
)
from peel.files import Written, write_files
from peel.inputs.forces import all_forces, force_ids
from peel.inputs.yamlfile import dump_yaml
from peel.method import round_half_up

DATASET_NAME = "PEEL 2023–2025 demonstration dataset"
NOTICE = (
    "The figures are synthetic, apart from the Metropolitan Police Service's "
    "figures published in HMICFRS's PEEL 2023–2025 inspection report, which they reproduce, and the "
    "population figures, which are the ONS mid-year estimates. The Metropolitan Police Service's figures "
    "for earlier periods are synthetic too: the published report gives none, and sentences resting on them "
    "say so. The figures do not describe the performance of any other force."
)




# British Transport Police rows: accepted by the data contract and ignored in every figure.
_BTP_ROWS = [
    ("stop_search_rate", FY[2020], "6412", ""), ("stop_search_rate", FY[2021], "5893", ""),
    ("stop_search_rate", FY[2022], "5517", ""),
    ("linked_find_rate", FY[2022], "1391", "5517"),
    ("officer_leaving_rate", FY[2023], "221", "3084"),
]


#: The Met's figures the published report gives (measure, period): the quoted periods and the latest
#: month of 999 answering. Its earlier periods and other months are synthetic and tagged so, since
#: the published report gives no figures for them.
MET_PUBLISHED = {
    ("stop_search_rate", FY[2022].iso), ("linked_find_rate", FY[2022].iso), ("asb_incident_rate", FY[2022].iso),
    ("asb_order_ratio", FY[2022].iso), ("calls_999_rate", FY[2023].iso), ("calls_999_answered_10s", FY[2023].iso),
    ("calls_999_answered_10s", "2024-02-01/2024-02-29"), ("cps_file_quality", "2023-11-01/2023-11-30"),
    ("officer_leaving_rate", FY[2023].iso), ("funding_per_1000", FY[2022].iso), ("precept_share", FY[2022].iso),
}


def _fmt_value(x: float, decimals: int) -> str:
    return str(round_half_up(x, decimals))


#: Decimals of each measure's value, as in the catalogue; written into the value column.
DECIMALS = {
    "stop_search_rate": 1, "linked_find_rate": 1, "asb_incident_rate": 1, "asb_order_ratio": 1,
    "calls_999_rate": 0, "calls_999_answered_10s": 1, "cps_file_quality": 0, "officer_leaving_rate": 1,
    "funding_per_1000": 0, "precept_share": 1, GROUP_MEASURE: 1,
}


def national_csv(tables: dict[str, Table], pop: dict[str, dict[int, int]]) -> str:
    """national.csv: measures in the order drawn (catalogue order, the group measure last), periods in time order,
    forces in reference order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # The data contract's optional columns: note (why a figure is not available) and, last, source.
    w.writerow(["force_id", "measure", "period", "value", "numerator", "denominator", "note", "source"])
    for mid, table in tables.items():
        d = DECIMALS[mid]
        for p, row in table.items():
            for f in force_ids():
                if (f, mid) in NOT_SUPPLIED and NOT_SUPPLIED[(f, mid)] in (None, p):
                    if NOT_SUPPLIED[(f, mid)] == p:
                        note = "not available: the force supplied no figure for this period"
                        w.writerow([f, mid, p.iso, "", "", "", note, SYNTHETIC])
                    continue
                if f not in row:
                    continue
                num, den = row[f]
                source = MET_REPORT if f == MET and (mid, p.iso) in MET_PUBLISHED else SYNTHETIC
                if den is None:
                    value = num / pop[f][p.midpoint_year] * 1000
                    w.writerow([f, mid, p.iso, _fmt_value(value, d), num, "", "", source])
                else:
                    w.writerow([f, mid, p.iso, _fmt_value(num / den * 100, d), num, den, "", source])
    for mid, p, btp_num, btp_den in _BTP_ROWS:
        btp_value = "" if not btp_den else _fmt_value(int(btp_num) / int(btp_den) * 100, DECIMALS[mid])
        w.writerow([BTP, mid, p.iso, btp_value, btp_num, btp_den, "", SYNTHETIC])
    return buf.getvalue()


def population_csv(pop: dict[str, dict[int, int]]) -> str:
    """population.csv: forces in reference order, years ascending, each row with its ONS source id."""
    ons = ons_population()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["force_id", "year", "population", "source"])
    for f in force_ids():
        for y in YEARS:
            w.writerow([f, y, pop[f][y], ons[f][y][1]])
    return buf.getvalue()


def dataset_yaml(national: str = "", population: str = "") -> str:
    """dataset.yaml: the dataset's name, its demonstration notice and the sources of its rows.

    Parameters
    ----------
    national, population
        The generated CSV texts, to count each source's rows.
    """
    head = ("# The national dataset the reports are built from (see README.md in this folder).\n"
            "# This demonstration version is written by 'peel demo-data'.\n")
    body = yaml.safe_dump({"name": DATASET_NAME, "demonstration": True, "notice": NOTICE},
                          sort_keys=False, allow_unicode=True, width=100)
    sources = demo_sources(national, population)
    sources[GROUPS_SOURCE]["rows"] = len(groups_csv().splitlines()) - 1
    body += yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True, width=10_000)
    # The grouping is illustrative: reports label it as not a published grouping wherever they show it.
    body += yaml.safe_dump({"groups": {"file": GROUPS_FILE, "title": GROUPS_TITLE, "illustrative": True,
                                       "source": GROUPS_SOURCE}}, sort_keys=False, allow_unicode=True, width=10_000)
    return head + body


def params_yaml(force_id: str) -> str:
    """The demonstration inspection inputs of one force, as YAML."""
    force = next(f for f in all_forces() if f.id == force_id)
    head = "# Demonstration inspection inputs written by 'peel demo-data' (see README.md in this folder).\n"
    return head + dump_yaml(demo_inputs(force))


def demo_files() -> dict[str, str]:
    """Every data file of the demonstration dataset: file name -> text."""
    tables, pop = generate()
    # Drawn apart from the others (peel.demo.groups), so adding it left every other figure as it was.
    tables[GROUP_MEASURE] = neighbourhood_table(pop)
    national, population = national_csv(tables, pop), population_csv(pop)
    return {
        "dataset.yaml": dataset_yaml(national, population),
        "population.csv": population,
        "national.csv": national,
        GROUPS_FILE: groups_csv(),
    }


def write_demo(data_dir: str | Path, params_dir: str | Path, force: bool = False) -> Written:
    """Write the demonstration dataset and every force's demonstration inspection inputs.

    Parameters
    ----------
    data_dir
        Receives dataset.yaml, population.csv and national.csv (the catalogue, measures.yaml, is
        not generated: it is the project's own).
    params_dir
        Receives ``<force_id>.yaml`` for each of the 43 forces.
    force
        Replace files that differ from the demonstration (an analyst's edits). Without it, nothing is
        written when any file differs, and the error names the files.

    Returns
    -------
    Written
        The files written (data files first) and those that already held the demonstration.
    """
    data_dir, params_dir = Path(data_dir), Path(params_dir)
    contents: dict[Path, str] = {data_dir / name: text for name, text in demo_files().items()}
    contents.update({params_dir / f"{f}.yaml": params_yaml(f) for f in force_ids()})
    return write_files(contents, force=force, what="peel demo-data")
