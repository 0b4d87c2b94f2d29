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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from peel.demo.groups import GROUP_MEASURE, GROUPS_FILE, GROUPS_SOURCE, GROUPS_TITLE, groups_csv, neighbourhood_table
from peel.demo.sources import MET_REPORT, SYNTHETIC, demo_sources, ons_population
from peel.files import Written, write_files
from peel.inputs.yamlfile import dump_yaml
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, all_forces, force_ids
from peel.analysis.numbers import round_half_up
from peel.inputs.periods import Period, financial_year, month

#: Seed of the generator: the date the Metropolitan Police Service's PEEL 2023–2025 report was published.
SEED = 20240809
YEARS = (2020, 2021, 2022, 2023)
MET = "metropolitan"
CITY = "city-of-london"
BTP = next(iter(EXCLUDED_FROM_ENGLAND_AND_WALES))

DATASET_NAME = "PEEL 2023–2025 demonstration dataset"
NOTICE = (
    "The figures are synthetic, apart from the Metropolitan Police Service's "
    "figures published in HMICFRS's PEEL 2023–2025 inspection report, which they reproduce, and the "
    "population figures, which are the ONS mid-year estimates. The Metropolitan Police Service's figures "
    "for earlier periods are synthetic too: the published report gives none, and sentences resting on them "
    "say so. The figures do not describe the performance of any other force."
)



#: Forces that did not supply a measure, so that reports show "not available" and name them:
#: (force, measure) -> the period left empty (None: no rows at all for that measure).
NOT_SUPPLIED: dict[tuple[str, str], Period | None] = {
    ("gwent", "asb_order_ratio"): None,
    ("lincolnshire", "cps_file_quality"): month(2023, 11),
}

FY = {y: financial_year(y) for y in (2020, 2021, 2022, 2023)}
CPS_MONTHS = (month(2023, 9), month(2023, 10), month(2023, 11))
CALL_MONTHS = (month(2023, 12), month(2024, 1), month(2024, 2))

# (numerator, denominator); denominator None for rates per 1,000 population.
Cell = tuple[int, int | None]
Table = dict[Period, dict[str, Cell]]


@dataclass(frozen=True)
class _Target:
    """The England and Wales figure the calibration must hit: pooled or mean, value, decimals."""

    kind: str
    value: float
    decimals: int


