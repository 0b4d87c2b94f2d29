"""``peel diff``: what changed between two builds, statement by statement."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from peel.build.statements import statements_csv
from peel.cli import main
from peel.diff import diff_statements, read_statements

REPO = Path(__file__).resolve().parents[1]


def _row(**kw: str) -> dict[str, str]:
    base = {"force_id": "kent", "force": "Kent Police", "area": "police_powers", "kind": "measure",
            "statement_id": "measure:m", "sentence_kind": "value", "value_text": "5.0", "comparison": "in line",
            "trend": "", "grade": "", "figures": "", "england_and_wales": "5.0", "decimals": "1",
            "sentence": "The figure was 5.0."}
    base.update(kw)
    return base


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(statements_csv(rows), encoding="utf-8")
    return path


def test_identical_tables_have_no_changes_and_exit_0(tmp_path: Path, capsys):
    a = _write(tmp_path / "a.csv", [_row()])
    assert main(["diff", str(a), str(a), "--out", str(tmp_path / "d")]) == 0
    assert "No changes." in capsys.readouterr().out
    assert (tmp_path / "d" / "diff.csv").read_text(encoding="utf-8").splitlines()[1:] == []


def test_flip_reports_one_change_with_its_sentences():
    old = {("kent", "measure:m", k): _row(sentence_kind=k, sentence=s)
           for k, s in (("value", "The figure was 5.0."), ("comparison", "This is in line."))}
    new = {("kent", "measure:m", k): _row(sentence_kind=k, sentence=s, comparison="higher than expected")
           for k, s in (("value", "The figure was 5.0."), ("comparison", "This is higher than expected."))}
    changes = diff_statements(old, new)
    assert [(c.change, c.old, c.new) for c in changes] == [("comparison changed", "in line", "higher than expected")]
    assert changes[0].new_sentence == "This is higher than expected."


@pytest.mark.parametrize("edit, expected", [
    ({"grade": "Good"}, "grade changed"),
    ({"trend": "rising"}, "trend changed"),
    ({"value_text": "5.1"}, "figure moved"),
    ({"england_and_wales": "5.06"}, "England and Wales figure moved"),
    ({"sentence": "The value was 5.0."}, "sentence reworded"),
])
def test_each_kind_of_change(edit, expected):
    changes = diff_statements({("kent", "measure:m", "value"): _row()},
                              {("kent", "measure:m", "value"): _row(**edit)})
    assert [c.change for c in changes] == [expected]


def test_a_move_within_the_published_precision_is_not_a_change():
    changes = diff_statements({("kent", "measure:m", "value"): _row(england_and_wales="5.01")},
                              {("kent", "measure:m", "value"): _row(england_and_wales="5.03")})
    assert changes == []


def test_forces_and_statements_added_and_removed():
    old = {("kent", "measure:m", "value"): _row(), ("gwent", "measure:m", "value"): _row(force_id="gwent")}
    new = {("kent", "measure:m", "value"): _row(), ("kent", "measure:x", "value"): _row(statement_id="measure:x"),
           ("dyfed_powys", "measure:m", "value"): _row(force_id="dyfed_powys")}
    got = sorted((c.force_id, c.change) for c in diff_statements(old, new))
    assert got == [("dyfed_powys", "force added"), ("gwent", "force removed"), ("kent", "statement added")]


def test_a_folder_without_statements_is_an_error_naming_the_file(tmp_path: Path, capsys):
    assert main(["diff", str(tmp_path), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "statements.csv" in err and "Traceback" not in err


def _build(data: Path, out: Path) -> None:
    command = [sys.executable, "-m", "peel.cli", "build", "metropolitan", "--to", "html", "--data", str(data),
               "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_rebuild_after_one_edit_reports_exactly_that_flip(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("real", "published"))
    _build(data, tmp_path / "old")
    rows = (data / "national.csv").read_text(encoding="utf-8").splitlines()
    target = "metropolitan,officer_leaving_rate,2023-04-01/2024-03-31,"
    [i] = [n for n, line in enumerate(rows) if line.startswith(target)]
    rows[i] = target + "10.0,3444,34440,,synthetic"  # from 6.6 percent (in line) to 10.0 (above the upper line)
    (data / "national.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    _build(data, tmp_path / "new")

    done = subprocess.run([sys.executable, "-m", "peel.cli", "diff", str(tmp_path / "old"), str(tmp_path / "new")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    changes = list(csv.DictReader((tmp_path / "new" / "diff.csv").read_text(encoding="utf-8").splitlines()))
    flips = [c for c in changes if c["change"] == "comparison changed"]
    assert [(c["force_id"], c["statement_id"], c["old"], c["new"]) for c in flips] == [
        ("metropolitan", "measure:officer_leaving_rate", "in line", "higher than expected")]
    # Everything else listed is the same statement (its printed figure moved with it); nothing else changed.
    assert {(c["force_id"], c["statement_id"]) for c in changes} == {("metropolitan", "measure:officer_leaving_rate")}
    page = BeautifulSoup((tmp_path / "new" / "diff.html").read_text(encoding="utf-8"), "html.parser")
    assert "higher than expected" in page.select_one("table.diff").get_text()
    assert read_statements(tmp_path / "new")  # the new folder's own table reads back
