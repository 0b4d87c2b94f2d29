""""About the data": the published tables a dataset was imported from, and the measures it lacks.

The sources are those ``peel import`` recorded in ``dataset.yaml`` (``sources:``); the measures a
dataset lacks are listed under ``not_available`` in its ``measures.yaml``
(:func:`peel.inputs.catalogue.load_not_available`). Nothing here names a source itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from peel.analysis.comparison import Comparison, ForceValue
from peel.analysis.phrases import force_in_text
from peel.inputs.catalogue import POPULATION_UNITS, load_not_available
from peel.inputs.dataset import CATALOGUE_FILE, Dataset
from peel.inputs.periods import Period
from peel.inputs.provenance import describe_edition, is_edition, source_entries
from peel.method import is_missing


def not_available_measures(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """Measure id -> (title, reason) for the measures the dataset lists as not available."""
    key = "not_available"
    if key not in dataset._cache:
        dataset._cache[key] = load_not_available(dataset.root / CATALOGUE_FILE)
    return dataset._cache[key]


#: The last mid-year of ONS's population estimates rolled forward from the 2011 Census, as this project's
#: population files hold them (not rebased); estimates from the next mid-year on are based on Census 2021.
LAST_2011_BASED_YEAR = 2020

#: Said wherever rates per 1,000 population run across that change of method.
POPULATION_BREAK_NOTE = (
    "The population estimates change method between mid-2020 and mid-2021: those for mid-2021 onwards are "
    "based on Census 2021, while those for mid-2020 and earlier were rolled forward from the 2011 Census and "
    "have not been rebased to Census 2021. A rate per 1,000 population that changes between a period using "
    "the mid-2020 estimate and one using the mid-2021 estimate changes partly because of the new method."
)


def spans_population_break(years: Iterable[int]) -> bool:
    """Whether population estimates of these mid-years lie on both sides of the change of method."""
    ys = set(years)
    return any(y <= LAST_2011_BASED_YEAR for y in ys) and any(y > LAST_2011_BASED_YEAR for y in ys)


def dataset_population_break(dataset: Dataset) -> bool:
    """Whether the dataset's population estimates (``population.csv``) run across the change of method."""
    return spans_population_break(int(y) for y in dataset.population["year"].dropna())


def trend_population_break(comparison: Comparison) -> bool:
    """Whether a measure's trend is a rate per 1,000 population using estimates on both sides of the change."""
    if comparison.measure.unit not in POPULATION_UNITS:
        return False
    return spans_population_break(p.midpoint_year for p in comparison.history_periods)


def published_sources(dataset: Dataset) -> list[dict[str, str]]:
    """The published tables behind the dataset's figures (publication, publisher, file, via, licence).

    Only published tables: the demonstration's synthetic figures have no licence to state.
    """
    return [e for e in source_entries(dataset.info) if e["licence"]]


def published_sources_intro(dataset: Dataset) -> str:
    """The sentence that introduces the table of published sources."""
    if dataset.info.demonstration:
        return "These published sources supply the dataset's real figures; the other figures are synthetic."
    text = ("The national figures were imported from these published tables, unchanged apart from adding up "
            "the rows of each force, year and measure.")
    if any(e["official"] == "no" for e in published_sources(dataset)):
        text += (" Those marked “not official statistics” are tables an analyst supplied that are not official "
                 "statistics; every chart and table of their figures says so.")
    return text


def cited_not_available(dataset: Dataset, cited: Iterable[str]) -> list[tuple[str, str]]:
    """(title, reason) of each measure the findings cite that the dataset lists as not available."""
    listed = not_available_measures(dataset)
    return [listed[m] for m in dict.fromkeys(cited) if m in listed]


# ---------------------------------------------------------------------------------------------
# Synthetic figures, marked where they are shown
# ---------------------------------------------------------------------------------------------
#
# A dataset's notice ("About the data", the cover and every page) is the one place that explains which
# of its figures are synthetic. The markers below only point to it: a sentence, chart or table that
# shows a synthetic figure says so where it is shown, and a published figure beside synthetic ones is
# named with its publication.

#: Where every marker points: the notice, at the end of "About the data".
SEE_NOTICE = "see About the data"


def _source_entry(comparison: Comparison, force_id: str, period: Period) -> dict[str, Any]:
    ds = getattr(comparison, "dataset", None)
    if ds is None:
        return {}
    return ds.info.sources.get(ds.source(force_id, comparison.measure_id or comparison.measure.id, period)) or {}


