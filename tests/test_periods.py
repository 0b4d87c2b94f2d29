"""Periods: ISO 8601 intervals, their labels in the report's words and the population year rule."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peel.inputs.periods import Period, financial_year, month, parse_period, period_from_text


def test_parse_financial_year_and_round_trip():
    p = parse_period("2022-04-01/2023-03-31")
    assert p == Period(date(2022, 4, 1), date(2023, 3, 31))
    assert p.iso == "2022-04-01/2023-03-31"
    assert parse_period(p.iso) == p
    assert p == financial_year(2022)
    assert p.months == 12 and p.is_whole_months


@pytest.mark.parametrize(
    ("text", "style", "label"),
    [
        ("2022-04-01/2023-03-31", None, "the year ending 31 March 2023"),
        ("2022-04-01/2023-03-31", "year_ending", "the year ending 31 March 2023"),
        ("2023-04-01/2024-03-31", "financial_year", "2023/24"),
        ("1999-04-01/2000-03-31", "financial_year", "1999/00"),
        ("2023-11-01/2023-11-30", None, "November 2023"),
        ("2024-02-01/2024-02-29", "month", "February 2024"),
        ("2022-10-01/2023-09-30", None, "the year ending 30 September 2023"),
        ("2022-10-01/2023-03-31", None, "1 October 2022 to 31 March 2023"),
        ("2022-03-31/2022-03-31", None, "31 March 2022"),  # a count taken on one day (workforce)
        ("2022-03-31/2022-03-31", "day", "31 March 2022"),
    ],
)
def test_labels(text, style, label):
    assert parse_period(text).label(style) == label


def test_unknown_style_names_the_choices():
    with pytest.raises(ValueError, match="expected one of year_ending, financial_year, month, day, range"):
        financial_year(2022).label("fiscal")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2022-04-01/2023-03-31", 2022),  # FY 2022/23 -> mid-2022 (midpoint 30 September 2022)
        ("2023-04-01/2024-03-31", 2023),
        ("2023-11-01/2023-11-30", 2023),
        ("2023-01-01/2023-12-31", 2023),
        ("2022-10-01/2023-09-30", 2023),  # midpoint 31 March 2023
        ("2022-03-31/2022-03-31", 2022),  # officers at 31 March 2022 -> mid-2022
    ],
)
def test_midpoint_year(text, year):
    assert parse_period(text).midpoint_year == year


@pytest.mark.parametrize(
    "text",
    ["2022/23", "2022-04-01", "2022-04-01/2023-02-30", "2023-03-31/2022-04-01", "", "April 2022 to March 2023",
     "2022-4-1/2023-3-31"],
)
def test_bad_periods_say_what_was_expected(text):
    with pytest.raises(ValueError, match="expected an ISO 8601 interval"):
        parse_period(text)


def test_months_and_order():
    assert month(2024, 2) == Period(date(2024, 2, 1), date(2024, 2, 29))  # leap year
    assert month(2023, 11).months == 1
    assert sorted([financial_year(2023), month(2023, 9), financial_year(2021)]) == [
        financial_year(2021), financial_year(2023), month(2023, 9)]
    with pytest.raises(ValueError):
        Period(date(2023, 2, 1), date(2023, 1, 1))


FY22 = "2022-04-01/2023-03-31"


@pytest.mark.parametrize(("text", "iso"), [
    ("2022/23", FY22), ("2022-23", FY22), ("2022/2023", FY22), ("FY 2022/23", FY22), ("2022–23", FY22),
    ("year ending March 2023", FY22), ("Year ending 31 March 2023", FY22), ("YE Mar 2023", FY22),
    ("ye mar. 2023", FY22), ("the year ending 31 March 2023", FY22), (FY22, FY22),
    ("year ending December 2023", "2023-01-01/2023-12-31"), ("YE Sept 2023", "2022-10-01/2023-09-30"),
    ("31 March 2023", "2023-03-31/2023-03-31"), ("31 Mar 2023", "2023-03-31/2023-03-31"),
    ("as at 31 March 2022", "2022-03-31/2022-03-31"), ("2023-03-31", "2023-03-31/2023-03-31"),
    ("31/03/2023", "2023-03-31/2023-03-31"), ("November 2023", "2023-11-01/2023-11-30"),
    ("1999/00", "1999-04-01/2000-03-31"),
])
def test_periods_as_analysts_write_them(text, iso):
    assert period_from_text(text).iso == iso


@pytest.mark.parametrize(("text", "expected"), [
    ("2022/24", "the second year must follow the first"),
    ("2023", "is not a period: expected a period such as 2022/23"),
    ("year ending 30 March 2023", "does not end on the last day of a month"),
    ("31 February 2023", "is not a date"),
    ("2023-02-30", "is not a date"),
    ("Q1 2023", "is not a period"),
])
def test_periods_that_cannot_be_read_say_what_was_expected(text, expected):
    with pytest.raises(ValueError, match="expected") as e:
        period_from_text(text)
    assert expected in str(e.value)


@given(st.integers(min_value=1900, max_value=2098))
def test_every_way_of_writing_a_financial_year_is_the_same_period(first):
    end = f"March {first + 1}"
    forms = (f"{first}/{(first + 1) % 100:02d}", f"{first}-{(first + 1) % 100:02d}", f"year ending {end}",
             f"YE {end[:3]} {first + 1}", f"{first}/{first + 1}")
    assert {period_from_text(f) for f in forms} == {financial_year(first)}
