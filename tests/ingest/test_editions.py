"""Editions of an imported table: each recorded with its date, table id and digest, every one kept, the
latest current, and the revisions between two of them (``peel editions``)."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from peel.cli import main
from peel.ingest import import_table
from peel.ingest.editions import edition_of, revisions, table_id_of
from peel.ingest.reading import IngestError
from peel.inputs.dataset import read_info

from .conftest import make_fixtures

FY_2022 = "2022-04-01/2023-03-31"
FY_2023 = "2023-04-01/2024-03-31"
EARLIER = "recorded-crime/prc-pfa-mar2013-onwards-tables-200723"
LATER = "recorded-crime/prc-pfa-mar2013-onwards-tables-180724"


def tree(folder: Path) -> dict[str, str]:
    """Every file of a dataset folder, editions included, by path: its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def national(data: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (data / "national.csv").open(encoding="utf-8", newline="") as f:
        return {(r["force_id"], r["period"]): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two editions of the recorded crime table, named as the Home Office names them (DDMMYY): the earlier
    with 2022/23, the later with 2022/23 revised for two forces (Kent up 50, Cleveland down 3) and 2023/24."""
    out = tmp_path_factory.mktemp("editions")
    first = pd.DataFrame(make_fixtures.prc_rows(2022, False))
    revised = first.copy()
    names = revised["Force Name"]
    kent = revised.index[names == make_fixtures.ho_name("kent", "Kent")][0]
    cleveland = revised.index[names == make_fixtures.ho_name("cleveland", "Cleveland")][0]
    revised.loc[kent, "Number of Offences"] += 50
    revised.loc[cleveland, "Number of Offences"] -= 3
    write = make_fixtures._write
    return {
        "earlier": write({"2022_23": first}, out / "prc-pfa-mar2013-onwards-tables-200723.xlsx"),
        "later": write({"2023_24": pd.DataFrame(make_fixtures.prc_rows(2023, False)), "2022_23": revised},
                       out / "prc-pfa-mar2013-onwards-tables-180724.xlsx"),
    }


@pytest.mark.parametrize("name, given, edition, table_id", [
    ("prc-pfa-mar2013-onwards-tables-230124.ods", None, "2024-01-23", "prc-pfa-mar2013-onwards-tables"),
    ("open-data-table-police-workforce-270722.ods", None, "2022-07-27", "open-data-table-police-workforce"),
    ("prc-pfa-201718_new.csv", None, None, "prc-pfa-201718-new"),       # 201718 is a year, not a date
    ("prc-pfa-mar2013-onwards-tables-321324.ods", None, None, "prc-pfa-mar2013-onwards-tables-321324"),
    ("denominators.csv", "2026-07-16", "2026-07-16", "denominators"),
])
def test_edition_and_table_id_from_the_file_name(name: str, given: str | None, edition: str | None,
                                                 table_id: str) -> None:
    assert edition_of(Path(name), given) == edition
    assert table_id_of(Path(name)) == table_id


@pytest.mark.parametrize("given", ["2024-13-01", "23/01/2024", "2024-1-23", "yesterday"])
def test_an_edition_that_is_not_a_date_is_refused(given: str, editions: dict[str, Path], dataset: Path) -> None:
    before = tree(dataset)
    with pytest.raises(IngestError, match=rf"--edition: '{given}' is not a date: expected the date the edition "
                                          r"was published as YYYY-MM-DD"):
        import_table("recorded-crime", editions["earlier"], dataset, edition=given)
    assert tree(dataset) == before


def test_a_later_edition_is_current_and_the_earlier_is_kept(editions: dict[str, Path], dataset: Path) -> None:
    import_table("recorded-crime", editions["earlier"], dataset)
    first = national(dataset)
    lines = import_table("recorded-crime", editions["later"], dataset)
    assert "edition: table prc-pfa-mar2013-onwards-tables, published 2024-07-18" in lines
    now = national(dataset)
    assert {r["source"] for r in now.values()} == {LATER}
    assert int(now[("kent", FY_2022)]["numerator"]) == int(first[("kent", FY_2022)]["numerator"]) + 50
    assert int(now[("cleveland", FY_2022)]["numerator"]) == int(first[("cleveland", FY_2022)]["numerator"]) - 3
    sources = read_info(dataset).sources
    earlier, later = sources[EARLIER], sources[LATER]
    assert (earlier["edition"], earlier["table_id"], earlier["rows"], earlier["edition_rows"]) == \
        ("2023-07-20", "prc-pfa-mar2013-onwards-tables", 0, 43)
    assert (later["edition"], later["table_id"], later["rows"], later["edition_rows"]) == \
        ("2024-07-18", "prc-pfa-mar2013-onwards-tables", 86, 86)
    assert earlier["sha256"] == hashlib.sha256(editions["earlier"].read_bytes()).hexdigest()
    # The earlier edition's figures stay on disk, as imported.
    kept = (dataset / "editions" / f"{EARLIER}.csv").read_text(encoding="utf-8").splitlines()
    assert kept[0] == "force_id,measure,period,value,numerator,denominator,note" and len(kept) == 44
    assert f"kent,recorded_crime_per_1000,{FY_2022},,{first[('kent', FY_2022)]['numerator']},," in kept


def test_the_revisions_between_two_editions(editions: dict[str, Path], dataset: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import_table("recorded-crime", editions["earlier"], dataset)
    old = national(dataset)
    import_table("recorded-crime", editions["later"], dataset)
    found = revisions(dataset, EARLIER, LATER)
    assert (found.revised, found.compared, found.only_old, found.only_new) == (2, 43, 0, 43)
    kent = int(old[("kent", FY_2022)]["numerator"])
    by_force = {c.force_id: c for c in found.changes}
    assert set(by_force) == {"kent", "cleveland"}
    assert (by_force["kent"].field, by_force["kent"].old, by_force["kent"].new, by_force["kent"].change) == \
        ("numerator", str(kent), str(kent + 50), "+50")
    assert by_force["kent"].change_percent == f"{50 / kent * 100:+.1f}"
    assert main(["editions", EARLIER, LATER, "--data", str(dataset)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"old {EARLIER}: Police recorded crime and outcomes open data tables: police force area data "
                      "tables, edition of 20 July 2023 (prc-pfa-mar2013-onwards-tables-200723.xlsx)")
    assert f"kent recorded_crime_per_1000 {FY_2022} numerator: {kent} -> {kent + 50} " \
           f"(+50, {50 / kent * 100:+.1f}%)" in out
    assert out[-1] == "2 of 43 figures in both editions revised; 43 only in the new edition"
    assert main(["editions", EARLIER, LATER, "--data", str(dataset), "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [(r["force_id"], r["period"], r["change"]) for r in rows] == [("cleveland", FY_2022, "-3"),
                                                                         ("kent", FY_2022, "+50")]
    # The listing: both editions of the one table, the earlier superseded.
    assert main(["editions", "--data", str(dataset)]) == 0
    listing = capsys.readouterr().out
    assert "recorded-crime prc-pfa-mar2013-onwards-tables:\n" in listing
    assert f"  {EARLIER}: edition of 20 July 2023, prc-pfa-mar2013-onwards-tables-200723.xlsx, sha256 " in listing
    assert "43 figures, superseded\n" in listing and "86 figures, current\n" in listing


def test_an_earlier_edition_imported_after_a_later_one_is_kept_but_not_current(editions: dict[str, Path],
                                                                               dataset: Path) -> None:
    import_table("recorded-crime", editions["later"], dataset)
    before = (dataset / "national.csv").read_bytes()
    lines = import_table("recorded-crime", editions["earlier"], dataset)
    assert (dataset / "national.csv").read_bytes() == before
    assert f"kept as an earlier edition: 43 figures not made current, a later edition supplies them ({LATER}: " \
           "43); --current makes this edition current" in lines
    sources = read_info(dataset).sources
    assert (sources[EARLIER]["rows"], sources[EARLIER]["edition_rows"], sources[LATER]["rows"]) == (0, 43, 86)
    assert (dataset / "editions" / f"{EARLIER}.csv").is_file()
    # Asked, it becomes current for the periods it gives; the later edition keeps 2023/24.
    import_table("recorded-crime", editions["earlier"], dataset, current=True)
    now = national(dataset)
    assert now[("kent", FY_2022)]["source"] == EARLIER and now[("kent", FY_2023)]["source"] == LATER
    sources = read_info(dataset).sources
    assert (sources[EARLIER]["rows"], sources[LATER]["rows"]) == (43, 43)


def test_the_same_file_twice_changes_nothing(editions: dict[str, Path], dataset: Path, tmp_path: Path) -> None:
    import_table("recorded-crime", editions["earlier"], dataset)
    import_table("recorded-crime", editions["later"], dataset)
    before = tree(dataset)
    import_table("recorded-crime", editions["later"], dataset)
    import_table("recorded-crime", editions["earlier"], dataset)
    assert tree(dataset) == before
    # The same file under another name is known by its digest.
    renamed = tmp_path / "recorded-crime-copy.xlsx"
    shutil.copyfile(editions["later"], renamed)
    lines = import_table("recorded-crime", renamed, dataset, edition="2024-07-18")
    assert lines[-1] == (f"recorded-crime-copy.xlsx: the same file and figures as source {LATER} (sha256 "
                         f"{hashlib.sha256(renamed.read_bytes()).hexdigest()[:12]}): nothing to do")
    assert tree(dataset) == before


def test_editions_errors_name_what_is_wrong(editions: dict[str, Path], dataset: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import_table("recorded-crime", editions["earlier"], dataset)
    import_table("recorded-crime", editions["later"], dataset)
    with pytest.raises(IngestError, match=r"dataset.yaml: sources: no edition 'recorded-crime/nope': expected one "
                                          rf"of {LATER}, {EARLIER} "):
        revisions(dataset, "recorded-crime/nope", LATER)
    assert main(["editions", EARLIER, "--data", str(dataset)]) == 1
    assert f"NEW: only '{EARLIER}' given: expected two editions, OLD and NEW" in capsys.readouterr().err
    (dataset / "editions" / f"{EARLIER}.csv").unlink()
    assert main(["editions", EARLIER, LATER, "--data", str(dataset)]) == 1
    err = capsys.readouterr().err
    assert f"{EARLIER}.csv: no such file: expected the figures of edition '{EARLIER}'" in err
    assert "Traceback" not in err


def test_editions_of_different_tables_are_not_compared(editions: dict[str, Path], fixture_files: dict[str, Path],
                                                       dataset: Path) -> None:
    import_table("recorded-crime", editions["earlier"], dataset)
    import_table("stop-search", fixture_files["stop-search.ods"], dataset)
    with pytest.raises(IngestError, match=r"'stop-search/stop-search-open-data-tables-mar21-mar25' a stop-search "
                                          r"table: expected two editions of the same table"):
        revisions(dataset, EARLIER, "stop-search/stop-search-open-data-tables-mar21-mar25")


@pytest.mark.parametrize("edition, message", [
    ("2024-02-30", "edition: expected the date the edition was published, YYYY-MM-DD (such as 2024-01-23), found "
                   "the text '2024-02-30'"),
    ("[2024]", "edition: expected the date the edition was published, YYYY-MM-DD"),
])
def test_a_bad_edition_in_dataset_yaml_is_refused(editions: dict[str, Path], dataset: Path, edition: str,
                                                  message: str) -> None:
    from peel.errors import InputError

    import_table("recorded-crime", editions["earlier"], dataset)
    path = dataset / "dataset.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["sources"][EARLIER]["edition"] == "2023-07-20"
    path.write_text(path.read_text(encoding="utf-8").replace("edition: '2023-07-20'", f"edition: '{edition}'"
                                                             if edition.startswith("2") else f"edition: {edition}"),
                    encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_info(dataset)
    assert message in str(e.value) and EARLIER in str(e.value)


@pytest.mark.parametrize("sid", ["recorded-crime/../../outside", "recorded-crime//x", "./x"])
def test_an_edition_id_cannot_lead_outside_the_editions_folder(sid: str, dataset: Path) -> None:
    from peel.ingest.editions import edition_path

    with pytest.raises(IngestError, match=r"expected a source id without '.', '..' or empty steps"):
        edition_path(dataset, sid)


def test_a_revised_note_is_written_as_text(editions: dict[str, Path], dataset: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A figure a later edition withdraws (--exclude here) is a revision of its note too; a note that a
    spreadsheet would run as a formula is written with an apostrophe in the CSV."""
    import_table("recorded-crime", editions["earlier"], dataset)
    import_table("recorded-crime", editions["later"], dataset, exclude=["kent:2022/23==SUM(A1) withdrawn"])
    assert main(["editions", EARLIER, LATER, "--data", str(dataset), "--format", "csv"]) == 0
    rows = {(r["force_id"], r["field"]): r for r in csv.DictReader(capsys.readouterr().out.splitlines())}
    assert rows[("kent", "note")]["old"] == "" and rows[("kent", "note")]["new"] == "'=SUM(A1) withdrawn"
    assert rows[("kent", "numerator")]["new"] == "" and rows[("kent", "numerator")]["change"] == ""


DATES = ("2021-07-15", "2022-07-21", "2023-07-20", "2024-07-18")
YEARS = (2019, 2020, 2021)


@settings(max_examples=12)
@given(data=st.data())
def test_whatever_the_import_order_each_figure_is_the_latest_editions(data: st.DataObject) -> None:
    """Editions of a table imported in any order: each force and year takes the figure of the latest edition
    that gives it, every edition is kept whole, and importing them all again changes nothing."""
    import tempfile

    n = data.draw(st.integers(2, 4), label="editions")
    years = [data.draw(st.sets(st.sampled_from(YEARS), min_size=1), label=f"years of edition {i}") for i in range(n)]
    order = data.draw(st.permutations(range(n)), label="import order")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        d = root / "d"
        d.mkdir()
        (d / "dataset.yaml").write_text("name: x\ndemonstration: false\n", encoding="utf-8")
        files = []
        for i, ys in enumerate(years):
            lines = ["force,slug,fy,recorded_crime"] + [f"Kent,kent,{y}/{(y + 1) % 100:02d},{1000 * (i + 1) + y}"
                                                        for y in sorted(ys)]
            files.append(root / f"ed{i}.csv")
            files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
        for i in order:
            import_table("recorded-crime", files[i], d, edition=DATES[i], table_id="t")
        now = national(d)
        for y in set().union(*years):
            latest = max(i for i in range(n) if y in years[i])
            row = now[("kent", f"{y}-04-01/{y + 1}-03-31")]
            assert (row["numerator"], row["source"]) == (str(1000 * (latest + 1) + y), f"recorded-crime/ed{latest}")
        sources = read_info(d).sources
        for i in range(n):
            assert sources[f"recorded-crime/ed{i}"]["edition_rows"] == 43 * len(years[i])
            kept = (d / "editions" / "recorded-crime" / f"ed{i}.csv").read_text(encoding="utf-8")
            assert all(f",{1000 * (i + 1) + y},," in kept for y in years[i])
        assert sum(sources[f"recorded-crime/ed{i}"]["rows"] for i in range(n)) == len(now)
        before = tree(d)
        for i in order:
            import_table("recorded-crime", files[i], d, edition=DATES[i], table_id="t")
        assert tree(d) == before
