"""``peel import csv``: an analyst's own table of one measure, by force and period.

Every table here is a small CSV (or XLSX) written by the test; every error is caused by a cell written
for it, and the dataset folder is checked byte for byte to be untouched after it.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from peel.analysis.comparison import compare
from peel.analysis.numbered_figure import table_record
from peel.analysis.provenance import figure_source, published_sources, published_sources_intro, table_marker
from peel.analysis.trend import trend_record
from peel.analysis.wording import measure_sentence_parts
from peel.cli import main
from peel.ingest.forces import resolve
from peel.ingest.own_table import import_own_table
from peel.ingest.reading import IngestError
from peel.inputs.dataset import load_dataset
from peel.inputs.forces import Force, all_forces
from peel.inputs.provenance import publications, report_notice
from peel.inputs.validate import validate_all

from .conftest import REPO

MEASURE = "arrests_per_1000"
ENTRY = f"""measures:
  {MEASURE}:
    title: Arrests per 1,000 population
    area: police_powers
    unit: per_1000_population
    decimals: 1
    period: 2022-04-01/2023-03-31
    source: Force returns collected by the analyst.
    figure_title: Arrests per 1,000 population, forces in England and Wales
    compare: band
    england_and_wales: pooled
    statement: "In {{period}}, {{force}} made {{numerator}} arrests, {{value}} per 1,000 population."
    trend: true
"""
VICTIMS = """  victims_satisfied:
    title: Victims satisfied with the service
    area: police_powers
    unit: percent
    decimals: 1
    period: 2022-04-01/2023-03-31
    source: Force victim surveys.
    figure_title: Victims satisfied, forces in England and Wales
    compare: band
    england_and_wales: pooled
    statement: "In {{period}}, {{value}} of {{force}}'s victims were satisfied."

"""

GOOD = """Force,Year,Count
Met,2021/22,"81,000"
Kent Police,2021-22,11520
Avon & Somerset,year ending March 2022,9800
Metropolitan Police Service,YE Mar 2023,"84,120"
E23000032,2022-04-01/2023-03-31,12001
Avon and Somerset Constabulary,2022/23,10250
"""

SOURCE = {"source": "Example force returns", "licence": "Open Government Licence v3.0", "official": False}


def add_measures(folder: Path, victims: bool = True) -> None:
    path = folder / "measures.yaml"
    entries = ENTRY + (VICTIMS if victims else "\n")
    path.write_text(path.read_text(encoding="utf-8").replace("measures:\n", entries, 1), encoding="utf-8")


@pytest.fixture
def own(dataset: Path) -> Path:
    """The importers' empty dataset folder, its catalogue declaring the two measures of these tests."""
    add_measures(dataset)
    return dataset


@pytest.fixture
def real_copy(tmp_path: Path) -> Path:
    """A copy of the real dataset (published figures and populations), declaring the arrests measure."""
    d = tmp_path / "real"
    shutil.copytree(REPO / "data" / "real", d)
    add_measures(d, victims=False)
    return d


def source_entry(folder: Path, sid: str = "own/arrests_per_1000/arrests") -> dict[str, object]:
    return yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))["sources"][sid]


