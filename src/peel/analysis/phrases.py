"""How numbers, values and force names read inside a sentence ("the Metropolitan Police Service",
"eight", "8.6 per 1,000 population"): the small pieces every sentence of a report is made of.

:mod:`peel.analysis.wording` writes the sentences from them.
"""

from __future__ import annotations

import calendar
from typing import Any

from peel.method import is_missing
from peel.numbers import format_number, format_value

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_words(n: int) -> str:
    """Whole numbers up to ten in words, as the report writes them ("eight"); larger ones in figures."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else format_number(n, 0)


def force_in_text(force_name: str) -> str:
    """A force's name as it reads inside a sentence.

    Names ending in "Service" take the article ("the Metropolitan Police Service"); others
    ("Cumbria Constabulary", "City of London Police") do not.
    """
    return f"the {force_name}" if force_name.endswith(" Service") else force_name


def join_names(names: list[str]) -> str:
    """"A", "A and B", "A, B and C": names as a sentence lists them."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def sentence_case(text: str) -> str:
    """Capitalise the first letter only ("the Metropolitan ..." -> "The Metropolitan ...")."""
    return text[:1].upper() + text[1:] if text else text


#: Words that keep their capital inside a sentence: month names ("September 2023 to November 2023").
_PROPER_WORDS = frozenset(calendar.month_name[1:])


def in_sentence(text: str) -> str:
    """A label as it reads inside a sentence: "The year ending March 2024" -> "the year ending March 2024".

    The first letter is lowered unless the first word keeps its capital anywhere: an acronym ("CPS"), a
    month name ("September 2023 to November 2023") or a word with capitals after its first letter.
    """
    first = text.split(" ", 1)[0]
    if not first or first in _PROPER_WORDS or first[1:] != first[1:].lower():
        return text
    return first[:1].lower() + text[1:]


def value_text(x: float | None, measure: Any) -> str:
    """A value in the words a statement uses for ``{value}``: "19.8", "18.6 percent", "£489,705"."""
    return format_value(x, measure.unit, measure.decimals)


def value_with_unit(x: float | None, measure: Any, decimals: int | None = None) -> str:
    """A value that stands on its own: "8.6 per 1,000 population", "24.6 percent", "£281,743 per 1,000 population"."""
    d = measure.decimals if decimals is None else decimals
    text = format_value(x, measure.unit, d)
    if measure.unit in ("per_1000_population", "gbp_per_1000_population") and not is_missing(x):
        return f"{text} per 1,000 population"
    return text
