"""Most similar groups: a dataset's groups.csv is validated row by row, and a measure with
``compare: group`` compares each force with the forces of its own group (lines, chart, sentence,
statements), with an illustrative grouping labelled as such wherever it is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from peel.analysis import present
from peel.analysis.charts import chart_bars
from peel.analysis.comparison import compare
from peel.analysis.numbered_figure import alt_text, table_record
from peel.analysis.statements import measure_records
from peel.analysis.wording import measure_sentences
from peel.demo.groups import GROUP_DEMO_FINDING, GROUP_DEMO_FORCE, GROUP_MEASURE, GROUPS, groups_csv
from peel.inputs.dataset import check_dataset, load_dataset
from peel.inputs.forces import force_ids
from peel.method import Band, band_lines

REPO = Path(__file__).resolve().parents[1]
LABEL = "an illustrative grouping, not a published one"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(REPO / "data", d, ignore=shutil.ignore_patterns("published", "real"))
    return d


def _groups_file(d: Path, rows: list[str]) -> None:
    (d / "groups.csv").write_text("force_id,group\n" + "".join(r + "\n" for r in rows), encoding="utf-8")


def _shipped_rows() -> list[str]:
    return groups_csv().splitlines()[1:]


def _messages(d: Path) -> list[str]:
    return [str(p) for p in check_dataset(d)]


def test_shipped_groups_are_the_demo_grouping_and_cover_every_force_once():
    assert (REPO / "data" / "groups.csv").read_text(encoding="utf-8") == groups_csv()
    ds = load_dataset(REPO / "data")
    assert ds.groups is not None and ds.groups.illustrative
    assert sorted(ds.groups.of) == sorted(force_ids())
    assert all(len(members) >= 2 for members in GROUPS.values())
    info = yaml.safe_load((REPO / "data" / "dataset.yaml").read_text(encoding="utf-8"))
    assert info["sources"][info["groups"]["source"]]["table"] == "none"
    assert "not a published grouping" in info["sources"][info["groups"]["source"]]["publication"]


def test_real_dataset_has_no_groups():
    info = yaml.safe_load((REPO / "data" / "real" / "dataset.yaml").read_text(encoding="utf-8"))
    assert "groups" not in info and not (REPO / "data" / "real" / "groups.csv").exists()
    catalogue = yaml.safe_load((REPO / "data" / "real" / "measures.yaml").read_text(encoding="utf-8"))
    assert all(m["compare"] != "group" for m in catalogue["measures"].values())


def test_unknown_force_names_the_row(data: Path):
    rows = _shipped_rows()
    rows[4] = rows[4].replace("greater-manchester", "greater-manchster")
    _groups_file(data, rows)
    msgs = _messages(data)
    assert any("groups.csv, row 6: unknown force 'greater-manchster' (did you mean 'greater-manchester'?)" in m
               for m in msgs), msgs


def test_force_in_two_groups_names_both_rows(data: Path):
    _groups_file(data, [*_shipped_rows(), "kent,Mostly rural England"])
    msgs = _messages(data)
    assert any("groups.csv, row 45: kent is already in group 'South-eastern counties' (row 33) and cannot also "
               "be in 'Mostly rural England': expected each force in exactly one group" in m for m in msgs), msgs


def test_group_of_one_is_refused(data: Path):
    rows = [r if not r.startswith("gwent,") else "gwent,Gwent alone" for r in _shipped_rows()]
    _groups_file(data, rows)
    msgs = _messages(data)
    assert any("groups.csv, row 42: group 'Gwent alone' has only one force: expected at least two" in m
               for m in msgs), msgs


def test_force_in_no_group_is_refused(data: Path):
    _groups_file(data, [r for r in _shipped_rows() if not r.startswith("dorset,")])
    msgs = _messages(data)
    assert any("groups.csv: 1 force(s) in no group: dorset: expected every one of the 43 forces" in m
               for m in msgs), msgs


def test_british_transport_police_is_not_a_group_member(data: Path):
    _groups_file(data, [*_shipped_rows(), "british-transport-police,Large metropolitan"])
    assert any("row 45: british-transport-police is not one of the 43 forces" in m for m in _messages(data))


def test_missing_groups_file_and_wrong_columns(data: Path):
    (data / "groups.csv").unlink()
    assert any("groups.csv: file not found: expected a CSV file with columns force_id, group" in m
               for m in _messages(data))
    (data / "groups.csv").write_text("force,group\nkent,A\n", encoding="utf-8")
    assert any("groups.csv" in m and "force_id" in m for m in _messages(data))


def test_group_measure_needs_declared_groups(data: Path):
    info = yaml.safe_load((data / "dataset.yaml").read_text(encoding="utf-8"))
    del info["groups"]
    (data / "dataset.yaml").write_text(yaml.safe_dump(info, allow_unicode=True), encoding="utf-8")
    msgs = _messages(data)
    assert any(f"measures.yaml, measures.{GROUP_MEASURE}.compare: compare: group needs groups of most similar "
               "forces: expected a 'groups:' entry in dataset.yaml" in m for m in msgs), msgs


def test_groups_source_must_be_declared_and_published_unless_illustrative(data: Path):
    info = yaml.safe_load((data / "dataset.yaml").read_text(encoding="utf-8"))
    info["groups"]["source"] = "msg/unknown"
    (data / "dataset.yaml").write_text(yaml.safe_dump(info, allow_unicode=True), encoding="utf-8")
    assert any("dataset.yaml, groups.source: unknown source 'msg/unknown'" in m for m in _messages(data))
    info["groups"]["source"] = "illustrative/similar-force-groups"
    info["groups"]["illustrative"] = False
    (data / "dataset.yaml").write_text(yaml.safe_dump(info, allow_unicode=True), encoding="utf-8")
    assert any("dataset.yaml, groups.illustrative:" in m and "expected illustrative: true" in m
               for m in _messages(data)), _messages(data)


def test_each_force_is_banded_against_its_own_groups_lines():
    ds = load_dataset(REPO / "data")
    c = compare(ds, GROUP_MEASURE)
    values = ds.values(GROUP_MEASURE)
    for group, members in GROUPS.items():
        lines = band_lines([float(values[f]) for f in members])
        assert c.group_lines[group] == lines
        for f in members:
            seen = c.seen_by(f)
            assert seen.lines == lines and seen.group == group and set(seen.group_members) == set(members)
            assert seen.for_force(f).n_compared == len(members)
    # The group lines differ from the lines of all forces: someone's band must differ.
    national = band_lines([float(v) for v in values])
    from peel.method import band
    assert any(c.row(f).band != band(float(values[f]), national, 1) for f in force_ids())


def test_sentence_chart_table_and_statements_name_the_group():
    ctx = present.load("gwent")
    c = ctx.comparison(GROUP_MEASURE)
    assert c.group == "Wales and the south west"
    result = c.for_force("gwent")
    words = {Band.ABOVE: "higher than expected compared with", Band.BELOW: "lower than expected compared with",
             Band.WITHIN: "in line with"}[result.band]
    sentences = measure_sentences(c, "gwent")
    assert (f"This is {words} the five forces in its most similar group (Wales and the south west, {LABEL})."
            in sentences[1])
    bars = chart_bars(c, "gwent")
    assert {b.force_id for b in bars if b.kind != "other"} == set(GROUPS["Wales and the south west"])
    assert any(b.is_force for b in bars) and len(bars) == 43
    assert f"({'Wales and the south west'}, {LABEL}) are filled" in alt_text(c, "gwent", bars)
    record = table_record(c, "gwent", bars)
    assert record["compare_head"] == "Compared with its most similar group"
    assert {r["compared"] for r in record["rows"] if r["name"] == "Kent Police"} == {"not in the group"}
    assert any(LABEL in n for n in record["notes"])
    rows = measure_records(c, "gwent", "investigating_crime", "demo")
    assert {r["compared_with"] for r in rows} == {f"most similar group: Wales and the south west, {LABEL}"}
    assert rows[0]["mean"] == c.group_lines["Wales and the south west"].mean
    band_rows = measure_records(ctx.comparison("stop_search_rate"), "gwent", "police_powers", "demo")
    assert {r["compared_with"] for r in band_rows} == {"all forces"}


def test_about_the_data_states_the_method_and_that_the_grouping_is_not_published():
    from peel.analysis.about import about_the_data_html

    ctx = present.load(GROUP_DEMO_FORCE)
    soup = BeautifulSoup(about_the_data_html(ctx, "", None), "html.parser")
    text = " ".join(soup.select_one("#about-groups").find_next("p").get_text().split())
    assert "one standard deviation above and below the average of the group’s forces" in text
    assert "not a published grouping" in text and "Large metropolitan" in text
    # The Met's report leaves the group measure out (the published report has no such chart): no section.
    met = BeautifulSoup(about_the_data_html(present.load("metropolitan"), "", None), "html.parser")
    assert met.select_one("#about-groups") is None


def test_group_comparison_is_shown_in_the_demonstration_finding_and_left_out_of_the_met_report():
    ctx = present.load(GROUP_DEMO_FORCE)
    soup = BeautifulSoup(str(present.area(ctx, "preventing_crime").data), "html.parser")
    finding = next(h for h in soup.find_all(["h3", "h4"]) if h.get_text(strip=True) == GROUP_DEMO_FINDING["heading"])
    chart = finding.find_next("figure", id=f"figure-{GROUP_MEASURE}")
    assert chart is not None and "most similar group" in soup.get_text()
    met = present.load("metropolitan")
    assert GROUP_MEASURE not in met.area_measures("preventing_crime")
    assert GROUP_MEASURE not in met.measures_in_report()
    assert f"figure-{GROUP_MEASURE}" not in str(present.area(met, "preventing_crime").data)
