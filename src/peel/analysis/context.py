"""A force's report as a notebook sees it: :class:`NotebookContext`.

A notebook makes one with :func:`peel.analysis.present.load`; the functions of :mod:`peel.analysis.present`
draw the parts of an area from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peel.analysis.comparison import Comparison, compare
from peel.analysis.phrases import force_in_text
from peel.inputs.areas import ReportSpec
from peel.inputs.dataset import Dataset
from peel.inputs.forces import Force
from peel.inputs.inspection import AreaInputs, ForceInputs


@dataclass
class NotebookContext:
    """Everything a notebook needs to write its area for one force.

    Attributes
    ----------
    force
        The force the report is about.
    report
        The report's structure (``notebooks/report.yaml``).
    dataset
        The national data.
    inputs
        The force's inspection inputs (``params/<force_id>.yaml``).
    figure_count
        Figures shown so far in this notebook run (figures are numbered from 1 in each run; the
        report stitcher renumbers them across the report).
    """

    force: Force
    report: ReportSpec
    dataset: Dataset
    inputs: ForceInputs
    figure_count: int = 0
    _shown: set[str] = field(default_factory=set, repr=False)
    _records: list[dict] = field(default_factory=list, repr=False)
    _figures: list[dict] = field(default_factory=list, repr=False)

    def take_records(self) -> tuple[list[dict], list[dict]]:
        """The statement and figure records made since the last call (they travel with the output showing them)."""
        out, self._records, figures, self._figures = self._records, [], self._figures, []
        return out, figures

    @property
    def demonstration(self) -> bool:
        """True when the national data or the inspection inputs are for demonstration."""
        return bool(self.dataset.info.demonstration or self.inputs.demonstration)

    @property
    def force_text(self) -> str:
        """The force's name as it reads inside a sentence ("the Metropolitan Police Service")."""
        return force_in_text(self.force.name)

    def area_inputs(self, area_id: str) -> AreaInputs | None:
        """The inspection inputs for an area, or ``None`` when the force was not inspected on it."""
        return self.inputs.area(area_id)

    def next_figure(self) -> int:
        """The number of the next figure in this notebook run."""
        self.figure_count += 1
        return self.figure_count

    def comparison(self, measure_id: str) -> Comparison:
        """The measure compared across forces (computed once per dataset), as this force's report shows it."""
        return compare(self.dataset, measure_id).seen_by(self.force.id)

    def area_measures(self, area_id: str) -> list[str]:
        """Ids of the catalogue measures in an area the force's report shows, in catalogue order (those its
        inputs list under ``measures_not_shown`` left out)."""
        return [mid for mid, m in self.dataset.catalogue.items() if m.area == area_id and mid not in self._hidden]

    def measures_in_report(self) -> list[str]:
        """Ids of every measure the force's report shows (those of the areas it was inspected on, less those
        its inputs leave out)."""
        inspected = set(self.inputs.areas)
        return [mid for mid, m in self.dataset.catalogue.items() if m.area in inspected and mid not in self._hidden]

    @property
    def _hidden(self) -> set[str]:
        return {mid for a in self.inputs.areas.values() for mid in a.measures_not_shown}
