"""The report's method, as small pure functions.

This is the "About the data" section of a PEEL report written as code:

* rates per 1,000 population use the ONS mid-year estimate for the police force area;
* the England and Wales figure is either *pooled* (total numerator over total denominator) or the
  *unweighted mean* of force values, as the measure catalogue declares;
* the dotted red lines on the all-forces charts are one standard deviation either side of the
  unweighted mean of all forces compared; a force outside them is "higher than expected" or
  "lower than expected", one inside is "in line with" England and Wales;
* a proportion estimated from an inspection sample carries a 95% confidence interval, and a
  change from the previous inspection's sample is tested for significance.

Missing values (``None`` or NaN) are never averaged: callers drop them and name the forces that
did not supply data. Functions raise :class:`peel.errors.MethodError` for values they cannot use.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import Enum
from statistics import NormalDist

from peel.errors import MethodError

#: Two-sided 95% critical value of the normal distribution (1.959964...).
Z_95 = NormalDist().inv_cdf(0.975)

#: Degrees of freedom removed when computing the standard deviation of force values. The forces
#: are treated as a sample from the process that generates force performance, as a spreadsheet's
#: STDEV does; with 42 or 43 forces the choice moves the lines by about 1 percent.
SD_DDOF = 1

#: A trend whose fitted change over the periods shown is smaller than this share of the average
#: level is called stable rather than rising or falling.
TREND_TOLERANCE = 0.05


def is_missing(x: object) -> bool:
    """True for ``None`` and NaN: the ways a value can be not available."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def round_half_up(x: float, decimals: int) -> Decimal:
    """Round as people do (0.25 -> 0.3), not banker's rounding, via the shortest repr of ``x``."""
    q = Decimal(1).scaleb(-decimals)
    # Enough precision for any float's integer part plus the decimals asked for.
    return Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP, context=Context(prec=400))


def _finite(values: Iterable[float | None], what: str) -> list[float]:
    out = []
    for v in values:
        if is_missing(v):
            continue
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError) as e:
            raise MethodError(f"{what}: {v!r} is not a number") from e
        if math.isinf(f):
            raise MethodError(f"{what}: {v!r} is not a finite number")
        out.append(f)
    return out


def rate_per_1000(count: float, population: float) -> float:
    """Events per 1,000 population.

    Parameters
    ----------
    count
        The number of events (stop and searches, incidents, pounds of funding...).
    population
        The ONS mid-year population estimate of the police force area; must be positive.

    Returns
    -------
    float
        ``count / population * 1000``.
    """
    return _ratio("rate_per_1000", ("count", count), ("population", population), 1000.0)


def proportion(numerator: float, denominator: float, scale: float = 100.0) -> float:
    """``numerator / denominator * scale`` (a percentage by default), checked for sense."""
    return _ratio("proportion", ("numerator", numerator), ("denominator", denominator), scale)


def _ratio(what: str, top: tuple[str, float], bottom: tuple[str, float], scale: float) -> float:
    """``top / bottom * scale`` once both are given, the bottom is positive and the top not negative;
    each pair is (its name in the error message, the value)."""
    (top_name, t), (bottom_name, b) = top, bottom
    if is_missing(t) or is_missing(b):
        raise MethodError(f"{what} needs a {top_name} and a {bottom_name}")
    if b <= 0:
        raise MethodError(f"{what}: {bottom_name} must be positive, got {b!r}")
    if t < 0:
        raise MethodError(f"{what}: {top_name} must not be negative, got {t!r}")
    return float(t) / float(b) * scale


def pooled(numerators: Sequence[float | None], denominators: Sequence[float | None], scale: float = 1.0) -> float:
    """The pooled England and Wales figure: total numerator over total denominator, times ``scale``.

    Pairs where either side is missing are left out together, so a force that did not supply data
    is absent from both totals.
    """
    if len(numerators) != len(denominators):
        raise MethodError("pooled: numerators and denominators differ in length")
    pairs = [(n, d) for n, d in zip(numerators, denominators, strict=True) if not is_missing(n) and not is_missing(d)]
    if not pairs:
        raise MethodError("pooled: no force supplied both a numerator and a denominator")
    num = sum(_finite((n for n, _ in pairs), "pooled numerator"))
    den = sum(_finite((d for _, d in pairs), "pooled denominator"))
    if den <= 0:
        raise MethodError("pooled: the total denominator is not positive")
    return num / den * scale


def unweighted_mean(values: Iterable[float | None]) -> float:
    """The unweighted average of force values (each force counts once, whatever its size)."""
    xs = _finite(values, "unweighted_mean")
    if not xs:
        raise MethodError("unweighted_mean: no values")
    return statistics.fmean(xs)


