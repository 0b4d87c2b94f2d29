"""The data contract as the shipped data and the loaders see it: units, population year, BTP, missing data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from peel.inputs.catalogue import load_catalogue
from peel.inputs.dataset import Dataset, DatasetInfo, load_dataset
from peel.inputs.forces import force_ids
from peel.inputs.periods import Period, parse_period

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"


def csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(DATA)


def test_catalogue_in_file_order_with_typed_fields():
    cat = load_catalogue(DATA / "measures.yaml")
    import yaml

    doc = yaml.safe_load((DATA / "measures.yaml").read_text(encoding="utf-8"))
    assert list(cat) == list(doc["measures"])
    m = cat["calls_999_answered_10s"]
    assert m.standard == 90 and m.compare == "standard" and m.latest_month_decimals == 0
    assert isinstance(m.period, Period) and m.period.iso == "2023-04-01/2024-03-31"
    assert cat["stop_search_rate"].exclude["city-of-london"].startswith("City of London Police is not compared")
    assert "\n" not in cat["stop_search_rate"].exclude["city-of-london"]
    assert cat["officer_leaving_rate"].period_label == "2023/24"
    assert cat["stop_search_rate"].period_label == "the year ending 31 March 2023"
    assert cat["cps_file_quality"].period_label == "November 2023"
    assert cat["funding_per_1000"].numerator_unit == "gbp" and cat["stop_search_rate"].numerator_unit == "count"


def test_dataset_info(ds):
    assert isinstance(ds.info, DatasetInfo)
    assert ds.info.demonstration is True and "synthetic" in ds.info.notice


def test_rates_use_the_population_of_the_midpoint_year(ds):
    pops = {(r["force_id"], int(r["year"])): int(r["population"]) for r in csv_rows("population.csv")}
    checked = 0
    for r in csv_rows("national.csv"):
        if r["force_id"] == "british-transport-police" or r["measure"] not in ("stop_search_rate", "calls_999_rate",
                                                                              "funding_per_1000"):
            continue
        p = parse_period(r["period"])
        # Financial year 2022/23 uses mid-2022: the year its midpoint (30 September) falls in.
        year = p.start.year if p.start.month == 4 else p.midpoint_year
        expected = int(r["numerator"]) / pops[(r["force_id"], year)] * 1000
        assert ds.values(r["measure"], p)[r["force_id"]] == pytest.approx(expected, rel=1e-12)
        checked += 1
    assert checked == 43 * 9


def test_percentages_are_numerator_over_denominator(ds):
    for r in csv_rows("national.csv"):
        if r["measure"] == "asb_order_ratio" and r["force_id"] == "metropolitan" and r["period"].startswith("2022"):
            assert ds.values("asb_order_ratio")["metropolitan"] == pytest.approx(
                int(r["numerator"]) / int(r["denominator"]) * 100)
            assert (r["numerator"], r["denominator"]) == ("783", "237940")
            break
    else:
        raise AssertionError("no Metropolitan Police row for asb_order_ratio in 2022/23")


def test_values_cover_the_43_forces_in_reference_order(ds):
    for mid in ds.catalogue:
        s = ds.values(mid)
        assert isinstance(s, pd.Series) and list(s.index) == list(force_ids()) and s.name == mid


def test_btp_rows_are_read_and_ignored(ds):
    in_file = [r for r in csv_rows("national.csv") if r["force_id"] == "british-transport-police"]
    assert in_file and ds.ignored_rows == len(in_file)
    assert "british-transport-police" not in set(ds.national["force_id"])
    assert "british-transport-police" not in ds.values("stop_search_rate").index


def test_missing_data_is_nan(ds):
    assert math.isnan(ds.values("asb_order_ratio")["gwent"])
    assert math.isnan(ds.values("cps_file_quality")["lincolnshire"])
    # A period the data do not have at all: every force not available, not an error.
    assert ds.values("stop_search_rate", "2010-04-01/2011-03-31").isna().all()


def test_periods_available(ds):
    for mid, m in ds.catalogue.items():
        periods = ds.periods(mid)
        assert periods == sorted(periods) and m.period in periods
        assert sum(p.months == m.period.months for p in periods) >= 3, mid


def test_national_frame_columns(ds):
    for col in ("force_id", "measure", "period", "start", "end", "value", "numerator", "denominator"):
        assert col in ds.national.columns
    first = ds.national.iloc[0]
    assert parse_period(first["period"]).start == first["start"].date()


def test_load_dataset_is_memoised(ds):
    assert load_dataset(DATA) is ds
    assert load_dataset(str(DATA)) is ds
