"""A force's inspection inputs: grades, the HM Inspector's summary, findings and inspection figures.

Inspectors and analysts write one file per force, ``params/<force_id>.yaml`` (the schema is in
``params/README.md`` and declared in :mod:`peel.inputs.schemas.inspection`). This module reads it into
:class:`ForceInputs`: the declared model checks the file on its own, and the checks here add what needs
other files (the report's areas, the measure catalogue, the file's name). Every problem is listed with
the file, the key path (``areas.police_powers.grade``) and what was expected, so that a typo can never
pass silently into a published report. The figures themselves are in :mod:`peel.inputs.inspection_figures`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from peel.errors import InputError, Problem, problem
from peel.inputs.areas import GRADES, NOT_YET_GRADED, ReportSpec, load_report
from peel.inputs.forces import FORCE_ID_PATTERN, Force, get_force
from peel.inputs.inspection_figures import (
    InspectionFigure,
)
from peel.inputs.schemas.base import problems_from, suggest
from peel.inputs.schemas.inspection import (
    ForceInputsModel,
)
from peel.inputs.yamlfile import SafeLoader, oversized
from peel.inputs.yamlfile import read_yaml as _read_yaml
from peel.numbers import TypedFloat, decimals_of
from peel.paths import notebooks_dir


@dataclass(frozen=True)
class Finding:
    """A finding (or a cause of concern, or an area for improvement) in an area.

    Parameters
    ----------
    heading
        One line, as in the report's contents.
    text
        Markdown.
    figures
        Inspection figures stated in the finding.
    measures
        Ids of catalogue measures (``data/measures.yaml``) whose comparison is shown inside it.
    """

    heading: str
    text: str
    figures: list[InspectionFigure] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)


#: What a demonstration grade rests on, as reports say it after the grade.
PUBLISHED = "published"
ILLUSTRATIVE = "illustrative"


@dataclass(frozen=True)
class GradeSource:
    """Where a published grade was published."""

    title: str
    url: str
    #: As written in the inputs: ``2025-01-29``, ``2025-02``, ``2024`` or ``2024/25``.
    published: str


@dataclass(frozen=True)
class AreaInputs:
    """What the inspection found in one area for one force."""

    id: str
    grade: str | None
    causes_of_concern: list[Finding] = field(default_factory=list)
    areas_for_improvement: list[Finding] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    graded: bool = False
    #: Catalogue measures of the area the force's report does not show.
    measures_not_shown: list[str] = field(default_factory=list)
    #: Where the grade was published, for a demonstration grade reproducing a published one.
    grade_source: GradeSource | None = None
    #: The grade was made up for the demonstration.
    grade_illustrative: bool = False

    @property
    def grade_basis(self) -> str:
        """:data:`PUBLISHED`, :data:`ILLUSTRATIVE`, or "" for a grade the inputs give as the inspection's own
        (or no grade)."""
        if not self.grade:
            return ""
        if self.grade_source is not None:
            return PUBLISHED
        return ILLUSTRATIVE if self.grade_illustrative else ""

    @property
    def grade_label(self) -> str:
        """The grade, "not yet graded" for a graded area of a draft without one, "" when ungraded."""
        if self.grade:
            return self.grade
        return NOT_YET_GRADED if self.graded else ""

    @property
    def measures(self) -> list[str]:
        """Every catalogue measure placed in this area's findings, in order."""
        return [m for f in self.findings for m in f.measures]


@dataclass(frozen=True)
class InspectionInfo:
    """Which inspection the inputs belong to."""

    name: str
    published: str | None = None
    inspector: str | None = None
    #: The title printed under the inspector's name ("HM Inspector of Constabulary").
    inspector_title: str | None = None


@dataclass(frozen=True)
class ForceInputs:
    """A force's inspection inputs, with its areas in report order.

    ``draft`` is true when the file says so or when no area has any findings; a draft's graded
    areas may lack a grade (shown as "not yet graded").
    """

    force: Force
    demonstration: bool
    draft: bool
    inspection: InspectionInfo
    summary: str
    areas: dict[str, AreaInputs]
    path: Path | None = None

    def area(self, area_id: str) -> AreaInputs | None:
        """The inputs for an area, or ``None`` when the force was not inspected on it."""
        return self.areas.get(area_id)

    @property
    def graded_areas(self) -> list[AreaInputs]:
        """The graded areas the force was inspected on, in report order."""
        return [a for a in self.areas.values() if a.graded]


# ---------------------------------------------------------------------------------------------
# Reading the YAML: duplicate keys are errors and floats remember how they were typed
# ---------------------------------------------------------------------------------------------


