"""Validation: every kind of bad input is reported with its file, its row or key and what was expected;
all problems are reported at once; the shipped data pass."""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from peel.cli import main
from peel.errors import InputError, Problem
from peel.inputs.catalogue import check_catalogue
from peel.inputs.dataset import check_dataset, load_dataset
from peel.inputs.validate import validate_all

REPO = Path(__file__).resolve().parents[1]
FY22 = "2022-04-01/2023-03-31"
NOV23 = "2023-11-01/2023-11-30"
AREAS = [a["id"] for a in yaml.safe_load((REPO / "notebooks" / "report.yaml").read_text(encoding="utf-8"))["areas"]]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the shipped (valid) data folder to break."""
    d = tmp_path / "data"
    d.mkdir()
    for name in ("dataset.yaml", "measures.yaml", "national.csv", "population.csv", "groups.csv"):
        shutil.copy(REPO / "data" / name, d / name)
    return d


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def find_row(path: Path, *key: str) -> int:
    """The spreadsheet row number (header = row 1) of the row starting with ``key``."""
    for i, r in enumerate(read_rows(path)):
        if tuple(r[: len(key)]) == key:
            return i + 1
    raise AssertionError(f"no row {key} in {path}")


def edit(path: Path, row: int, **cells: str) -> None:
    rows = read_rows(path)
    header = rows[0]
    for col, v in cells.items():
        rows[row - 1][header.index(col)] = v
    write_rows(path, rows)


def only(problems: list[Problem], file: str, where: str, *fragments: str) -> Problem:
    """The single problem found, checked to name the file, the row or key, and what was expected."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    return named(problems, file, where, *fragments)


def named(problems: list[Problem], file: str, where: str, *fragments: str) -> Problem:
    for p in problems:
        if p.file.endswith(file) and p.where == where and all(f in p.message for f in fragments):
            return p
    got = "\n".join(map(str, problems))
    raise AssertionError(f"no problem in {file} at {where!r} saying {fragments}; got:\n{got}")


# --- the shipped data ---------------------------------------------------------------------------


