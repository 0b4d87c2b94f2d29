"""Inspection inputs for the demonstration dataset, one YAML-ready mapping per force.

The demonstration generator (``peel demo-data``) writes ``params/<force_id>.yaml`` from
:func:`demo_inputs`. The Metropolitan Police Service gets a complete set: its published grades and
figures, with findings and a summary written in the project's own words
(``demo/metropolitan.yaml``). Every other force gets a clearly marked demonstration draft:
the areas of a PEEL 2023–2025 inspection, the grades published for it where they are known
(``demo/published_grades.yaml``) and no findings; graded areas without a known grade are shown
as "not yet graded". One draft, West Midlands Police's, has a single finding written for the
demonstration: the comparison with a most similar group (:mod:`peel.demo.groups`).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from peel.demo.groups import GROUP_DEMO_AREA, GROUP_DEMO_FINDING, GROUP_DEMO_FORCE
from peel.inputs.areas import load_report
from peel.inputs.forces import Force
from peel.paths import notebooks_dir

#: The inspection the demonstration inputs belong to.
INSPECTION_NAME = "PEEL 2023–2025"

#: The force with complete demonstration inputs, and where they are kept.
COMPLETE_FORCE = "metropolitan"
HERE = Path(__file__).resolve().parent
COMPLETE_INPUTS = HERE / "metropolitan.yaml"

PUBLISHED_GRADES = HERE / "published_grades.yaml"

#: Areas of a standard PEEL 2023–2025 inspection: the victim service assessment and eight graded
#: areas. A force whose published grades include another area (crime data integrity) has it too.
STANDARD_AREAS = (
    "victim_service_assessment",
    "police_powers",
    "preventing_crime",
    "responding_to_the_public",
    "investigating_crime",
    "protecting_vulnerable_people",
    "managing_offenders",
    "workforce",
    "leadership_and_force_management",
)


@lru_cache(maxsize=1)
def _published() -> dict[str, Any]:
    with PUBLISHED_GRADES.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


@lru_cache(maxsize=1)
def _complete() -> dict[str, Any]:
    with COMPLETE_INPUTS.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def published_grades(force_id: str) -> dict[str, str]:
    """Grades published for a force, by area id (empty when none are known)."""
    entry = _published().get(force_id) or {}
    return dict(entry.get("grades") or {})


def published_date(force_id: str) -> str | None:
    """When the force's inspection report was published, as written (``"2025-01-29"``), if known."""
    entry = _published().get(force_id) or {}
    value = entry.get("published")
    return None if value is None else str(value)


def demo_inputs(force: Force) -> dict[str, Any]:
    """The demonstration inspection inputs for ``force``, ready to be written as YAML.

    Parameters
    ----------
    force
        One of the 43 forces.

    Returns
    -------
    dict
        A mapping following the ``params/<force_id>.yaml`` schema (``params/README.md``), marked
        ``demonstration: true``; a draft (``draft: true``, no findings) for every force but the
        Metropolitan Police Service. Areas are in report order. A fresh copy on every call.
    """
    if force.id == COMPLETE_FORCE:
        inputs = copy.deepcopy(_complete())
        inputs["force"] = force.id
        return inputs

    grades = published_grades(force.id)
    area_ids = set(STANDARD_AREAS) | set(grades)
    order = load_report(notebooks_dir(), check_notebooks=False).ids
    areas: dict[str, dict[str, Any]] = {}
    for area_id in sorted(area_ids, key=lambda a: order.index(a) if a in order else len(order)):
        areas[area_id] = {"grade": grades[area_id]} if area_id in grades else {}
    if force.id == GROUP_DEMO_FORCE:
        areas[GROUP_DEMO_AREA]["findings"] = [copy.deepcopy(GROUP_DEMO_FINDING)]

    inspection: dict[str, str] = {"name": INSPECTION_NAME}
    published = published_date(force.id)
    if published is not None:
        inspection["published"] = published

    return {
        "force": force.id,
        "demonstration": True,
        "draft": True,
        "inspection": inspection,
        "summary": _draft_summary(force, grades),
        "areas": areas,
    }


def _draft_summary(force: Force, grades: dict[str, str]) -> str:
    graded = [a for a in STANDARD_AREAS if a != "victim_service_assessment"] + \
        [a for a in grades if a not in STANDARD_AREAS]
    if not grades:
        about_grades = "No graded judgments are included: every graded area is shown as not yet graded."
    elif all(a in grades for a in graded):
        about_grades = ("The graded judgments shown are those published for the force's PEEL 2023–2025 "
                        "inspection.")
    else:
        about_grades = ("Only some of the graded judgments published for the force's PEEL 2023–2025 inspection "
                        "are included; the other graded areas are shown as not yet graded.")
    if force.id == GROUP_DEMO_FORCE:
        shows = ("No inspection findings have been written for {name}: this report shows the national data "
                 "comparisons, and one finding written for the demonstration that compares the force with its "
                 "most similar group in an illustrative grouping, not a published one.")
    else:
        shows = ("No inspection findings have been written for {name}: this report shows the national data "
                 "comparisons only.")
    return f"**Demonstration draft.** {shows.format(name=force.name)} {about_grades}\n"
