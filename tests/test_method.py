"""The report's method: seed reproduction, cross-checks against independent implementations,
and properties that must hold for any input."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from peel import method as m
from peel.errors import MethodError
from peel.numbers import format_gbp, format_number

# --- The seed report's figures (PEEL 2023-2025, Metropolitan Police Service) -------------------

def test_stop_search_sample_reproduces_seed():
    est = m.sample_estimate(265, 280)
    assert format_number(est.percent, 1) == "94.6"
    assert format_number(est.half_width, 1) == "2.6"


def test_previous_sample_reproduces_seed():
    # 75.9 percent +/- 5.1 points; the seed's n is implied as 270 (205 records with grounds)
    est = m.sample_estimate(205, 270)
    assert format_number(est.percent, 1) == "75.9"
    assert format_number(est.half_width, 1) == "5.1"


def test_change_between_samples_is_a_significant_improvement():
    t = m.change_test(265, 280, 205, 270)
    assert t.significant
    assert t.difference > 0
    assert t.words == "a statistically significant improvement"


def test_asb_order_ratio_reproduces_seed():
    assert format_number(m.proportion(783, 237_940), 1) == "0.3"


def test_prudent_reserve_reproduces_seed():
    r = m.prudent_reserve(4.5e9)
    assert (format_gbp(r.low), format_gbp(r.high)) == ("£90m", "£135m")


def test_budget_gap_and_uplift_shortfall_reproduce_seed():
    assert format_gbp(m.budget_gap(4.5e9, 4.1e9)) == "£400m"
    assert m.shortfall(4557, 3468) == 1089


# --- Independent implementations ---------------------------------------------------------------

@pytest.mark.parametrize("k,n", [(265, 280), (205, 270), (109, 128), (2, 26), (28, 41), (0, 10), (10, 10)])
def test_confidence_interval_matches_statsmodels(k, n):
    est = m.sample_estimate(k, n)
    # statsmodels clips the interval to [0, 1], so compare the side that is not clipped.
    low, high = proportion_confint(k, n, alpha=0.05, method="normal")
    half = (high - k / n) if k / n < 0.5 else (k / n - low)
    assert est.half_width == pytest.approx(100 * half, abs=1e-9)


@pytest.mark.parametrize("a", [(265, 280, 205, 270), (50, 100, 45, 100), (109, 112, 100, 110), (5, 40, 9, 41)])
def test_change_test_matches_statsmodels(a):
    k1, n1, k2, n2 = a
    z, p = proportions_ztest([k1, k2], [n1, n2])
    t = m.change_test(k1, n1, k2, n2)
    assert t.z == pytest.approx(z, rel=1e-9)
    assert t.p_value == pytest.approx(p, rel=1e-6, abs=1e-12)
    assert t.significant == (p < 0.05)


def test_mean_and_sd_match_numpy_sample_sd():
    xs = [8.6, 19.8, 5.1, 7.7, 6.2, 12.0, 3.3]
    assert m.unweighted_mean(xs) == pytest.approx(np.mean(xs))
    assert m.standard_deviation(xs) == pytest.approx(np.std(xs, ddof=1))


def test_pooled_is_total_over_total_not_mean_of_rates():
    nums, dens = [10, 1000], [100, 2000]
    assert m.pooled(nums, dens) == pytest.approx(1010 / 2100)
    assert m.pooled(nums, dens) != pytest.approx(m.unweighted_mean([0.1, 0.5]))


# --- Bands, standards, missing data ------------------------------------------------------------

def test_band_is_strict_at_one_sd():
    lines = m.Lines(mean=10.0, sd=2.0, n=5)
    assert m.band(12.0, lines) is m.Band.WITHIN  # on the line is inside it
    assert m.band(12.0001, lines) is m.Band.ABOVE
    assert m.band(7.9999, lines) is m.Band.BELOW
    assert m.Band.ABOVE.words == "higher than expected"
    assert m.Band.BELOW.words == "lower than expected"
    assert m.Band.WITHIN.words == "in line with"


def test_missing_values_are_left_out_of_averages():
    assert m.unweighted_mean([1.0, None, float("nan"), 3.0]) == 2.0
    lines = m.band_lines([1.0, None, 3.0, float("nan"), 5.0])
    assert lines.n == 3
    assert m.pooled([1, None, 3], [10, 10, None]) == pytest.approx(0.1)


def test_standard_comparison():
    assert m.against_standard(78.9, 90) is m.Standard.BELOW
    assert m.against_standard(90, 90) is m.Standard.MEETS
    assert m.Standard.BELOW.words == "below the expected standard"


def test_trend_direction():
    assert m.trend([26.3, 23.0, 19.8]) is m.Trend.FALLING
    assert m.trend([5.0, 6.0, 7.5]) is m.Trend.RISING
    assert m.trend([10.0, 10.2, 9.9]) is m.Trend.STABLE
    assert m.trend([1.0, 2.0]) is None
    assert m.trend([1.0, None, 2.0]) is None


@pytest.mark.parametrize("call", [
    lambda: m.sample_estimate(5, 0),
    lambda: m.sample_estimate(6, 5),
    lambda: m.sample_estimate(-1, 5),
    lambda: m.rate_per_1000(5, 0),
    lambda: m.rate_per_1000(-5, 100),
    lambda: m.proportion(5, 0),
    lambda: m.unweighted_mean([]),
    lambda: m.standard_deviation([1.0]),
    lambda: m.pooled([None], [None]),
    lambda: m.band(float("nan"), m.Lines(0, 1, 2)),
])
def test_unusable_inputs_raise_method_error(call):
    with pytest.raises(MethodError):
        call()


# --- Properties --------------------------------------------------------------------------------

samples = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)
maybe = st.one_of(st.none(), st.just(float("nan")), finite)


@given(samples)
def test_sample_estimate_bounds(kn):
    k, n = kn
    est = m.sample_estimate(k, n)
    assert 0.0 <= est.percent <= 100.0
    assert 0.0 <= est.half_width <= 100.0 * m.Z_95 * 0.5 / math.sqrt(n) + 1e-9
    assert 0.0 <= est.low <= est.percent <= est.high <= 100.0


@given(samples, samples)
def test_change_test_bounds_and_symmetry(a, b):
    t = m.change_test(*a, *b)
    r = m.change_test(*b, *a)
    assert 0.0 <= t.p_value <= 1.0
    assert t.p_value == pytest.approx(r.p_value, abs=1e-12)
    assert t.significant == r.significant
    assert t.difference == pytest.approx(-r.difference, abs=1e-9)


@given(st.lists(maybe, max_size=50))
def test_mean_sd_never_crash_with_foreign_errors(xs):
    present = [x for x in xs if not m.is_missing(x)]
    try:
        mean = m.unweighted_mean(xs)
    except MethodError:
        assert not present
        return
    assert min(present) - 1e-6 <= mean <= max(present) + 1e-6
    if len(present) >= 2:
        sd = m.standard_deviation(xs)
        assert sd >= 0
        assert sd == pytest.approx(statistics.stdev(present), rel=1e-6, abs=1e-6)


# Force values as published: to one decimal place (sub-normal floats would underflow the squares).
published_values = st.integers(min_value=0, max_value=10**7).map(lambda i: i / 10)


@given(st.lists(published_values, min_size=3, max_size=43))
def test_about_a_band_partitions_forces(xs):
    lines = m.band_lines(xs)
    bands = [m.band(x, lines) for x in xs]
    above = sum(b is m.Band.ABOVE for b in bands)
    below = sum(b is m.Band.BELOW for b in bands)
    # Chebyshev-style bound: with a sample SD, strictly fewer than all forces can be outside.
    assert above + below < len(xs)


@given(st.lists(st.tuples(st.floats(min_value=0, max_value=1e9), st.floats(min_value=1e-3, max_value=1e9)),
                min_size=1, max_size=43))
def test_pooled_lies_between_smallest_and_largest_force_ratio(pairs):
    nums = [a for a, _ in pairs]
    dens = [b for _, b in pairs]
    ratios = [a / b for a, b in pairs]
    p = m.pooled(nums, dens)
    assert min(ratios) * (1 - 1e-9) - 1e-12 <= p <= max(ratios) * (1 + 1e-9) + 1e-12


@given(st.lists(maybe, max_size=8))
def test_trend_is_none_or_a_direction(xs):
    assume(all(x is None or m.is_missing(x) or abs(x) < 1e8 for x in xs))
    t = m.trend(xs)
    assert t is None or isinstance(t, m.Trend)


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_prudent_reserve_is_two_to_three_percent(budget):
    r = m.prudent_reserve(budget)
    assert r.low <= r.high
    assert r.low == pytest.approx(0.02 * budget)
    assert r.high == pytest.approx(0.03 * budget)


def test_trend_rule_monotonic_reversing_flat():
    # Monotonic: every step the same way.
    assert m.trend([5.0, 6.0, 7.0, 8.0]) is m.Trend.RISING
    assert m.trend([8.0, 7.0, 6.0]) is m.Trend.FALLING
    # Reversing: a fitted line would say "rising", but the last year fell, so no trend is stated.
    assert m.trend([6.0, 7.5, 7.0]) is None
    assert m.trend([9.0, 7.0, 8.0]) is None
    # A small reversal is still a reversal when the series is not flat overall.
    assert m.trend([5.0, 7.0, 6.99]) is None
    # Flat: every value within 5 percent of the average, whatever the direction of the steps.
    assert m.trend([10.0, 10.4, 10.1]) is m.Trend.STABLE
    assert m.trend([0.0, 0.0, 0.0]) is m.Trend.STABLE
    assert m.trend([-1.0, 0.0, 1.0]) is m.Trend.RISING


def test_band_and_standard_compare_as_printed():
    lines = m.Lines(mean=40.0, sd=8.3, n=42)  # upper line 48.3
    assert m.band(48.31, lines) is m.Band.ABOVE
    assert m.band(48.31, lines, decimals=1) is m.Band.WITHIN
    assert m.band(48.36, lines, decimals=1) is m.Band.ABOVE
    assert m.against_standard(89.74, 90.0) is m.Standard.BELOW
    assert m.against_standard(89.96, 90.0, decimals=1) is m.Standard.MEETS
    assert m.decimals_to_show_side(89.74, 90.0, 0) == 1
    assert m.decimals_to_show_side(89.4, 90.0, 0) == 0
    assert m.decimals_to_show_side(90.2, 90.0, 0) == 0
