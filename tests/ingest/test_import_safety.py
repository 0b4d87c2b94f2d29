"""What an import may never do to a dataset: write a wrong figure, lose another import's rows, hang or
exhaust memory on a file in the dataset's place, or expand a compressed spreadsheet without bound.

The bad cells, rows twice and totals are also in the bad-input corpus (tests/corpus/cases.yaml, kind
``import``), run through the command line; here are the faults that need a process of their own (two
imports at once, a FIFO that would block) or a file built for the purpose (a zip bomb).
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from peel.cli import main
from peel.errors import OutputFolderError
from peel.files import InputFileError, check_zip_expansion
from peel.ingest import LOCK_NAME, import_table
from peel.ingest.reading import IngestError
from peel.lock import OutputLock

from .conftest import PUBLISHED

LOOKUP = PUBLISHED / "lad_pfa_lookup.csv"


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def peel(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``peel ARGS`` in a process of its own (bounded: a hang fails the test instead of stopping it)."""
    return subprocess.run([sys.executable, "-m", "peel.cli", *args], capture_output=True, text=True, timeout=timeout)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------------------- kinds of data


def test_an_import_into_the_demonstration_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "dataset.yaml").write_text("name: Demo\ndemonstration: true\nnotice: synthetic\n", encoding="utf-8")
    before = snapshot(data)
    with pytest.raises(IngestError, match=r"dataset.yaml, demonstration: true: a demonstration dataset \(synthetic "
                                          r"figures\): expected false"):
        import_table("recorded-crime", PUBLISHED / "denominators.csv", data)
    assert snapshot(data) == before


def test_import_needs_data(capsys: pytest.CaptureFixture[str]) -> None:
    """No default dataset folder: an import never lands in the demonstration data by omission."""
    with pytest.raises(SystemExit) as stop:
        main(["import", "recorded-crime", str(PUBLISHED / "denominators.csv")])
    assert stop.value.code == 2
    assert "the following arguments are required: --data" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- declared options


def test_exclude_writes_the_figure_as_not_available_with_its_reason(dataset: Path) -> None:
    import_table("recorded-crime", PUBLISHED / "denominators.csv", dataset)
    import_table("outcomes", PUBLISHED / "force_year_subset_2019-20_to_2025-26.csv", dataset,
                 exclude=["kent:2022/23=a reason given here"])
    got = {(r["force_id"], r["period"]): r for r in csv_rows(dataset / "national.csv")
           if r["measure"] == "charge_summons_rate"}
    kent = dict(got[("kent", "2022-04-01/2023-03-31")])
    # The share of offences the table gave an outcome stays: it is what the table says, not the figure.
    assert 0 < float(kent.pop("coverage")) <= 1
    assert kent | {"source": ""} == {
        "force_id": "kent", "measure": "charge_summons_rate", "period": "2022-04-01/2023-03-31", "value": "",
        "numerator": "", "denominator": "", "note": "a reason given here", "source": ""}
    assert got[("kent", "2021-04-01/2022-03-31")]["numerator"] != ""
    text = (dataset / "dataset.yaml").read_text(encoding="utf-8")
    assert "    excluded:\n      kent 2022-04-01/2023-03-31: a reason given here\n" in text


@pytest.mark.parametrize("given, message", [
    ("kent:2022/23", "expected FORCE:PERIOD=REASON"),
    ("gotham:2022/23=x", "'gotham' is not a force id"),
    ("kent:2022/24=x", "'2022/24' is not a period"),
    ("kent:2031/32=x", r"no figure for kent 2031-04-01/2032-03-31 in denominators.csv"),
])
def test_a_wrong_exclusion_is_refused(dataset: Path, given: str, message: str) -> None:
    before = snapshot(dataset)
    with pytest.raises(IngestError, match=message):
        import_table("recorded-crime", PUBLISHED / "denominators.csv", dataset, exclude=[given])
    assert snapshot(dataset) == before