class _Loader(SafeLoader):
    """Safe YAML loader that refuses duplicate keys (the later one would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                try:
                    key = self.construct_object(key_node, deep=True)
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"found the key {key!r} twice: expected each key once", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    too_long = oversized(node)
    if too_long is not None:
        return too_long
    value = loader.construct_yaml_float(node)
    if math.isfinite(value):
        return TypedFloat(value, decimals_of(str(node.value).replace("_", "")))
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse an inspection inputs file (duplicate keys refused); problems are appended, ``None`` returned."""
    return _read_yaml(path, problems, "a force's inspection inputs", loader=_Loader)


# ---------------------------------------------------------------------------------------------
# Checks that need other files, and the inputs as reports use them
# ---------------------------------------------------------------------------------------------

def _measure_areas(measure_ids: Iterable[str] | Mapping[str, Any] | None) -> dict[str, str | None] | None:
    """Measure id -> its catalogue area (``None`` when unknown), from ids or a catalogue mapping."""
    if measure_ids is None:
        return None
    if isinstance(measure_ids, Mapping):
        out: dict[str, str | None] = {}
        for k, v in measure_ids.items():
            area = v if isinstance(v, str) else getattr(v, "area", None)
            out[str(k)] = area if isinstance(area, str) else None
        return out
    return {str(m): None for m in measure_ids}


def _listed(d: Any, key: str) -> list:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, list) else []


def _context_problems(doc: dict, path: Path, report: ReportSpec, expected_force: str | None,
                      measures: Mapping[str, str | None] | None) -> list[Problem]:
    """Problems only other files reveal: the file's name, the report's areas, the measure catalogue.

    Read from the raw document, so that they are found whatever else is wrong with the file."""
    out: list[Problem] = []

    def bad(where: str, message: str) -> None:
        out.append(problem(path, where, message))

    force_id = doc.get("force")
    # (a force id that is no force's is the model's to report)
    if (isinstance(force_id, str) and FORCE_ID_PATTERN.fullmatch(force_id)
            and expected_force is not None and force_id != expected_force):
        bad("force", f"is '{force_id}' but the file is {path.name}: expected '{expected_force}' "
                     f"(the force must match the file name)")
    listed = doc.get("areas")
    areas: dict[Any, Any] = listed if isinstance(listed, dict) else {}
    draft = doc.get("draft") is True or not any(_listed(a, "findings") for a in areas.values())
    ids = report.inspection_area_ids
    shown: dict[str, str] = {}
    for area_id, raw in areas.items():
        where = f"areas.{area_id}"
        if not isinstance(area_id, str):
            continue  # the model has said so
        if area_id not in report.ids:
            bad(where, f"unknown area{suggest(area_id, ids)}: expected one of {', '.join(ids)}")
            continue
        spec = report.area(area_id)
        if spec.always:
            bad(where, f"'{area_id}' is in every report and takes no inspection inputs: expected one of "
                       f"{', '.join(ids)}")
            continue
        raw = raw if isinstance(raw, dict) else {}
        if raw.get("grade") is not None and not spec.graded:
            bad(f"{where}.grade", f"'{area_id}' is not a graded area: expected no grade")
        elif spec.graded and raw.get("grade") is None and not draft:
            bad(f"{where}.grade", f"missing: a graded area needs one of {', '.join(GRADES)} "
                                  f"(only a draft may leave a graded area not yet graded)")
        lists = [(f"{where}.findings[{i}].measures", _listed(f, "measures"))
                 for i, f in enumerate(_listed(raw, "findings"))]
        lists.append((f"{where}.measures_not_shown", _listed(raw, "measures_not_shown")))
        for here, listed_ids in lists:
            for j, m in enumerate(listed_ids):
                if not isinstance(m, str):
                    continue
                if measures is not None and m not in measures:
                    bad(f"{here}[{j}]", f"unknown measure '{m}'{suggest(m, measures)}: expected a measure id "
                                        f"from data/measures.yaml")
                elif measures is not None and measures[m] not in (None, area_id):
                    bad(f"{here}[{j}]", f"measure '{m}' belongs to the area '{measures[m]}' in "
                                        f"data/measures.yaml: expected a measure of '{area_id}'")
                elif m in shown and shown[m] != here:
                    bad(here, f"measure '{m}' is already in {shown[m]}: expected it in one finding, or "
                              f"in measures_not_shown, not both")
                shown.setdefault(m, here)
    summary = doc.get("summary")
    if not draft and "summary" in doc and (summary is None or isinstance(summary, str) and not summary.strip()):
        bad("summary", "expected the HM Inspector's summary (only a draft may leave it empty)")
    return out


