"""One measure compared across the 43 forces: the all-forces chart and the sentence's figures.

For the period the catalogue quotes, :func:`compare` works out

* which forces are **compared**: those that supplied a value, minus the measure's ``exclude``
  forces (British Transport Police is never among the 43);
* the **lines**: unweighted mean and standard deviation of the compared forces' values (only for
  ``compare: band``), and each compared force's band;
* the **England and Wales figure**: ``pooled`` over every force that supplied data (excluded forces
  included: their activity is real activity in England and Wales) or the ``mean`` of the compared
  forces;
* for ``compare: group``, the lines of each group of most similar forces the dataset declares
  (:mod:`peel.inputs.groups`): each force is banded against its own group's lines, and
  :meth:`Comparison.seen_by` gives the comparison as one force's report shows it;
* which forces are **missing** (no value), so the report can name them;
* each force's history over the earlier periods of the same length (for the trend) and, when the
  catalogue asks, its latest single month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from peel.inputs.catalogue import Measure
from peel.inputs.dataset import Dataset
from peel.inputs.forces import all_forces
from peel.inputs.groups import Groups
from peel.inputs.periods import Period
from peel.method import (
    Band,
    Lines,
    MethodError,
    Standard,
    Trend,
    against_standard,
    band,
    band_lines,
    is_missing,
    pooled,
    trend,
    unweighted_mean,
)


@dataclass(frozen=True)
class ForceValue:
    """One force's row in a comparison.

    ``value`` is NaN when the force did not supply data; ``included`` says whether the force is
    among those compared; ``excluded_reason`` is the catalogue's reason when it is left out on purpose.
    """

    force_id: str
    force_name: str
    value: float
    numerator: float
    denominator: float
    band: Band | None
    included: bool
    excluded_reason: str | None


@dataclass(frozen=True)
class ForceResult:
    """What the report says about one force on one measure.

    Attributes
    ----------
    value
        The force's value for the quoted period (NaN = not available).
    band
        Above, within or below the lines (``None`` when not compared or the measure has no band).
    standard
        Against the measure's fixed standard (``None`` unless ``compare: standard``).
    rank
        1 = highest value among the forces compared; ``None`` when the force is not compared.
    n_compared
        How many forces were compared.
    is_highest, is_lowest
        Whether the force has the highest (lowest) value of the forces compared.
    trend
        Rising, falling or stable over the periods available (``None`` when the catalogue does not
        ask for a trend or fewer than three periods have a value).
    history
        (period, value) for each period of the same length up to the quoted one, in time order,
        where the force has a value.
    latest_month
        The latest single month with a value (when the catalogue sets ``latest_month``).
    """

    value: float
    band: Band | None
    standard: Standard | None
    rank: int | None
    n_compared: int
    is_highest: bool
    is_lowest: bool
    trend: Trend | None
    history: list[tuple[Period, float]]
    latest_month: tuple[Period, float] | None
    synthetic_history: bool = False

    @property
    def available(self) -> bool:
        """False when the force supplied no value for the quoted period."""
        return not is_missing(self.value)


@dataclass(frozen=True)
class Comparison:
    """A measure compared across the 43 forces for the period the catalogue quotes.

    Attributes
    ----------
    measure
        The catalogue entry.
    period
        The quoted period.
    rows
        One :class:`ForceValue` per force, in reference order.
    lines
        Mean and standard deviation of the compared forces (``compare: band`` only, two or more forces).
    england_and_wales
        The England and Wales figure the catalogue asks for (``None`` for ``none`` or when no force supplied data).
    missing
        Ids of forces that supplied no value, in reference order.
    excluded
        Force id -> reason, for forces left out on purpose (whether or not they supplied data).
    history_periods
        The periods of the same length as the quoted one, up to it, in time order.
    """

    measure: Measure
    period: Period
    rows: tuple[ForceValue, ...]
    lines: Lines | None
    england_and_wales: float | None
    missing: tuple[str, ...]
    excluded: dict[str, str]
    history_periods: tuple[Period, ...] = ()
    _history: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)
    _latest: dict[str, tuple[Period, float] | None] = field(default_factory=dict, repr=False)
    history_england_and_wales: tuple[float | None, ...] = ()
    #: Force id -> the row's note (or ""), for the missing forces whose row in national.csv says they
    #: did not supply the figure; a missing force not here has no row at all (not in the national data).
    not_supplied: dict[str, str] = field(default_factory=dict)
    #: Force id -> (the amount as published, its note), from the catalogue's ``published_numerator``:
    #: the statement gives the published amount and then the note.
    published: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: Force id -> the share of its count the force's figure covers (national.csv's ``coverage``), for the
    #: forces whose row states one; a force not here is taken as complete.
    coverage: dict[str, float] = field(default_factory=dict)
    dataset: Dataset | None = field(default=None, repr=False, compare=False)
    measure_id: str = ""
    #: ``compare: group`` only: the dataset's groups and each group's lines (None: fewer than two compared).
    groups: Groups | None = field(default=None, repr=False, compare=False)
    group_lines: dict[str, Lines | None] = field(default_factory=dict, repr=False)
    #: In a view for one force (:meth:`seen_by`): its group's name and members; ``lines`` are then the group's.
    group: str | None = None
    group_members: tuple[str, ...] = ()

    def left_out_of_history(self) -> dict[Period, tuple[str, ...]]:
        """Each earlier period (of :attr:`history_periods`) whose England and Wales figure leaves out a force
        without a value there, with those forces' names (the quoted period's are named under its chart)."""
        names = {r.force_id: r.force_name for r in self.rows}
        out: dict[Period, tuple[str, ...]] = {}
        for i, p in enumerate(self.history_periods):
            if p == self.period:
                continue
            gone = tuple(names[f] for f in names
                         if i >= len(self._history.get(f, ())) or is_missing(self._history[f][i]))
            if gone:
                out[p] = gone
        return out

    def partial(self, force_id: str) -> float | None:
        """The force's coverage when it is under the measure's completeness rule, else None."""
        rule = getattr(self.measure, "completeness", None)
        share = self.coverage.get(force_id)
        return share if rule is not None and share is not None and share < rule[0] else None

    def seen_by(self, force_id: str) -> Comparison:
        """The comparison as ``force_id``'s report shows it.

        For ``compare: group`` the lines are those of the force's group and :attr:`group` and
        :attr:`group_members` say which group that is; any other comparison is the same for every force.
        """
        if self.measure.compare != "group" or self.groups is None or force_id not in self.groups.of:
            return self
        g = self.groups.group_of(force_id)
        return replace(self, lines=self.group_lines.get(g), group=g, group_members=self.groups.members(g))

    @property
    def group_label(self) -> str | None:
        """The group as the report names it (with "an illustrative grouping..." when it is one), or None."""
        if self.group is None or self.groups is None:
            return None
        return self.groups.label(self.group)

    def _peers(self, force_id: str) -> list[ForceValue]:
        """The forces ``force_id`` is compared with: all compared forces, or those of its group."""
        if self.measure.compare == "group" and self.groups is not None and force_id in self.groups.of:
            members = set(self.groups.members(self.groups.group_of(force_id)))
            return [c for c in self.compared if c.force_id in members]
        return list(self.compared)

    def history_of(self, force_id: str) -> tuple[float, ...]:
        """The force's value in each of :attr:`history_periods` (NaN where it has none)."""
        return self._history.get(force_id, ())

    @property
    def compared(self) -> tuple[ForceValue, ...]:
        """The rows of the forces compared."""
        return tuple(r for r in self.rows if r.included)

    def row(self, force_id: str) -> ForceValue:
        """The row of ``force_id`` (KeyError if it is not one of the 43)."""
        for r in self.rows:
            if r.force_id == force_id:
                return r
        raise KeyError(f"unknown force {force_id!r}: expected one of the 43 ids listed by 'peel forces'")

    def share_outside(self) -> float | None:
        """Share of compared forces outside the lines (the method expects about a third)."""
        banded = [r for r in self.compared if r.band is not None]
        if not banded:
            return None
        return sum(r.band is not Band.WITHIN for r in banded) / len(banded)

    def for_force(self, force_id: str) -> ForceResult:
        """What the report says about ``force_id`` on this measure."""
        r = self.row(force_id)
        compared = [c.value for c in self._peers(force_id)]
        rank = is_hi = is_lo = None
        if r.included:
            rank = 1 + sum(v > r.value for v in compared)
            is_hi = r.value >= max(compared)
            is_lo = r.value <= min(compared)
        std = None
        if self.measure.compare == "standard" and self.measure.standard is not None and not is_missing(r.value):
            std = against_standard(r.value, self.measure.standard, self.measure.decimals)
        series = self._history.get(force_id, ())
        hist = [(p, v) for p, v in zip(self.history_periods, series, strict=False) if not is_missing(v)]
        tr = trend(list(series)) if self.measure.trend else None
        return ForceResult(
            value=r.value, band=r.band, standard=std, rank=rank, n_compared=len(compared),
            is_highest=bool(is_hi), is_lowest=bool(is_lo), trend=tr, history=hist,
            latest_month=self._latest.get(force_id), synthetic_history=self._synthetic_history(force_id, hist),
        )

    def _synthetic_history(self, force_id: str, hist: list[tuple[Period, float]]) -> bool:
        """True when the quoted figure is not synthetic but an earlier one in the history is.

        A report built wholly on synthetic figures says so in its notice; this flags the mix, where a
        trend would otherwise read as published.
        """
        ds = self.dataset
        if ds is None or not hist or ds.is_synthetic(force_id, self.measure_id, self.period):
            return False
        return any(ds.is_synthetic(force_id, self.measure_id, p) for p, _ in hist if p != self.period)

    def table(self) -> pd.DataFrame:
        """The rows as a table: force_id, force_name, value, numerator, denominator, band, included, excluded_reason."""
        return pd.DataFrame.from_records(
            [{"force_id": r.force_id, "force_name": r.force_name, "value": r.value, "numerator": r.numerator,
              "denominator": r.denominator, "band": r.band.value if r.band is not None else None,
              "included": r.included, "excluded_reason": r.excluded_reason} for r in self.rows],
            columns=["force_id", "force_name", "value", "numerator", "denominator", "band", "included",
                     "excluded_reason"],
        )