def test_only_with_population_leaves_out_rates_it_cannot_compute_and_says_so(dataset: Path) -> None:
    import_table("population", PUBLISHED / "lad_population_mid2023_from_budget-galaxy.csv", dataset, lookup=LOOKUP)
    lines = import_table("recorded-crime", PUBLISHED / "denominators.csv", dataset, only_with_population=True)
    assert {r["period"] for r in csv_rows(dataset / "national.csv")} == {"2023-04-01/2024-03-31"}
    assert any(ln.startswith("left out: 559 rows whose period has no ONS mid-year population estimate in the "
                             "dataset (--only-with-population): 2012-04-01/2013-03-31, ") for ln in lines)
    text = (dataset / "dataset.yaml").read_text(encoding="utf-8")
    assert "    left_out: '559 rows whose period" in text and "    rows: 43\n" in text
    with pytest.raises(IngestError, match="--only-with-population: given with the population table"):
        import_table("population", PUBLISHED / "mye22final.xlsx", dataset, lookup=LOOKUP, only_with_population=True)


# ------------------------------------------------------------------------------------------ format by content


def test_a_good_xlsx_named_xls_is_read_by_its_content(fixture_files: dict[str, Path], dataset: Path,
                                                      tmp_path: Path) -> None:
    misnamed = tmp_path / "prc-pfa-mar2013-onwards-tables.xls"
    misnamed.write_bytes(fixture_files["prc.xlsx"].read_bytes())
    import_table("recorded-crime", fixture_files["prc.xlsx"], dataset)
    proper = [r for r in csv_rows(dataset / "national.csv")]
    import_table("recorded-crime", misnamed, dataset)
    assert [r for r in csv_rows(dataset / "national.csv")] == proper  # same rows, same source id


# ------------------------------------------------------------------------------------------- bounded reading


