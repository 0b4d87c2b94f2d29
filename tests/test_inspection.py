"""Per-force inspection inputs: loading, validation, figure sentences and the demonstration inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from reference_text import fingerprint, fingerprints, runs

from peel.demo.groups import GROUP_DEMO_AREA, GROUP_DEMO_FINDING, GROUP_DEMO_FORCE, GROUP_MEASURE
from peel.demo.inspection import demo_inputs, grade_sources, illustrative_grades, published_grades, source_date
from peel.errors import InputError
from peel.inputs.areas import GRADES, NOT_YET_GRADED, load_report
from peel.inputs.forces import all_forces, force_ids, get_force
from peel.inputs.inspection import GradeSource, check_params, load_force_inputs
from peel.inputs.inspection_figures import (
    ChangeFigure,
    ChangePoint,
    DerivedFigure,
    PreviousSample,
    ReportedFigure,
    SampleCountFigure,
    SampleEstimateFigure,
)
from peel.inputs.schemas.inspection import MAX_TEXT_CHARS
from peel.paths import data_dir, notebooks_dir, project_root

REFERENCE = Path(__file__).resolve().parent / "reference"
SEED_FIGURES = REFERENCE / "seed-figures.yaml"
PUBLISHED = REFERENCE / "published-grades.yaml"

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def report():
    return load_report(notebooks_dir(), check_notebooks=False)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    """Measure id -> area, read straight from the shipped catalogue."""
    doc = yaml.safe_load((data_dir() / "measures.yaml").read_text(encoding="utf-8"))
    return {k: v["area"] for k, v in doc["measures"].items()}


def dump(folder: Path, name: str, doc) -> Path:
    path = folder / f"{name}.yaml"
    text = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def minimal() -> dict:
    """A small, complete, valid set of inputs for Kent, written here from the schema."""
    return {
        "force": "kent",
        "demonstration": False,
        "inspection": {"name": "PEEL 2023–2025", "published": "2025-03-01"},
        "summary": "The force has improved since our last inspection.",
        "areas": {
            "police_powers": {
                "grade": "Adequate",
                "areas_for_improvement": [{"heading": "Understand the linked find rate", "text": "Find out why."}],
                "findings": [{
                    "heading": "Officers use stop and search fairly",
                    "text": "Records are checked every day.",
                    "measures": ["stop_search_rate"],
                    "figures": [{
                        "kind": "sample_estimate", "what": "records with reasonable grounds",
                        "period": "1 October 2022 to 30 September 2023", "k": 265, "n": 280,
                        "previous": {"period": "1 October 2020 to 30 September 2021", "k": 205, "n": 270},
                        "says": "{percent} (plus or minus {ci}), {change} on {previous_percent}.",
                    }],
                }],
            },
            "victim_service_assessment": {
                "findings": [{
                    "heading": "Victims' views are sought",
                    "text": "Mostly.",
                    "figures": [{"kind": "sample_count", "k": 109, "n": 128, "says": "{k} of {n} cases."}],
                }],
            },
        },
    }


def problems_for(tmp_path: Path, doc, report, catalogue=None, name: str = "kent") -> list:
    dump(tmp_path, name, doc)
    with pytest.raises(InputError) as e:
        load_force_inputs(tmp_path, name, report, catalogue)
    problems = e.value.problems
    for p in problems:  # every problem names the file
        assert p.file.endswith(f"{name}.yaml"), p
    return problems


def only(problems: list):
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# --- loading --------------------------------------------------------------------------------

def test_minimal_inputs_load_in_report_order(tmp_path, report, catalogue):
    dump(tmp_path, "kent", minimal())
    inputs = load_force_inputs(tmp_path, "kent", report, catalogue)
    assert inputs.force == get_force("kent")
    assert not inputs.draft and not inputs.demonstration
    # the file lists police powers first; the report puts the victim service assessment first
    assert list(inputs.areas) == ["victim_service_assessment", "police_powers"]
    pp = inputs.areas["police_powers"]
    assert pp.grade == "Adequate" and pp.graded and pp.grade_label == "Adequate"
    assert inputs.areas["victim_service_assessment"].grade_label == ""
    assert pp.areas_for_improvement[0].heading == "Understand the linked find rate"
    assert pp.findings[0].measures == ["stop_search_rate"]
    assert inputs.inspection.published == "2025-03-01"
    fig = pp.findings[0].figures[0]
    assert isinstance(fig, SampleEstimateFigure)
    assert fig.sentence() == ("94.6 percent (plus or minus 2.6 percentage points), "
                              "a statistically significant improvement on 75.9 percent.")


def test_unquoted_date_and_year_are_accepted(tmp_path, report):
    text = yaml.safe_dump(minimal(), sort_keys=False, allow_unicode=True).replace("'2025-03-01'", "2025-03-01")
    assert "published: 2025-03-01" in text
    dump(tmp_path, "kent", text)
    assert load_force_inputs(tmp_path, "kent", report).inspection.published == "2025-03-01"
    doc = minimal()
    doc["inspection"]["published"] = 2024
    dump(tmp_path, "kent", doc)
    assert load_force_inputs(tmp_path, "kent", report).inspection.published == "2024"


def test_a_force_without_findings_is_a_draft(tmp_path, report):
    doc = minimal()
    doc["summary"] = ""
    doc["areas"] = {"victim_service_assessment": {}, "police_powers": None, "investigating_crime": {}}
    dump(tmp_path, "kent", doc)
    inputs = load_force_inputs(tmp_path, "kent", report)
    assert inputs.draft
    assert inputs.areas["police_powers"].grade is None
    assert inputs.areas["police_powers"].grade_label == NOT_YET_GRADED == "not yet graded"
    assert [a.id for a in inputs.graded_areas] == ["police_powers", "investigating_crime"]


def test_a_declared_draft_may_leave_grades_out_even_with_findings(tmp_path, report):
    doc = minimal()
    doc["draft"] = True
    del doc["areas"]["police_powers"]["grade"]
    dump(tmp_path, "kent", doc)
    inputs = load_force_inputs(tmp_path, "kent", report)
    assert inputs.draft and inputs.areas["police_powers"].grade_label == NOT_YET_GRADED


def test_typed_precision_is_kept(tmp_path, report):
    doc = minimal()
    doc["areas"]["victim_service_assessment"]["findings"][0]["figures"] = [
        {"kind": "reported", "values": {"share": 94.0, "hours": 1250, "money": 46600000},
         "units": {"share": "percent", "money": "gbp"}, "says": "{share}, {hours} hours, {money}."},
    ]
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    assert "share: 94.0" in text
    dump(tmp_path, "kent", text)
    fig = load_force_inputs(tmp_path, "kent", report).areas["victim_service_assessment"].findings[0].figures[0]
    assert fig.sentence() == "94.0 percent, 1,250 hours, £46.6m."


# --- validation: each kind of mistake names the file, the key and what was expected -----------

def test_invalid_yaml_names_the_line(tmp_path, report):
    p = only(problems_for(tmp_path, "force: kent\nareas:\n  police_powers: [\n    grade: Good\n", report))
    assert re.fullmatch(r"line \d+", p.where)
    assert "not valid YAML" in p.message


def test_duplicate_keys_are_refused_with_the_line(tmp_path, report):
    text = yaml.safe_dump(minimal(), sort_keys=False, allow_unicode=True)
    text = text.replace("    grade: Adequate\n", "    grade: Adequate\n    grade: Good\n")
    p = only(problems_for(tmp_path, text, report))
    assert p.where.startswith("line ")
    assert "'grade' twice" in p.message


def test_force_must_match_the_file_name(tmp_path, report):
    doc = minimal()
    doc["force"] = "essex"
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "force"
    assert "expected 'kent'" in p.message and "file name" in p.message


def test_unknown_force_file_is_named(tmp_path, report, catalogue):
    dump(tmp_path, "kentt", {**minimal(), "force": "kentt"})
    problems = check_params(tmp_path, report, catalogue, ["kent"])
    msgs = [str(p) for p in problems if p.file.endswith("kentt.yaml")]
    assert any("'kentt' is not a force id (did you mean 'kent'?)" in m for m in msgs)
    assert any(p.where == "force" and "unknown force 'kentt'" in p.message for p in problems)
    # and Kent itself has no file
    assert any(p.file.endswith("kent.yaml") and "missing" in p.message for p in problems)


def test_grade_not_on_the_scale(tmp_path, report):
    doc = minimal()
    doc["areas"]["police_powers"]["grade"] = "Excellent"
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.police_powers.grade"
    assert "not on the grading scale" in p.message
    assert "expected one of " + ", ".join(GRADES) in p.message


def test_grade_in_the_wrong_case_gets_a_suggestion(tmp_path, report):
    doc = minimal()
    doc["areas"]["police_powers"]["grade"] = "requires improvement"
    p = only(problems_for(tmp_path, doc, report))
    assert "did you mean 'Requires improvement'?" in p.message


def test_grade_on_an_ungraded_area(tmp_path, report):
    doc = minimal()
    doc["areas"]["victim_service_assessment"]["grade"] = "Good"
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.victim_service_assessment.grade"
    assert "not a graded area: expected no grade" in p.message


def test_graded_area_without_a_grade_outside_a_draft(tmp_path, report):
    doc = minimal()
    del doc["areas"]["police_powers"]["grade"]
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.police_powers.grade"
    assert p.message.startswith("missing") and "Requires improvement" in p.message


def test_summary_is_required_outside_a_draft(tmp_path, report):
    doc = minimal()
    doc["summary"] = "  "
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "summary" and "summary" in p.message


@pytest.mark.parametrize("area, expected", [
    ("polic_powers", "unknown area (did you mean 'police_powers'?)"),
    ("overview", "is in every report and takes no inspection inputs"),
])
def test_unknown_area(tmp_path, report, area, expected):
    doc = minimal()
    doc["areas"][area] = {"grade": "Good"}
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == f"areas.{area}"
    assert expected in p.message and "expected one of victim_service_assessment" in p.message


@pytest.mark.parametrize("path, where", [
    (("inspection", "name"), "inspection.name"),
    (("demonstration",), "demonstration"),
    (("areas", "police_powers", "findings", 0, "heading"), "areas.police_powers.findings[0].heading"),
    (("areas", "police_powers", "findings", 0, "figures", 0, "n"), "areas.police_powers.findings[0].figures[0].n"),
    (("areas", "police_powers", "findings", 0, "figures", 0, "says"),
     "areas.police_powers.findings[0].figures[0].says"),
])
def test_missing_required_field(tmp_path, report, path, where):
    doc = minimal()
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == where
    assert "missing required key" in p.message


@pytest.mark.parametrize("path, value, where, expected", [
    (("demonstration",), "yes", "demonstration", "expected true or false"),
    (("areas", "police_powers", "findings", 0, "figures", 0, "k"), "265",
     "areas.police_powers.findings[0].figures[0].k", "expected a whole number, found the text '265'"),
    (("areas", "police_powers", "findings", 0, "figures", 0, "k"), 265.5,
     "areas.police_powers.findings[0].figures[0].k", "expected a whole number"),
    (("areas", "police_powers", "findings", 0, "text"), ["a", "b"],
     "areas.police_powers.findings[0].text", "expected text, found a list"),
    (("areas", "police_powers", "findings"), {"heading": "x"},
     "areas.police_powers.findings", "expected a list of findings"),
    (("areas",), ["police_powers"], "areas", "expected a mapping of area id"),
    (("inspection", "published"), "last year", "inspection.published", "expected a date of publication"),
])
def test_wrong_type(tmp_path, report, path, value, where, expected):
    doc = minimal()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    problems = problems_for(tmp_path, doc, report)
    assert any(p.where == where and expected in p.message for p in problems), "\n".join(map(str, problems))


@pytest.mark.parametrize("container, typo, suggestion", [
    ((), "sumary", "summary"),
    (("areas", "police_powers"), "grdae", "grade"),
    (("areas", "police_powers", "findings", 0), "figure", "figures"),
    (("areas", "police_powers", "findings", 0, "figures", 0), "previuos", "previous"),
])
def test_unknown_keys_are_refused_with_a_suggestion(tmp_path, report, container, typo, suggestion):
    doc = minimal()
    node = doc
    for key in container:
        node = node[key]
    node[typo] = "x"
    problems = problems_for(tmp_path, doc, report)
    prefix = ".".join(f"[{k}]" if isinstance(k, int) else k for k in container).replace(".[", "[")
    where = f"{prefix}.{typo}" if prefix else typo
    assert any(p.where == where and f"unknown key (did you mean '{suggestion}'?)" in p.message
               for p in problems), "\n".join(map(str, problems))


def test_unknown_placeholder_names_the_key_and_the_choices(tmp_path, report):
    doc = minimal()
    fig = doc["areas"]["police_powers"]["findings"][0]["figures"][0]
    fig["says"] = "{percnt} of records."
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.police_powers.findings[0].figures[0].says"
    assert "unknown placeholder {percnt} (did you mean 'percent'?)" in p.message
    assert "{ci}" in p.message and "{change}" in p.message


def test_placeholder_that_needs_an_optional_key(tmp_path, report):
    doc = minimal()
    fig = doc["areas"]["police_powers"]["findings"][0]["figures"][0]
    del fig["previous"]
    fig["says"] = "{percent}, {change}."
    p = only(problems_for(tmp_path, doc, report))
    assert "unknown placeholder {change} (it needs the key 'previous')" in p.message


def test_says_must_state_a_number_and_braces_must_balance(tmp_path, report):
    doc = minimal()
    figs = doc["areas"]["police_powers"]["findings"][0]["figures"]
    figs.append({"kind": "sample_count", "k": 1, "n": 2, "says": "Half of them."})
    figs.append({"kind": "sample_count", "k": 1, "n": 2, "says": "{k of {n}"})
    figs.append({"kind": "sample_count", "k": 1, "n": 2, "says": "{percent:.3f} of them"})
    problems = problems_for(tmp_path, doc, report)
    where = "areas.police_powers.findings[0].figures[{}].says"
    assert [p.where for p in problems] == [where.format(1), where.format(2), where.format(3)]
    assert "states none of the figure's numbers" in problems[0].message
    assert "unbalanced braces" in problems[1].message
    assert "has a format ('.3f'): expected a plain {percent}" in problems[2].message


def test_k_larger_than_n(tmp_path, report):
    doc = minimal()
    doc["areas"]["police_powers"]["findings"][0]["figures"][0]["previous"]["k"] = 271
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.police_powers.findings[0].figures[0].previous.k"
    assert "k (271) is larger than n (270)" in p.message


@pytest.mark.parametrize("figure, key, expected", [
    ({"kind": "reported", "values": {"hours": -5}, "says": "{hours}"}, "values.hours", "must not be negative"),
    ({"kind": "sample_count", "k": -1, "n": 5, "says": "{k}"}, "k", "must not be negative"),
    ({"kind": "sample_count", "k": 0, "n": 0, "says": "{k}"}, "n", "greater than 0"),
    ({"kind": "change", "from": {"label": "2022", "value": -57}, "to": {"label": "2024", "value": 13.4},
      "says": "{from}"}, "from.value", "must not be negative"),
    ({"kind": "derived", "rule": "budget_gap", "requirement": 4.1e9, "funding": 4.5e9, "says": "{gap}"},
     "funding", "no gap to state"),
    ({"kind": "derived", "rule": "shortfall", "target": 10, "achieved": 12, "says": "{shortfall}"},
     "achieved", "no shortfall to state"),
    ({"kind": "derived", "rule": "reserve", "budget": 1, "says": "{low}"}, "rule", "expected one of prudent_reserve"),
    ({"kind": "estimate", "says": "{k}"}, "kind", "expected one of sample_estimate"),
    ({"kind": "reported", "values": {"share": 5}, "units": {"share": "percentage"}, "says": "{share}"},
     "units.share", "(did you mean 'percent'?)"),
    ({"kind": "reported", "values": {"share": float("nan")}, "says": "{share}"}, "values.share",
     "expected a number"),
])
def test_bad_numbers_in_figures(tmp_path, report, figure, key, expected):
    doc = minimal()
    doc["areas"]["victim_service_assessment"]["findings"][0]["figures"] = [figure]
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == f"areas.victim_service_assessment.findings[0].figures[0].{key}"
    assert expected in p.message


def test_unknown_measure_and_measure_of_another_area(tmp_path, report, catalogue):
    doc = minimal()
    doc["areas"]["police_powers"]["findings"][0]["measures"] = ["stop_serch_rate", "asb_incident_rate"]
    problems = problems_for(tmp_path, doc, report, catalogue)
    assert len(problems) == 2
    assert problems[0].where == "areas.police_powers.findings[0].measures[0]"
    assert "unknown measure 'stop_serch_rate' (did you mean 'stop_search_rate'?)" in problems[0].message
    assert problems[1].where == "areas.police_powers.findings[0].measures[1]"
    assert "belongs to the area 'preventing_crime'" in problems[1].message


def test_measures_not_shown_are_checked_and_left_out_of_the_area(tmp_path, report, catalogue):
    doc = minimal()
    doc["areas"]["police_powers"]["measures_not_shown"] = ["linked_find_rate"]
    dump(tmp_path, "kent", doc)
    inputs = load_force_inputs(tmp_path, "kent", report, catalogue)
    assert inputs.area("police_powers").measures_not_shown == ["linked_find_rate"]

    doc["areas"]["police_powers"]["measures_not_shown"] = ["linkd_find_rate", "asb_incident_rate",
                                                           "stop_search_rate"]
    problems = problems_for(tmp_path, doc, report, catalogue)
    where = "areas.police_powers.measures_not_shown"
    assert [p.where for p in problems] == [f"{where}[0]", f"{where}[1]", where], "\n".join(map(str, problems))
    assert "unknown measure 'linkd_find_rate' (did you mean 'linked_find_rate'?)" in problems[0].message
    assert "belongs to the area 'preventing_crime'" in problems[1].message
    assert ("measure 'stop_search_rate' is already in areas.police_powers.findings[0].measures: expected it in "
            "one finding, or in measures_not_shown, not both") in problems[2].message

    doc["areas"]["police_powers"]["measures_not_shown"] = ["linked_find_rate", "linked_find_rate"]
    assert "is listed twice" in only(problems_for(tmp_path, doc, report, catalogue)).message


def test_very_long_text_is_refused_and_the_cap_stated(tmp_path, report):
    doc = minimal()
    doc["areas"]["police_powers"]["findings"][0]["text"] = "x" * (MAX_TEXT_CHARS + 1)
    p = only(problems_for(tmp_path, doc, report))
    assert p.where == "areas.police_powers.findings[0].text"
    assert "expected at most 20,000" in p.message
    doc["areas"]["police_powers"]["findings"][0]["text"] = "x" * MAX_TEXT_CHARS
    dump(tmp_path, "kent", doc)
    load_force_inputs(tmp_path, "kent", report)


def test_all_problems_are_listed_not_just_the_first(tmp_path, report, catalogue):
    doc = minimal()
    doc["demonstration"] = "no"
    doc["areas"]["police_powers"]["grade"] = "Great"
    doc["areas"]["police_powers"]["findings"][0]["figures"][0]["k"] = 281
    doc["areas"]["victim_service_assessment"]["findings"][0]["figures"][0]["says"] = "{x}"
    doc["areas"]["workforce"] = {"grade": "Good", "findngs": []}
    dump(tmp_path, "kent", doc)
    with pytest.raises(InputError) as e:
        load_force_inputs(tmp_path, "kent", report, catalogue)
    wheres = [p.where for p in e.value.problems]
    assert wheres == [
        "demonstration",
        "areas.police_powers.grade",
        "areas.police_powers.findings[0].figures[0].k",
        "areas.victim_service_assessment.findings[0].figures[0].says",
        "areas.workforce.findngs",
    ]
    assert e.value.render().startswith("5 problems found:")
    # check_params lists the same problems for the folder
    assert [p.where for p in check_params(tmp_path, report, catalogue, ["kent"])] == wheres


def test_missing_file_and_bad_force_id(tmp_path, report):
    with pytest.raises(InputError) as e:
        load_force_inputs(tmp_path, "kent", report)
    assert "no inspection inputs for Kent Police" in str(e.value)
    with pytest.raises(InputError):
        load_force_inputs(tmp_path, "../kent", report)


def test_check_params_folder_rules(tmp_path, report, catalogue):
    dump(tmp_path, "kent", minimal())
    (tmp_path / "README.md").write_text("# notes\n", encoding="utf-8")  # other files are ignored
    assert check_params(tmp_path, report, catalogue, ["kent"]) == []
    (tmp_path / "essex.yml").write_text("force: essex\n", encoding="utf-8")
    (p,) = check_params(tmp_path, report, catalogue, ["kent"])
    assert p.file.endswith("essex.yml") and "expected the extension .yaml" in p.message
    assert "not found" in check_params(tmp_path / "nowhere", report, catalogue, ["kent"])[0].message


# --- figures: every kind states its numbers via peel.method and peel.numbers ---------------------

def test_change_and_derived_figures():
    attrition = ChangeFigure(unit="percent", start=_point("2022", 57), end=_point("February 2024", 13.4),
                             says="from {from} in {from_label} to {to} in {to_label}, {direction} of {difference}")
    assert attrition.sentence() == ("from 57 percent in 2022 to 13.4 percent in February 2024, "
                                    "a reduction of 43.6 percentage points")
    assert attrition.values()["difference"] == pytest.approx(13.4 - 57)
    rising = ChangeFigure(start=_point("a", 10), end=_point("b", 1210), says="{direction} of {difference}")
    assert rising.sentence() == "an increase of 1,200"
    reserve = DerivedFigure(rule="prudent_reserve", inputs={"budget": 4_500_000_000, "held": 46_600_000},
                            says="{held} against {low} to {high} of {budget}")
    assert reserve.sentence() == "£46.6m against £90m to £135m of £4.5 billion"
    assert reserve.values()["low"] == pytest.approx(0.02 * 4.5e9)
    gap = DerivedFigure(rule="budget_gap", inputs={"requirement": 4_500_000_000, "funding": 4_100_000_000},
                        says="{gap}")
    assert gap.sentence() == "£400m"
    uplift = DerivedFigure(rule="shortfall", unit="count", inputs={"target": 4557, "achieved": 3468},
                           says="{shortfall}")
    assert uplift.sentence() == "1,089" and uplift.values()["shortfall"] == 4557 - 3468
    count = SampleCountFigure(k=28, n=41, says="{k} of {n} ({percent})")
    assert count.sentence() == f"28 of 41 ({100 * 28 / 41:.1f} percent)"
    reported = ReportedFigure(numbers={"bail": 350.1, "rui": 36.7}, says="{bail} and {rui}")
    assert reported.sentence() == "350.1 and 36.7" and reported.values() == {"bail": 350.1, "rui": 36.7}


def _point(label, value):
    return ChangePoint(label=label, value=value)


def test_sample_estimate_without_a_significant_change():
    fig = SampleEstimateFigure(k=50, n=100, previous=None, says="{percent}")
    assert fig.sentence() == "50.0 percent"
    same = SampleEstimateFigure(k=50, n=100, says="{change}", previous=PreviousSample(k=48, n=100))
    assert same.sentence() == "not a statistically significant change"


# --- the demonstration inputs ------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, report, catalogue):
    """Every force's demonstration inputs written as the generator writes them."""
    folder = tmp_path_factory.mktemp("params")
    for force in all_forces():
        dump(folder, force.id, demo_inputs(force))
    return folder


