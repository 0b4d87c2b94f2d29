"""Sentences written from data, in the manner of a PEEL report.

Every sentence a report prints about a national measure comes from here: the statement of the
force's value (the catalogue's template filled in), how it compares with England and Wales, whether
it meets a national standard, the latest month and the trend, or that the force did not supply the
data. Numbers are always written by :mod:`peel.numbers`, so a missing value reads "not available"
and never ``nan`` or ``None``.
"""

from __future__ import annotations

import calendar
import re
import string
from typing import Any

from peel.analysis.comparison import Comparison, ForceResult
from peel.analysis.phrases import (
    force_in_text,
    in_sentence,
    join_names,
    number_words,
    sentence_case,
    value_text,
    value_with_unit,
)
from peel.analysis.provenance import SEE_NOTICE, any_synthetic, not_official_words, sentences_note
from peel.inputs.catalogue import Measure
from peel.inputs.periods import Period
from peel.method import Band, Standard, Trend, against_standard, decimals_to_show_side, is_missing
from peel.numbers import format_gbp, format_number, format_value, share_percent


def _numerator_text(x: float | None, measure: Measure) -> str:
    return format_gbp(x) if getattr(measure, "numerator_unit", "count") == "gbp" else format_number(x, 0)


def _period_label(comparison: Comparison) -> str:
    m = comparison.measure
    return comparison.period.label(getattr(m, "period_style", None))


def _force_name(comparison: Comparison, force_id: str) -> str:
    return comparison.row(force_id).force_name


#: What the report calls the England and Wales value, pooled or an unweighted mean alike, as the published
#: reports do; "About the data" says which each measure uses, and its data table says it again.
EW_NAME = "England and Wales average"


def _ew_phrase(comparison: Comparison) -> str | None:
    """ "the England and Wales average of 8.6 per 1,000 population" (``None`` without a figure)."""
    ew = comparison.england_and_wales
    if ew is None or is_missing(ew):
        return None
    return f"the {EW_NAME} of {value_with_unit(ew, comparison.measure)}"


def _ew_statement(comparison: Comparison) -> str:
    """ "The England and Wales average is 8.6 per 1,000 population." """
    return f"The {EW_NAME} is {value_with_unit(comparison.england_and_wales, comparison.measure)}."


def statement(comparison: Comparison, force_id: str) -> str:
    """The catalogue's statement for the force, with its fields filled in.

    ``{value}`` is the force's value at the published precision, ``{numerator}`` and ``{denominator}``
    the counts (or pounds) behind it, ``{period}`` the quoted period in words and ``{force}`` the
    force's name. When the template needs a numerator or denominator the force did not supply (a
    value-only row), a plain statement of the value is written instead, so that "not available"
    never appears in the middle of a sentence.
    """
    m = comparison.measure
    row = comparison.row(force_id)
    force = force_in_text(row.force_name)
    period = _period_label(comparison)
    if is_missing(row.value):
        return not_available_sentence(comparison, force_id)
    fields = {name for _, name, _, _ in string.Formatter().parse(m.statement) if name}
    needs = {"numerator": row.numerator, "denominator": row.denominator}
    if any(is_missing(needs[k]) for k in needs if k in fields):
        return sentence_case(f"in {period}, the figure for {force} was {value_text(row.value, m)}.")
    # "In the same period" leans on the sentence before it, but a statement can be placed in a
    # different finding from its neighbour in the catalogue, with charts in between: name the period.
    template = re.sub(r"\b([Ii]n|[Dd]uring) the same period\b", lambda mt: f"{mt.group(1)} {{period}}", m.statement)
    # A published amount that differs from the numerator behind the rate is stated as published; the
    # row's note, printed after the force's sentences, says why they differ.
    published = getattr(comparison, "published", {}).get(force_id)
    text = template.format(
        value=value_text(row.value, m),
        numerator=_numerator_text(published[0] if published else row.numerator, m),
        denominator=format_number(row.denominator, 0),
        period=period,
        force=force,
    )
    return sentence_case(text)


