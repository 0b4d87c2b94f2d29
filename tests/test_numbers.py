"""How numbers are written: published precision, never nan or None."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peel.numbers import NOT_AVAILABLE, decimals_of, format_gbp, format_number, format_percent, format_value


@pytest.mark.parametrize("x,decimals,expected", [
    (19.8, 1, "19.8"), (0.25, 1, "0.3"), (175073, 0, "175,073"), (-0.01, 1, "0.0"), (1089, 0, "1,089"),
])
def test_format_number(x, decimals, expected):
    assert format_number(x, decimals) == expected


@pytest.mark.parametrize("x,expected", [
    (4.33e9, "£4.33 billion"), (4.5e9, "£4.5 billion"), (46.6e6, "£46.6m"), (90e6, "£90m"),
    (135e6, "£135m"), (400e6, "£400m"), (849_474_000, "£849.5m"), (489_705.2, "£489,705"),
])
def test_format_gbp(x, expected):
    assert format_gbp(x) == expected


def test_units():
    assert format_value(94.642, "percent", 1) == "94.6 percent"
    assert format_value(489_705.4, "gbp_per_1000_population", 0) == "£489,705"
    assert format_value(265.2, "per_1000_population", 0) == "265"
    with pytest.raises(ValueError):
        format_value(1, "furlongs", 0)


def test_decimals_of_keeps_typed_precision():
    assert [decimals_of(v) for v in (350.1, 36.7, 57, 13.4, "12000")] == [1, 1, 0, 1, 0]


@given(st.one_of(st.none(), st.floats(), st.integers(min_value=-10**15, max_value=10**15)),
       st.integers(min_value=0, max_value=4))
def test_never_prints_nan_or_none(x, d):
    for s in (format_number(x, d), format_percent(x, d), format_gbp(x)):
        assert "nan" not in s.lower() and "none" not in s.lower() and "inf" not in s.lower() or s == NOT_AVAILABLE
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        assert format_number(x, d) == NOT_AVAILABLE