def test_demonstration_inputs_pass_validation(demo_dir, report, catalogue):
    assert check_params(demo_dir, report, catalogue, force_ids()) == []


def test_demo_inputs_are_fresh_copies():
    met = get_force("metropolitan")
    first = demo_inputs(met)
    first["areas"].clear()
    assert demo_inputs(met)["areas"]


def test_met_inputs_are_complete_and_carry_the_published_grades(demo_dir, report, catalogue):
    seed = yaml.safe_load(SEED_FIGURES.read_text(encoding="utf-8"))
    met = load_force_inputs(demo_dir, "metropolitan", report, catalogue)
    assert met.demonstration and not met.draft
    assert met.inspection.name == "PEEL 2023–2025"
    assert met.summary.strip()
    # the seed's nine areas, in report order, every one with findings
    assert list(met.areas) == [i for i in report.inspection_area_ids if i != "crime_data_integrity"]
    assert all(a.findings for a in met.areas.values())
    assert {a.id: a.grade for a in met.graded_areas} == seed["grades"]
    assert len(met.graded_areas) == seed["graded_areas"]
    # each catalogue measure is placed inside a finding of its own area, but the demonstration's group
    # measure, which the published report has no chart of: it is left out of the Met's report
    for measure, area in catalogue.items():
        if measure == GROUP_MEASURE:
            assert met.areas[area].measures_not_shown == [measure] and measure not in met.areas[area].measures
        else:
            assert measure in met.areas[area].measures, measure
    # causes of concern where the published report has them
    for area in ("responding_to_the_public", "investigating_crime", "managing_offenders"):
        assert met.areas[area].causes_of_concern


