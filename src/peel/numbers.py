"""How numbers are written in a report: at their published precision, in the report's style.

A report says "94.6 percent", "19.8", "4,557", "£489,705", "£4.33 billion" and "£46.6m". These
functions are the only place that decides how; nothing else formats a number for a reader, so a
missing value can never leak out as ``nan`` or ``None``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from peel.method import is_missing, round_half_up

#: Written in place of a value that was not supplied.
NOT_AVAILABLE = "not available"

UNITS = ("count", "percent", "per_1000_population", "gbp", "gbp_per_1000_population", "number")


def _unavailable(x: object) -> bool:
    """Missing, NaN or infinite: nothing a reader should see as a number."""
    return is_missing(x) or (isinstance(x, float) and math.isinf(x))


def share_percent(share: float, other: float | None = None) -> str:
    """A share (0 to 1) as a percentage, whole ("85%") unless that would print it equal to ``other``
    while it differs: then with as many decimals as tell them apart ("94.98%" beside "95%")."""
    for decimals in range(0, 7):
        text = round_half_up(share * 100, decimals)
        if other is None or share == other or text != round_half_up(other * 100, decimals):
            return f"{text:.{decimals}f}%"
    return f"{share * 100:.6f}%"


def format_number(x: float | None, decimals: int = 0) -> str:
    """``x`` with thousands separators at ``decimals`` places: ``format_number(175073, 0) == "175,073"``."""
    if x is None or _unavailable(x):
        return NOT_AVAILABLE
    d = round_half_up(float(x), decimals)
    if d == 0:
        d = abs(d)  # never print "-0.0"
    return f"{d:,.{decimals}f}"


def format_percent(x: float | None, decimals: int = 1) -> str:
    """``"94.6 percent"``: the report writes the word, not the sign."""
    if _unavailable(x):
        return NOT_AVAILABLE
    return f"{format_number(x, decimals)} percent"


def format_gbp(x: float | None, decimals: int | None = None) -> str:
    """Money as the report writes it.

    Amounts of a billion or more are written in billions to two decimals at most
    (``"£4.33 billion"``, ``"£4.5 billion"``); a million or more in millions to one decimal at most
    (``"£46.6m"``, ``"£90m"``); smaller amounts in whole pounds (``"£489,705"``). ``decimals``
    forces whole pounds with that many decimals.
    """
    if x is None or _unavailable(x):
        return NOT_AVAILABLE
    x = float(x)
    sign = "-" if x < 0 else ""
    a = abs(x)
    if decimals is not None:
        return f"{sign}£{format_number(a, decimals)}"
    if a >= 1e9:
        return f"{sign}£{_trim(round_half_up(a / 1e9, 2))} billion"
    if a >= 1e6:
        return f"{sign}£{_trim(round_half_up(a / 1e6, 1))}m"
    return f"{sign}£{format_number(a, 0)}"


def _trim(d: Decimal) -> str:
    s = f"{d:,f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


class TypedFloat(float):
    """A float that remembers its decimal places as typed (``94.0`` -> 1); the inspection inputs' loader
    makes one of every float it reads."""

    decimals: int

    def __new__(cls, value: float, decimals: int) -> TypedFloat:
        obj = super().__new__(cls, value)
        obj.decimals = decimals
        return obj


def decimals_of(typed: float | int | str) -> int:
    """Decimal places of a value as it was typed (``350.1`` -> 1, ``57`` -> 0), so it keeps its precision;
    a :class:`TypedFloat` knows its own (``94.0`` -> 1)."""
    remembered = getattr(typed, "decimals", None)
    if isinstance(remembered, int):
        return remembered
    s = str(typed)
    if "e" in s.lower():
        return 0
    return len(s.split(".", 1)[1]) if "." in s else 0


def format_value(x: float | None, unit: str, decimals: int) -> str:
    """A value in its unit: percent gets the word, GBP units get the pound sign, others separators."""
    if unit == "percent":
        return format_percent(x, decimals)
    if unit == "gbp":
        return format_gbp(x)
    if unit == "gbp_per_1000_population":
        return format_gbp(x, decimals=decimals)
    if unit in ("count", "per_1000_population", "number"):
        return format_number(x, decimals)
    raise ValueError(f"unknown unit {unit!r}: expected one of {', '.join(UNITS)}")


def format_points(x: float | None, decimals: int = 1) -> str:
    """Percentage points: ``"2.6 percentage points"``."""
    if _unavailable(x):
        return NOT_AVAILABLE
    return f"{format_number(x, decimals)} percentage points"
