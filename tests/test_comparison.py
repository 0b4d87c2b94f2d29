"""Comparison on a small hand-made dataset whose answers are worked out by hand in the test."""

from __future__ import annotations

import math
import statistics
import textwrap
from pathlib import Path

import pytest

from peel.analysis.comparison import area_comparisons, compare
from peel.errors import InputError
from peel.inputs.dataset import load_dataset
from peel.inputs.forces import force_ids
from peel.method import Band, Standard, Trend

FY20, FY21, FY22 = "2020-04-01/2021-03-31", "2021-04-01/2022-03-31", "2022-04-01/2023-03-31"

CATALOGUE = """\
measures:
  searches:
    title: Searches per 1,000 population
    area: police_powers
    unit: per_1000_population
    decimals: 1
    period: 2022-04-01/2023-03-31
    source: Test source
    figure_title: Searches
    compare: band
    england_and_wales: pooled
    statement: "{force} searched {value} per 1,000 in {period}."
    trend: true
    exclude:
      city-of-london: Too few residents.
  finds:
    title: Finds (percent)
    area: police_powers
    unit: percent
    decimals: 1
    period: 2022-04-01/2023-03-31
    source: Test source
    figure_title: Finds
    compare: band
    england_and_wales: mean
    statement: "{force} found {value}."
    exclude:
      city-of-london: Too few residents.
  answered:
    title: Answered (percent)
    area: responding_to_the_public
    unit: percent
    decimals: 1
    period: 2022-04-01/2023-03-31
    source: Test source
    figure_title: Answered
    compare: standard
    standard: 90
    england_and_wales: pooled
    statement: "{force} answered {value}."
    latest_month: {decimals: 0}
"""

# Five forces with data, the City of London (excluded from the comparison) and British Transport Police.
POP = {"metropolitan": 8000, "cumbria": 500, "lancashire": 1500, "merseyside": 1400, "durham": 600,
       "city-of-london": 10}
SEARCHES = {  # force -> counts for FY20, FY21, FY22
    "metropolitan": (300, 250, 200),   # 37.5, 31.25, 25.0 per 1,000: falling
    "cumbria": (2, 3, 4),              # 4, 6, 8: rising
    "lancashire": (15, 15, 15),        # 10 each year: stable
    "merseyside": (None, 10, 14),      # 10 in FY22; two values only: no trend
    "durham": (6, 6, 6),               # 10
    "city-of-london": (1, 1, 1),       # 100 per 1,000: excluded, but in the pooled total
}
FINDS = {"metropolitan": (50, 200), "cumbria": (1, 4), "lancashire": (6, 15), "merseyside": (7, 14),
         "city-of-london": (1, 1)}  # durham: empty row