def table(folder: Path, text: str, name: str = "arrests.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "national.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def refused(folder: Path, file: Path, *expected: str, measure: str = MEASURE, **source: object) -> str:
    """Import ``file``; assert it is refused with every ``expected`` part in one message, nothing written."""
    before = snapshot(folder)
    with pytest.raises(IngestError) as e:
        import_own_table(file, folder, measure=measure, **{**SOURCE, **source})
    message = str(e.value)
    for part in expected:
        assert part in message, (part, message)
    assert snapshot(folder) == before
    return message


# -------------------------------------------------------------------------------------------- a good table


def test_names_variants_codes_and_period_forms_become_ids_and_iso_periods(own: Path, tmp_path: Path) -> None:
    lines = import_own_table(table(tmp_path, GOOD), own, measure=MEASURE, **SOURCE)
    got = {(r["force_id"], r["period"]): r for r in rows(own)}
    fy21, fy22 = "2021-04-01/2022-03-31", "2022-04-01/2023-03-31"
    assert set(got) == {(f, p) for f in ("metropolitan", "kent", "avon-and-somerset") for p in (fy21, fy22)}
    # The count is the numerator of a rate per 1,000 population; "81,000" is 81000.
    assert got[("metropolitan", fy21)]["numerator"] == "81000"
    assert got[("kent", fy22)]["numerator"] == "12001"
    assert {r["source"] for r in got.values()} == {"own/arrests_per_1000/arrests"}
    assert {r["value"] + r["denominator"] + r["note"] for r in got.values()} == {""}
    assert lines[0].startswith("csv: arrests.csv (analyst's own table: Example force returns, not official "
                               "statistics) -> arrests_per_1000: 6 rows")


def test_the_source_is_recorded_with_its_licence_and_whether_it_is_official(own: Path, tmp_path: Path) -> None:
    path = table(tmp_path, GOOD)
    import_own_table(path, own, measure=MEASURE, source="Kent Police performance team", licence="internal use",
                     official=True, publication="Arrests by force")
    entry = source_entry(own)
    assert entry == {"table": "own", "publisher": "Kent Police performance team", "publication": "Arrests by force",
                     "file": "arrests.csv", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "licence": "internal use", "official": True,
                     "layout": "own table: force 'Force', period 'Year', numerator 'Count'", "rows": 6,
                     "edition_rows": 6}


def test_importing_again_gives_the_same_bytes_and_another_measure_keeps_its_rows(own: Path, tmp_path: Path) -> None:
    path = table(tmp_path, GOOD)
    import_own_table(path, own, measure=MEASURE, **SOURCE)
    first = snapshot(own)
    # The same file name for a second measure is a source of its own: the first measure's rows stay.
    (tmp_path / "other").mkdir()
    share = table(tmp_path / "other", "Force,Year,Value\nMet,2022/23,71.5\n", "arrests.csv")
    import_own_table(share, own, measure="victims_satisfied", **SOURCE)
    assert sum(r["measure"] == MEASURE for r in rows(own)) == 6
    assert [r["value"] for r in rows(own) if r["measure"] == "victims_satisfied"] == ["71.5"]
    import_own_table(path, own, measure=MEASURE, **SOURCE)
    assert snapshot(own)["national.csv"] != first["national.csv"]  # it holds the second measure too
    again = snapshot(own)
    import_own_table(path, own, measure=MEASURE, **SOURCE)
    assert snapshot(own) == again


@pytest.mark.parametrize("ext", ["xlsx", "ods"])
def test_a_spreadsheet_is_read_too_and_a_date_cell_is_that_day(own: Path, tmp_path: Path, ext: str) -> None:
    import datetime as dt
    path = tmp_path / f"arrests.{ext}"
    pd.DataFrame({"Police force area": ["Devon and Cornwall Police", "City of London"],
                  "As at": [dt.datetime(2023, 3, 31), dt.datetime(2023, 3, 31)],
                  "Count": [1500, 40]}).to_excel(path, index=False, sheet_name="Arrests",
                                                 engine="odf" if ext == "ods" else None)
    import_own_table(path, own, measure=MEASURE, **SOURCE)
    got = {(r["force_id"], r["period"], r["numerator"]) for r in rows(own)}
    assert got == {("devon-and-cornwall", "2023-03-31/2023-03-31", "1500"),
                   ("city-of-london", "2023-03-31/2023-03-31", "40")}


def test_na_writes_a_figure_as_not_available_and_totals_are_set_aside(own: Path, tmp_path: Path) -> None:
    text = "Force,Period,Value\nGwent Police,2022/23,N/A\nEngland and Wales,2022/23,70.1\nW15000003,2022/23,68\n"
    lines = import_own_table(table(tmp_path, text), own, measure="victims_satisfied", **SOURCE)
    got = {r["force_id"]: r for r in rows(own)}
    assert set(got) == {"gwent", "south-wales"}
    assert got["gwent"]["value"] == "" and got["gwent"]["note"] == "not available: N/A in arrests.csv"
    assert got["south-wales"]["value"] == "68"
    assert "set aside: England and Wales total: 1 rows" in lines


@pytest.mark.parametrize(("name", "force_id"), [
    ("Met", "metropolitan"), ("the Met", "metropolitan"), ("MPS", "metropolitan"),
    ("Metropolitan Police", "metropolitan"), ("metropolitan police service", "metropolitan"),
    ("Avon & Somerset", "avon-and-somerset"), ("Avon and Somerset Constabulary", "avon-and-somerset"),
    ("Devon and Cornwall Police", "devon-and-cornwall"), ("Devon & Cornwall", "devon-and-cornwall"),
    ("City of London", "city-of-london"), ("London, City of", "city-of-london"),
    ("City of London Police", "city-of-london"), ("  GREATER   manchester police ", "greater-manchester"),
    ("Hampshire and Isle of Wight Constabulary", "hampshire"), ("Dyfed-Powys Police", "dyfed-powys"),
    ("E23000001", "metropolitan"), ("w15000004", "dyfed-powys"), ("North Wales Police Service", "north-wales"),
])
def test_published_names_variants_and_ons_codes_resolve(name: str, force_id: str) -> None:
    assert resolve(name) == force_id


@given(st.sampled_from(all_forces()), st.sampled_from(["name", "pfa_name", "ons_code"]),
       st.sampled_from(["", " Police", " Constabulary", " Police Service"]), st.booleans(), st.integers(1, 3))
def test_any_force_resolves_whatever_its_case_spacing_and_suffix(force: Force, attr: str, suffix: str, upper: bool,
                                                                  spaces: int) -> None:
    written = (getattr(force, attr) + ("" if attr == "ons_code" else suffix)).replace(" ", " " * spaces)
    assert resolve(written.upper() if upper else written.lower()) == force.id


@pytest.mark.parametrize(("name", "closest"), [
    ("Metropolitn", "Metropolitan Police"), ("Nothumbria Police", "Northumbria"),
    ("Devon Cornwal", "Devon & Cornwall"), ("Lancs", "Lancashire"),
])
def test_an_unknown_name_suggests_the_closest_force(name: str, closest: str) -> None:
    with pytest.raises(KeyError, match=f"did you mean '{closest}'"):
        resolve(name)


def test_a_table_without_the_quoted_period_is_imported_with_a_warning(own: Path, tmp_path: Path) -> None:
    lines = import_own_table(table(tmp_path, "Force,Year,Count\nKent,2020/21,5\n"), own, measure=MEASURE,
                             **SOURCE)
    assert ("warning: no figures for the period the catalogue quotes for arrests_per_1000 (2022-04-01/2023-03-31); "
            "the file's periods are 2020-04-01/2021-03-31") in "\n".join(lines)


# ----------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("text", "expected"), [
    ("Force,Year,Count\nMetropolitn Police,2022/23,5\n",
     ["arrests.csv, row 2, column 'Force'", "unknown force 'Metropolitn Police'",
      "did you mean 'Metropolitan Police'?"]),
    ("Force,Year,Count\n,2022/23,5\n", ["row 2, column 'Force'", "empty: expected a police force area"]),
    ("Force,Year,Count\nKent,2022/24,5\n", ["row 2, column 'Year'", "'2022/24' is not a financial year"]),
    ("Force,Year,Count\nKent,2023,5\n", ["row 2, column 'Year'", "'2023' is not a period", "year ending March 2023"]),
    ("Force,Year,Count\nKent,,5\n", ["row 2, column 'Year'", "empty: expected a period"]),
    ("Force,Year,Count\nKent,2022/23,\n", ["row 2, column 'Count'", "empty: expected a number"]),
    ("Force,Year,Count\nKent,2022/23,twelve\n", ["row 2, column 'Count'", "'twelve' is not a number"]),
    ("Force,Year,Count\nKent,2022/23,-4\n", ["row 2, column 'Count'", "-4 is negative: expected a count of 0 or more"]),
    ("Force,Year,Count\nKent,2022/23,12.5\n", ["row 2, column 'Count'", "12.5 is not a whole number"]),
    ("Force,Year,Count\nKent,2022/23,12%\n", ["row 2, column 'Count'", "'12%' is not a number"]),
])
def test_each_bad_cell_is_named_by_file_row_and_column(own: Path, tmp_path: Path, text: str,
                                                       expected: list[str]) -> None:
    refused(own, table(tmp_path, text), *expected)


