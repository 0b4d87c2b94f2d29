"""What each area reads (peel.pipeline.depends): an edit changes the fingerprints of the areas it touches only."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from peel.inputs.areas import load_report
from peel.inputs.inspection import load_force_inputs
from peel.pipeline.depends import data_fingerprints, params_fingerprint

REPO = Path(__file__).resolve().parents[1]
REPORT = load_report(REPO / "notebooks", check_notebooks=False)


def _areas(fp):
    return {a.id: fp.for_area(a.id, a.always) for a in REPORT.areas}


def _changed(before, after):
    return {k for k in before if before[k] != after[k]}


def test_data_rows_and_catalogue_touch_only_the_areas_showing_the_measure(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("published", "real"))
    before = _areas(data_fingerprints(data))
    # Areas without measures read none of the national rows: their data fingerprint is the same.
    with_measures = {"police_powers", "preventing_crime"}
    assert len({before[a] for a in with_measures}) == 2

    national = data / "national.csv"
    lines = national.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if ",stop_search_rate," in line)
    lines[i] = lines[i].replace(",stop_search_rate,", ",stop_search_rate,", 1).rstrip("\n") + "\n"
    fields = lines[i].split(",")
    fields[3] = fields[3] + "0" if "." in fields[3] else fields[3]  # same value, different text
    lines[i] = ",".join(fields)
    national.write_text("".join(lines), encoding="utf-8")
    after = _areas(data_fingerprints(data))
    assert _changed(before, after) == {"police_powers", "about_the_data"}

    # A new measure in one area: that area (and "About the data") only.
    measures = data / "measures.yaml"
    doc = yaml.safe_load(measures.read_text(encoding="utf-8"))
    doc["measures"]["stop_search_rate_copy"] = dict(doc["measures"]["stop_search_rate"])
    measures.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    again = _areas(data_fingerprints(data))
    assert _changed(after, again) == {"police_powers", "about_the_data"}

    # The dataset's notice: the overview and "About the data", which show it.
    info = data / "dataset.yaml"
    info.write_text(info.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert _changed(again, _areas(data_fingerprints(data))) == {"overview", "about_the_data"}


def test_rows_of_a_measure_the_catalogue_lacks_touch_every_area(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("published", "real"))
    before = _areas(data_fingerprints(data))
    with open(data / "national.csv", "a", encoding="utf-8") as f:
        f.write("kent,not_in_catalogue,2022-04-01/2023-03-31,1,,\n")
    assert _changed(before, _areas(data_fingerprints(data))) == set(before)


def test_a_finding_touches_its_area_and_a_grade_the_overview(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    source = (REPO / "params" / "metropolitan.yaml").read_text(encoding="utf-8")
    path = params / "metropolitan.yaml"

    def prints():
        inputs = load_force_inputs(params, "metropolitan", REPORT)
        return {a.id: params_fingerprint(inputs, a.id, a.always) for a in REPORT.areas}

    path.write_text(source, encoding="utf-8")
    before = prints()
    heading = load_force_inputs(params, "metropolitan", REPORT).areas["police_powers"].findings[0].heading
    assert source.count(heading) == 1
    path.write_text(source.replace(heading, heading + " (edited)"), encoding="utf-8")
    assert _changed(before, prints()) == {"police_powers"}

    grade = load_force_inputs(params, "metropolitan", REPORT).areas["police_powers"].grade
    edited = source.replace("grade: " + grade, "grade: Outstanding", 1)
    assert load_force_inputs  # the first "grade:" of the file is police_powers' (checked below)
    path.write_text(edited, encoding="utf-8")
    assert load_force_inputs(params, "metropolitan", REPORT).areas["police_powers"].grade == "Outstanding"
    assert _changed(before, prints()) == {"police_powers", "overview"}