def _england_and_wales(m: Measure, rows: pd.DataFrame, included: list[bool]) -> float | None:
    have = rows["value"].notna()
    if m.england_and_wales == "none" or not have.any():
        return None
    if m.england_and_wales == "mean":
        vals = [v for v, inc in zip(rows["value"], included, strict=True) if inc]
        return unweighted_mean(vals) if vals else None
    # pooled: every force that supplied data, excluded ones too (only missing forces drop out).
    sub = rows[have]
    try:
        if m.uses_population:
            return pooled(list(sub["numerator"]), list(sub["population"]), m.scale)
        if m.unit == "percent":
            return pooled(list(sub["numerator"]), list(sub["denominator"]), m.scale)
    except MethodError:
        return None
    return float(sub["value"].sum())  # count: the England and Wales total


def _compute(dataset: Dataset, measure_id: str) -> Comparison:
    m = dataset.measure(measure_id)
    rows = dataset.rows(measure_id, m.period)
    forces = all_forces()
    included = [not is_missing(v) and f.id not in m.exclude for f, v in zip(forces, rows["value"], strict=True)]
    compared_values = [float(v) for v, inc in zip(rows["value"], included, strict=True) if inc]
    lines = band_lines(compared_values) if m.compare == "band" and len(compared_values) >= 2 else None
    groups = dataset.groups if m.compare == "group" else None
    group_lines: dict[str, Lines | None] = {}
    if groups is not None:
        # Each group's lines come from its own compared forces, as the band's come from all of them.
        for g in dict.fromkeys(groups.of.values()):
            vals = [float(v) for f, v, inc in zip(forces, rows["value"], included, strict=True)
                    if inc and groups.of.get(f.id) == g]
            group_lines[g] = band_lines(vals) if len(vals) >= 2 else None
    out = []
    for f, inc, (_, r) in zip(forces, included, rows.iterrows(), strict=True):
        own = group_lines.get(groups.of.get(f.id, "")) if groups is not None else lines
        out.append(ForceValue(
            force_id=f.id, force_name=f.name, value=float(r["value"]), numerator=float(r["numerator"]),
            denominator=float(r["denominator"]),
            band=band(float(r["value"]), own, m.decimals) if inc and own else None,
            included=inc, excluded_reason=m.exclude.get(f.id),
        ))
    ew = _england_and_wales(m, rows, included)
    missing = tuple(f.id for f, v in zip(forces, rows["value"], strict=True) if is_missing(v))

    all_periods = dataset.periods(measure_id)
    hist_periods = tuple(p for p in all_periods
                         if p.months == m.period.months and p.is_whole_months == m.period.is_whole_months
                         and p.end <= m.period.end)
    history: dict[str, tuple[float, ...]] = {}
    if hist_periods:
        frame = pd.concat([dataset.values(measure_id, p) for p in hist_periods], axis=1)
        history = {fid: tuple(float(v) for v in vals) for fid, vals in zip(frame.index, frame.to_numpy(), strict=True)}
    history_ew: list[float | None] = []
    if m.trend:
        for p in hist_periods:
            rows_p = dataset.rows(measure_id, p)
            inc_p = [not is_missing(v) and f.id not in m.exclude for f, v in zip(forces, rows_p["value"], strict=True)]
            history_ew.append(_england_and_wales(m, rows_p, inc_p))
    latest: dict[str, tuple[Period, float] | None] = {}
    if m.latest_month_decimals is not None:
        months = [p for p in all_periods if p.is_whole_months and p.months == 1 and p.end <= m.period.end]
        series = {p: dataset.values(measure_id, p) for p in months}
        for f in forces:
            latest[f.id] = None
            for p in reversed(months):
                v = series[p][f.id]
                if not is_missing(v):
                    latest[f.id] = (p, float(v))
                    break
    nat = dataset.national
    explicit = nat[(nat["measure"] == measure_id) & (nat["period"] == m.period.iso)]
    notes = {str(f): " ".join(str(n or "").split())
             for f, n in zip(explicit["force_id"], explicit["note"], strict=True)}
    not_supplied = {f: notes[f] for f in missing if f in notes}
    coverage = {str(f): float(c) for f, c in zip(explicit["force_id"], explicit["coverage"], strict=True)
                if not is_missing(c) and f not in missing}
    # A published amount stands in for a numerator the force has; a force without one states none.
    numerators = {r.force_id: r.numerator for r in out}
    published = {f: v for f, v in getattr(m, "published_numerator", {}).items()
                 if f in numerators and not is_missing(numerators[f])}
    return Comparison(m, m.period, tuple(out), lines, ew, missing, dict(m.exclude), hist_periods, history, latest,
                      history_england_and_wales=tuple(history_ew), not_supplied=not_supplied,
                      published=published, coverage=coverage,
                      dataset=dataset, measure_id=measure_id, groups=groups, group_lines=group_lines)


def compare(dataset: Dataset, measure_id: str) -> Comparison:
    """Compare the 43 forces on ``measure_id`` for the period the catalogue quotes.

    Remembered per dataset, so every notebook and every force built in one process shares the work.

    Raises
    ------
    KeyError
        When the catalogue has no such measure.
    """
    key = ("comparison", measure_id)
    if key not in dataset._cache:
        dataset._cache[key] = _compute(dataset, measure_id)
    return dataset._cache[key]


def area_comparisons(dataset: Dataset, area_id: str) -> list[Comparison]:
    """The comparisons of every measure in ``area_id``, in catalogue order."""
    return [compare(dataset, mid) for mid, m in dataset.catalogue.items() if m.area == area_id]