def standard_deviation(values: Iterable[float | None], ddof: int = SD_DDOF) -> float:
    """Standard deviation of force values about their unweighted mean (``ddof`` = :data:`SD_DDOF`)."""
    xs = _finite(values, "standard_deviation")
    if len(xs) <= ddof:
        raise MethodError(f"standard_deviation: needs more than {ddof} values, got {len(xs)}")
    # Not statistics.stdev: it rounds exactly and differs in the last binary digit for about a quarter of
    # the published series, which would move a figure's recorded lines (and could move a borderline band).
    m = statistics.fmean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - ddof))


class Band(str, Enum):
    """Where a force sits against the one-standard-deviation lines."""

    ABOVE = "above"
    WITHIN = "within"
    BELOW = "below"

    @property
    def words(self) -> str:
        """The words the report uses for this band ("in line with" needs what it is in line with)."""
        return BAND_WORDS[self]

    def against(self, what: str) -> str:
        """The band said of a comparison with ``what``: "in line with its group", "lower than expected"."""
        return f"{self.words} {what}" if self is Band.WITHIN else self.words


BAND_WORDS = {
    Band.ABOVE: "higher than expected",
    Band.WITHIN: "in line with",
    Band.BELOW: "lower than expected",
}


@dataclass(frozen=True)
class Lines:
    """The unweighted mean of the forces compared and the dotted lines one SD either side."""

    mean: float
    sd: float
    n: int

    @property
    def lower(self) -> float:
        return self.mean - self.sd

    @property
    def upper(self) -> float:
        return self.mean + self.sd


def band_lines(values: Iterable[float | None]) -> Lines:
    """Mean and standard deviation of the forces compared (missing values left out)."""
    xs = _finite(values, "band_lines")
    return Lines(unweighted_mean(xs), standard_deviation(xs), len(xs))


def as_printed(x: float, decimals: int | None) -> float:
    """``x`` rounded half-up to ``decimals`` places, as the report prints it (unchanged when ``None``).

    Comparisons are made on printed figures (see "About the data"), so that no sentence, table or
    chart label can show a value and a line that contradict the word next to them.
    """
    if decimals is None or is_missing(x):
        return x
    return float(round_half_up(x, decimals))


def band(value: float, lines: Lines, decimals: int | None = None) -> Band:
    """Classify a force value: more than one SD above the mean, more than one SD below, or within.

    A value exactly on a line is within it: "more than one standard deviation" is strict. With
    ``decimals``, the value and the lines are compared as printed at that precision, so a value that
    prints the same as a line is within the lines.
    """
    if is_missing(value):
        raise MethodError("band: the force value is missing")
    v = as_printed(value, decimals)
    if v > as_printed(lines.upper, decimals):
        return Band.ABOVE
    if v < as_printed(lines.lower, decimals):
        return Band.BELOW
    return Band.WITHIN


class Standard(str, Enum):
    """A force value against a fixed national standard (for example 90 percent of 999 calls)."""

    MEETS = "meets"
    BELOW = "below"

    @property
    def words(self) -> str:
        return "meets the expected standard" if self is Standard.MEETS else "below the expected standard"


def against_standard(value: float, standard: float, decimals: int | None = None) -> Standard:
    """Whether ``value`` reaches ``standard`` (higher is better; equal meets it).

    With ``decimals``, the value is compared as printed at that precision (see :func:`as_printed`).
    """
    if is_missing(value) or is_missing(standard):
        raise MethodError("against_standard needs a value and a standard")
    return Standard.MEETS if as_printed(value, decimals) >= standard else Standard.BELOW


def decimals_to_show_side(value: float, line: float, decimals: int, most: int = 4) -> int:
    """The fewest places, from ``decimals``, at which ``value`` prints on the same side of ``line`` as it is.

    89.74 against a standard of 90 prints "90" at no places, which would contradict "below the
    standard"; at one place it prints "89.7". Used where a value is printed next to a standard.
    """
    d = decimals
    while d < most and (as_printed(value, d) >= line) != (value >= line):
        d += 1
    return d


@dataclass(frozen=True)
class SampleEstimate:
    """A proportion estimated from an inspection sample, in percent, with its 95% interval."""

    k: int
    n: int
    percent: float
    half_width: float  # percentage points

    @property
    def low(self) -> float:
        return max(0.0, self.percent - self.half_width)

    @property
    def high(self) -> float:
        return min(100.0, self.percent + self.half_width)