def test_met_findings_are_not_copied_from_the_published_report(demo_dir, report):
    """Our own words: no run of ten words is shared with the published report.

    The published report's runs are kept as fingerprints (tests/reference/seed-runs.txt), not as prose.
    """
    seed_runs = set((REFERENCE / "seed-runs.txt").read_text(encoding="ascii").split())
    assert len(seed_runs) > 10_000  # the whole report, not an empty file
    met = load_force_inputs(demo_dir, "metropolitan", report)
    texts = [met.summary]
    for area in met.areas.values():
        for f in area.findings + area.causes_of_concern + area.areas_for_improvement:
            texts += [f.heading, f.text] + [fig.sentence() for fig in f.figures]
    copied = [" ".join(run) for text in texts for run in runs(text) if fingerprint(run) in seed_runs]
    assert not copied, copied


def test_the_copy_check_finds_a_copied_run():
    """The fingerprint check is live: a text's own runs are found, a run of other words is not."""
    seed_runs = (REFERENCE / "seed-runs.txt").read_text(encoding="ascii").split()
    assert all(len(f) == 16 and int(f, 16) >= 0 for f in seed_runs)
    text = "Thirteen words of a made up finding that we then copy into a report."
    prints = fingerprints(text)
    assert len(prints) == len(runs(text)) == 5
    assert prints <= fingerprints("The report said: " + text)  # a copy inside a longer text is found
    assert not prints & set(seed_runs)