def comparison_sentence(comparison: Comparison, force_id: str) -> str | None:
    """How the force's value compares: with the England and Wales figure, the band or the standard.

    Returns
    -------
    str or None
        For example "This is higher than expected compared with the England and Wales average of
        8.6 per 1,000 population.", "This is below the England and Wales average of 7.1 percent but
        within the expected range, so in line with England and Wales.", "This is below the expected
        standard of 90 percent." ``None`` when the force has no value (see
        :func:`not_available_sentence`).
    """
    comparison = seen_by(comparison, force_id)
    m = comparison.measure
    row = comparison.row(force_id)
    if is_missing(row.value):
        return None
    result = comparison.for_force(force_id)
    ew = _ew_phrase(comparison)
    if not row.included:
        reason = " ".join(str(row.excluded_reason or comparison.excluded.get(force_id) or "").split())
        force = sentence_case(force_in_text(row.force_name))
        if reason and reason.startswith((force, row.force_name)):
            # The catalogue's reason already names the force: it is the whole sentence.
            text = reason if reason.endswith(".") else reason + "."
        else:
            text = f"{force} is not compared with other forces on this measure"
            text += f": {_strip_stop(reason)}." if reason else "."
        if ew:
            text += f" {_ew_statement(comparison)}"
        return text
    if m.compare == "standard" and result.standard is not None and m.standard is not None:
        std = value_with_unit(m.standard, m, decimals=_typed_decimals(m.standard))
        if result.standard is Standard.BELOW:
            text = f"This is below the expected standard of {std}."
        else:
            text = f"This meets the expected standard of {std}."
        if ew:
            text += f" {_ew_statement(comparison)}"
        return text
    if result.band is None:
        return _ew_statement(comparison) if ew else None
    if getattr(comparison, "group", None) is not None:
        return _group_sentence(comparison, result, ew)
    if result.band is Band.ABOVE:
        text = ("This is higher than expected compared with " + ew + "." if ew
                else "This is higher than expected compared with other forces in England and Wales.")
    elif result.band is Band.BELOW:
        text = ("This is lower than expected compared with " + ew + "." if ew
                else "This is lower than expected compared with other forces in England and Wales.")
    else:
        text = _within_sentence(comparison, row.value, ew)
    extreme = _extreme_sentence(result, comparison)
    return f"{text} {extreme}" if extreme else text


def seen_by(comparison: Comparison, force_id: str) -> Any:
    """The comparison as ``force_id``'s report shows it (its group's lines for ``compare: group``), so that a
    caller holding the comparison of all forces still gets the words, chart and records the report prints."""
    view = getattr(comparison, "seen_by", None)
    return view(force_id) if view is not None else comparison


def group_phrase(comparison: Comparison, n: int) -> str:
    """ "the eight forces in its most similar group (Mostly urban, an illustrative grouping, not a published one)" """
    return f"the {number_words(n)} forces in its most similar group ({comparison.group_label})"


def _group_sentence(comparison: Comparison, result: ForceResult, ew: str | None) -> str:
    """How the force compares with the forces of its most similar group (``compare: group``).

    The lines are the group's, so the words are about the group; the England and Wales figure follows
    as a plain statement, since the force was not compared with it.
    """
    group = group_phrase(comparison, result.n_compared)
    if result.band is Band.ABOVE:
        text = f"This is higher than expected compared with {group}."
    elif result.band is Band.BELOW:
        text = f"This is lower than expected compared with {group}."
    else:
        text = f"This is in line with {group}."
    if result.n_compared >= 2 and (result.is_highest or result.is_lowest):
        text += f" It is the {'highest' if result.is_highest else 'lowest'} of the forces in its group."
    if ew:
        text += f" {_ew_statement(comparison)}"
    return text


def _within_sentence(comparison: Comparison, value: float, ew: str | None) -> str:
    m = comparison.measure
    ew_value = comparison.england_and_wales
    if not ew or ew_value is None:
        return "This is in line with other forces in England and Wales."
    # Compare at the published precision: a value that reads the same as the England and Wales average
    # is not "above" or "below" it.
    same = value_text(value, m) == value_text(ew_value, m)
    if same:
        return f"This is the same as {ew}, so in line with England and Wales."
    side = "above" if value > ew_value else "below"
    return (f"This is {side} {ew} but within the expected range, so in line with England and Wales.")