def test_shipped_data_pass(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out and "43 forces" in out


def test_shipped_data_have_no_problems_with_area_check():
    assert check_dataset(REPO / "data", AREAS) == []


# --- national.csv, one kind of problem at a time ------------------------------------------------


def test_unknown_force(data):
    nat = data / "national.csv"
    n = find_row(nat, "cumbria", "stop_search_rate", FY22)
    edit(nat, n, force_id="cumbira")
    p = only(check_dataset(data), "national.csv", f"row {n}", "unknown force 'cumbira'", "did you mean 'cumbria'",
             "expected one of the 43 ids")
    assert str(p).startswith(p.file) and f"row {n}" in str(p)


def test_unknown_measure(data):
    nat = data / "national.csv"
    n = find_row(nat, "durham", "linked_find_rate", FY22)
    edit(nat, n, measure="linked_find")
    only(check_dataset(data), "national.csv", f"row {n}", "unknown measure 'linked_find'",
         "expected one of the ids in measures.yaml")


def test_duplicate_row(data):
    nat = data / "national.csv"
    rows = read_rows(nat)
    n = find_row(nat, "kent", "asb_incident_rate", FY22)
    rows.append(rows[n - 1])
    write_rows(nat, rows)
    only(check_dataset(data), "national.csv", f"row {len(rows)}", f"duplicate of row {n}",
         f"(kent, asb_incident_rate, {FY22})", "expected one row per force, measure and period")


@pytest.mark.parametrize("bad", ["1,234", "12%", "nan", "inf", "ten"])
def test_not_a_number(data, bad):
    nat = data / "national.csv"
    n = find_row(nat, "essex", "officer_leaving_rate")
    edit(nat, n, numerator=bad)
    only(check_dataset(data), "national.csv", f"row {n}", f"column numerator: {bad!r} is not a number",
         "expected a plain number")


def test_negative_count(data):
    nat = data / "national.csv"
    n = find_row(nat, "surrey", "stop_search_rate", FY22)
    edit(nat, n, numerator="-12", value="")
    only(check_dataset(data), "national.csv", f"row {n}", "column numerator: -12 is negative",
         "expected a count of zero or more")


def test_numerator_larger_than_denominator(data):
    nat = data / "national.csv"
    n = find_row(nat, "dorset", "linked_find_rate", FY22)
    edit(nat, n, numerator="900", denominator="800", value="")
    only(check_dataset(data), "national.csv", f"row {n}", "numerator 900 is larger than denominator 800",
         "expected numerator <= denominator")


def test_percentage_over_100(data):
    nat = data / "national.csv"
    n = find_row(nat, "norfolk", "cps_file_quality", NOV23)
    edit(nat, n, value="104", numerator="", denominator="")
    only(check_dataset(data), "national.csv", f"row {n}", "104 percent is over 100",
         "expected a percentage from 0 to 100")


def test_period_that_does_not_parse(data):
    nat = data / "national.csv"
    n = find_row(nat, "suffolk", "funding_per_1000", FY22)
    edit(nat, n, period="2022/23")
    only(check_dataset(data), "national.csv", f"row {n}", "'2022/23' is not a period",
         "expected an ISO 8601 interval")


def test_value_disagreeing_with_numerator_and_population(data):
    nat = data / "national.csv"
    n = find_row(nat, "metropolitan", "stop_search_rate", FY22)
    edit(nat, n, value="19.9")
    only(check_dataset(data), "national.csv", f"row {n}", "19.9 disagrees", "which is 19.8 at 1 decimal places",
         "expected the two to agree")


def test_value_disagreeing_with_numerator_and_denominator(data):
    nat = data / "national.csv"
    n = find_row(nat, "metropolitan", "asb_order_ratio", FY22)
    edit(nat, n, value="0.4")
    only(check_dataset(data), "national.csv", f"row {n}", "0.4 disagrees", "which is 0.3 at 1 decimal places")


def test_population_missing_for_a_rate(data):
    pop = data / "population.csv"
    rows = [r for r in read_rows(pop) if r[:2] != ["cumbria", "2022"]]
    write_rows(pop, rows)
    nat = data / "national.csv"
    problems = check_dataset(data)
    # Every rate of Cumbria whose period has its midpoint in 2022 needs the mid-2022 estimate.
    assert len(problems) == 4
    n = find_row(nat, "cumbria", "stop_search_rate", FY22)
    named(problems, "national.csv", f"row {n}", "no population for cumbria in 2022 in population.csv",
          "needs the mid-2022 estimate")


def test_btp_rows_need_no_population_and_are_ignored(data):
    pop_rows = read_rows(data / "population.csv")
    assert not any(r[0] == "british-transport-police" for r in pop_rows)
    assert any(r[0] == "british-transport-police" for r in read_rows(data / "national.csv"))
    assert check_dataset(data) == []


# --- file-level problems ------------------------------------------------------------------------


def test_missing_column(data):
    nat = data / "national.csv"
    write_rows(nat, [r[:5] for r in read_rows(nat)])
    only(check_dataset(data), "national.csv", "row 1 (header)", "missing column denominator",
         "expected columns force_id, measure, period, value, numerator, denominator")


def test_extra_column(data):
    pop = data / "population.csv"
    write_rows(pop, [r + (["comment"] if i == 0 else ["ONS"]) for i, r in enumerate(read_rows(pop))])
    only(check_dataset(data), "population.csv", "row 1 (header)", "unexpected column 'comment'",
         "expected only force_id, year, population (and optionally source)")


def test_optional_source_and_note_columns_load(data):
    """``peel import`` adds ``source`` (and in national.csv ``note``): both optional, both read."""
    # The demonstration files already carry a source column: start from files without one.
    pop = data / "population.csv"
    rows = [r[:3] for r in read_rows(pop)]
    write_rows(pop, [r + (["source"] if i == 0 else ["population/mye22final"]) for i, r in enumerate(rows)])
    nat = data / "national.csv"
    rows = [r[:6] for r in read_rows(nat)]
    rows = [rows[0] + ["note", "source"]] + [r + ["", "stop-search/x"] for r in rows[1:]]
    f, m = rows[0].index("force_id"), rows[0].index("measure")
    i = next(i for i, r in enumerate(rows) if r[f] == "kent" and r[m] == "stop_search_rate")
    rows[i][3:6] = ["", "", ""]
    rows[i][6] = "not available: quarter 3 missing from the table"
    write_rows(nat, rows)
    doc = yaml.safe_load((data / "dataset.yaml").read_text(encoding="utf-8"))
    doc["sources"] = {"stop-search/x": {"table": "stop-search", "publisher": "Home Office",
                                         "licence": "Open Government Licence v3.0", "rows": 1}}
    doc["groups"]["source"] = "stop-search/x"  # its own source is one of those replaced here
    (data / "dataset.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert check_dataset(data) == []
    ds = load_dataset(data)
    assert ds.info.sources == {"stop-search/x": {"table": "stop-search", "publisher": "Home Office",
                                                 "licence": "Open Government Licence v3.0", "rows": 1}}
    row = ds.national.iloc[i - 1]
    assert row["force_id"] == "kent" and row["note"].startswith("not available") and row["source"] == "stop-search/x"
    assert math.isnan(row["value"])


def test_sources_must_be_a_mapping(data):
    text = (data / "dataset.yaml").read_text(encoding="utf-8")
    (data / "dataset.yaml").write_text(text + "sources: [a, b]\n", encoding="utf-8")
    only(check_dataset(data), "dataset.yaml", "sources", "expected a mapping")


def test_empty_file(data):
    (data / "national.csv").write_text("", encoding="utf-8")
    only(check_dataset(data), "national.csv", "", "empty file", "expected a header row with columns force_id")


def test_not_utf8(data):
    nat = data / "national.csv"
    rows = read_rows(nat)
    n = find_row(nat, "wiltshire", "funding_per_1000", FY22)
    rows[n - 1][4] = "£" + rows[n - 1][4]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    nat.write_bytes(buf.getvalue().encode("cp1252"))
    only(check_dataset(data), "national.csv", f"row {n}", "not UTF-8", "save the file as UTF-8")


def test_dataset_yaml_needs_a_boolean_demonstration_flag(data):
    (data / "dataset.yaml").write_text("name: Test\ndemonstration: maybe\n", encoding="utf-8")
    only(check_dataset(data), "dataset.yaml", "demonstration", "expected true or false")


# --- the catalogue --------------------------------------------------------------------------------


def break_catalogue(data: Path, measure: str, **fields) -> Path:
    path = data / "measures.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for k, v in fields.items():
        if v is None:
            doc["measures"][measure].pop(k)
        else:
            doc["measures"][measure][k] = v
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_catalogue_unknown_unit(data):
    path = break_catalogue(data, "asb_incident_rate", unit="per_cent")
    only(check_catalogue(path, AREAS), "measures.yaml", "measures.asb_incident_rate.unit", "unknown unit 'per_cent'",
         "expected one of per_1000_population, gbp_per_1000_population, percent, count")
    assert len(check_dataset(data, AREAS)) == 1  # the rows are not blamed for the catalogue's mistake


def test_catalogue_unknown_compare(data):
    path = break_catalogue(data, "precept_share", compare="ranking")
    only(check_catalogue(path, AREAS), "measures.yaml", "measures.precept_share.compare",
         "unknown comparison 'ranking'", "expected one of band, standard, group, none")


def test_catalogue_unknown_area(data):
    path = break_catalogue(data, "precept_share", area="finance")
    only(check_catalogue(path, AREAS), "measures.yaml", "measures.precept_share.area", "unknown area 'finance'",
         "expected one of", "leadership_and_force_management")


def test_catalogue_unknown_placeholder(data):
    path = break_catalogue(data, "stop_search_rate", statement="{force} did {rate} searches.")
    only(check_catalogue(path, AREAS), "measures.yaml", "measures.stop_search_rate.statement",
         "unknown placeholder {rate}", "expected one of {value}, {numerator}, {denominator}, {period}, {force}")


def test_catalogue_standard_missing(data):
    path = break_catalogue(data, "calls_999_answered_10s", standard=None)
    only(check_catalogue(path, AREAS), "measures.yaml", "measures.calls_999_answered_10s.standard",
         "compare: standard needs 'standard'")


def test_catalogue_missing_field_and_unknown_exclude(data):
    path = break_catalogue(data, "funding_per_1000", source=None, exclude={"city-of-londn": "typo"})
    problems = check_catalogue(path, AREAS)
    assert len(problems) == 2
    named(problems, "measures.yaml", "measures.funding_per_1000.source", "missing required field 'source'")
    named(problems, "measures.yaml", "measures.funding_per_1000.exclude.city-of-londn", "unknown force")


# --- everything at once ---------------------------------------------------------------------------


def test_all_problems_are_reported_together(data, capsys):
    nat = data / "national.csv"
    r1 = find_row(nat, "cumbria", "stop_search_rate", FY22)
    r2 = find_row(nat, "kent", "precept_share", FY22)
    r3 = find_row(nat, "gwent", "cps_file_quality", NOV23)
    edit(nat, r1, force_id="cumbira")
    edit(nat, r2, numerator="abc")
    edit(nat, r3, period="November 2023")
    pop = data / "population.csv"
    p1 = find_row(pop, "durham", "2021")
    edit(pop, p1, population="-5")
    (data / "dataset.yaml").write_text("name: Test\ndemonstration: true\n", encoding="utf-8")

    with pytest.raises(InputError) as e:
        validate_all(data, REPO / "params")
    problems = e.value.problems
    named(problems, "national.csv", f"row {r1}", "unknown force")
    named(problems, "national.csv", f"row {r2}", "not a number")
    named(problems, "national.csv", f"row {r3}", "not a period")
    named(problems, "population.csv", f"row {p1}", "not positive")
    named(problems, "dataset.yaml", "notice", "need a notice")
    # Durham's rates in 2021 then lack a population, and are reported too.
    assert len(problems) > 5
    assert e.value.render().startswith(f"{len(problems)} problems found:")

    # The command prints them all, without a traceback, and exits with status 2.
    assert main(["validate", "--data", str(data), "--params", str(REPO / "params")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for p in problems:
        assert str(p) in err


def _validate_in_child(data: Path) -> subprocess.CompletedProcess:
    # In a child with a deadline: a regression that blocks on the input fails the test instead of hanging it.
    return subprocess.run([sys.executable, "-m", "peel.cli", "validate", "--data", str(data), "--params",
                           str(REPO / "params")], capture_output=True, text=True, timeout=60)


def test_a_fifo_input_is_refused_without_waiting(data):
    (data / "national.csv").unlink()
    os.mkfifo(data / "national.csv")  # nothing ever writes to it: reading it would block for ever
    done = _validate_in_child(data)
    assert done.returncode == 2 and "national.csv: is a named pipe (FIFO), not a regular file" in done.stderr


def test_a_symlink_to_an_endless_device_is_refused(data):
    (data / "dataset.yaml").unlink()
    (data / "dataset.yaml").symlink_to("/dev/zero")
    done = _validate_in_child(data)
    assert done.returncode == 2 and "dataset.yaml: is a device, not a regular file" in done.stderr


def test_an_input_larger_than_the_limit_is_refused(data):
    from peel.files import INPUT_LIMIT

    with (data / "population.csv").open("r+b") as f:
        f.truncate(INPUT_LIMIT + 1)  # sparse: costs no disk
    problems = check_dataset(data)
    assert any(p.file.endswith("population.csv") and "is larger than 64 MiB" in p.message for p in problems)


def test_a_fifo_catalogue_is_refused_without_waiting(data):
    """The catalogue is read twice (checked, then its measure ids for the inspection inputs): both bounded."""
    (data / "measures.yaml").unlink()
    os.mkfifo(data / "measures.yaml")
    done = _validate_in_child(data)
    assert done.returncode == 2 and "measures.yaml: is a named pipe (FIFO), not a regular file" in done.stderr