def _money(text: str) -> str:
    """The seed's way of writing money: '46.6 million' -> '£46.6m', '4.5 billion' -> '£4.5 billion'."""
    text = str(text).strip()
    if m := re.fullmatch(r"([\d.]+) million", text):
        return f"£{m[1]}m"
    if m := re.fullmatch(r"([\d.]+) billion", text):
        return f"£{m[1]} billion"
    return text.replace("GBP ", "£")


def _plain(value, percent: bool) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} percent" if percent else text


def _expected(entry: dict) -> list[str]:
    """What a sentence must say for one seed figure, written from the seed's own values."""
    kind = entry["kind"]
    percent = "(percent)" in entry.get("what", "")
    if kind == "sample_estimate":
        now = re.findall(r"[\d.]+", entry["stated"])
        before = re.findall(r"[\d.]+", entry["previous"]["stated"])
        return [f"{now[0]} percent", f"{now[1]} percentage points", f"{before[0]} percent",
                f"{before[1]} percentage points", entry["stated_change"], f"{entry['n']:,}",
                entry["period"], entry["previous"]["period"]]
    if kind == "sample_count":
        out = [f"{entry['k']:,}"]
        out += [f"{entry['n']:,}"] if "n" in entry else [f"{entry['stated_percent']} percent"]
        return out
    if kind == "force_reported":
        if "low" in entry:
            return [f"1:{entry['low']}", f"1:{entry['high']}"]
        values = entry["values"] if "values" in entry else [entry["value"]]
        return [_money(v) if isinstance(v, str) else _plain(v, percent) for v in values]
    if kind == "change":
        out = [_plain(entry["from"]["value"], percent), _plain(entry["to"]["value"], percent)]
        out += [str(entry["from"]["date"]), str(entry["to"]["date"])]
        if "stated" in entry:
            out.append(entry["stated"])
        return out
    if kind == "derived":
        if "budget" in entry:
            low, high = (_money(x) for x in entry["value"].split(" to "))
            return [f"{low} to {high}", _money(f"{entry['budget']}")]
        if "requirement" in entry:
            return [_money(entry["requirement"]), _money(entry["funding"]), _money(f"{entry['value']}")]
        return [f"{entry['value']:,}"]
    raise AssertionError(f"unexpected kind {kind}")