ANSWERED = {"metropolitan": (80, 100), "cumbria": (95, 100), "lancashire": (90, 100)}
MONTHLY = {"2023-01-01/2023-01-31": {"metropolitan": (9, 10)}, "2023-02-01/2023-02-28": {"metropolitan": (19, 20)},
           "2023-03-01/2023-03-31": {"cumbria": (5, 10)}}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "dataset.yaml").write_text("name: Test\ndemonstration: false\n", encoding="utf-8")
    (d / "measures.yaml").write_text(CATALOGUE, encoding="utf-8")
    pop = ["force_id,year,population"] + [f"{f},{y},{p}" for f, p in POP.items() for y in (2020, 2021, 2022)]
    (d / "population.csv").write_text("\n".join(pop) + "\n", encoding="utf-8")
    rows = ["force_id,measure,period,value,numerator,denominator"]
    for f, counts in SEARCHES.items():
        for period, c in zip((FY20, FY21, FY22), counts, strict=True):
            if c is not None:
                rows.append(f"{f},searches,{period},,{c},")
    rows.append(f"british-transport-police,searches,{FY22},,5000,")
    for f, (n, d_) in FINDS.items():
        rows.append(f"{f},finds,{FY22},,{n},{d_}")
    rows.append(f"durham,finds,{FY22},,,")
    rows.append(f"british-transport-police,finds,{FY22},,1,1000")
    for f, (n, d_) in ANSWERED.items():
        rows.append(f"{f},answered,{FY22},,{n},{d_}")
    for period, by_force in MONTHLY.items():
        for f, (n, d_) in by_force.items():
            rows.append(f"{f},answered,{period},,{n},{d_}")
    (d / "national.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return d


def test_pooled_figure_includes_excluded_forces_and_leaves_out_btp(data):
    c = compare(load_dataset(data), "searches")
    counts = [v[2] for v in SEARCHES.values()]
    assert c.england_and_wales == pytest.approx(sum(counts) / sum(POP.values()) * 1000)
    assert c.excluded == {"city-of-london": "Too few residents."}


def test_lines_use_the_compared_forces_only(data):
    c = compare(load_dataset(data), "searches")
    compared = {f: v[2] / POP[f] * 1000 for f, v in SEARCHES.items() if f != "city-of-london"}
    assert c.lines.n == len(compared) == 5
    assert c.lines.mean == pytest.approx(statistics.mean(compared.values()))
    assert c.lines.sd == pytest.approx(statistics.stdev(compared.values()))
    city = c.row("city-of-london")
    assert city.value == pytest.approx(100.0)
    assert not city.included and city.band is None and city.excluded_reason == "Too few residents."
    assert c.for_force("city-of-london").rank is None
    met = c.for_force("metropolitan")
    assert met.band is Band.ABOVE  # 25 against mean 12.6, sd 6.9
    assert met.rank == 1 and met.is_highest and not met.is_lowest and met.n_compared == 5
    cumbria = c.for_force("cumbria")
    assert cumbria.band is Band.WITHIN and cumbria.rank == 5 and cumbria.is_lowest
    # Three forces share 10.0: they share rank 2.
    assert [c.for_force(f).rank for f in ("lancashire", "merseyside", "durham")] == [2, 2, 2]


def test_missing_forces_are_named_and_not_available(data):
    ds = load_dataset(data)
    c = compare(ds, "searches")
    with_data = set(SEARCHES)
    assert c.missing == tuple(f for f in force_ids() if f not in with_data)
    assert len(c.rows) == 43 and [r.force_id for r in c.rows] == list(force_ids())
    gwent = c.for_force("gwent")
    assert math.isnan(gwent.value) and not gwent.available and gwent.band is None and gwent.rank is None
    finds = compare(ds, "finds")
    assert "durham" in finds.missing  # a row with every cell empty is not available
    assert "british-transport-police" not in {r.force_id for r in finds.rows}


def test_mean_figure_leaves_out_excluded_and_missing_forces(data):
    c = compare(load_dataset(data), "finds")
    compared = [n / d * 100 for f, (n, d) in FINDS.items() if f != "city-of-london"]
    assert c.england_and_wales == pytest.approx(statistics.mean(compared))  # 25, 25, 40, 50
    assert c.lines.n == 4
    assert c.for_force("merseyside").is_highest and c.for_force("metropolitan").is_lowest


def test_trend_over_available_periods(data):
    c = compare(load_dataset(data), "searches")
    assert c.for_force("metropolitan").trend is Trend.FALLING
    assert c.for_force("cumbria").trend is Trend.RISING
    assert c.for_force("lancashire").trend is Trend.STABLE
    assert c.for_force("merseyside").trend is None  # only two periods with a value
    hist = c.for_force("metropolitan").history
    assert [p.iso for p, _ in hist] == [FY20, FY21, FY22]
    assert [v for _, v in hist] == pytest.approx([37.5, 31.25, 25.0])
    assert compare(load_dataset(data), "finds").for_force("metropolitan").trend is None  # catalogue: no trend


def test_standard_and_latest_month(data):
    c = compare(load_dataset(data), "answered")
    assert c.lines is None
    assert c.england_and_wales == pytest.approx(265 / 300 * 100)
    met = c.for_force("metropolitan")
    assert met.standard is Standard.BELOW and met.band is None
    assert c.for_force("cumbria").standard is Standard.MEETS
    assert c.for_force("lancashire").standard is Standard.MEETS  # equal to the standard meets it
    assert met.latest_month[0].label() == "February 2023" and met.latest_month[1] == pytest.approx(95.0)
    assert c.for_force("cumbria").latest_month[0].label() == "March 2023"
    assert c.for_force("durham").latest_month is None
    # Monthly rows are not part of the twelve-month history.
    assert [p.iso for p in c.history_periods] == [FY22]


def test_table_memo_and_area_order(data):
    ds = load_dataset(data)
    c = compare(ds, "searches")
    assert compare(ds, "searches") is c
    t = c.table()
    assert list(t.columns) == ["force_id", "force_name", "value", "numerator", "denominator", "band", "included",
                               "excluded_reason"]
    assert len(t) == 43 and t.loc[t.force_id == "metropolitan", "band"].item() == "above"
    assert [x.measure.id for x in area_comparisons(ds, "police_powers")] == ["searches", "finds"]
    assert area_comparisons(ds, "workforce") == []
    with pytest.raises(KeyError, match="unknown measure 'nope'"):
        compare(ds, "nope")


def test_load_dataset_is_memoised_until_a_file_changes(data):
    first = load_dataset(data)
    assert load_dataset(data) is first
    nat = data / "national.csv"
    nat.write_text(nat.read_text(encoding="utf-8") + textwrap.dedent(f"""\
        dorset,searches,{FY22},,1,
    """), encoding="utf-8")
    # Needs a population for Dorset: the changed file is read again and checked again.
    with pytest.raises(InputError, match="no population for dorset in 2022"):
        load_dataset(data)
