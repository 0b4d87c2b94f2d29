"""A force's report as the notebooks see it: :class:`ReportContext` and :func:`load`.

:mod:`peel.analysis.present` draws the parts of an area from a context; it re-exports both names, so
``present.load(...)`` and ``present.ReportContext`` are what notebooks and the API page use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peel import paths
from peel.analysis.comparison import Comparison, compare
from peel.analysis.provenance import not_available_measures
from peel.analysis.wording import force_in_text
from peel.inputs.areas import REPORT_FILE, ReportSpec, load_report
from peel.inputs.dataset import Dataset, load_dataset
from peel.inputs.forces import Force, get_force
from peel.inputs.inspection import AreaInputs, ForceInputs, load_force_inputs


@dataclass
class ReportContext:
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


def _dir(value: str | Path | None, default: Path) -> Path:
    # "" (the notebooks' default) and None both mean the project's own folder.
    return Path(value) if value not in (None, "") else default


#: What :func:`load` read and checked before, keyed by the files' bytes (and what else the check depends
#: on): each of a force's 11 notebooks calls :func:`load` in the same kernel, and a worker's kernel builds
#: many forces, so ``report.yaml`` and the force's inputs would otherwise be parsed and checked 11 times a
#: force (about 0.01 CPU s a time). Keying by content, not modification time, means an edit is always
#: seen; the values are frozen dataclasses nobody changes. Bounded, oldest entry dropped first.
_READ_MEMO: dict[tuple[Any, ...], Any] = {}
_READ_MEMO_SIZE = 64


def _file_bytes(path: Path) -> bytes | None:
    """The file's bytes, or ``None`` when it cannot be read (the loader then says why, uncached)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _remembered(key: tuple[Any, ...] | None, make: Any) -> Any:
    if key is None:
        return make()
    if key in _READ_MEMO:
        return _READ_MEMO[key]
    value = make()  # an InputError propagates and nothing is remembered
    if len(_READ_MEMO) >= _READ_MEMO_SIZE:
        _READ_MEMO.pop(next(iter(_READ_MEMO)))
    _READ_MEMO[key] = value
    return value


def load(force_id: str, data_dir: str | Path | None = "", params_dir: str | Path | None = "",
         notebooks_dir: str | Path | None = "") -> ReportContext:
    """Load the data, the report structure and one force's inspection inputs.

    Parameters
    ----------
    force_id
        The force, as listed by ``peel forces`` (for example ``"metropolitan"``).
    data_dir
        The national data folder; ``""`` means the project's ``data/``.
    params_dir
        The inspection inputs folder; ``""`` means the project's ``params/``.
    notebooks_dir
        The folder holding ``report.yaml``; ``""`` means the project's ``notebooks/``.

    Raises
    ------
    peel.errors.InputError
        For an unknown force id, unusable data or invalid inspection inputs, naming the file, the row
        or key and what was expected.
    """
    force = get_force(force_id, source="force_id parameter")
    notebooks = _dir(notebooks_dir, paths.notebooks_dir())
    report_bytes = _file_bytes(notebooks / REPORT_FILE)
    report_key = None if report_bytes is None else ("report", str(notebooks), report_bytes)
    report = _remembered(report_key, lambda: load_report(notebooks, check_notebooks=False))
    dataset = load_dataset(_dir(data_dir, paths.data_dir()))
    known: dict[str, Any] = {m: None for m in not_available_measures(dataset)}
    known.update(dataset.catalogue)
    params = _dir(params_dir, paths.params_dir())
    inputs_bytes = _file_bytes(params / f"{force.id}.yaml")
    # the check of the inputs depends on the report structure and on each known measure's area too
    areas = tuple((mid, getattr(m, "area", None)) for mid, m in known.items())
    inputs_key = (None if report_key is None or inputs_bytes is None
                  else ("inputs", str(params), force.id, inputs_bytes, report_key, areas))
    inputs = _remembered(inputs_key, lambda: load_force_inputs(params, force.id, report, known))
    return ReportContext(force=force, report=report, dataset=dataset, inputs=inputs)


__all__ = ["ReportContext", "load"]
