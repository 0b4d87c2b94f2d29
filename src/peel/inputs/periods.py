"""Periods of time that national data describe, written as ISO 8601 intervals.

A row of national data says which period it covers as ``start/end`` with both dates included:
``2022-04-01/2023-03-31`` is the financial year 2022/23, ``2023-11-01/2023-11-30`` is
November 2023. One notation covers years ending in any month, financial years and single months,
and it sorts and compares without guessing what "2022/23" meant.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

#: The styles :meth:`Period.label` understands (``period_style`` in the measure catalogue).
PERIOD_STYLES = ("year_ending", "financial_year", "month", "day", "range")

_INTERVAL = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*/\s*(\d{4}-\d{2}-\d{2})\s*$")

EXPECTED = "expected an ISO 8601 interval start/end with both dates included, such as 2022-04-01/2023-03-31"


def _day(d: date) -> str:
    # "31 March 2023": no leading zero, as the report writes dates.
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole days, both ends included.

    Periods sort by start date, then end date.
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")

    @property
    def iso(self) -> str:
        """The ISO 8601 interval: ``"2022-04-01/2023-03-31"``."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __str__(self) -> str:
        return self.iso

    @property
    def is_whole_months(self) -> bool:
        """True when the period starts on the first of a month and ends on the last day of one."""
        last = calendar.monthrange(self.end.year, self.end.month)[1]
        return self.start.day == 1 and self.end.day == last

    @property
    def months(self) -> int:
        """Number of calendar months covered (whole months; a part month counts as one)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def midpoint(self) -> date:
        """The middle day of the period (the earlier one when the period has an even number of days)."""
        return self.start + timedelta(days=(self.end - self.start).days // 2)

    @property
    def midpoint_year(self) -> int:
        """Calendar year of the midpoint: the year whose mid-year population a rate uses.

        The financial year 2022/23 has its midpoint on 30 September 2022, so its rates use the
        mid-2022 estimate.
        """
        return self.midpoint.year

    def default_style(self) -> str:
        """``day`` for a single day, ``month`` for one calendar month, ``year_ending`` for twelve, else ``range``."""
        if self.start == self.end:
            return "day"
        if self.is_whole_months and self.months == 1:
            return "month"
        if self.is_whole_months and self.months == 12:
            return "year_ending"
        return "range"

    def label(self, style: str | None = None) -> str:
        """The period in the report's words.

        Parameters
        ----------
        style
            ``year_ending`` ("the year ending 31 March 2023"), ``financial_year`` ("2023/24"),
            ``month`` ("November 2023"), ``day`` ("31 March 2022", a count taken on one day) or ``range``
            ("1 October 2022 to 30 September 2023");
            ``None`` picks :meth:`default_style`.
        """
        style = style or self.default_style()
        if style == "year_ending":
            return f"the year ending {_day(self.end)}"
        if style == "financial_year":
            return f"{self.start.year}/{(self.start.year + 1) % 100:02d}"
        if style == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if style == "day":
            return _day(self.start)
        if style == "range":
            return f"{_day(self.start)} to {_day(self.end)}"
        raise ValueError(f"unknown period style {style!r}: expected one of {', '.join(PERIOD_STYLES)}")


def parse_period(text: str | Period) -> Period:
    """Read an ISO 8601 interval such as ``2022-04-01/2023-03-31``.

    Raises
    ------
    ValueError
        When the text is not two valid dates joined by ``/`` or the end is before the start;
        the message says what was expected.
    """
    if isinstance(text, Period):
        return text
    m = _INTERVAL.match(str(text)) if text is not None else None
    if not m:
        raise ValueError(f"{text!r} is not a period: {EXPECTED}")
    try:
        start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    except ValueError as e:
        raise ValueError(f"{text!r} is not a period ({e}): {EXPECTED}") from None
    if end < start:
        raise ValueError(f"{text!r} ends before it starts: {EXPECTED}")
    return Period(start, end)


def month(year: int, month_number: int) -> Period:
    """The calendar month ``month_number`` of ``year``."""
    return Period(date(year, month_number, 1), date(year, month_number, calendar.monthrange(year, month_number)[1]))


def financial_year(first_year: int) -> Period:
    """The financial year that starts on 1 April ``first_year`` (``financial_year(2022)`` is 2022/23)."""
    return Period(date(first_year, 4, 1), date(first_year + 1, 3, 31))