def test_met_sentences_reproduce_the_published_figures(demo_dir, report):
    seed = yaml.safe_load(SEED_FIGURES.read_text(encoding="utf-8"))
    met = load_force_inputs(demo_dir, "metropolitan", report)
    checked = 0
    for area_id, entries in seed["figures"].items():
        sentences = [fig.sentence() for f in met.areas[area_id].findings for fig in f.figures]
        for entry in entries:
            if entry["kind"] not in ("sample_estimate", "sample_count", "force_reported", "change", "derived"):
                continue
            wanted = _expected(entry)
            # all of a figure's numbers are stated together, in one sentence
            assert any(all(w in s for w in wanted) for s in sentences), (area_id, entry, wanted, sentences)
            checked += 1
    # every inspection figure in the seed: 3 victim service, 2 police powers, 5 responding, 2 protecting,
    # 5 managing offenders, 8 workforce, 5 leadership (national comparisons come from data/)
    assert checked == 30
    for area in met.areas.values():
        for f in area.findings:
            for fig in f.figures:
                s = fig.sentence()
                assert not re.search(r"\b(nan|None|inf)\b", s), s
                assert "{" not in s and "}" not in s, s


def test_met_figure_values_trace_to_the_samples(demo_dir, report):
    met = load_force_inputs(demo_dir, "metropolitan", report)
    (estimate,) = [fig for f in met.areas["police_powers"].findings for fig in f.figures
                   if fig.kind == "sample_estimate"]
    v = estimate.values()
    assert (v["k"], v["n"], v["previous_k"], v["previous_n"]) == (265, 280, 205, 270)
    assert v["percent"] == pytest.approx(100 * 265 / 280)
    assert v["previous_percent"] == pytest.approx(100 * 205 / 270)
    assert v["p_value"] < 0.05


