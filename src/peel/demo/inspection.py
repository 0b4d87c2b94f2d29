"""Inspection inputs for the demonstration dataset, one YAML-ready mapping per force.

The demonstration generator (``peel demo-data``) writes ``params/<force_id>.yaml`` from
:func:`demo_inputs`. The Metropolitan Police Service gets a complete set: its published grades and
figures, with findings and a summary written in the project's own words
(``demo/metropolitan.yaml``). Every other force gets a clearly marked demonstration draft:
the areas of a PEEL 2023–2025 inspection, the grades published for it where they are known
(``demo/published_grades.csv``, each with its source) and no findings. A few grades with no source
for their area are shown marked illustrative (``demo/illustrative_grades.yaml``); graded areas with
neither are shown as "not yet graded"; ``demo/PROVENANCE.md`` says where each file comes from. One
draft, West Midlands Police's, has a single finding written for the demonstration: the comparison
with a most similar group (:mod:`peel.demo.groups`).
"""

from __future__ import annotations

import copy
import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from peel.analysis.phrases import number_words
from peel.demo.groups import GROUP_DEMO_AREA, GROUP_DEMO_FINDING, GROUP_DEMO_FORCE
from peel.inputs.areas import load_report
from peel.inputs.forces import Force
from peel.inputs.schemas.inspection import PUBLISHED_PATTERN
from peel.paths import notebooks_dir

#: The inspection the demonstration inputs belong to.
INSPECTION_NAME = "PEEL 2023–2025"

#: The force with complete demonstration inputs, and where they are kept.
COMPLETE_FORCE = "metropolitan"
HERE = Path(__file__).resolve().parent
COMPLETE_INPUTS = HERE / "metropolitan.yaml"

PUBLISHED_GRADES = HERE / "published_grades.csv"
PUBLISHED_SOURCES = HERE / "published_grade_sources.csv"
ILLUSTRATIVE_GRADES = HERE / "illustrative_grades.yaml"

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
def _published() -> dict[str, dict[str, dict[str, str]]]:
    """``{force_id: {area_id: {grade, title, url, published}}}`` from the published grades and their sources."""
    with PUBLISHED_SOURCES.open(encoding="utf-8", newline="") as f:
        titles = {row["source_url"]: row["title"] for row in csv.DictReader(f)}
    out: dict[str, dict[str, dict[str, str]]] = {}
    with PUBLISHED_GRADES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["force_id"], {})[row["area_id"]] = {
                "grade": row["grade"], "title": titles[row["source_url"]], "url": row["source_url"],
                "published": source_date(row["published"])}
    return out


@lru_cache(maxsize=1)
def _illustrative() -> dict[str, Any]:
    with ILLUSTRATIVE_GRADES.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def source_date(written: str) -> str:
    """A source's date as the inputs take it: ``2025-01/02`` (January or February) is ``2025``, and a revised
    grade's ``2024-08-08 (revised)`` is ``2024-08-08``; ``2024/25`` and ISO dates are kept."""
    written = written.removesuffix(" (revised)")
    months = re.fullmatch(r"(\d{4})-\d{2}/\d{2}", written)
    return months.group(1) if months else written


@lru_cache(maxsize=1)
def _complete() -> dict[str, Any]:
    with COMPLETE_INPUTS.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def published_grades(force_id: str) -> dict[str, str]:
    """Grades published for a force, by area id (empty when none are known)."""
    return {area: g["grade"] for area, g in (_published().get(force_id) or {}).items()}


def grade_sources(force_id: str) -> dict[str, dict[str, str]]:
    """Where each of a force's published grades was published: ``{area_id: {title, url, published}}``."""
    return {area: {k: g[k] for k in ("title", "url", "published")}
            for area, g in (_published().get(force_id) or {}).items()}


def illustrative_grades(force_id: str) -> dict[str, str]:
    """Grades the demonstration shows for a force without a source for their area, by area id."""
    return dict(((_illustrative().get(force_id) or {}).get("grades")) or {})


