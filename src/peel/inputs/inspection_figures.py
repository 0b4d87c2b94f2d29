"""Inspection figures: numbers the inspectors found or the force reported, with the sentence for each.

A figure (a sample of stop and search records, hours freed by a scheme, a budget gap) carries the
inspector's sentence with ``{placeholders}``; :meth:`InspectionFigure.sentence` fills them with numbers
computed by :mod:`peel.method` and written by :mod:`peel.numbers`, so a sentence states
a figure at its published precision and never says ``nan`` or ``None``. The file format is declared in
:mod:`peel.inputs.schemas.inspection`; :mod:`peel.inputs.inspection` reads it into these classes.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from peel.method import (
    budget_gap,
    change_test,
    proportion,
    prudent_reserve,
    sample_estimate,
    shortfall,
)
from peel.numbers import (
    decimals_of,
    format_number,
    format_percent,
    format_points,
    format_value,
)

#: Decimal places of percentages and confidence half-widths computed from inspection samples
#: (PEEL reports write "94.6 percent, plus or minus 2.6 percentage points").
SAMPLE_DECIMALS = 1


def _exact_difference(a: float | int, b: float | int) -> float:
    """``a - b`` computed on the numbers as typed, so 57 - 13.4 is 43.6 and not 43.599999..."""
    return float(Decimal(repr(a) if isinstance(a, float) else str(a)) -
                 Decimal(repr(b) if isinstance(b, float) else str(b)))


def fill(says: str, values: Mapping[str, str]) -> str:
    """Replace each ``{name}`` in ``says`` with ``values[name]``; ``{{`` and ``}}`` are literal braces.

    Raises
    ------
    KeyError
        For a placeholder ``values`` does not have (validation rules this out for loaded inputs).
    """
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(says):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


@dataclass(frozen=True, kw_only=True)
class InspectionFigure:
    """A number stated in a finding, with the inspector's sentence for it.

    Parameters
    ----------
    kind
        ``sample_estimate``, ``sample_count``, ``reported``, ``change`` or ``derived``.
    says
        The sentence, with ``{placeholders}`` filled by :meth:`sentence`.
    what
        What the figure counts (for tables, alt text and traceability).
    period
        The period it covers, as written ("1 October 2022 to 30 September 2023").
    """

    kind: str
    says: str
    what: str | None = None
    period: str | None = None

    def placeholders(self) -> dict[str, str]:
        """Every placeholder this figure can fill, with its text."""
        out = {}
        if self.what is not None:
            out["what"] = self.what
        if self.period is not None:
            out["period"] = self.period
        return out

    def sentence(self) -> str:
        """``says`` with its placeholders filled: plain text, numbers written by :mod:`peel.numbers`."""
        return fill(self.says, self.placeholders())

    def values(self) -> dict[str, float]:
        """The numbers behind the sentence, unrounded, for tables and traceability checks."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PreviousSample:
    """The previous inspection's sample of the same records."""

    k: int
    n: int
    period: str | None = None


@dataclass(frozen=True, kw_only=True)
class SampleEstimateFigure(InspectionFigure):
    """A proportion estimated from an inspection sample, with its 95% confidence interval.

    Placeholders: ``{k} {n} {percent} {ci} {low} {high}``; with ``previous``:
    ``{previous_k} {previous_n} {previous_percent} {previous_ci} {previous_period} {change}
    {difference}``, where ``{change}`` is the result of the significance test in words
    ("a statistically significant improvement").
    """

    kind: str = "sample_estimate"
    k: int
    n: int
    previous: PreviousSample | None = None

    def placeholders(self) -> dict[str, str]:
        est = sample_estimate(self.k, self.n)
        out = super().placeholders()
        out.update(k=format_number(self.k), n=format_number(self.n),
                   percent=format_percent(est.percent, SAMPLE_DECIMALS),
                   ci=format_points(est.half_width, SAMPLE_DECIMALS),
                   low=format_percent(est.low, SAMPLE_DECIMALS), high=format_percent(est.high, SAMPLE_DECIMALS))
        if self.previous is not None:
            prev = sample_estimate(self.previous.k, self.previous.n)
            test = change_test(self.k, self.n, self.previous.k, self.previous.n)
            out.update(previous_k=format_number(self.previous.k), previous_n=format_number(self.previous.n),
                       previous_percent=format_percent(prev.percent, SAMPLE_DECIMALS),
                       previous_ci=format_points(prev.half_width, SAMPLE_DECIMALS),
                       change=test.words, difference=format_points(abs(test.difference), SAMPLE_DECIMALS))
            if self.previous.period is not None:
                out["previous_period"] = self.previous.period
        return out

    def values(self) -> dict[str, float]:
        est = sample_estimate(self.k, self.n)
        out: dict[str, float] = {"k": self.k, "n": self.n, "percent": est.percent, "ci": est.half_width,
                                 "low": est.low, "high": est.high}
        if self.previous is not None:
            prev = sample_estimate(self.previous.k, self.previous.n)
            test = change_test(self.k, self.n, self.previous.k, self.previous.n)
            out.update(previous_k=self.previous.k, previous_n=self.previous.n, previous_percent=prev.percent,
                       previous_ci=prev.half_width, difference=test.difference, p_value=test.p_value,
                       significant=float(test.significant))
        return out