def test_published_grades_copy_matches_the_reference():
    reference = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    for force_id, entry in reference.items():
        assert published_grades(force_id) == entry["grades"]
        if "source" in entry:
            assert {s["url"] for s in grade_sources(force_id).values()} == {entry["source"]}
    assert published_grades("kent") == {}
    # 112 grades for 25 forces, complete (eight or nine graded areas) for nine of them
    counts = {f.id: len(published_grades(f.id)) for f in all_forces()}
    assert sum(counts.values()) == 112 and sum(1 for n in counts.values() if n) == 25
    assert sum(1 for n in counts.values() if n >= 8) == 9


def test_no_grade_is_both_published_and_illustrative():
    for force in all_forces():
        assert not set(published_grades(force.id)) & set(illustrative_grades(force.id)), force.id


@pytest.mark.parametrize(("written", "date"), [
    ("2025-01-29", "2025-01-29"), ("2025-02", "2025-02"), ("2024", "2024"), ("2025-01/02", "2025"),
    ("2024-08-08 (revised)", "2024-08-08"), ("2024/25", "2024/25"),
])
def test_source_dates_are_written_as_the_schema_takes_them(written, date):
    assert source_date(written) == date


def test_every_demonstration_grade_says_where_it_comes_from(demo_dir, report):
    for force in all_forces():
        inputs = load_force_inputs(demo_dir, force.id, report)
        published, sources = published_grades(force.id), grade_sources(force.id)
        illustrative = illustrative_grades(force.id)
        for area in inputs.graded_areas:
            if area.id in published:
                assert area.grade == published[area.id] and area.grade_basis == "published", (force.id, area.id)
                s = sources[area.id]
                assert area.grade_source == GradeSource(s["title"], s["url"], s["published"])
            elif area.id in illustrative:
                assert area.grade == illustrative[area.id] and area.grade_basis == "illustrative"
                assert area.grade_source is None
            else:
                assert area.grade is None and area.grade_basis == "", (force.id, area.id)