def _extreme_sentence(result: ForceResult, comparison: Comparison | None = None) -> str | None:
    if result.n_compared < 2:
        return None
    if not (result.is_highest or result.is_lowest):
        return None
    word = "highest" if result.is_highest else "lowest"
    text = f"It is the {word} of all forces compared"
    left_out = _left_out_names(comparison)
    if left_out:
        text += f" ({join_names(left_out)} {'is' if len(left_out) == 1 else 'are'} not compared)"
    return text + "."


def _left_out_names(comparison: Comparison | None) -> list[str]:
    """Forces with a value that the comparison leaves out on purpose (not those without data)."""
    if comparison is None:
        return []
    return [r.force_name for r in comparison.rows if not r.included and not is_missing(r.value)]


def _typed_decimals(x: float) -> int:
    return 0 if float(x).is_integer() else len(repr(float(x)).split(".")[1])


def _strip_stop(text: str) -> str:
    text = " ".join(str(text).split())
    text = in_sentence(text)
    return text.rstrip(".")


def not_available_sentence(comparison: Comparison, force_id: str) -> str:
    """Why the force has no figure, naming the force and the period, without blaming it for a gap in the data.

    A row in national.csv with an empty value says the force did not supply the figure (with the row's
    note, when it has one); a force with no row at all is only missing from the national data.
    """
    name = force_in_text(_force_name(comparison, force_id))
    not_supplied = getattr(comparison, "not_supplied", {})
    if force_id in not_supplied:
        note = _strip_stop(not_supplied[force_id]) if not_supplied[force_id] else ""
        return (f"{sentence_case(name)} did not supply this data for {_period_label(comparison)}"
                f"{f' ({note})' if note else ''}, so it is not included in the comparison.")
    return (f"The figure for {name} for {_period_label(comparison)} is not in the national data, "
            f"so it is not included in the comparison.")


def _end_words(p: Period, months: int) -> str:
    if months == 1:
        return f"{calendar.month_name[p.start.month]} {p.start.year}"
    return f"{p.end.day} {calendar.month_name[p.end.month]} {p.end.year}"


def _quantity_noun(measure: Measure) -> str:
    if measure.unit in ("per_1000_population",):
        return "The rate"
    if measure.unit == "percent":
        return "The proportion"
    return "The figure"


def trend_sentence(comparison: Comparison, force_id: str) -> str | None:
    """ "The rate has been falling over the three years to 31 March 2023." or ``None``.

    ``None`` when the catalogue asks for no trend or fewer than three periods have a value.
    """
    m = comparison.measure
    if not getattr(m, "trend", False):
        return None
    result = comparison.for_force(force_id)
    if result.trend is None or len(result.history) < 3:
        return None
    months = comparison.period.months
    if comparison.period.start == comparison.period.end:
        # Counts taken on one day (officers at 31 March): the span runs from the first count to the last.
        first, last = result.history[0][0], result.history[-1][0]
        span = f"between {first.label('day')} and {last.label('day')}"
    else:
        unit = "years" if months == 12 else "months" if months == 1 else "periods"
        n = number_words(len(result.history))
        span = f"over the {n} {unit} to {_end_words(result.history[-1][0], months)}"
    noun = _quantity_noun(m)
    if result.trend is Trend.STABLE:
        text = f"{noun} has been broadly stable {span}."
    else:
        word = "rising" if result.trend is Trend.RISING else "falling"
        text = f"{noun} has been {word} {span}."
    if getattr(result, "synthetic_history", False):
        # The quoted figure is published but the earlier ones are not: say so where the trend is read.
        text += f" [Synthetic: the earlier figures behind this trend are synthetic, not published ({SEE_NOTICE}).]"
    return text


def latest_month_sentence(comparison: Comparison, force_id: str) -> str | None:
    """ "In February 2024, the latest month in the data, the figure was 94 percent ..." or ``None``."""
    m = comparison.measure
    decimals = getattr(m, "latest_month_decimals", None)
    if decimals is None:
        return None
    result = comparison.for_force(force_id)
    if result.latest_month is None:
        return None
    period, value = result.latest_month
    if is_missing(value) or period == comparison.period:
        return None
    standard = m.standard if m.compare == "standard" else None
    if standard is not None:
        # Print enough places that the value reads on its own side of the standard (89.7, not 90).
        decimals = decimals_to_show_side(value, standard, decimals)
    text = (f"In {period.label('month')}, the latest month in the data, the figure was "
            f"{format_value(value, m.unit, decimals)}")
    if standard is not None:
        meets = against_standard(value, standard, decimals) is Standard.MEETS
        # "Still" only when the figure for the quoted period was below the standard too.
        before = comparison.for_force(force_id).standard
        still = " still" if before is Standard.BELOW else ""
        text += ", which meets the expected standard" if meets else f", which is{still} below the expected standard"
    return text + "."