def _bomb(good: Path, out: Path, expanded: int) -> Path:
    """``good`` (an XLSX) with its shared strings replaced by ``expanded`` bytes of one repeated string."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                dst.writestr(info, src.read(info))
        unit = b"<si><t>" + b"a" * 1000 + b"</t></si>"
        with dst.open("xl/sharedStrings.xml", "w") as f:
            f.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for _ in range(expanded // len(unit)):
                f.write(unit)
            f.write(b"</sst>")
    return out


def test_a_spreadsheet_that_would_expand_without_bound_is_refused_from_its_directory(
        fixture_files: dict[str, Path], dataset: Path, tmp_path: Path) -> None:
    bomb = _bomb(fixture_files["prc.xlsx"], tmp_path / "bomb.xlsx", 64 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024  # under a megabyte compressed, 64 MiB expanded
    before = snapshot(dataset)
    started = time.monotonic()
    with pytest.raises(IngestError, match=r"bomb.xlsx: member xl/sharedStrings.xml expands [\d,]+ times .*over the "
                                          r"limit of 200 times for a compressed spreadsheet"):
        import_table("recorded-crime", bomb, dataset)
    assert time.monotonic() - started < 10  # refused from the zip directory, not by expanding it
    assert snapshot(dataset) == before


def test_zip_limits_on_one_member_and_on_all_of_them(fixture_files: dict[str, Path]) -> None:
    """The member and total limits (checked with lower limits than the shipped ones, on a real workbook)."""
    with zipfile.ZipFile(fixture_files["prc.xlsx"]) as z:
        check_zip_expansion(z)  # a good workbook passes
        biggest = max(z.infolist(), key=lambda i: i.file_size)
        total = sum(i.file_size for i in z.infolist())
        with pytest.raises(InputFileError, match=rf"member {biggest.filename} expands to {biggest.file_size:,} bytes"):
            check_zip_expansion(z, member=biggest.file_size - 1)
        with pytest.raises(InputFileError, match=rf"expands to {total:,} bytes in all, over the limit"):
            check_zip_expansion(z, total=total - 1)


@pytest.mark.parametrize("name, kind, table, target", [
    ("national.csv", "fifo", "recorded-crime", "national.csv: is a named pipe (FIFO), not a regular file"),
    ("national.csv", "/dev/zero", "outcomes", "national.csv: is a device, not a regular file"),
    ("population.csv", "/dev/zero", "population", "population.csv: is a device, not a regular file"),
    ("dataset.yaml", "fifo", "recorded-crime", "dataset.yaml: is a named pipe (FIFO), not a regular file"),
])
def test_a_dataset_file_that_would_block_or_never_end_is_refused(dataset: Path, name: str, kind: str, table: str,
                                                                 target: str) -> None:
    path = dataset / name
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    file = {"recorded-crime": "denominators.csv", "outcomes": "force_year_subset_2019-20_to_2025-26.csv",
            "population": "lad_population_mid2023_from_budget-galaxy.csv"}[table]
    started = time.monotonic()
    run = peel("import", table, str(PUBLISHED / file), "--lookup", str(LOOKUP), "--data", str(dataset), timeout=120)
    assert run.returncode == 1, run.stderr
    assert target in run.stderr and "Traceback" not in run.stderr
    assert time.monotonic() - started < 120
    assert not [p for p in dataset.iterdir() if p.name.startswith(".")]  # nothing written, no lock left


# --------------------------------------------------------------------------------------- one writer at a time


def test_two_imports_at_once_both_keep_their_rows(dataset: Path) -> None:
    """Two processes importing into one dataset at the same moment: each waits its turn, both sources and
    all their rows are there (without the lock, the later write would drop the earlier's rows and entry)."""
    commands = [["population", str(PUBLISHED / "crime-pressure-force-2022-pop-data.csv.gz"), "--lookup", str(LOOKUP)],
                ["population", str(PUBLISHED / "mye22final.xlsx"), "--lookup", str(LOOKUP)],
                ["recorded-crime", str(PUBLISHED / "denominators.csv")]]
    procs = [subprocess.Popen([sys.executable, "-m", "peel.cli", "import", *c, "--data", str(dataset)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    assert [r[0] for r in results] == [0, 0, 0], [r[2] for r in results]
    population = {(r["force_id"], r["year"]) for r in csv_rows(dataset / "population.csv")}
    assert len(population) == 43 * 21  # mid-2001 to mid-2020, and mid-2022
    assert len([r for r in csv_rows(dataset / "national.csv") if r["measure"] == "recorded_crime_per_1000"]) == 602
    text = (dataset / "dataset.yaml").read_text(encoding="utf-8")
    for sid in ("population/crime-pressure-force-2022-pop-data", "population/mye22final",
                "recorded-crime/denominators"):
        assert f"\n  {sid}:\n" in text
    assert not (dataset / LOCK_NAME).exists()


def test_an_import_waits_for_the_holder_then_is_refused_naming_it(dataset: Path) -> None:
    before = snapshot(dataset)
    with OutputLock(dataset, sys.stderr, name=LOCK_NAME, remove=True):
        started = time.monotonic()
        with pytest.raises(OutputFolderError, match=rf"another peel import is writing to this dataset \(process "
                                                    rf"{os.getpid()} on .*\) \(waited 0.5 s\); wait for it"):
            import_table("recorded-crime", PUBLISHED / "denominators.csv", dataset, lock_wait=0.5)
        assert 0.5 <= time.monotonic() - started < 5
    assert snapshot(dataset) == before


def test_an_import_waiting_for_the_lock_goes_ahead_when_it_is_released(dataset: Path) -> None:
    lock = OutputLock(dataset, sys.stderr, name=LOCK_NAME, remove=True)
    lock.__enter__()
    release = threading.Timer(1.0, lock.__exit__, args=(None, None, None))
    release.start()
    try:
        run = peel("import", "recorded-crime", str(PUBLISHED / "denominators.csv"), "--data", str(dataset))
    finally:
        release.join()
    assert run.returncode == 0, run.stderr
    assert len(csv_rows(dataset / "national.csv")) == 602


def test_a_lock_left_by_a_killed_import_is_taken_over_with_a_message(dataset: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (dataset / LOCK_NAME).write_text('{"pid": 4206942, "start": "1", "host": "elsewhere", "since": '
                                     '"2026-01-01T00:00:00+00:00"}', encoding="utf-8")
    import_table("recorded-crime", PUBLISHED / "denominators.csv", dataset)
    said = capsys.readouterr().err
    assert "taking over the dataset folder from a process that stopped (process 4206942 on elsewhere" in said
    assert not (dataset / LOCK_NAME).exists()
    assert len(csv_rows(dataset / "national.csv")) == 602