def test_a_demonstration_grade_without_a_source_is_illustrative(tmp_path, report, catalogue):
    doc = minimal()
    doc["demonstration"] = True
    for said in (None, True):
        if said:
            doc["areas"]["police_powers"]["grade_illustrative"] = said
        dump(tmp_path, "kent", doc)
        area = load_force_inputs(tmp_path, "kent", report, catalogue).areas["police_powers"]
        assert area.grade_basis == "illustrative" and area.grade_illustrative
    del doc["areas"]["police_powers"]["grade_illustrative"]
    doc["areas"]["police_powers"]["grade_source"] = {"title": "T", "url": "https://example.org/t", "published": "2025"}
    dump(tmp_path, "kent", doc)
    area = load_force_inputs(tmp_path, "kent", report, catalogue).areas["police_powers"]
    assert area.grade_basis == "published" and area.grade_source == GradeSource("T", "https://example.org/t", "2025")


def test_an_inspections_own_grade_needs_no_source(tmp_path, report, catalogue):
    dump(tmp_path, "kent", minimal())
    area = load_force_inputs(tmp_path, "kent", report, catalogue).areas["police_powers"]
    assert area.grade == "Adequate" and area.grade_basis == "" and area.grade_source is None


@pytest.mark.parametrize(("change", "where", "words"), [
    ({"grade_illustrative": True, "grade_source": {"title": "T", "url": "https://example.org/a",
                                                   "published": 2025}},
     "areas.police_powers.grade_illustrative", "not both"),
    ({"grade": None, "grade_illustrative": True}, "areas.police_powers.grade", "expected a grade"),
    ({"grade_source": {"title": "T", "url": "example.org/a", "published": 2025}},
     "areas.police_powers.grade_source.url", "https://"),
    ({"grade_source": {"title": "T", "url": "https://example.org/a", "published": "2024/26"}},
     "areas.police_powers.grade_source.published", "two consecutive years"),
    ({"grade_source": {"title": "T", "url": "https://example.org/a"}},
     "areas.police_powers.grade_source.published", "missing"),
])
def test_a_grade_source_is_checked(tmp_path, report, catalogue, change, where, words):
    doc = minimal()
    doc["areas"]["police_powers"].update(change)
    if doc["areas"]["police_powers"]["grade"] is None:
        del doc["areas"]["police_powers"]["grade"]
        doc["draft"] = True  # (outside a draft the missing grade is a problem of its own)
    p = only(problems_for(tmp_path, doc, report, catalogue))
    assert (p.where, words in p.message) == (where, True), p


