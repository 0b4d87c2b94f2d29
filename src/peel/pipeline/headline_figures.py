"""The headline figures of each report: one entry per national measure the report shows.

They are read from the statement records kept beside each report (``OUT/<force>/statements.json``,
:mod:`peel.pipeline.statements_table`), the same records ``statements.csv`` is written from and the report's
sentences were written from, so ``build.json``, the index and the reports cannot disagree: nothing
here computes a figure. A report states several sentences about one measure (its value, how it
compares, its trend); they share one figure, taken from the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from peel.pipeline.statements_table import read_force_statements

#: The fields of a headline figure, as written to ``build.json`` (``value_text`` and ``decimals``
#: say how the report prints it).
FIGURE_FIELDS = ("measure", "period", "value", "value_text", "unit", "decimals", "england_and_wales",
                 "comparison", "source")


def headline_figures(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The figures of a report's measure statements, one per measure and period, in reading order.

    Parameters
    ----------
    records
        A report's statement records (:func:`peel.analysis.statements.measure_records`).

    Returns
    -------
    list of dict
        Each with the keys of :data:`FIGURE_FIELDS`, values exactly as in the records.
    """
    out: list[dict[str, Any]] = []
    seen: set[tuple[Any, Any]] = set()
    for r in records:
        if r.get("kind") != "measure" or not r.get("measure"):
            continue
        key = (r.get("measure"), r.get("period"))
        if key in seen:
            continue
        seen.add(key)
        out.append({name: r.get(name) for name in FIGURE_FIELDS})
    return out


def force_figures(out_dir: Path, force_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """``{force_id: headline figures}`` of the reports now in ``out_dir`` (empty for a force without one)."""
    return {fid: headline_figures(read_force_statements(Path(out_dir), fid)) for fid in force_ids}