def test_every_bad_cell_is_listed_at_once(own: Path, tmp_path: Path) -> None:
    text = "Force,Year,Count\nKent,2022/23,abc\nSurrey,2022/23,-1\nNowhere,2022/23,4\n"
    message = refused(own, table(tmp_path, text), "row 2, column 'Count'", "row 3, column 'Count'",
                      "row 4, column 'Force'")
    assert message.count("arrests.csv") == 3


def test_a_force_and_period_given_twice_names_both_rows_and_is_never_summed(own: Path, tmp_path: Path) -> None:
    text = "Force,Year,Count\nMet,2022/23,5\nKent,2022/23,6\nMetropolitan Police,year ending March 2023,7\n"
    refused(own, table(tmp_path, text), "row 4, column 'Force'", "is the force and period of row 2 ('Met' '2022/23')",
            "expected one figure per force and period")


@pytest.mark.parametrize(("text", "measure", "expected"), [
    ("Force,Year,Rate\nKent,2022/23,5.1\n", MEASURE, "no count column for arrests_per_1000 (per_1000_population)"),
    ("Force,Year,Numerator\nKent,2022/23,5\n", "victims_satisfied", "no figures for victims_satisfied (percent)"),
    ("Force,Year,Value\nKent,2022/23,101\n", "victims_satisfied", "101 is over 100"),
    ("Force,Year,Numerator,Denominator\nKent,2022/23,9,5\n", "victims_satisfied",
     "numerator 9 is larger than denominator 5"),
    ("Name,When,Count\nKent,2022/23,5\n", MEASURE, "missing column 'force'"),
    ("Name,When,Count\nKent,2022/23,5\n", MEASURE, "a column of another name is read with --column KEY=HEADER"),
    ("Force,Year,Numerator,Denominator\nKent,2022/23,N/A,5\n", "victims_satisfied",
     "row 2, column 'Numerator': N/A beside figures in the same row"),
])
def test_figures_that_do_not_fit_the_measure_are_refused(own: Path, tmp_path: Path, text: str, measure: str,
                                                         expected: str) -> None:
    refused(own, table(tmp_path, text), expected, measure=measure)