def figure_is_synthetic(comparison: Comparison, force_id: str, period: Period | None = None) -> bool:
    """Whether the force's figure for ``period`` (default the quoted one) comes from a synthetic source."""
    return _source_entry(comparison, force_id, period or comparison.period).get("table") == "none"


def _publication(comparison: Comparison, force_id: str, period: Period) -> str:
    """The publication a figure was taken from ("" for a synthetic figure or one with no recorded source)."""
    entry = _source_entry(comparison, force_id, period)
    if entry.get("table") == "none":
        return ""
    return " ".join(str(entry.get("publication") or "").split())


def figure_edition(comparison: Comparison, force_id: str, period: Period | None = None) -> dict[str, str]:
    """Where the force's figure for ``period`` (default the quoted one) was published: ``publication`` (as
    its source entry names it), ``edition`` (the date the edition was published, ``YYYY-MM-DD``; empty when
    not dated or not an imported table) and ``edition_file`` (the file of that edition, which with its
    SHA-256 in dataset.yaml tells it from any other; empty when not an imported table)."""
    entry = _source_entry(comparison, force_id, period or comparison.period)
    edition = is_edition(entry)
    return {"publication": " ".join(str(entry.get("publication") or "").split()),
            "edition": str(entry.get("edition") or "") if edition else "",
            "edition_file": str(entry.get("file") or "") if edition else ""}


def editions_shown(comparison: Comparison, periods: Iterable[Period] | None = None) -> str:
    """"Figures from the edition of 27 July 2022 (police-uplift-2022-data.csv.gz).", naming the edition of each
    imported table whose figures a chart shows for these periods (default the quoted one) ("denominators.csv
    (an undated edition)" when it has no date), or "" when none was imported as an edition."""
    ds = getattr(comparison, "dataset", None)
    if ds is None:
        return ""
    spans = list(periods) if periods is not None else [comparison.period]
    found: dict[str, dict[str, Any]] = {}
    for p in spans:
        for r in _shown(comparison):
            sid = ds.source(r.force_id, comparison.measure_id or comparison.measure.id, p)
            entry = ds.info.sources.get(sid)
            if is_edition(entry):
                found.setdefault(sid, entry)
    if not found:
        return ""
    named = [f"the {describe_edition(e)} ({e.get('file') or sid})" if e.get("edition") else
             f"{e.get('file') or sid} (an undated edition)" for sid, e in found.items()]
    return f"Figures from {'; '.join(named)}."


def _shown(comparison: Comparison) -> list[ForceValue]:
    return [r for r in comparison.rows if not is_missing(r.value)]


def any_synthetic(comparison: Comparison, periods: Iterable[Period] | None = None) -> bool:
    """Whether any force's figure shown for these periods (default the quoted one) is synthetic."""
    spans = list(periods) if periods is not None else [comparison.period]
    return any(figure_is_synthetic(comparison, r.force_id, p) for p in spans for r in _shown(comparison))


def figure_source(comparison: Comparison, force_id: str, periods: Iterable[Period] | None = None, *,
                  see: str = SEE_NOTICE) -> str:
    """The source line under a chart or table, saying first whether its figures are synthetic.

    The catalogue's source when no figure shown is synthetic. Otherwise "synthetic demonstration
    figures (see About the data) in place of <the catalogue's source>", then each of the report force's
    figures that is published, with its publication (for the periods given, default the quoted one).
    ``see`` says where the page explains the synthetic figures (a report's About the data by default).
    A figure shown from a source that is not official statistics adds "Not official statistics: figures
    from <its source>" (:func:`not_official_words`).
    """
    spans = list(periods) if periods is not None else [comparison.period]
    text = _synthetic_source(comparison, force_id, spans, see)
    unofficial = not_official_words(comparison, spans)
    return _with_unofficial(text, unofficial) if unofficial else text


def _with_unofficial(text: str, words: str) -> str:
    return f"{text.rstrip().rstrip('.')}. {words[:1].upper()}{words[1:]}."


