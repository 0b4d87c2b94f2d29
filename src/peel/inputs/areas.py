"""The structure of a force report: its areas in report order, and the grading scale.

``notebooks/report.yaml`` declares the areas. Each has the notebook that writes it; an area marked
``graded`` receives one of the five :data:`GRADES`; an area marked ``always`` (the overall summary,
about the data) is in every report and takes no inspection inputs. A force's report includes an
inspection area when the force's inspection inputs (``params/<force>.yaml``) have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from peel.errors import InputError, Problem, problem
from peel.inputs.periods import Period, parse_period
from peel.inputs.schemas.base import key_path, problems_from
from peel.inputs.schemas.report import GradeName, ReportModel, duplicate_ids
from peel.inputs.yamlfile import read_yaml

#: The five-point scale of graded judgments, best first.
GRADES: tuple[str, ...] = get_args(GradeName)

#: Shown in place of a grade for a graded area of a draft that has not been graded yet.
NOT_YET_GRADED = "not yet graded"

REPORT_FILE = "report.yaml"

__all__ = ["GRADES", "NOT_YET_GRADED", "AreaSpec", "ReportSpec", "load_report"]


@dataclass(frozen=True)
class AreaSpec:
    """One area of the report.

    Parameters
    ----------
    id
        Key used in ``params/<force>.yaml`` and the measure catalogue (``police_powers``).
    title
        Section heading.
    judgment
        The words a graded judgment completes ("... is adequate at ``using police powers ...``");
        ``None`` for ungraded areas.
    notebook
        File name of the notebook in ``notebooks/`` that writes the area.
    graded
        True when the area receives a grade on the five-point scale.
    always
        True when the area is in every report whatever the inspection inputs say.
    """

    id: str
    title: str
    judgment: str | None
    notebook: str
    graded: bool = False
    always: bool = False


@dataclass(frozen=True)
class ReportSpec:
    """The report's title block and its areas in report order."""

    title: str
    subtitle: str
    inspectorate: str
    areas: list[AreaSpec]
    #: The span the report's figures should fall in (``reference_period`` in report.yaml), or None.
    reference_period: Period | None = None

    def area(self, area_id: str) -> AreaSpec:
        """The area with this id (``KeyError`` when there is none)."""
        for a in self.areas:
            if a.id == area_id:
                return a
        raise KeyError(area_id)

    @property
    def ids(self) -> list[str]:
        """All area ids, in report order."""
        return [a.id for a in self.areas]

    @property
    def inspection_area_ids(self) -> list[str]:
        """Ids of the areas a force can be inspected on (all but the ``always`` ones), in report order."""
        return [a.id for a in self.areas if not a.always]

    @property
    def graded_ids(self) -> list[str]:
        """Ids of the graded areas, in report order."""
        return [a.id for a in self.areas if a.graded]


def load_report(notebooks_dir: str | Path, check_notebooks: bool = True) -> ReportSpec:
    """Read and validate ``report.yaml`` in ``notebooks_dir``.

    Parameters
    ----------
    notebooks_dir
        The notebooks folder holding ``report.yaml`` and the notebooks it names.
    check_notebooks
        Also require every area's notebook file to exist (the default). Switched off only where the
        structure is needed without the notebooks, such as checking inspection inputs on their own.

    Returns
    -------
    ReportSpec

    Raises
    ------
    InputError
        Listing every problem: unreadable or invalid YAML, unknown or missing keys, wrong types,
        duplicate area ids, and (with ``check_notebooks``) notebooks that do not exist.
    """
    problems: list[Problem] = []
    spec = _parse_report(Path(notebooks_dir), check_notebooks, problems)
    if problems or spec is None:
        raise InputError(problems or [problem(Path(notebooks_dir) / REPORT_FILE, "", "could not be read")])
    return spec


def _parse_report(folder: Path, check_notebooks: bool, problems: list[Problem]) -> ReportSpec | None:
    path = folder / REPORT_FILE
    if not path.is_file():
        problems.append(problem(path, "", "file not found: expected the report structure (title, subtitle, "
                                          "inspectorate, areas) in the notebooks folder"))
        return None
    before = len(problems)
    doc = read_yaml(path, problems, "the report structure")
    if len(problems) > before:
        return None

    listed = doc.get("areas") if isinstance(doc, dict) else None
    entries: list[Any] = listed if isinstance(listed, list) else []

    def place(parts: list[str | int]) -> str:
        # an area is easier to find by its id; the index still says which entry it is
        if len(parts) >= 2 and parts[0] == "areas" and isinstance(parts[1], int) and parts[1] < len(entries):
            raw = entries[parts[1]]
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                rest = key_path(parts[2:])
                return f"areas[{parts[1]}] ({raw['id']})" + ("" if not rest or rest[0] == "[" else ".") + rest
        return key_path(parts)

    model = None
    try:
        model = ReportModel.model_validate(doc, context={"notebooks": folder if check_notebooks else None})
    except ValidationError as e:
        problems.extend(problems_from(e, path, ReportModel, place))
    problems.extend(problem(path, place(list(parts)), message) for parts, message in duplicate_ids(doc))
    if problems or model is None:
        return None
    areas = [AreaSpec(a.id, a.title, a.judgment, a.notebook, a.graded, a.always) for a in model.areas]
    reference = parse_period(model.reference_period) if model.reference_period is not None else None
    return ReportSpec(model.title, model.subtitle, model.inspectorate, areas, reference)