@dataclass(frozen=True, kw_only=True)
class SampleCountFigure(InspectionFigure):
    """``k`` out of ``n`` cases found in an inspection sample. Placeholders: ``{k} {n} {percent}``."""

    kind: str = "sample_count"
    k: int
    n: int

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        out.update(k=format_number(self.k), n=format_number(self.n),
                   percent=format_percent(proportion(self.k, self.n), SAMPLE_DECIMALS))
        return out

    def values(self) -> dict[str, float]:
        return {"k": self.k, "n": self.n, "percent": proportion(self.k, self.n)}


@dataclass(frozen=True, kw_only=True)
class ReportedFigure(InspectionFigure):
    """Figures the force reported to the inspectors, by name. Each name is a placeholder.

    ``units`` maps a name to ``count`` (the default), ``percent`` or ``gbp``; each number is written
    at the precision it was typed with (``350.1`` keeps one decimal, ``57`` none).
    """

    kind: str = "reported"
    numbers: dict[str, float | int]
    units: dict[str, str] = field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        for name, x in self.numbers.items():
            out[name] = format_value(x, self.units.get(name, "count"), decimals_of(x))
        return out

    def values(self) -> dict[str, float]:
        return dict(self.numbers)


@dataclass(frozen=True, kw_only=True)
class ChangePoint:
    """One end of a change: its label ("2022", "February 2024") and value."""

    label: str
    value: float | int


@dataclass(frozen=True, kw_only=True)
class ChangeFigure(InspectionFigure):
    """The same figure at two dates.

    Placeholders: ``{from} {to} {from_label} {to_label} {difference} {direction}``. ``{difference}``
    is the size of the change (in percentage points for a percentage); ``{direction}`` is
    "an increase", "a reduction" or "no change".
    """

    kind: str = "change"
    unit: str = "count"
    start: ChangePoint
    end: ChangePoint

    @property
    def difference(self) -> float:
        """Later minus earlier, exactly as typed."""
        return _exact_difference(self.end.value, self.start.value)

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        d0, d1 = decimals_of(self.start.value), decimals_of(self.end.value)
        diff = self.difference
        size = abs(diff)
        if self.unit == "percent":
            difference = format_points(size, max(d0, d1))
        else:
            difference = format_value(size, self.unit, max(d0, d1))
        direction = "an increase" if diff > 0 else "a reduction" if diff < 0 else "no change"
        out.update({"from": format_value(self.start.value, self.unit, d0),
                    "to": format_value(self.end.value, self.unit, d1),
                    "from_label": self.start.label, "to_label": self.end.label,
                    "difference": difference, "direction": direction})
        return out

    def values(self) -> dict[str, float]:
        return {"from": self.start.value, "to": self.end.value, "difference": self.difference}


@dataclass(frozen=True, kw_only=True)
class DerivedFigure(InspectionFigure):
    """Arithmetic on figures the force reported, by one of three rules.

    * ``prudent_reserve`` (``budget``, optional ``held``): ``{budget} {low} {high} {held}``, the
      2 to 3 percent of the annual budget a force would prudently hold as a general reserve;
    * ``budget_gap`` (``requirement``, ``funding``): ``{requirement} {funding} {gap}``;
    * ``shortfall`` (``target``, ``achieved``, optional ``unit``): ``{target} {achieved} {shortfall}``.
    """

    kind: str = "derived"
    rule: str
    inputs: dict[str, float | int]
    unit: str = "gbp"

    def values(self) -> dict[str, float]:
        x = self.inputs
        out: dict[str, float] = dict(x)
        if self.rule == "prudent_reserve":
            r = prudent_reserve(x["budget"])
            out.update(low=r.low, high=r.high)
        elif self.rule == "budget_gap":
            out["gap"] = budget_gap(x["requirement"], x["funding"])
        elif self.rule == "shortfall":
            out["shortfall"] = shortfall(x["target"], x["achieved"])
        return out

    def placeholders(self) -> dict[str, str]:
        out = super().placeholders()
        decimals = max((decimals_of(v) for v in self.inputs.values()), default=0)
        for name, v in self.values().items():
            out[name] = format_value(v, self.unit, decimals)
        return out