def test_other_forces_are_demonstration_drafts(demo_dir, report):
    reference = yaml.safe_load(PUBLISHED.read_text(encoding="utf-8"))
    for force in all_forces():
        if force.id == "metropolitan":
            continue
        inputs = load_force_inputs(demo_dir, force.id, report)
        assert inputs.draft and inputs.demonstration, force.id
        assert inputs.inspection.name == "PEEL 2023–2025"
        assert "Demonstration draft" in inputs.summary
        assert not any(a.causes_of_concern or a.areas_for_improvement for a in inputs.areas.values())
        # One draft has a single finding, written for the demonstration, that shows the group comparison.
        findings = [(area_id, f.heading, f.measures) for area_id, a in inputs.areas.items() for f in a.findings]
        assert findings == ([(GROUP_DEMO_AREA, GROUP_DEMO_FINDING["heading"], [GROUP_MEASURE])]
                            if force.id == GROUP_DEMO_FORCE else []), force.id
        assert "victim_service_assessment" in inputs.areas
        known = {**illustrative_grades(force.id), **published_grades(force.id)}
        for area_id, grade in reference.get(force.id, {}).get("grades", {}).items():
            assert inputs.areas[area_id].grade == grade, (force.id, area_id)
        graded = {a.id: a.grade_label for a in inputs.graded_areas}
        # eight graded areas, and crime data integrity where a grade for it is known
        assert len(graded) == 8 + ("crime_data_integrity" in known)
        for area_id, label in graded.items():
            assert label == known.get(area_id, NOT_YET_GRADED), (force.id, area_id)


def test_bedfordshire_has_nine_graded_areas(demo_dir, report):
    beds = load_force_inputs(demo_dir, "bedfordshire", report)
    assert len(beds.graded_areas) == 9
    assert beds.areas["crime_data_integrity"].grade == "Good"
    assert all(a.grade in GRADES for a in beds.graded_areas)
    assert list(beds.areas)[:3] == ["victim_service_assessment", "crime_data_integrity", "police_powers"]


def test_greater_manchester_has_one_known_grade(demo_dir, report):
    gmp = load_force_inputs(demo_dir, "greater-manchester", report)
    grades = {a.id: a.grade for a in gmp.graded_areas}
    assert grades.pop("managing_offenders") == "Requires improvement"
    assert set(grades.values()) == {None} and len(grades) == 7


def test_params_readme_example_is_valid(tmp_path, report, catalogue):
    readme = (project_root() / "params" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.S)[1]
    dump(tmp_path, "kent", example)
    inputs = load_force_inputs(tmp_path, "kent", report, catalogue)
    fig = inputs.areas["police_powers"].findings[0].figures[0]
    stated = re.search(r'This states: "(.*?)"', readme, re.S)[1]
    assert fig.sentence() == " ".join(stated.split())


@pytest.mark.parametrize("edit, words", [
    # The typed mistakes PyYAML describes by its parser's state; the message says what the analyst did.
    (lambda lines: lines.insert(8, "     inspector_title: HM Inspector"),
     "line 9: not valid YAML: this line is indented more than the one before it, so it cannot start a new key"),
    (lambda lines: lines.insert(8, "\tinspector_title: HM Inspector"),
     "line 9: not valid YAML: a tab character in the indentation"),
    (lambda lines: lines.insert(8, "  inspector_title: HM Inspector: acting"),
     "line 9: not valid YAML: a ': ' inside an unquoted value"),
    (lambda lines: lines.insert(8, " inspector_title: HM Inspector"),
     "line 9: not valid YAML: this line is indented less than the one before it"),
])
def test_a_yaml_mistake_is_named_by_its_line_in_plain_words_then_the_parser_text(tmp_path, report, edit, words):
    lines = (REPO / "params" / "metropolitan.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[7].startswith("  inspector:")  # the edits go under the inspection's keys
    edit(lines)
    p = only(problems_for(tmp_path, "\n".join(lines) + "\n", report, name="metropolitan"))
    assert str(p).endswith(str(p.message)) and f"{p.where}: {p.message}".startswith(words), str(p)
    assert "the YAML reader said: " in p.message  # PyYAML's own text follows
