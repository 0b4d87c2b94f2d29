"""Population from the ONS files; how an import is written (replace, dry run, other sources, errors)."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from peel.cli import main
from peel.ingest import import_table
from peel.ingest.reading import IngestError
from peel.inputs.dataset import load_dataset, read_info

from .conftest import PUBLISHED, REPO

LOOKUP = PUBLISHED / "lad_pfa_lookup.csv"


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def population(data: Path) -> dict[tuple[str, str], str]:
    with (data / "population.csv").open(encoding="utf-8", newline="") as f:
        return {(r["force_id"], r["year"]): r["population"] for r in csv.DictReader(f)}


@pytest.mark.parametrize("name, year, total", [("mye22final.xlsx", "2022", 60_238_038),
                                               ("ukpopestimatesmid2021on2021geographyfinal.xls", "2021", 59_641_829)])
def test_ons_workbooks_add_up_to_the_ons_totals(name: str, year: str, total: int, dataset: Path) -> None:
    lines = import_table("population", PUBLISHED / name, dataset, lookup=LOOKUP)
    got = population(dataset)
    assert len(got) == 43 and {y for _, y in got} == {year}
    assert sum(int(v) for v in got.values()) == total
    assert f"mid-{year}: the 43 force areas add up to the England and Wales total, {total:,}" in lines
    src = read_info(dataset).sources[f"population/{Path(name).stem}"]
    assert src["layout"] == "official" and src["sheet"] == "MYE2 - Persons" and src["publisher"] == \
        "Office for National Statistics"


def test_population_2001_to_2023_reproduces_the_derived_file(dataset: Path) -> None:
    for f in ("crime-pressure-force-2022-pop-data.csv.gz", "ukpopestimatesmid2021on2021geographyfinal.xls",
              "mye22final.xlsx", "lad_population_mid2023_from_budget-galaxy.csv"):
        import_table("population", PUBLISHED / f, dataset, lookup=LOOKUP)
    with (PUBLISHED / "population_pfa_2001_2023.csv").open(encoding="utf-8", newline="") as f:
        derived = {(r["force_id"], r["year"]): r["population"] for r in csv.DictReader(f)}
    assert population(dataset) == derived and len(derived) == 43 * 23
    ds = load_dataset_without_catalogue_check(dataset)
    assert set(ds["source"]) == {"population/crime-pressure-force-2022-pop-data",
                                 "population/ukpopestimatesmid2021on2021geographyfinal", "population/mye22final",
                                 "population/lad-population-mid2023-from-budget-galaxy"}


def load_dataset_without_catalogue_check(data: Path) -> dict[str, list[str]]:
    with (data / "population.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {k: [r[k] for r in rows] for k in rows[0]}


def test_imported_population_loads(dataset: Path) -> None:
    import_table("population", PUBLISHED / "mye22final.xlsx", dataset, lookup=LOOKUP)
    (dataset / "national.csv").write_text("force_id,measure,period,value,numerator,denominator\n"
                                          "kent,stop_search_rate,2022-04-01/2023-03-31,,10000,\n", encoding="utf-8")
    ds = load_dataset(dataset)
    assert ds.national.loc[0, "population"] == int(population(dataset)[("kent", "2022")])


# ---------------------------------------------------------------------------------------------------- writing


def test_reimport_replaces_only_that_tables_rows(fixture_files: dict[str, Path], dataset: Path) -> None:
    import_table("recorded-crime", fixture_files["prc.ods"], dataset)
    import_table("stop-search", fixture_files["stop-search.ods"], dataset)
    import_table("population", PUBLISHED / "mye22final.xlsx", dataset, lookup=LOOKUP)
    pop_before = (dataset / "population.csv").read_bytes()
    text = (dataset / "national.csv").read_text(encoding="utf-8")
    ss_before = [ln for ln in text.splitlines() if ",stop_search_rate," in ln]
    # Another edition of the recorded crime table, covering 2022/23 only: replaces the 2022/23 rows.
    lines = import_table("recorded-crime", fixture_files["prc-underscored.csv"], dataset)
    text = (dataset / "national.csv").read_text(encoding="utf-8")
    assert [ln for ln in text.splitlines() if ",stop_search_rate," in ln] == ss_before
    crime = [ln for ln in text.splitlines() if ",recorded_crime_per_1000," in ln]
    assert len(crime) == 86
    assert all(ln.endswith(",recorded-crime/prc-pfa-underscored") == ("2022-04-01" in ln) for ln in crime)
    assert (dataset / "population.csv").read_bytes() == pop_before
    sources = read_info(dataset).sources
    assert sources["recorded-crime/prc-pfa-mar2013-onwards-tables"]["rows"] == 43  # still supplies 2023/24
    assert sources["recorded-crime/prc-pfa-underscored"]["rows"] == 43
    assert "national.csv: recorded_crime_per_1000 2022-04-01/2023-03-31: 43 unchanged" in lines
    # Re-importing the first file, the earlier edition (neither is dated: imported first), changes nothing.
    before = snapshot(dataset)
    lines = import_table("recorded-crime", fixture_files["prc.ods"], dataset)
    assert snapshot(dataset) == before
    assert any(ln.startswith("kept as an earlier edition: 43 figures not made current") for ln in lines), lines
    # Made current, it takes 2022/23 back; the later edition stays, with its figures, superseded.
    import_table("recorded-crime", fixture_files["prc.ods"], dataset, current=True)
    sources = read_info(dataset).sources
    assert sources["recorded-crime/prc-pfa-underscored"]["rows"] == 0
    assert sources["recorded-crime/prc-pfa-underscored"]["edition_rows"] == 43
    assert (dataset / "editions" / "recorded-crime" / "prc-pfa-underscored.csv").is_file()
    # The same file again: byte-identical folder.
    before = snapshot(dataset)
    import_table("recorded-crime", fixture_files["prc.ods"], dataset)
    assert snapshot(dataset) == before


def test_dry_run_writes_nothing(fixture_files: dict[str, Path], dataset: Path) -> None:
    before = snapshot(dataset)
    lines = import_table("stop-search", fixture_files["stop-search.ods"], dataset, dry_run=True)
    assert snapshot(dataset) == before
    assert lines[-3] == "dry run: nothing written"
    assert lines[-2:] == ["national.csv: stop_search_rate 2023-04-01/2024-03-31: 43 added",
                          "national.csv: stop_search_rate 2024-04-01/2025-03-31: 43 added"]


def test_rows_from_another_source_need_force(fixture_files: dict[str, Path], tmp_path: Path) -> None:
    """Rows of stop_search_rate from other sources are not overwritten without --force.

    (The shipped rows, in a copy of the shipped data declared a dataset of published figures, as an
    import requires; the 2022/23 recorded crime fixture written as that measure: the shipped data has
    2022/23 rows of it.)
    """
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("published", "real"))
    info = data / "dataset.yaml"
    info.write_text(info.read_text(encoding="utf-8").replace("\ndemonstration: true\n", "\ndemonstration: false\n"),
                    encoding="utf-8")
    before = snapshot(data)
    args = ("recorded-crime", fixture_files["prc-underscored.csv"], data)
    with pytest.raises(IngestError, match=r"43 rows would be overwritten that came from another source "
                                         r"\(hmicfrs/peel-2023-2025-metropolitan: 1, synthetic: 42\)"):
        import_table(*args, measures=["stop_search_rate"])
    assert snapshot(data) == before
    import_table(*args, measures=["stop_search_rate"], force=True)
    text = (data / "national.csv").read_text(encoding="utf-8")
    assert text.startswith("force_id,measure,period,value,numerator,denominator,note,source\n")
    # Other periods of the demonstration rows stay, with their own source.
    shipped = [line for line in (REPO / "data" / "national.csv").read_text(encoding="utf-8").splitlines(keepends=True)
               if line.startswith("metropolitan,stop_search_rate,2020-04-01/2021-03-31,")]
    assert len(shipped) == 1 and shipped[0] in text
    national = load_dataset(data).national
    imported = national[national["source"] == "recorded-crime/prc-pfa-underscored"]
    assert imported["measure"].unique().tolist() == ["stop_search_rate"]


def test_errors_leave_the_dataset_byte_identical(fixture_files: dict[str, Path], dataset: Path) -> None:
    import_table("recorded-crime", fixture_files["prc.ods"], dataset)
    before = snapshot(dataset)
    for table, name in (("recorded-crime", "prc-text-count.ods"), ("outcomes", "outcomes-unknown-force.xlsx"),
                        ("recorded-crime", "damaged.xlsx"), ("workforce", "workforce-wrong-sheet.ods")):
        with pytest.raises(IngestError):
            import_table(table, fixture_files[name], dataset)
        assert snapshot(dataset) == before, name
    assert not [p for p in dataset.iterdir() if p.name.startswith(".")]  # no temporary or lock file left


def test_command_line_exit_status_and_no_traceback(fixture_files: dict[str, Path], dataset: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["import", "recorded-crime", str(fixture_files["prc-text-count.ods"]), "--data", str(dataset)])
    err = capsys.readouterr().err
    assert status == 1
    assert "sheet '2023_24', row 8, column 'Number of Offences': 'twelve' is not a number" in err
    assert "Traceback" not in err
    assert main(["import", "stop-search", str(fixture_files["stop-search.ods"]), "--data", str(dataset),
                 "--dry-run"]) == 0
    assert "dry run: nothing written" in capsys.readouterr().out


@pytest.mark.parametrize("file, content, message", [
    ("national.csv", "force_id,measure\xe9\n".encode("latin-1"), "national.csv: cannot be read"),
    ("dataset.yaml", b"name: x\ndemonstration: false\nsources: [a, b]\n", "sources: expected a mapping of source id"),
    ("dataset.yaml", b"name: [unclosed\n", "dataset.yaml: cannot be read"),
])
def test_a_broken_dataset_folder_is_refused_untouched(fixture_files: dict[str, Path], dataset: Path, file: str,
                                                      content: bytes, message: str) -> None:
    (dataset / file).write_bytes(content)
    before = snapshot(dataset)
    with pytest.raises(IngestError, match=message):
        import_table("stop-search", fixture_files["stop-search.ods"], dataset)
    assert snapshot(dataset) == before