class _Generator:
    """Draws the synthetic figures in a fixed order from one seeded generator."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = np.random.default_rng(seed)
        self.ids = list(force_ids())
        self.others = [f for f in self.ids if f != MET]
        self.pop = self._populations()

    # -- populations ------------------------------------------------------------------------------
    def _populations(self) -> dict[str, dict[int, int]]:
        # These draws once made synthetic population growth; they are still drawn so that every later
        # draw, and so every synthetic figure's spread, stays where it was.
        self.rng.standard_normal(len(self.ids))
        ons = ons_population()
        return {f: {y: ons[f][y][0] for y in YEARS} for f in self.ids}

    def population(self, force: str, period: Period) -> int:
        return self.pop[force][period.midpoint_year]

    # -- draws ------------------------------------------------------------------------------------
    def lognormal(self, median: float, sigma: float, n: int) -> np.ndarray:
        return median * np.exp(sigma * self.rng.standard_normal(n))

    def normal(self, mean: float, sd: float, n: int, low: float, high: float) -> np.ndarray:
        return np.clip(mean + sd * self.rng.standard_normal(n), low, high)

    def drift(self, n: int, step: float, sd: float) -> np.ndarray:
        """Multipliers that take a value one period back: a national drift plus each force's own."""
        return np.exp(step + sd * self.rng.standard_normal(n))

    # -- measures ---------------------------------------------------------------------------------
    def rate_measure(self, periods: list[Period], met: dict[Period, int], city_rate: float,
                     median: float, sigma: float, back: float, back_sd: float,
                     target: _Target | None, unit_round: int = 1, spread: str = "lognormal") -> Table:
        """Numerators of a rate per 1,000 population, latest period calibrated to ``target``.

        Rates are drawn around ``median`` with relative spread ``sigma``: log-normally (skewed, as
        counts of events are) or, with ``spread="normal"``, symmetrically (as budgets are).

        The City of London is left out of the calibration (it is excluded from the comparison and
        its rate is not like other forces'); it is still in the pooled total.
        """
        latest = periods[-1]
        movers = [f for f in self.others if f != CITY]
        if spread == "normal":
            drawn = self.normal(median, sigma * median, len(movers), 0.5 * median, 1.6 * median)
        else:
            drawn = self.lognormal(median, sigma, len(movers))
        rates = dict(zip(movers, drawn))
        rates[CITY] = city_rate
        if target is not None:
            fixed = met[latest] + city_rate * self.population(CITY, latest) / 1000
            total = sum(self.population(f, latest) for f in self.ids)
            moving = sum(rates[f] * self.population(f, latest) / 1000 for f in movers)
            s = (target.value * total / 1000 - fixed) / moving
            rates.update({f: rates[f] * s for f in movers})
        table: Table = {}
        for i, p in enumerate(reversed(periods)):
            if i:
                steps = self.drift(len(self.others), back, back_sd)
                rates = {f: rates[f] * float(m) for f, m in zip(self.others, steps)}
            row = {MET: (met[p], None)}
            for f in self.others:
                n = rates[f] * self.population(f, p) / 1000
                row[f] = (int(round(n / unit_round)) * unit_round, None)
            table[p] = row
        return dict(sorted(table.items()))

    def percent_measure(self, periods: list[Period], denominators: Callable[[Period, str], int],
                        met: dict[Period, tuple[int, int]], mean: float, sd: float, low: float, high: float,
                        back: float, back_sd: float, target: _Target | None, missing: set[str],
                        unit_round: int = 1) -> Table:
        """Numerators and denominators of a percentage, latest period calibrated to ``target``.

        ``back`` and ``back_sd`` move each force's percentage additively, in points, per period back.
        """
        latest = periods[-1]
        pct = dict(zip(self.others, self.normal(mean, sd, len(self.others), low, high)))
        if target is not None:
            movers = [f for f in self.others if f not in missing]
            if target.kind == "pooled":
                den = {f: denominators(latest, f) for f in movers}
                want = target.value / 100 * (sum(den.values()) + met[latest][1]) - met[latest][0]
                s = want / sum(pct[f] / 100 * den[f] for f in movers)
            else:  # mean of the forces compared
                met_pct = met[latest][0] / met[latest][1] * 100
                s = (target.value * (len(movers) + 1) - met_pct) / sum(pct[f] for f in movers)
            pct.update({f: min(pct[f] * s, high) for f in movers})
        table: Table = {}
        for i, p in enumerate(reversed(periods)):
            if i:
                steps = back + back_sd * self.rng.standard_normal(len(self.others))
                pct = {f: float(np.clip(pct[f] + float(d), low, high)) for f, d in zip(self.others, steps)}
            row: dict[str, Cell] = {MET: met[p]}
            for f in self.others:
                d = denominators(p, f)
                n = int(round(pct[f] / 100 * d / unit_round)) * unit_round
                row[f] = (min(n, d), d)
            table[p] = row
        return dict(sorted(table.items()))


def _met_rate(rate: float, population: int) -> int:
    """The Met's count that gives its published rate per 1,000 at the published precision."""
    return int(round(rate * population / 1000))


def _met_percent(pct: float, denominator: int) -> tuple[int, int]:
    return int(round(pct / 100 * denominator)), denominator