def _inputs(model: ForceInputsModel, path: Path, report: ReportSpec) -> ForceInputs:
    """The validated file as reports use it, with its areas in report order."""
    areas: dict[str, AreaInputs] = {}
    for area_id in report.ids:
        if area_id not in (model.areas or {}):
            continue
        a = (model.areas or {})[area_id]
        notes = [[Finding(n.heading, n.text or "") for n in (getattr(a, key, None) or [])]
                 for key in ("causes_of_concern", "areas_for_improvement")]
        findings = [Finding(f.heading, f.text, [x.figure() for x in f.figures or []], list(f.measures or []))
                    for f in (a.findings if a is not None else None) or []]
        source = a.grade_source if a is not None else None
        areas[area_id] = AreaInputs(area_id, a.grade if a else None, notes[0], notes[1], findings,
                                    report.area(area_id).graded,
                                    list((a.measures_not_shown if a is not None else None) or []),
                                    GradeSource(source.title, source.url, source.published) if source else None,
                                    # a demonstration grade with no source is illustrative, said or not
                                    bool(a is not None and a.grade is not None and source is None
                                         and (a.grade_illustrative or model.demonstration)))
    draft = model.draft or not any(a.findings for a in areas.values())
    i = model.inspection
    info = InspectionInfo(i.name, i.published, i.inspector, i.inspector_title)
    return ForceInputs(get_force(model.force), model.demonstration, draft, info, model.summary or "", areas, path)


def parse_force_inputs(path: str | Path, report: ReportSpec, expected_force: str | None = None,
                       measure_ids: Iterable[str] | Mapping[str, Any] | None = None,
                       ) -> tuple[ForceInputs | None, list[Problem]]:
    """Read and check one inputs file without raising.

    Returns
    -------
    (ForceInputs or None, problems)
        The inputs when there were no problems.
    """
    path = Path(path)
    problems: list[Problem] = []
    doc = read_yaml(path, problems)
    if problems:
        return None, problems
    if doc is None:
        return None, [problem(path, "", "the file is empty: expected force, demonstration, inspection, summary "
                                        "and areas")]
    model = None
    try:
        model = ForceInputsModel.model_validate(doc)
    except ValidationError as e:
        problems.extend(problems_from(e, path, ForceInputsModel))
    if isinstance(doc, dict):
        problems.extend(_context_problems(doc, path, report, expected_force, _measure_areas(measure_ids)))
    if problems or model is None:
        return None, problems
    return _inputs(model, path, report), []


def load_force_inputs(params_dir: str | Path, force_id: str, report: ReportSpec | None = None,
                      measure_ids: Iterable[str] | Mapping[str, Any] | None = None) -> ForceInputs:
    """Load and validate ``params/<force_id>.yaml``.

    Parameters
    ----------
    params_dir
        The folder of inspection inputs.
    force_id
        The force, as listed by ``peel forces``.
    report
        The report structure; read from the default notebooks folder when not given.
    measure_ids
        When given (ids, or a catalogue mapping id -> measure), ``measures:`` entries are checked
        against them as well.

    Returns
    -------
    ForceInputs

    Raises
    ------
    InputError
        Listing every problem in the file, or naming the file that is missing.
    """
    force = get_force(force_id, source="force id")
    if report is None:
        report = load_report(notebooks_dir(), check_notebooks=False)
    path = Path(params_dir) / f"{force.id}.yaml"
    if not path.is_file():
        raise InputError(problem(path, "", f"no inspection inputs for {force.name}: expected this file "
                                           f"(see params/README.md; a force not yet inspected needs a draft)"))
    inputs, problems = parse_force_inputs(path, report, force.id, measure_ids)
    if problems or inputs is None:
        raise InputError(problems or [problem(path, "", "could not be read")])
    return inputs


def check_params(params_dir: str | Path, report: ReportSpec,
                 measure_ids: Iterable[str] | Mapping[str, Any] | None,
                 force_ids: Iterable[str]) -> list[Problem]:
    """Check every ``*.yaml`` file in ``params_dir``; return all problems (empty when all is well).

    Besides each file's content this checks that every file is named after a force and that every
    force in ``force_ids`` has a file (a force not yet inspected has a draft), so that a build of all
    forces cannot fail for want of inputs.
    """
    folder = Path(params_dir)
    if not folder.is_dir():
        return [problem(folder, "", "folder not found: expected the inspection inputs, one <force_id>.yaml per "
                                    "force")]
    known = list(force_ids)
    problems: list[Problem] = []
    found: set[str] = set()
    for path in sorted(folder.iterdir()):
        if path.suffix == ".yml":
            problems.append(problem(path, "", f"expected the extension .yaml: rename it to {path.stem}.yaml"))
            continue
        if path.suffix != ".yaml" or not path.is_file():
            continue  # README.md and the like
        stem = path.stem
        expected: str | None = stem
        if stem not in known:
            problems.append(problem(path, "", f"'{stem}' is not a force id{suggest(stem, known)}: expected "
                                              f"<force_id>.yaml for one of the forces listed by 'peel forces'"))
            expected = None
        else:
            found.add(stem)
        problems.extend(parse_force_inputs(path, report, expected, measure_ids)[1])
    for force_id in known:
        if force_id not in found:
            problems.append(problem(folder / f"{force_id}.yaml", "", "missing: every force needs inspection inputs "
                                    "(a force not yet inspected needs a draft with an empty summary and no findings)"))
    return problems
