"""The structure of a force report: its areas in report order, and the grading scale.

``notebooks/report.yaml`` declares the areas. Each has the notebook that writes it; an area marked
``graded`` receives one of the five :data:`GRADES`; an area marked ``always`` (the overall summary,
about the data) is in every report and takes no inspection inputs. A force's report includes an
inspection area when the force's inspection inputs (``params/<force>.yaml``) have it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from peel.errors import InputError, Problem, problem
from peel.inputs.yamlfile import read_yaml

#: The five-point scale of graded judgments, best first.
GRADES: tuple[str, ...] = ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate")

#: Shown in place of a grade for a graded area of a draft that has not been graded yet.
NOT_YET_GRADED = "not yet graded"

REPORT_FILE = "report.yaml"

#: Area ids are also keys in the inspection inputs and parts of file names: keep them plain.
AREA_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

_REPORT_KEYS = {"title": True, "subtitle": True, "inspectorate": True, "areas": True}  # key -> required
_AREA_KEYS = {"id": True, "title": True, "judgment": False, "notebook": True, "graded": False, "always": False}


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

    def bad(where: str, message: str) -> None:
        problems.append(problem(path, where, message))

    if not isinstance(doc, dict):
        bad("", "expected a mapping with keys " + ", ".join(_REPORT_KEYS))
        return None
    _check_keys(doc, _REPORT_KEYS, "", bad)
    texts = {}
    for key in ("title", "subtitle", "inspectorate"):
        value = doc.get(key)
        if key in doc and (not isinstance(value, str) or not value.strip()):
            bad(key, f"expected non-empty text, found {value!r}")
        texts[key] = value if isinstance(value, str) else ""

    raw_areas = doc.get("areas")
    areas: list[AreaSpec] = []
    if "areas" in doc and (not isinstance(raw_areas, list) or not raw_areas):
        bad("areas", "expected a non-empty list of areas (id, title, notebook, ...)")
        raw_areas = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_areas or []):
        where = f"areas[{i}]"
        if not isinstance(raw, dict):
            bad(where, f"expected a mapping with keys {', '.join(_AREA_KEYS)}")
            continue
        before = len(problems)
        area_id = raw.get("id")
        if isinstance(area_id, str):
            where = f"areas[{i}] ({area_id})"  # the id helps find the entry; the index says which one
        _check_keys(raw, _AREA_KEYS, where, bad)
        if "id" in raw:
            if not isinstance(area_id, str) or not AREA_ID_PATTERN.fullmatch(area_id):
                bad(f"{where}.id", f"expected a lower-case id such as 'police_powers', found {area_id!r}")
            elif area_id in seen:
                bad(f"{where}.id", f"duplicate area id '{area_id}': expected each area once")
            else:
                seen.add(area_id)
        for key in ("title",):
            if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
                bad(f"{where}.{key}", f"expected non-empty text, found {raw[key]!r}")
        flags = {}
        for key in ("graded", "always"):
            value = raw.get(key, False)
            if not isinstance(value, bool):
                bad(f"{where}.{key}", f"expected true or false, found {value!r}")
                value = False
            flags[key] = value
        if flags["graded"] and flags["always"]:
            bad(where, "an area cannot be both graded and always: graded areas are inspection areas")
        judgment = raw.get("judgment")
        if judgment is not None and (not isinstance(judgment, str) or not judgment.strip()):
            bad(f"{where}.judgment", f"expected non-empty text, found {judgment!r}")
        elif judgment is None and flags["graded"]:
            bad(f"{where}.judgment", "missing: a graded area needs the words its judgment completes, "
                                     "such as 'investigating crime'")
        notebook = raw.get("notebook")
        if "notebook" in raw:
            if not isinstance(notebook, str) or not notebook.endswith(".ipynb") or Path(notebook).name != notebook:
                bad(f"{where}.notebook", f"expected a notebook file name such as '03_police_powers.ipynb', "
                                         f"found {notebook!r}")
            elif check_notebooks and not (folder / notebook).is_file():
                bad(f"{where}.notebook", f"notebook '{notebook}' not found: expected it in {folder}")
        if len(problems) == before:
            areas.append(AreaSpec(area_id, raw["title"], judgment, notebook, flags["graded"], flags["always"]))
    if problems:
        return None
    return ReportSpec(texts["title"], texts["subtitle"], texts["inspectorate"], areas)


def _check_keys(mapping: dict, allowed: dict[str, bool], where: str, bad) -> None:
    """Report unknown keys (with a suggestion) and missing required ones."""
    prefix = f"{where}." if where else ""
    for key in mapping:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), list(allowed), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            bad(f"{prefix}{key}", f"unknown key{suggestion}: expected one of {', '.join(allowed)}")
    for key, required in allowed.items():
        if required and key not in mapping:
            bad(f"{prefix}{key}", "missing required key")