def generate() -> tuple[dict[str, Table], dict[str, dict[int, int]]]:
    """All demonstration figures: measure id -> table, and the populations by force and year.

    The order of draws is fixed; changing it changes every synthetic figure.
    """
    g = _Generator()
    pop = g.pop
    met_pop = pop[MET]
    t: dict[str, Table] = {}
    no_rows_for: dict[str, set[str]] = {}
    for (f, mid), p in NOT_SUPPLIED.items():
        no_rows_for.setdefault(mid, set()).add(f)

    # Police powers: stop and search (count per 1,000) and the linked find rate among those searches.
    ss_periods = [FY[2020], FY[2021], FY[2022]]
    met_ss = {FY[2020]: _met_rate(27.3, met_pop[2020]), FY[2021]: _met_rate(22.6, met_pop[2021]),
              FY[2022]: _met_rate(19.8, met_pop[2022])}
    t["stop_search_rate"] = g.rate_measure(ss_periods, met_ss, city_rate=41.7, median=6.3, sigma=0.38,
                                           back=0.07, back_sd=0.08, target=_Target("pooled", 8.6, 1))
    searches = t["stop_search_rate"]
    met_lf = {p: _met_percent(v, searches[p][MET][0]) for p, v in zip(ss_periods, (17.3, 17.9, 18.6))}
    t["linked_find_rate"] = g.percent_measure(
        ss_periods, lambda p, f: searches[p][f][0], met_lf, mean=27.5, sd=4.2, low=14, high=42,
        back=-0.6, back_sd=1.2, target=_Target("pooled", 24.6, 1), missing=set())

    # Preventing crime: antisocial behaviour incidents per 1,000, and orders per incident.
    met_asb = {FY[2020]: _met_rate(41.6, met_pop[2020]), FY[2021]: _met_rate(30.4, met_pop[2021]),
               FY[2022]: 237_940}
    t["asb_incident_rate"] = g.rate_measure(ss_periods, met_asb, city_rate=176.0, median=15.4, sigma=0.3,
                                            back=0.12, back_sd=0.07, target=_Target("pooled", 17.4, 1))
    incidents = t["asb_incident_rate"]
    met_orders = {FY[2020]: (round(0.0021 * incidents[FY[2020]][MET][0]), incidents[FY[2020]][MET][0]),
                  FY[2021]: (round(0.0028 * incidents[FY[2021]][MET][0]), incidents[FY[2021]][MET][0]),
                  FY[2022]: (783, 237_940)}
    asb_missing = no_rows_for.get("asb_order_ratio", set())
    orders = g.percent_measure(
        ss_periods, lambda p, f: incidents[p][f][0], met_orders, mean=1.32, sd=0.55, low=0.35, high=3.2,
        back=-0.05, back_sd=0.12, target=_Target("mean", 1.3, 1), missing=asb_missing)
    t["asb_order_ratio"] = {p: {f: c for f, c in row.items() if f not in asb_missing} for p, row in orders.items()}

    # Responding to the public: 999 calls per 1,000 and the share answered within 10 seconds.
    call_periods = [FY[2021], FY[2022], FY[2023]]
    met_calls = {FY[2021]: _met_rate(243.0, met_pop[2021]), FY[2022]: _met_rate(258.0, met_pop[2022]),
                 FY[2023]: _met_rate(265.0, met_pop[2023])}
    t["calls_999_rate"] = g.rate_measure(call_periods, met_calls, city_rate=1143.0, median=172.0, sigma=0.17,
                                         back=-0.03, back_sd=0.04, target=None)
    calls = t["calls_999_rate"]
    met_answered = {p: _met_percent(v, calls[p][MET][0]) for p, v in zip(call_periods, (84.2, 71.5, 78.9))}
    annual = g.percent_measure(
        call_periods, lambda p, f: calls[p][f][0], met_answered, mean=85.5, sd=6.5, low=55, high=99.2,
        back=1.0, back_sd=2.5, target=None, missing=set())
    # The latest months: each force's share moves around its yearly figure; winter months carry fewer calls.
    seasonal = {CALL_MONTHS[0]: 1.02, CALL_MONTHS[1]: 0.93, CALL_MONTHS[2]: 0.88}
    monthly_calls = {
        p: dict(zip(g.ids, (int(round(calls[FY[2023]][f][0] / 12 * seasonal[p] * float(m)))
                            for f, m in zip(g.ids, g.drift(len(g.ids), 0.0, 0.03)))))
        for p in CALL_MONTHS
    }
    base = {f: annual[FY[2023]][f][0] / annual[FY[2023]][f][1] * 100 for f in g.others}
    for p, v in zip(CALL_MONTHS, (88.7, 91.6, 94.0)):
        row: dict[str, Cell] = {MET: _met_percent(v, monthly_calls[p][MET])}
        shift = 1.5 + 2.5 * g.rng.standard_normal(len(g.others))
        for f, d in zip(g.others, shift):
            den = monthly_calls[p][f]
            row[f] = (min(int(round(min(base[f] + float(d), 99.5) / 100 * den)), den), den)
        annual[p] = row
    t["calls_999_answered_10s"] = dict(sorted(annual.items()))

    # Investigating crime: case files meeting the CPS standard, by month.
    files = {p: dict(zip(g.ids, (max(40, int(round(pop[f][2023] / 1000 * 0.14 * float(m))))
                                 for f, m in zip(g.ids, g.drift(len(g.ids), 0.0, 0.12)))))
             for p in CPS_MONTHS}
    files[CPS_MONTHS[2]][MET] = 1284
    met_cps = {p: _met_percent(v, files[p][MET]) for p, v in zip(CPS_MONTHS, (31, 28, 25))}
    t["cps_file_quality"] = g.percent_measure(
        list(CPS_MONTHS), lambda p, f: files[p][f], met_cps, mean=59.0, sd=10.0, low=33, high=88,
        back=0.5, back_sd=2.5, target=_Target("mean", 57, 0),
        missing={f for (f, mid), p in NOT_SUPPLIED.items() if mid == "cps_file_quality" and p == CPS_MONTHS[2]})

    # Workforce: officers leaving as a percent of officers in post.
    leave_periods = [FY[2021], FY[2022], FY[2023]]
    per_1000 = dict(zip(g.ids, g.normal(2.05, 0.22, len(g.ids), 1.6, 2.7)))
    officers = {p: {f: int(round(pop[f][p.midpoint_year] / 1000 * per_1000[f] * (1 + 0.015 * (p.start.year - 2023))))
                    for f in g.ids} for p in leave_periods}
    for p, n in zip(leave_periods, (32_870, 34_250, 34_440)):
        officers[p][MET] = n
    officers_city = {FY[2021]: 962, FY[2022]: 981, FY[2023]: 1_004}
    for p in leave_periods:
        officers[p][CITY] = officers_city[p]
    met_leave = {p: _met_percent(v, officers[p][MET]) for p, v in zip(leave_periods, (5.4, 6.9, 6.6))}
    t["officer_leaving_rate"] = g.percent_measure(
        leave_periods, lambda p, f: officers[p][f], met_leave, mean=7.3, sd=1.15, low=4.2, high=11.5,
        back=-0.5, back_sd=0.5, target=_Target("pooled", 7.1, 1), missing=set())

    # Leadership and force management: funding per 1,000 population and the precept's share of it.
    fund_periods = [FY[2020], FY[2021], FY[2022]]
    # The published £489,705 per 1,000 population and "£4.33 billion" cannot both hold with the ONS
    # mid-2022 estimate for the Met's area (8,855,333): £4.33 billion is £488,971 per 1,000. The rate is the
    # figure the report compares, so it is reproduced; the total it implies is £4.34 billion.
    met_funding = {FY[2020]: 3_930_000_000, FY[2021]: 4_060_000_000, FY[2022]: 4_336_505_000}
    t["funding_per_1000"] = g.rate_measure(fund_periods, met_funding, city_rate=13_950_000.0, median=282_000.0,
                                           sigma=0.2, back=-0.04, back_sd=0.015, target=None, unit_round=1000,
                                           spread="normal")
    funding = t["funding_per_1000"]
    met_precept = {p: _met_percent(v, funding[p][MET][0]) for p, v in zip(fund_periods, (19.0, 19.2, 19.4))}
    t["precept_share"] = g.percent_measure(
        fund_periods, lambda p, f: funding[p][f][0], met_precept, mean=38.5, sd=7.5, low=18, high=58,
        back=-0.4, back_sd=0.5, target=None, missing=set(), unit_round=1000)
    return t, pop


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
    for mid, p, num, den in _BTP_ROWS:
        value = "" if not den else _fmt_value(int(num) / int(den) * 100, DECIMALS[mid])
        w.writerow([BTP, mid, p.iso, value, num, den, "", SYNTHETIC])
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
    from peel.demo.inspection import demo_inputs

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
