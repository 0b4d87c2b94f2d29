"""The report structure (notebooks/report.yaml) and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from peel.errors import InputError
from peel.inputs.areas import GRADES, load_report
from peel.paths import notebooks_dir

REPORT = notebooks_dir() / "report.yaml"


def _write_report(folder: Path, doc: dict, notebooks: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    if notebooks:
        for area in doc.get("areas", []):
            if isinstance(area, dict) and isinstance(area.get("notebook"), str):
                (folder / area["notebook"]).write_text("{}", encoding="utf-8")
    return folder


def _shipped() -> dict:
    return yaml.safe_load(REPORT.read_text(encoding="utf-8"))


def _problems(folder: Path, **kw) -> list:
    with pytest.raises(InputError) as e:
        load_report(folder, **kw)
    return e.value.problems


def test_grades_are_the_five_point_scale_best_first():
    assert GRADES == ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate")


def test_shipped_report_structure(tmp_path):
    report = load_report(_write_report(tmp_path, _shipped()))
    # The seed report's order: summary, victims, (crime data), the eight graded areas, about the data.
    assert report.ids[0] == "overview" and report.ids[-1] == "about_the_data"
    assert report.ids[1] == "victim_service_assessment"
    assert len(report.graded_ids) == 9  # eight in every inspection plus crime data integrity
    assert "crime_data_integrity" in report.graded_ids
    assert not report.area("victim_service_assessment").graded
    assert report.area("overview").always and report.area("about_the_data").always
    assert "overview" not in report.inspection_area_ids
    assert report.area("police_powers").judgment.startswith("using police powers")
    assert report.title == "PEEL 2023–2025"


def test_missing_notebook_is_a_problem_naming_the_key(tmp_path):
    doc = _shipped()
    _write_report(tmp_path, doc, notebooks=False)
    problems = _problems(tmp_path)
    # one problem per area, each naming the notebook that is missing
    assert len(problems) == len(doc["areas"])
    first = problems[0]
    assert first.file.endswith("report.yaml")
    assert first.where == "areas[0] (overview).notebook"
    assert "00_overview.ipynb" in first.message and "not found" in first.message
    # the structure alone can still be read
    assert load_report(tmp_path, check_notebooks=False).ids == [a["id"] for a in doc["areas"]]


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    doc = _shipped()
    doc["areas"][3]["notebok"] = doc["areas"][3].pop("notebook")
    problems = _problems(_write_report(tmp_path, doc))
    messages = {p.where: p.message for p in problems}
    assert "unknown key (did you mean 'notebook'?)" in messages["areas[3] (police_powers).notebok"]
    assert "missing required key" in messages["areas[3] (police_powers).notebook"]


def test_every_problem_is_listed(tmp_path):
    doc = _shipped()
    doc["subtitle"] = ""
    doc["areas"][2]["id"] = doc["areas"][1]["id"]          # duplicate id
    doc["areas"][4]["graded"] = "yes"                      # wrong type
    del doc["areas"][5]["judgment"]                        # graded area without its words
    doc["areas"][6]["notebook"] = "../elsewhere.ipynb"     # not a plain file name
    problems = _problems(_write_report(tmp_path, doc))
    wheres = [p.where for p in problems]
    assert "subtitle" in wheres
    assert "areas[2] (victim_service_assessment).id" in wheres
    assert "areas[4] (preventing_crime).graded" in wheres
    assert "areas[5] (responding_to_the_public).judgment" in wheres
    assert "areas[6] (investigating_crime).notebook" in wheres
    assert len(problems) == 5


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "report.yaml").write_text("title: x\nareas: [\n  - id: a\n", encoding="utf-8")
    (problem,) = _problems(tmp_path)
    assert problem.where.startswith("line ")
    assert "not valid YAML" in problem.message


def test_missing_report_file(tmp_path):
    (problem,) = _problems(tmp_path)
    assert problem.file.endswith("report.yaml") and "not found" in problem.message