def test_an_unknown_measure_explains_how_to_declare_it(own: Path, tmp_path: Path) -> None:
    message = refused(own, table(tmp_path, GOOD), "measures.yaml", "'knife_arrests' is not in the measure catalogue",
                      "Add an entry under 'measures:'", "  knife_arrests:\n    title:", "unit: count",
                      "statement:", measure="knife_arrests")
    assert "area: " in message


def test_a_measure_listed_as_not_available_is_refused_until_declared(real_copy: Path, tmp_path: Path) -> None:
    refused(real_copy, table(tmp_path, GOOD), "measures.yaml", "'linked_find_rate' is listed under not_available",
            "moved to 'measures:'", measure="linked_find_rate")


@pytest.mark.parametrize(("given", "expected"), [
    ({"source": None}, ["--source: missing"]),
    ({"licence": " "}, ["--licence: missing"]),
    ({"official": None}, ["--official: missing", "--not-official"]),
    ({"source": "", "licence": None, "official": None}, ["--source", "--licence", "--official"]),
])
def test_the_source_its_licence_and_whether_it_is_official_are_required(own: Path, tmp_path: Path,
                                                                       given: dict[str, object],
                                                                       expected: list[str]) -> None:
    refused(own, table(tmp_path, GOOD), *expected, **given)


def test_the_demonstration_dataset_is_refused(tmp_path: Path) -> None:
    demo = tmp_path / "data"
    shutil.copytree(REPO / "data", demo, ignore=shutil.ignore_patterns("published", "real"))
    add_measures(demo)
    refused(demo, table(tmp_path, GOOD), "dataset.yaml", "demonstration", "never mixed")


def test_a_dry_run_says_what_would_change_and_writes_nothing(own: Path, tmp_path: Path) -> None:
    before = snapshot(own)
    lines = import_own_table(table(tmp_path, GOOD), own, measure=MEASURE, dry_run=True,
                             **SOURCE)
    assert "dry run: nothing written" in lines
    assert "national.csv: arrests_per_1000 2022-04-01/2023-03-31: 3 added" in lines
    assert snapshot(own) == before


