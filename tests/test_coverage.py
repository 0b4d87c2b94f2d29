""" "Not supplied" versus "not loaded": a gap in the national file is found, and never blamed on a force."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from peel import cli
from peel.errors import InputError
from peel.inputs.validate import validate_all

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(REPO / "data", folder, ignore=shutil.ignore_patterns("published", "real"))
    return folder


def _drop(data: Path, keep) -> None:
    path = data / "national.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "".join(line for line in lines[1:] if keep(line.split(","))), encoding="utf-8")


def test_a_measure_with_no_rows_for_its_period_is_an_error_and_the_build_refuses(data, tmp_path, capsys):
    _drop(data, lambda f: not (f[1] == "stop_search_rate" and f[2] == "2022-04-01/2023-03-31"))
    with pytest.raises(InputError) as e:
        validate_all(data, REPO / "params")
    text = str(e.value)
    assert "measure 'stop_search_rate', period 2022-04-01/2023-03-31" in text
    assert "no rows for the period the catalogue quotes" in text and "2021-04-01/2022-03-31" in text

    out = tmp_path / "out"
    status = cli.main(["build", "kent", "--data", str(data), "--out", str(out), "--to", "html"])
    err = capsys.readouterr().err
    assert status != 0 and "measure 'stop_search_rate', period 2022-04-01/2023-03-31" in err
    assert "Traceback" not in err
    assert not (out / "kent" / "report.html").exists()


def test_a_force_with_no_row_is_a_warning_naming_it(data):
    _drop(data, lambda f: not (f[0] == "kent" and f[1] == "stop_search_rate"))
    warnings: list[str] = []
    summary = validate_all(data, REPO / "params", warnings=warnings)
    kent = [w for w in warnings if "'stop_search_rate'" in w]
    assert len(kent) == 3  # every period of the measure
    assert all("no row for Kent Police (42 of 43 forces have one)" in w for w in kent)
    assert "warning: national.csv: measure 'stop_search_rate', period 2022-04-01/2023-03-31" in summary


def test_the_report_tells_a_gap_in_the_data_from_a_force_that_did_not_supply(data):
    from peel.analysis.comparison import compare
    from peel.analysis.wording import measure_sentences
    from peel.inputs.dataset import load_dataset

    # Kent: no row. Surrey: an explicit row with an empty value and a note.
    path = data / "national.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    period = "2022-04-01/2023-03-31"
    out = [lines[0] if "note" in header else lines[0].rstrip("\n") + ",note\n"]
    for line in lines[1:]:
        f = line.rstrip("\n").split(",") + [""] * (len(header) - len(line.rstrip("\n").split(",")))
        if f[1] == "stop_search_rate" and f[2] == period and f[0] == "kent":
            continue
        if f[1] == "stop_search_rate" and f[2] == period and f[0] == "surrey":
            f[3:6] = ["", "", ""]
            row = dict(zip(header, f, strict=False))
            row["note"] = "not available: the force's return was late"
            out.append(",".join(row.get(c, "") for c in (header if "note" in header else header + ["note"])) + "\n")
            continue
        out.append(",".join(f + ([] if "note" in header else [""])) + "\n")
    path.write_text("".join(out), encoding="utf-8")
    c = compare(load_dataset(data), "stop_search_rate")
    assert c.not_supplied == {"surrey": "not available: the force's return was late"}
    kent = measure_sentences(c, "kent")[0]
    surrey = measure_sentences(c, "surrey")[0]
    assert kent.startswith("The figure for Kent Police for the year ending 31 March 2023 is not in the national data")
    assert "did not supply" not in kent
    assert surrey.startswith("Surrey Police did not supply this data for the year ending 31 March 2023 "
                             "(not available: the force's return was late)")