def _check_sample(k: int, n: int) -> None:
    if isinstance(k, bool) or isinstance(n, bool) or not isinstance(k, int) or not isinstance(n, int):
        raise MethodError(f"a sample needs whole numbers k and n, got k={k!r}, n={n!r}")
    if n <= 0:
        raise MethodError(f"a sample needs n > 0, got n={n}")
    if not 0 <= k <= n:
        raise MethodError(f"a sample needs 0 <= k <= n, got k={k}, n={n}")


def sample_estimate(k: int, n: int, z: float = Z_95) -> SampleEstimate:
    """Proportion ``k/n`` with its normal-approximation (Wald) confidence interval.

    This is the interval PEEL reports quote: 265 of 280 records gives 94.6 percent,
    plus or minus 2.6 percentage points.
    """
    _check_sample(k, n)
    p = k / n
    return SampleEstimate(k, n, 100.0 * p, 100.0 * z * math.sqrt(p * (1.0 - p) / n))


@dataclass(frozen=True)
class ChangeTest:
    """Two-proportion z-test of a change between two inspection samples."""

    difference: float  # percentage points, later minus earlier
    z: float
    p_value: float
    significant: bool

    @property
    def words(self) -> str:
        if not self.significant:
            return "not a statistically significant change"
        return ("a statistically significant improvement" if self.difference > 0
                else "a statistically significant deterioration")


def change_test(k_now: int, n_now: int, k_before: int, n_before: int, alpha: float = 0.05) -> ChangeTest:
    """Is the change from an earlier sample proportion to a later one significant?

    Uses the two-sided two-proportion z-test with the pooled proportion under the null hypothesis
    (as ``statsmodels.stats.proportion.proportions_ztest`` does). When both samples are all-or-
    nothing the same way there is no variance and no evidence of change.
    """
    _check_sample(k_now, n_now)
    _check_sample(k_before, n_before)
    p1, p2 = k_now / n_now, k_before / n_before
    pp = (k_now + k_before) / (n_now + n_before)
    var = pp * (1 - pp) * (1 / n_now + 1 / n_before)
    diff = 100.0 * (p1 - p2)
    if var == 0:
        return ChangeTest(diff, 0.0, 1.0, False)
    z = (p1 - p2) / math.sqrt(var)
    p_value = 2.0 * (1.0 - NormalDist().cdf(abs(z)))
    return ChangeTest(diff, z, p_value, p_value < alpha)


class Trend(str, Enum):
    """Direction of a measure over the periods available."""

    RISING = "rising"
    FALLING = "falling"
    STABLE = "stable"


def trend(values: Sequence[float | None], tolerance: float = TREND_TOLERANCE) -> Trend | None:
    """Direction of a series in time order, or ``None`` when there is no trend to state.

    The rule (stated in "About the data"): with at least three values,

    * **stable** when every value is within ``tolerance`` (a share) of their average;
    * **rising** when each value is higher than the one before, **falling** when each is lower;
    * otherwise ``None``: the series changed direction, and no trend is stated.

    ``None`` too when fewer than three values are available.
    """
    xs = [float(v) for v in values if v is not None and not is_missing(v)]
    if len(xs) < 3:
        return None
    avg = statistics.fmean(xs)
    tol = tolerance * abs(avg)
    if all(abs(x - avg) <= tol for x in xs):
        return Trend.STABLE
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    if all(s > 0 for s in steps):
        return Trend.RISING
    if all(s < 0 for s in steps):
        return Trend.FALLING
    return None


@dataclass(frozen=True)
class ReserveRange:
    """The general reserve a force would prudently hold: 2 to 3 percent of its annual budget."""

    low: float
    high: float


def prudent_reserve(budget: float, low_share: float = 0.02, high_share: float = 0.03) -> ReserveRange:
    """2 to 3 percent of the annual budget: GBP 4.5 billion gives GBP 90m to GBP 135m."""
    if is_missing(budget) or budget < 0:
        raise MethodError(f"prudent_reserve: budget must be a non-negative number, got {budget!r}")
    return ReserveRange(budget * low_share, budget * high_share)


def difference(larger: float, smaller: float, what: str = "difference") -> float:
    """``larger - smaller``: a budget gap (requirement minus funding) or a shortfall (target minus achieved)."""
    if is_missing(larger) or is_missing(smaller):
        raise MethodError(f"{what}: needs two numbers")
    return float(larger) - float(smaller)


def budget_gap(requirement: float, funding: float) -> float:
    """Budget requirement minus expected funding (positive when funding falls short)."""
    return difference(requirement, funding, "budget_gap")


def shortfall(target: float, achieved: float) -> float:
    """Target minus achieved (for example officers allocated by the Uplift Programme minus recruited)."""
    return difference(target, achieved, "shortfall")