def test_rows_of_another_source_are_not_replaced_without_force(own: Path, tmp_path: Path) -> None:
    import_own_table(table(tmp_path, GOOD), own, measure=MEASURE, **SOURCE)
    other = table(tmp_path, "Force,Year,Count\nKent,2022/23,1\n", "kent.csv")
    refused(own, other, "would be overwritten that came from another source", "--force")
    import_own_table(other, own, measure=MEASURE, force=True, **SOURCE)
    assert [r["numerator"] for r in rows(own) if r["force_id"] == "kent" and r["period"].startswith("2022")] == ["1"]


# ------------------------------------------------------------------------------------------- command line


def cli(own: Path, path: Path, *extra: str) -> list[str]:
    return ["import", "csv", str(path), "--measure", MEASURE, "--data", str(own), *extra]


def test_the_command_needs_the_source_options_and_names_them(own: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(own)
    assert main(cli(own, table(tmp_path, GOOD))) == 1
    err = capsys.readouterr().err
    assert "--source: missing" in err and "--licence: missing" in err and "--official: missing" in err
    assert snapshot(own) == before
    assert main(cli(own, table(tmp_path, GOOD), "--source", "Example", "--licence", "OGL", "--not-official")) == 0
    assert "-> arrests_per_1000: 6 rows" in capsys.readouterr().out
    entry = source_entry(own)
    assert entry["official"] is False


def test_a_column_of_another_name_is_read_as_the_one_named(own: Path, tmp_path: Path) -> None:
    text = "Force,Year,Arrests\nKent,2022/23,120\n"
    refused(own, table(tmp_path, text), "no count column for arrests_per_1000", "columns found: 'Force', 'Year'")
    import_own_table(table(tmp_path, text), own, measure=MEASURE, columns=["numerator=Arrests"],
                     **SOURCE)
    assert [r["numerator"] for r in rows(own)] == ["120"]
    assert source_entry(own)["layout"] == "own table: force 'Force', period 'Year', numerator 'Arrests'"
    with pytest.raises(IngestError, match="unknown column 'count': expected one of force, period"):
        import_own_table(table(tmp_path, text), own, measure=MEASURE, columns=["count=Arrests"],
                         **SOURCE)


def test_options_of_the_other_kind_of_table_are_refused(own: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    good = cli(own, table(tmp_path, GOOD), "--source", "Example", "--licence", "OGL", "--official")
    assert main([*good, "--year", "2022"]) == 2
    assert "--year: not an option of the csv table" in capsys.readouterr().err
    assert main(["import", "recorded-crime", str(tmp_path / "x.csv"), "--data", str(own), "--not-official"]) == 2
    assert "--official or --not-official: not an option of the recorded-crime table" in capsys.readouterr().err
    one = ["import", "csv", str(tmp_path / "arrests.csv"), "--data", str(own), "--source", "E", "--licence", "L",
           "--official"]
    for measures in ([], ["--measure", MEASURE, "--measure", "victims_satisfied"]):
        assert main([*one, *measures]) == 2
        assert "--measure: expected one measure id" in capsys.readouterr().err


def test_strict_is_no_longer_needed_and_says_so(own: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli(own, table(tmp_path, GOOD), "--source", "Example", "--licence", "OGL", "--official")
    assert main([*args, "--strict"]) == 0  # still accepted, so scripts keep working while they are changed
    err = capsys.readouterr().err
    assert "--strict is no longer needed" in err and "drop --strict" in err
    assert main(args) == 0
    assert "--strict" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    shown = capsys.readouterr().out
    assert "--warn-totals" in shown and "--strict" not in shown  # no longer listed


# ---------------------------------------------------------------------------------- what the reports say


def test_figures_that_are_not_official_say_so_beside_the_chart_and_table(real_copy: Path, tmp_path: Path) -> None:
    import_own_table(table(tmp_path, GOOD), real_copy, measure=MEASURE, **SOURCE)
    assert "no problems found" in validate_all(data_dir=real_copy, params_dir=REPO / "params")
    ds = load_dataset(real_copy)
    cmp = compare(ds, MEASURE)
    words = "not official statistics: figures from Example force returns"
    # The catalogue's source line and the file's edition, then the words.
    assert figure_source(cmp, "kent") == ("Force returns collected by the analyst. Figures from arrests.csv (an "
                                          f"undated edition). N{words[1:]}.")
    assert table_marker(cmp, "kent") == words
    assert table_record(cmp, "kent")["marker"] == words
    assert trend_record(cmp, "kent")["marker"] == words
    # The sentences about the force's figure end with the same words, once.
    sentences = [text for _, text in measure_sentence_parts(cmp, "kent")]
    assert sentences[-1].endswith("[Not official statistics: figures from Example force returns.]")
    assert sum("Not official statistics" in t for t in sentences) == 1
    assert [e["official"] for e in published_sources(ds) if e["publisher"] == "Example force returns"] == ["no"]
    assert "Those marked “not official statistics”" in published_sources_intro(ds)
    notice = report_notice(ds.info, inputs_demonstration=True)
    assert notice is not None and "except those marked not official statistics" in notice.page
    # The cover's notice and the index's figures table name the source with the same words.
    assert publications(ds.info)[-1] == "Example force returns, not official statistics"
    assert "Example force returns, not official statistics" in notice.text
    # Official figures carry no such words.
    official = compare(ds, "recorded_crime_per_1000")
    assert "official" not in figure_source(official, "kent") and table_marker(official, "kent") is None


def test_an_official_own_table_carries_no_mark(real_copy: Path, tmp_path: Path) -> None:
    import_own_table(table(tmp_path, GOOD), real_copy, measure=MEASURE,
                     **{**SOURCE, "official": True})
    cmp = compare(load_dataset(real_copy), MEASURE)
    assert figure_source(cmp, "kent") == f"{cmp.measure.source} Figures from arrests.csv (an undated edition)."
    assert table_marker(cmp, "kent") is None
    assert not any("official" in text for _, text in measure_sentence_parts(cmp, "kent"))
    notice = report_notice(load_dataset(real_copy).info, inputs_demonstration=True)
    assert notice is not None and "not official" not in notice.page


# ------------------------------------------------------------------------------------ the README's example


def readme_example() -> dict[str, list[str]]:
    """The fenced blocks of the README's worked example, by language (``sh``, ``yaml``, ``csv``)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    begin = text.index("<!-- own-table-example: begin")
    block = text[begin:text.index("<!-- own-table-example: end", begin)]
    found: dict[str, list[str]] = {}
    for lang, body in re.findall(r"```(\w+)\n(.*?)```", block, flags=re.DOTALL):
        found.setdefault(lang, []).append(body)
    return found


def test_the_readme_example_imports_and_validates_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    blocks = readme_example()
    commands = [" ".join(line.split("#")[0].split()) for body in blocks["sh"]
                for line in body.replace("\\\n", " ").splitlines() if line.strip()]
    assert commands[0] == "cp -r data/real my-data"
    shutil.copytree(REPO / "data" / "real", tmp_path / "my-data")
    monkeypatch.chdir(tmp_path)
    catalogue = tmp_path / "my-data" / "measures.yaml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace("measures:\n", "measures:\n" + blocks["yaml"][0],
                                                                       1), encoding="utf-8")
    (tmp_path / "arrests.csv").write_text(blocks["csv"][0], encoding="utf-8")
    imports = [c for c in commands if c.startswith("peel import csv")]
    assert len(imports) == 1 and "peel validate --data my-data" in commands
    assert main(shlex.split(imports[0])[1:]) == 0
    out = capsys.readouterr().out
    assert "csv: arrests.csv (analyst's own table: Example force returns, not official statistics) -> " \
           "arrests_per_1000: 6 rows" in out
    assert main(["validate", "--data", "my-data", "--params", str(REPO / "params")]) == 0
    assert "no problems found" in capsys.readouterr().out
    cmp = compare(load_dataset(tmp_path / "my-data"), MEASURE)
    # What the README says the report shows: 9.5 per 1,000 for the Met, compared with two other forces.
    assert f"{cmp.row('metropolitan').value:.1f}" == "9.5" and len(cmp.compared) == 3
    assert "peel build metropolitan --data my-data --to html" in commands  # built by hand: see the README