def completeness_sentence(comparison: Comparison, force_id: str) -> str | None:
    """"This figure is incomplete: ..." for a force whose figure is under the measure's completeness rule and
    still compared (``below: note``); None otherwise (a force left out says why in its comparison sentence)."""
    partial = getattr(comparison, "partial", None)
    share = partial(force_id) if partial is not None else None
    rule = comparison.measure.completeness
    if share is None or rule is None or not comparison.row(force_id).included:
        return None
    need = rule[0]
    return (f"This figure is incomplete: it covers {share_percent(share, need)} of the count, less than the "
            f"{share_percent(need)} this measure asks for, and may rise as the count is completed.")


def measure_sentence_parts(comparison: Comparison, force_id: str) -> list[tuple[str, str]]:
    """Every sentence the report prints about the force on one measure, with its kind, in reading order.

    The kinds are ``value``, ``completeness`` (the force's figure covers less of its count than the
    measure's completeness rule asks, and is shown with a note), ``comparison``, ``latest_month``, ``trend``,
    ``note`` (why a published amount the statement gives differs from the one behind the rate),
    ``not_available`` and ``england_and_wales``; :mod:`peel.analysis.statements` makes one record of each.
    """
    row = comparison.row(force_id)
    if is_missing(row.value):
        out = [("not_available", not_available_sentence(comparison, force_id))]
        if _ew_phrase(comparison):
            text = _ew_statement(comparison)
            if any_synthetic(comparison):
                text += f" [Synthetic: it is computed from synthetic figures ({SEE_NOTICE}).]"
            out.append(("england_and_wales", text))
        return out
    out = [("value", statement(comparison, force_id))]
    for kind, s in (("completeness", completeness_sentence(comparison, force_id)),
                    ("comparison", comparison_sentence(comparison, force_id)),
                    ("latest_month", latest_month_sentence(comparison, force_id)),
                    ("trend", trend_sentence(comparison, force_id))):
        if s:
            out.append((kind, s))
    published = getattr(comparison, "published", {}).get(force_id)
    if published and published[1]:
        out.append(("note", published[1]))
    return _marked(comparison, force_id, out)


def _marked(comparison: Comparison, force_id: str, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The sentences with the markers that say which of their figures are synthetic, where it belongs, and
    which are not official statistics (after the last sentence)."""
    parts = _synthetic_marked(comparison, force_id, parts)
    unofficial = not_official_words(comparison) if parts else None
    if unofficial:
        parts = [*parts[:-1], (parts[-1][0], f"{parts[-1][1]} [{unofficial[:1].upper()}{unofficial[1:]}.]")]
    return parts


def _synthetic_marked(comparison: Comparison, force_id: str, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    note = sentences_note(comparison, force_id)
    if note is None:
        return parts
    after, text = note
    kinds = [k for k, _ in parts]
    # After the comparison when only the figures compared with are synthetic; otherwise after the last.
    i = kinds.index("comparison") if after == "comparison" and "comparison" in kinds else len(parts) - 1
    if after == "comparison" and "comparison" not in kinds:
        return parts
    out = list(parts)
    out[i] = (out[i][0], f"{out[i][1]} {text}")
    return out


def measure_sentences(comparison: Comparison, force_id: str) -> list[str]:
    """Every sentence the report prints about the force on one measure, in reading order."""
    return [text for _, text in measure_sentence_parts(comparison, force_id)]


def grade_sentence(force_name: str, grade: str, judgment: str) -> str:
    """ "The Metropolitan Police Service is adequate at using police powers ..." for a graded area."""
    force = sentence_case(force_in_text(force_name))
    if grade.lower() == "requires improvement":
        return f"{force} requires improvement at {judgment}."
    return f"{force} is {grade.lower()} at {judgment}."
