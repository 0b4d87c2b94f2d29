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


# ---------------------------------------------------------------------------------------------
# Periods as analysts write them
# ---------------------------------------------------------------------------------------------

_MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_FINANCIAL = re.compile(r"(?:fy|financial year)?\s*(\d{4})\s*(?:/|-|–|_|to)\s*(\d{2}|\d{4})")
_YEAR_ENDING = re.compile(r"(?:the\s+)?(?:year ending|year ended|year to|12 months (?:ending|ended|to)|ye|y/e)\s+"
                          rf"(?:(\d{{1,2}})(?:st|nd|rd|th)?\s+)?{_MONTH}\s+(\d{{4}})")
_DAY = re.compile(rf"(?:as at\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(\d{{4}})")
_UK_DATE = re.compile(r"(?:as at\s+)?(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_YEAR = re.compile(rf"{_MONTH}\s+(\d{{4}})")

#: What :func:`period_from_text` accepts, for messages.
PERIOD_FORMS = ("2022/23", "2022-23", "year ending March 2023", "YE Mar 2023", "31 March 2023", "2023-03-31",
                "November 2023", "2022-04-01/2023-03-31")


def _date(year: int, month_number: int, day: int, text: str) -> date:
    try:
        return date(year, month_number, day)
    except ValueError as e:
        raise ValueError(f"{text!r} is not a date ({e}): expected a day such as 31 March 2023 or 2023-03-31") from None


def period_from_text(text: object) -> Period:
    """A period as analysts write it, read into a :class:`Period`.

    ===================================================  =======================================
    written                                              period
    ===================================================  =======================================
    ``2022/23``, ``2022-23``, ``2022/2023``, ``FY 2022/23``  the financial year 1 April 2022 to 31 March 2023
    ``year ending March 2023``, ``YE Mar 2023``,          the twelve months ending on the last day
    ``year ending 31 March 2023``                         of that month
    ``31 March 2023``, ``2023-03-31``, ``31/03/2023``     that one day (a count taken on it)
    ``November 2023``                                     that calendar month
    ``2022-04-01/2023-03-31``                             as written (:func:`parse_period`)
    ===================================================  =======================================

    Case, repeated spaces and a full stop after a month's abbreviation do not matter; ``31/03/2023``
    is day/month/year, as written in the UK.

    Raises
    ------
    ValueError
        Saying what was found and which forms are accepted.
    """
    raw = " ".join(str(text).split())
    s = raw.casefold().replace("\u2013", "-")
    expected = f"expected a period such as {', '.join(PERIOD_FORMS)}"
    if "/" in s and _INTERVAL.match(s):
        return parse_period(s)
    m = _FINANCIAL.fullmatch(s)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        if second != (first + 1 if len(m.group(2)) == 4 else (first + 1) % 100):
            raise ValueError(f"{raw!r} is not a financial year (the second year must follow the first, as in "
                             f"{first}/{(first + 1) % 100:02d}): {expected}")
        return financial_year(first)
    m = _YEAR_ENDING.fullmatch(s)
    if m:
        year, month_number = int(m.group(3)), _MONTHS[m.group(2)]
        last = calendar.monthrange(year, month_number)[1]
        if m.group(1) and int(m.group(1)) != last:
            raise ValueError(f"{raw!r} does not end on the last day of a month: expected a year ending on a month's "
                             f"last day, such as year ending {last} {calendar.month_name[month_number]} {year}")
        end = date(year, month_number, last)
        return Period(date(year - 1 if month_number < 12 else year, month_number % 12 + 1, 1), end)
    for pattern, order in ((_DAY, "dmy"), (_UK_DATE, "dmy"), (_ISO_DATE, "ymd")):
        m = pattern.fullmatch(s)
        if m:
            a, b, c = m.groups()
            if order == "ymd":
                day = _date(int(a), int(b), int(c), raw)
            else:
                day = _date(int(c), _MONTHS[b] if b in _MONTHS else int(b), int(a), raw)
            return Period(day, day)
    m = _MONTH_YEAR.fullmatch(s)
    if m:
        return month(int(m.group(2)), _MONTHS[m.group(1)])
    raise ValueError(f"{raw!r} is not a period: {expected}")