def _synthetic_source(comparison: Any, force_id: str, spans: list[Any], see: str) -> str:
    m = comparison.measure
    if not any_synthetic(comparison, spans):
        return " ".join(p for p in (str(m.source), editions_shown(comparison, spans)) if p)
    text = f"synthetic demonstration figures ({see}) in place of {m.source}"
    if not force_id:  # no force marked (the national overview): no force's own figure to name
        return text
    style = getattr(m, "period_style", None)
    published: dict[str, list[str]] = {}
    for p in spans:
        pub = _publication(comparison, force_id, p)
        if pub:
            published.setdefault(pub, []).append(p.label(style))
    name = force_in_text(comparison.row(force_id).force_name)
    for pub, labels in published.items():
        when = f" for {labels[0]}" if len(spans) > 1 and len(labels) == 1 else ""
        text += f". {name[:1].upper()}{name[1:]}’s figure{when} is as published in {pub}"
    return text


def sentences_note(comparison: Comparison, force_id: str) -> tuple[str, str] | None:
    """The marker for a measure's sentences about the force, and which sentence it follows, or ``None``.

    Returns ``("last", note)`` when the force's own figure is synthetic (every number in the sentences
    is), ``("comparison", note)`` when the force's figure is published but the figures it is compared
    with are synthetic, and ``None`` when nothing shown is synthetic.
    """
    row = comparison.row(force_id)
    if is_missing(row.value) or getattr(comparison, "dataset", None) is None:
        return None
    if figure_is_synthetic(comparison, force_id):
        return "last", (f"[Synthetic: the figures in these sentences are synthetic demonstration figures, "
                        f"not published statistics ({SEE_NOTICE}).]")
    others = [r for r in _shown(comparison) if r.force_id != force_id]
    if not any(figure_is_synthetic(comparison, r.force_id) for r in others):
        return None
    pub = _publication(comparison, force_id, comparison.period)
    where = f"as published in {pub}" if pub else "not synthetic"
    derived = "the England and Wales average and the lines" if comparison.lines is not None else \
        "the England and Wales average"
    return "comparison", (f"[Synthetic comparison: the force’s figure is {where}; the other forces’ figures, "
                          f"and so {derived}, are synthetic ({SEE_NOTICE}).]")


def table_marker(comparison: Comparison, force_id: str, periods: Iterable[Period] | None = None) -> str | None:
    """The words a data table's caption adds when its figures are synthetic or not official statistics,
    or ``None``.

    "synthetic figures, apart from the Metropolitan Police Service’s figure for November 2023, which is
    published; see About the data": the caption travels with the table to the print annex.
    """
    spans = list(periods) if periods is not None else [comparison.period]
    synthetic = _synthetic_marker(comparison, force_id, spans)
    unofficial = not_official_words(comparison, spans)
    return "; ".join(w for w in (synthetic, unofficial) if w) or None


def _synthetic_marker(comparison: Any, force_id: str, spans: list[Any]) -> str | None:
    if not any_synthetic(comparison, spans):
        return None
    style = getattr(comparison.measure, "period_style", None)
    published = [p.label(style) for p in spans if force_id and _publication(comparison, force_id, p)]
    if not published:
        return f"synthetic figures ({SEE_NOTICE})"
    name = force_in_text(comparison.row(force_id).force_name)
    when = f" for {published[0]}" if len(spans) > 1 and len(published) == 1 else ""
    return f"synthetic figures, apart from {name}’s figure{when}, which is published; {SEE_NOTICE}"


# ---------------------------------------------------------------------------------------------
# Figures that are not official statistics, marked where they are shown
# ---------------------------------------------------------------------------------------------
#
# An analyst's own table ('peel import csv') records whether it is official statistics
# (``official: false`` in its source entry). Like a synthetic figure, a figure from a source that is not
# official statistics says so in words beside the chart and in the caption of its data table.


def not_official_sources(comparison: Any, periods: Iterable[Any] | None = None) -> list[str]:
    """The names (publishers) of the sources that are not official statistics behind the figures shown
    for these periods (default the quoted one), once each, in the order of the forces shown."""
    spans = list(periods) if periods is not None else [comparison.period]
    names: list[str] = []
    for p in spans:
        for r in _shown(comparison):
            entry = _source_entry(comparison, r.force_id, p)
            name = " ".join(str(entry.get("publisher") or "").split())
            if entry.get("official") is False and name not in names:
                names.append(name)
    return names


def not_official_words(comparison: Any, periods: Iterable[Any] | None = None) -> str | None:
    """"not official statistics: figures from Kent Police performance team", or ``None`` when every figure
    shown is official statistics (or synthetic, said by its own marker)."""
    names = not_official_sources(comparison, periods)
    if not names:
        return None
    return f"not official statistics: figures from {'; '.join(names)}"
