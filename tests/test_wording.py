"""Sentences from data: above, below, within, a standard, missing data, the lowest force, trends."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from peel.analysis import phrases, wording
from peel.analysis.comparison import Comparison, ForceValue
from peel.inputs.catalogue import Measure
from peel.inputs.forces import get_force
from peel.inputs.periods import financial_year, month, parse_period
from peel.method import band, band_lines

# Published figures from the seed report give the expected wording; the other forces are made up
# around them so that the Met falls where the report says it does.
STOP_SEARCH = {"metropolitan": 19.8, "cumbria": 4.0, "lancashire": 6.0, "merseyside": 8.0,
               "cheshire": 5.0, "durham": 7.0}


def measure(**over: object) -> Measure:
    fields: dict[str, object] = dict(
        id="stop_search_rate", title="Stop and searches per 1,000 population", area="police_powers",
        unit="per_1000_population", decimals=1, period=parse_period("2022-04-01/2023-03-31"),
        source="Home Office", figure_title="Stop and searches", compare="band", england_and_wales="pooled",
        statement="In {period}, {force} carried out {value} stop and searches per 1,000 population.",
    )
    fields.update(over)
    return Measure(**fields)  # type: ignore[arg-type]


def comparison(m: Measure, values: dict[str, float | None], ew: float | None,
               numerators: dict[str, float] | None = None, history: dict[str, tuple[float, ...]] | None = None,
               history_periods: tuple = (), latest: dict | None = None) -> Comparison:
    present = {k: v for k, v in values.items() if v is not None}
    lines = band_lines(present.values()) if m.compare == "band" else None
    rows = []
    for fid, v in values.items():
        num = (numerators or {}).get(fid, math.nan)
        value = math.nan if v is None else v
        rows.append(ForceValue(fid, get_force(fid).name, value, num, math.nan,
                               band(v, lines) if (lines and v is not None) else None, v is not None, None))
    missing = tuple(k for k, v in values.items() if v is None)
    return Comparison(m, m.period, tuple(rows), lines, ew, missing, {}, history_periods, history or {}, latest or {})


def test_higher_than_expected():
    c = comparison(measure(), STOP_SEARCH, 8.6)
    assert wording.statement(c, "metropolitan") == (
        "In the year ending 31 March 2023, the Metropolitan Police Service carried out 19.8 stop and searches "
        "per 1,000 population.")
    assert wording.comparison_sentence(c, "metropolitan").startswith(
        "This is higher than expected compared with the England and Wales average of 8.6 per 1,000 population.")


def test_lower_than_expected_and_lowest():
    m = measure(id="cps", unit="percent", decimals=0, period=month(2023, 11), england_and_wales="mean",
                statement="In {period}, {value} of the case files {force} submitted met the standard.")
    values = {"metropolitan": 25.0, "cumbria": 60.0, "lancashire": 62.0, "merseyside": 58.0, "cheshire": 61.0,
              "durham": 59.0}
    c = comparison(m, values, 57.0)
    assert wording.statement(c, "metropolitan") == (
        "In November 2023, 25 percent of the case files the Metropolitan Police Service submitted met the standard.")
    text = wording.comparison_sentence(c, "metropolitan")
    assert "lower than expected compared with the England and Wales average of 57 percent" in text
    assert "the lowest of all forces" in text
    assert "highest" not in text


def test_within_the_band_says_which_side_of_england_and_wales():
    m = measure(id="leavers", unit="percent", period=financial_year(2023), period_style="financial_year",
                statement="During {period}, {value} of {force}'s officers left the service.")
    values = {"metropolitan": 6.6, "cumbria": 7.5, "lancashire": 6.9, "merseyside": 7.2, "cheshire": 8.0,
              "durham": 6.0}
    c = comparison(m, values, 7.1)
    assert wording.statement(c, "metropolitan") == (
        "During 2023/24, 6.6 percent of the Metropolitan Police Service's officers left the service.")
    text = wording.comparison_sentence(c, "metropolitan")
    assert "below the England and Wales average of 7.1 percent" in text
    assert "within the expected range" in text and "in line with" in text
    assert "than expected" not in text


def test_below_the_standard_and_latest_month():
    m = measure(id="calls", unit="percent", compare="standard", standard=90.0, period=parse_period(
        "2023-04-01/2024-03-31"), latest_month_decimals=0,
        statement="In the same period, {force} answered {value} of its 999 calls within 10 seconds.")
    values = {"metropolitan": 78.9, "cumbria": 92.0, "lancashire": 88.0}
    c = comparison(m, values, 85.0, latest={"metropolitan": (month(2024, 2), 94.0)})
    assert wording.statement(c, "metropolitan").endswith("answered 78.9 percent of its 999 calls within 10 seconds.")
    sentence = wording.comparison_sentence(c, "metropolitan")
    assert sentence.startswith("This is below the expected standard of 90 percent.")
    latest = wording.latest_month_sentence(c, "metropolitan")
    assert latest is not None and "February 2024" in latest and "94 percent" in latest
    assert wording.comparison_sentence(c, "cumbria").startswith("This meets the expected standard of 90 percent.")


def test_missing_data_is_said_in_words():
    values = dict(STOP_SEARCH, gwent=None)
    c = comparison(measure(), values, 8.6)
    sentences = wording.measure_sentences(c, "gwent")
    text = " ".join(sentences)
    # No row at all: a gap in the national file, not the force's doing.
    assert text.startswith("The figure for Gwent Police for the year ending 31 March 2023 is not in the national "
                           "data, so it is not included in the comparison.")
    assert "did not supply" not in text
    assert wording.comparison_sentence(c, "gwent") is None
    assert not re.search(r"\b(nan|None)\b", text)


@pytest.mark.parametrize("note, expected", [
    ("", "Gwent Police did not supply this data for the year ending 31 March 2023, so it is not included"),
    ("Not available: quarter 3 of 2022/23 missing from the table.",
     "Gwent Police did not supply this data for the year ending 31 March 2023 (not available: quarter 3 of "
     "2022/23 missing from the table), so it is not included"),
])
def test_an_explicit_not_supplied_row_says_the_force_did_not_supply_it(note, expected):
    c = dataclasses.replace(comparison(measure(), dict(STOP_SEARCH, gwent=None), 8.6), not_supplied={"gwent": note})
    assert wording.measure_sentences(c, "gwent")[0].startswith(expected)


def test_statement_falls_back_when_a_count_is_missing():
    # A template that needs the numerator, for a force that supplied only a value.
    m = measure(id="orders", unit="percent", statement="{force} issued {numerator} orders, {value} of incidents.")
    c = comparison(m, {"metropolitan": 0.3, "cumbria": 1.0, "lancashire": 1.5}, 1.3)
    text = wording.statement(c, "metropolitan")
    assert "0.3 percent" in text and "not available" not in text and "nan" not in text


def test_numerator_in_pounds():
    m = measure(id="funding", unit="gbp_per_1000_population", numerator_unit="gbp", decimals=0,
                period=financial_year(2022), period_style="financial_year",
                statement="In {period}, {force} received a total of {numerator} in funding, equal to {value} per "
                          "1,000 population.")
    values = {"metropolitan": 489705.0, "cumbria": 250000.0, "lancashire": 240000.0, "merseyside": 260000.0,
              "cheshire": 230000.0, "durham": 255000.0}
    c = comparison(m, values, 300000.0, numerators={"metropolitan": 4.33e9})
    assert wording.statement(c, "metropolitan") == (
        "In 2022/23, the Metropolitan Police Service received a total of £4.33 billion in funding, equal to "
        "£489,705 per 1,000 population.")
    assert "higher than expected" in wording.comparison_sentence(c, "metropolitan")


@pytest.mark.parametrize("series, word", [((22.0, 21.0, 19.8), "falling"), ((17.0, 18.5, 19.8), "rising"),
                                          ((19.8, 19.9, 19.8), "stable")])
def test_trend(series, word):
    periods = (financial_year(2020), financial_year(2021), financial_year(2022))
    c = comparison(measure(trend=True), STOP_SEARCH, 8.6, history={"metropolitan": series},
                   history_periods=periods)
    text = wording.trend_sentence(c, "metropolitan")
    assert text is not None and word in text and "three years" in text and "31 March 2023" in text


def test_no_trend_without_three_periods():
    periods = (financial_year(2021), financial_year(2022))
    c = comparison(measure(trend=True), STOP_SEARCH, 8.6, history={"metropolitan": (21.0, 19.8)},
                   history_periods=periods)
    assert wording.trend_sentence(c, "metropolitan") is None


def test_grade_sentence():
    assert wording.grade_sentence("Metropolitan Police Service", "Adequate",
                                  "using police powers and treating the public fairly and respectfully") == (
        "The Metropolitan Police Service is adequate at using police powers and treating the public fairly and "
        "respectfully.")
    assert wording.grade_sentence("Cumbria Constabulary", "Requires improvement", "investigating crime") == (
        "Cumbria Constabulary requires improvement at investigating crime.")


def test_a_force_left_out_of_the_comparison_is_told_why():
    values = dict(STOP_SEARCH)
    c = comparison(measure(), values, 8.6)
    rows = tuple(ForceValue(r.force_id, r.force_name, r.value, r.numerator, r.denominator, None, False,
                            "Its resident population is too small to compare.") if r.force_id == "durham" else r
                 for r in c.rows)
    c = Comparison(c.measure, c.period, rows, c.lines, c.england_and_wales, (), {"durham": "x"})
    text = wording.comparison_sentence(c, "durham")
    assert text.startswith("Durham Constabulary is not compared with other forces on this measure: "
                           "its resident population is too small to compare.")
    assert "The England and Wales average is 8.6 per 1,000 population." in text
    assert "than expected" not in text


@pytest.mark.parametrize(("label", "expected"), [
    ("The year ending March 2024", "the year ending March 2024"),
    ("September 2023 to November 2023", "September 2023 to November 2023"),
    ("CPS file quality", "CPS file quality"),
    ("Providing a service to the victims of crime", "providing a service to the victims of crime"),
    ("PEEL", "PEEL"),
])
def test_a_label_inside_a_sentence_keeps_the_capitals_of_months_and_acronyms(label: str, expected: str) -> None:
    assert phrases.in_sentence(label) == expected


def test_a_monthly_trend_caption_keeps_its_month_names() -> None:
    from peel.analysis.trend import _span

    rows = [{"period": "September 2023"}, {"period": "November 2023"}]
    assert _span(rows) == "September 2023 to November 2023"
    rows = [{"period": "The year ending March 2021"}, {"period": "The year ending March 2024"}]
    assert _span(rows) == "the year ending March 2021 to the year ending March 2024"