def published_date(force_id: str) -> str | None:
    """When the force's inspection report was published, if its grades' sources agree on a date."""
    dates = {s["published"] for s in grade_sources(force_id).values()}
    # (a source dated only "2024/25" does not date the report itself)
    return dates.pop() if len(dates) == 1 and PUBLISHED_PATTERN.fullmatch(next(iter(dates))) else None


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
    sources = grade_sources(force.id)
    if force.id == COMPLETE_FORCE:
        inputs = copy.deepcopy(_complete())
        inputs["force"] = force.id
        for area_id, area in inputs["areas"].items():
            if area and "grade" in area:
                # the grade's source right after the grade, where a reader of the file looks for it
                grade, rest = area["grade"], {k: v for k, v in area.items() if k != "grade"}
                area.clear()
                area["grade"] = grade
                _mark(area, sources.get(area_id))
                area.update(rest)
        return inputs

    published = published_grades(force.id)
    grades = {**illustrative_grades(force.id), **published}
    area_ids = set(STANDARD_AREAS) | set(grades)
    order = load_report(notebooks_dir(), check_notebooks=False).ids
    areas: dict[str, dict[str, Any]] = {}
    for area_id in sorted(area_ids, key=lambda a: order.index(a) if a in order else len(order)):
        areas[area_id] = {}
        if area_id in grades:
            areas[area_id]["grade"] = grades[area_id]
            _mark(areas[area_id], sources.get(area_id))
    if force.id == GROUP_DEMO_FORCE:
        areas[GROUP_DEMO_AREA]["findings"] = [copy.deepcopy(GROUP_DEMO_FINDING)]

    inspection: dict[str, str] = {"name": INSPECTION_NAME}
    date = published_date(force.id)
    if date is not None:
        inspection["published"] = date

    return {
        "force": force.id,
        "demonstration": True,
        "draft": True,
        "inspection": inspection,
        "summary": _draft_summary(force, published, grades),
        "areas": areas,
    }


def _mark(area: dict[str, Any], source: dict[str, str] | None) -> None:
    """Say where an area's grade comes from: its published source, or that it is illustrative."""
    if source is not None:
        area["grade_source"] = dict(source)
    else:
        area["grade_illustrative"] = True


def _draft_summary(force: Force, published: dict[str, str], grades: dict[str, str]) -> str:
    graded = [a for a in STANDARD_AREAS if a != "victim_service_assessment"] + \
        [a for a in grades if a not in STANDARD_AREAS]
    illustrative = len(grades) - len(published)
    if not grades:
        about_grades = "No graded judgments are included: every graded area is shown as not yet graded."
    elif not illustrative and all(a in grades for a in graded):
        about_grades = ("The graded judgments shown are those published for the force's PEEL 2023–2025 "
                        "inspection, each with its source.")
    else:
        shown = []
        if published:
            one = len(published) == 1
            shown.append(f"{number_words(len(published))} {'is' if one else 'are'} published for the force's "
                         f"PEEL 2023–2025 inspection, with {'its source' if one else 'their sources'}")
        if illustrative:
            one = illustrative == 1
            shown.append(f"{number_words(illustrative)} {'is' if one else 'are'} illustrative, not stated for "
                         f"{'its area' if one else 'their areas'} by a published source")
        rest = len(graded) - len(grades)
        about_grades = (f"Of the graded judgments shown, {', and '.join(shown)}"
                        + (f"; the other {number_words(rest)} graded area{'s are' if rest != 1 else ' is'} "
                           "shown as not yet graded." if rest else "."))
    if force.id == GROUP_DEMO_FORCE:
        shows = ("No inspection findings have been written for {name}: this report shows the national data "
                 "comparisons, and one finding written for the demonstration that compares the force with its "
                 "most similar group in an illustrative grouping, not a published one.")
    else:
        shows = ("No inspection findings have been written for {name}: this report shows the national data "
                 "comparisons only.")
    return f"**Demonstration draft.** {shows.format(name=force.name)} {about_grades}\n"
