"""The real dataset (data/real/): its figures against the published files, its rebuild, and its notice.

The figures of the Metropolitan Police Service and Avon and Somerset Constabulary are recomputed here
with pandas straight from the files in data/published/ (not through ``peel import``) and compared
with what the dataset gives at each measure's published precision.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from peel.analysis.comparison import compare
from peel.cli import main
from peel.demo.sources import SOURCES_FILE, ons_population
from peel.inputs.dataset import load_dataset, read_info
from peel.inputs.forces import force_ids
from peel.inputs.provenance import attributions, publications, report_notice
from peel.inputs.validate import validate_all
from peel.method import round_half_up

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "data" / "real"
PUBLISHED = REPO / "data" / "published"
FORCES = {"metropolitan": ("Metropolitan Police", "E23000001"),
          "avon-and-somerset": ("Avon and Somerset", "E23000036")}
FY_2022 = "2022-04-01/2023-03-31"
MARCH_2022 = "2022-03-31/2022-03-31"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(REAL)


@pytest.fixture(scope="module")
def population_2022() -> dict[str, int]:
    """Mid-2022 residents of each police force area, from the ONS workbook and the ONS lookup."""
    mye = pd.read_excel(PUBLISHED / "mye22final.xlsx", sheet_name="MYE2 - Persons", header=7,
                        engine="calamine", usecols=[0, 3])
    lookup = pd.read_csv(PUBLISHED / "lad_pfa_lookup.csv")
    pfa = dict(zip(lookup["lad21cd"], lookup["pfa21cd"], strict=True))
    # Districts created in April 2023, after the 2021 lookup (data/published/PROVENANCE.md).
    pfa.update({"E06000063": "E23000002", "E06000064": "E23000002", "E06000065": "E23000009",
                "E06000066": "E23000036"})
    lads = mye[mye["Code"].str.match(r"^(E06|E07|E08|E09|W06)")]
    assert lads["Code"].map(pfa).notna().all()
    by_pfa = lads.groupby(lads["Code"].map(pfa))["All ages"].sum()
    assert by_pfa.sum() == 60_238_038  # ONS: England and Wales, mid-2022
    return {fid: int(by_pfa[code]) for fid, (_, code) in FORCES.items()}


def recorded_crime(name: str, fy: str) -> int:
    d = pd.read_csv(PUBLISHED / "denominators.csv")
    return int(d[(d["force"] == name) & (d["fy"] == fy)]["recorded_crime"].squeeze())


def _published(x: float, decimals: int) -> Decimal:
    return round_half_up(x, decimals)


@pytest.mark.parametrize("force_id", list(FORCES))
def test_population_matches_the_ons_workbook(ds, population_2022, force_id):
    pop = ds.population.set_index(["force_id", "year"])["population"]
    assert pop[(force_id, 2022)] == population_2022[force_id]


@pytest.mark.parametrize("force_id", list(FORCES))
def test_recorded_crime_rate_2022_23(ds, population_2022, force_id):
    count = recorded_crime(FORCES[force_id][0], "2022/23")
    m = ds.measure("recorded_crime_per_1000")
    got = ds.rows("recorded_crime_per_1000", FY_2022).loc[force_id]
    assert got["numerator"] == count
    expected = _published(count / population_2022[force_id] * 1000, m.decimals)
    assert _published(got["value"], m.decimals) == expected


@pytest.mark.parametrize("force_id", list(FORCES))
def test_charge_summons_rate_2022_23(ds, force_id):
    name = FORCES[force_id][0]
    outcomes = pd.read_csv(PUBLISHED / "force_year_subset_2019-20_to_2025-26.csv")
    charged = int(outcomes[(outcomes["force"] == name) & (outcomes["fy"] == "2022/23")]["recorded_all_t1"].squeeze())
    recorded = recorded_crime(name, "2022/23")
    m = ds.measure("charge_summons_rate")
    got = ds.rows("charge_summons_rate", FY_2022).loc[force_id]
    assert (got["numerator"], got["denominator"]) == (charged, recorded)
    assert _published(got["value"], m.decimals) == _published(charged / recorded * 100, m.decimals)


@pytest.mark.parametrize("force_id", list(FORCES))
@pytest.mark.parametrize("measure, worker_type", [("officer_fte_per_1000", "police officer"),
                                                  ("pcso_fte_per_1000", "police community support officer")])
def test_workforce_rates_at_31_march_2022(ds, population_2022, force_id, measure, worker_type):
    """The workforce copy ends at 31 March 2022; that count uses the mid-2022 population."""
    wf = pd.read_csv(PUBLISHED / "police-uplift-2022-data.csv.gz")
    rows = wf[(wf["date"] == "2022-03-01") & (wf["geo_code"] == FORCES[force_id][1])
              & (wf["worker_type"] == worker_type)]
    fte = float(rows["total_fte"].fillna(0).sum())
    m = ds.measure(measure)
    got = ds.rows(measure, MARCH_2022).loc[force_id]
    assert got["numerator"] == pytest.approx(fte, abs=0.005)  # the FTE as published, to two decimals
    assert _published(got["value"], m.decimals) == _published(fte / population_2022[force_id] * 1000, m.decimals)


def test_every_measure_quotes_a_period_every_force_has(ds):
    for mid in ds.catalogue:
        c = compare(ds, mid)
        assert not c.missing, (mid, c.missing)


def test_no_demonstration_measure_without_a_published_source(ds):
    demo = yaml.safe_load((REPO / "data" / "measures.yaml").read_text(encoding="utf-8"))["measures"]
    real = yaml.safe_load((REAL / "measures.yaml").read_text(encoding="utf-8"))
    assert not set(real["measures"]) & set(demo)
    assert set(real["not_available"]) == set(demo)
    assert all("Open Government Licence v3.0" in m.source for m in ds.catalogue.values())
    assert set(ds.national["source"]) <= set(ds.info.sources)


def test_real_dataset_validates_with_the_inspection_inputs():
    summary = validate_all(REAL, REPO / "params")
    assert "no problems found" in summary and "demonstration data" not in summary


#: The README's block of import commands that builds data/real (its one source of truth).
IMPORT_BLOCK = re.compile(r"<!-- real-dataset-import: begin[^\n]*-->\n```sh\n(.*?)```\n"
                          r"<!-- real-dataset-import: end -->", re.DOTALL)


def readme_import_commands() -> list[list[str]]:
    """The README's import block as argument lists after ``peel``, read as ``sh`` would: comments and
    blank lines skipped, lines continued by a backslash joined, ``NAME=value`` lines setting the
    ``$NAME`` used by the lines after them."""
    found = IMPORT_BLOCK.findall((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 1, "the README has one real-dataset-import block"
    names: dict[str, str] = {}
    commands = []
    for line in found[0].replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if len(words) == 1 and re.fullmatch(r"[A-Z]+=\S+", words[0]):
            name, value = words[0].split("=", 1)
            names[name] = value
            continue
        words = [re.sub(r"\$([A-Z]+)", lambda m: names[m.group(1)], w) for w in words]
        assert words[0] == "peel", line
        commands.append(words[1:])
    return commands


def test_the_readme_import_block_rebuilds_the_real_dataset_byte_for_byte(tmp_path, monkeypatch, capsys):
    """The README's commands, run from a folder holding only data/real's hand-written parts (the head of
    dataset.yaml, measures.yaml) and the published files, give data/real byte for byte; run again over
    their result, they change nothing."""
    commands = readme_import_commands()
    assert [c[:2] for c in commands[:1]] == [["import", "population"]] and commands[-1][0] == "validate"
    assert all("--data" in c and c[c.index("--data") + 1] == "data/real" for c in commands)
    real = tmp_path / "data" / "real"
    real.mkdir(parents=True)
    (tmp_path / "data" / "published").symlink_to(PUBLISHED)
    shutil.copyfile(REAL / "measures.yaml", real / "measures.yaml")
    head = (REAL / "dataset.yaml").read_text(encoding="utf-8").split("\nsources:\n")[0] + "\n"
    (real / "dataset.yaml").write_text(head, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for run in ("fresh", "again"):
        for argv in commands:
            assert main(argv) == 0, (run, argv, capsys.readouterr().err)
        for name in ("dataset.yaml", "population.csv", "national.csv"):
            assert (real / name).read_bytes() == (REAL / name).read_bytes(), (run, name)
        editions = sorted(p.relative_to(REAL) for p in (REAL / "editions").rglob("*") if p.is_file())
        assert sorted(p.relative_to(real) for p in (real / "editions").rglob("*") if p.is_file()) == editions
        for name in editions:
            assert (real / name).read_bytes() == (REAL / name).read_bytes(), (run, name)
    assert sorted(p.name for p in real.iterdir()) == ["dataset.yaml", "editions", "measures.yaml", "national.csv",
                                                      "population.csv"]


def test_demonstration_population_is_the_real_one():
    real = pd.read_csv(REAL / "population.csv").set_index(["force_id", "year"])
    for force_id, years in ons_population().items():
        for year, (population, source) in years.items():
            assert (real.loc[(force_id, year), "population"], real.loc[(force_id, year), "source"]) == \
                (population, source)
    demo_sources = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    real_sources = read_info(REAL).sources
    for sid, entry in demo_sources.items():
        if sid.startswith("population/"):
            assert {k: v for k, v in entry.items() if k != "rows"} == \
                {k: v for k, v in real_sources[sid].items() if k not in ("rows", "edition_rows")}


def test_notice_names_sources_attribution_and_illustrative_findings():
    info = read_info(REAL)
    notice = report_notice(info, inputs_demonstration=True)
    assert notice is not None and "illustrative" in notice.text and "illustrative" in notice.page
    for pub in publications(info):
        assert pub in notice.text
    assert attributions(info) == ["Contains public sector information licensed under the Open Government "
                                  "Licence v3.0 (Office for National Statistics; Home Office)."]
    assert report_notice(info, inputs_demonstration=False) is None
    demo = report_notice(read_info(REPO / "data"), inputs_demonstration=True)
    assert demo is not None and demo.label == "Demonstration data" and "synthetic" in demo.text


def test_about_the_data_lists_sources_without_a_stop_before_the_colon(ds):
    """The real catalogue's sources end "... Open Government Licence v3.0."; listed before a colon in About
    the data, they read "Licence v3.0: stop and searches ...", not "v3.0.: ..."."""
    from peel.analysis.about import source_items
    from peel.analysis.templating import render

    pairs = [(m.source, m.title) for m in ds.catalogue.values()]
    assert any(str(s).rstrip().endswith("v3.0.") for s, _t in pairs)
    html = render("about_the_data.html.j2", title="About the data", banner="", sources=source_items(pairs),
                  published=[], published_intro="", attributions=[], not_available=[], exclusions=[], missing=[],
                  notice=None, demonstration_inputs=True)
    items = re.findall(r"<li>(.*?)</li>", html.split('<ul class="sources">', 1)[1].split("</ul>", 1)[0])
    assert len(items) == len({str(s).rstrip().removesuffix(".") for s, _t in pairs})
    assert all(".:" not in item for item in items) and any("Licence v3.0: " in item for item in items)


@pytest.mark.slow
def test_built_report_says_what_is_real(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([str(Path(sys.executable).parent / "peel"), "build", "avon-and-somerset", "--data",
                          str(REAL), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (out / "avon-and-somerset" / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#x27;", "'").replace("&#39;", "'")
    info = read_info(REAL)
    assert "Published national figures, illustrative inspection findings" in text
    assert "(Office for National Statistics; Home Office)" in text
    for pub in publications(info):
        assert pub.replace("'", "&#x27;") in page or pub in text
    assert "Published tables" in text and "denominators.csv" in text and "SGilr/oocd-dashboard" in text
    assert "Demonstration data" not in text
    # Every chart names its source, with the licence.
    assert page.count("Open Government Licence v3.0") >= 4
    from pypdf import PdfReader

    pdf = PdfReader(str(out / "avon-and-somerset" / "report.pdf"))
    last = re.sub(r"\s+", " ", pdf.pages[-1].extract_text())
    assert "National figures: published statistics" in last and "illustrative" in last
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Published national figures, illustrative inspection findings" in index


def _copy_real(tmp_path: Path) -> Path:
    import shutil

    data = tmp_path / "real"
    shutil.copytree(REAL, data, ignore=shutil.ignore_patterns("*.sh", "*.py", "*.md"))
    return data


@pytest.mark.parametrize("entry, expected", [
    ("  recorded_crime_per_1000: {title: Crime, reason: twice}\n",
     "not_available.recorded_crime_per_1000: also in 'measures'"),
    ("  odd: just text\n", "not_available.odd: expected a measure that is not available (a mapping with keys "
                           "title, reason)"),
])
def test_not_available_must_be_well_formed(tmp_path, entry, expected):
    from peel.inputs.catalogue import check_catalogue

    data = _copy_real(tmp_path)
    path = data / "measures.yaml"
    path.write_text(path.read_text(encoding="utf-8") + entry, encoding="utf-8")
    found = [f"{p.where}: {p.message}" for p in check_catalogue(path)]
    assert any(w.startswith(expected) for w in found), found


def test_a_misspelt_measure_in_a_finding_still_fails(tmp_path):
    import shutil

    from peel.errors import InputError

    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    met = params / "metropolitan.yaml"
    met.write_text(met.read_text(encoding="utf-8").replace("- stop_search_rate", "- stop_serch_rate", 1),
                   encoding="utf-8")
    with pytest.raises(InputError) as e:
        validate_all(REAL, params)
    assert "unknown measure 'stop_serch_rate'" in str(e.value)


def test_counts_on_one_day_read_as_dates(ds):
    from peel.analysis.wording import trend_sentence

    c = compare(ds, "officer_fte_per_1000")
    assert c.measure.period_label == "31 March 2022"
    # A trend is stated only where the series allows it (the trend rule); wherever one is, it names the days.
    sentences = [s for f in force_ids() if (s := trend_sentence(c, f))]
    assert sentences and all(s.endswith("between 31 March 2007 and 31 March 2022.") for s in sentences), sentences


def test_the_2017_18_table_is_kept_as_an_earlier_edition_with_its_revisions(ds):
    """The 2017/18 recorded crime table of an earlier edition (the crime-sim-toolkit copy) is imported before the
    later yearly copy: both are kept, the later is current, and the revisions between them are those of the
    published files, read here with pandas: 41 of 43 forces revised, by -0.7% to +4.0%."""
    from peel.analysis.provenance import editions_shown, figure_edition
    from peel.ingest.editions import revisions
    from peel.inputs.periods import parse_period

    old, new = "recorded-crime/prc-pfa-201718-new", "recorded-crime/denominators"
    sources = read_info(REAL).sources
    assert (sources[old]["rows"], sources[old]["edition_rows"]) == (0, 43)
    assert sources[old]["table_id"] == sources[new]["table_id"] == "prc-pfa-mar2013-onwards-tables"
    first = pd.read_csv(PUBLISHED / "prc-pfa-201718_new.csv").groupby("Force_Name")["Number_of_Offences"].sum()
    later = pd.read_csv(PUBLISHED / "denominators.csv").query("fy == '2017/18'").set_index("slug")["recorded_crime"]
    later = later.rename(index={"metropolitan-police": "metropolitan"})  # the copy's one slug that is not a force id
    found = revisions(REAL, old, new)
    assert (found.compared, found.revised) == (43, 41)
    for c in found.changes:
        assert (c.field, c.period) == ("numerator", "2017-04-01/2018-03-31")
        assert int(c.new) == later[c.force_id] and int(c.old) in set(first.astype(int))
    assert len(later.index.intersection(force_ids())) == 43
    percents = sorted(float(c.change_percent) for c in found.changes)
    assert (percents[0], percents[-1]) == (-0.7, 4.0)
    # A statement names the edition its figure comes from; a chart's source line names the editions it shows.
    c = compare(ds, "recorded_crime_per_1000")
    assert figure_edition(c, "kent", parse_period("2017-04-01/2018-03-31")) == {
        "publication": sources[new]["publication"], "edition": "", "edition_file": "denominators.csv"}
    assert editions_shown(c) == "Figures from denominators.csv (an undated edition)."
    w = compare(ds, "officer_fte_per_1000")
    assert figure_edition(w, "kent")["edition"] == "2022-07-27"
    assert editions_shown(w) == "Figures from the edition of 27 July 2022 (police-uplift-2022-data.csv.gz)."
    from peel.analysis.statements import measure_records

    records = measure_records(w, "kent", "workforce", "real")
    assert records and all((r["publication"], r["edition"], r["edition_file"]) == (
        sources["workforce/police-uplift-2022-data"]["publication"], "2022-07-27", "police-uplift-2022-data.csv.gz")
        for r in records)
    # About the data lists the tables the figures come from, each with its edition; not the superseded one.
    from peel.analysis.provenance import published_sources

    listed = {e["file"]: e["edition"] for e in published_sources(ds)}
    assert "prc-pfa-201718_new.csv" not in listed
    assert (listed["police-uplift-2022-data.csv.gz"], listed["denominators.csv"]) == (
        "edition of 27 July 2022", "edition not dated")


def test_validate_warns_of_an_edition_whose_figures_are_missing(tmp_path):
    data = _copy_real(tmp_path)
    assert "its edition's figures" not in validate_all(data, REPO / "params")
    (data / "editions" / "recorded-crime" / "prc-pfa-201718-new.csv").unlink()
    summary = validate_all(data, REPO / "params")
    assert (f"warning: {data / 'dataset.yaml'}: sources.recorded-crime/prc-pfa-201718-new: its edition's figures "
            "are not in editions/recorded-crime/prc-pfa-201718-new.csv: expected the file 'peel import' wrote "
            "('peel editions' cannot compare this edition; import prc-pfa-201718_new.csv again to restore it)"
            in summary.splitlines())
