"""``peel diff``: what changed between two builds, statement by statement."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from peel.cli import main
from peel.diff import DIFF_COLUMNS, diff_builds, diff_csv, diff_statements, read_statements
from peel.files import spreadsheet_safe
from peel.pipeline.statements_table import statements_csv
from peel.report_text import report_blocks, sentences

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


def test_a_figure_from_another_edition_is_a_change_even_when_it_did_not_move():
    """A table written before statements named editions (no such columns) is not an edition change."""
    was = _row(edition_file="prc-pfa-mar2013-onwards-tables-200723.xlsx", edition="2023-07-20")
    now = _row(edition_file="prc-pfa-mar2013-onwards-tables-180724.xlsx", edition="2024-07-18")
    changes = diff_statements({("kent", "measure:m", "value"): was}, {("kent", "measure:m", "value"): now})
    assert [(c.change, c.old, c.new) for c in changes] == [
        ("edition changed", "prc-pfa-mar2013-onwards-tables-200723.xlsx, edition of 2023-07-20",
         "prc-pfa-mar2013-onwards-tables-180724.xlsx, edition of 2024-07-18")]
    assert diff_statements({("kent", "measure:m", "value"): _row()}, {("kent", "measure:m", "value"): now}) == []
    assert diff_statements({("kent", "measure:m", "value"): was}, {("kent", "measure:m", "value"): dict(was)}) == []


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


def _build(data: Path, out: Path, capsys) -> None:
    """``peel build metropolitan --to html`` in this process (the command's own process is not what is tested)."""
    code = main(["build", "metropolitan", "--to", "html", "--data", str(data), "--out", str(out)])
    assert code == 0, capsys.readouterr().err[-3000:]


@pytest.mark.slow
def test_rebuild_after_one_edit_reports_exactly_that_flip(tmp_path: Path, capsys):
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("real", "published"))
    _build(data, tmp_path / "old", capsys)
    rows = (data / "national.csv").read_text(encoding="utf-8").splitlines()
    target = "metropolitan,officer_leaving_rate,2023-04-01/2024-03-31,"
    [i] = [n for n, line in enumerate(rows) if line.startswith(target)]
    rows[i] = target + "10.0,3444,34440,,synthetic"  # from 6.6 percent (in line) to 10.0 (above the upper line)
    (data / "national.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    # The edit rebuilt as an analyst would: over a copy of the first build, so only what reads the edited
    # measure is executed again (the same bytes as a fresh build; test_build.py checks that).
    shutil.copytree(tmp_path / "old", tmp_path / "new", symlinks=True)
    capsys.readouterr()
    _build(data, tmp_path / "new", capsys)
    log = capsys.readouterr().err
    assert "metropolitan/workforce: its data changed" in log and not re.search(r"reusing 0 of", log), log

    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "new")]) == 1
    changes = list(csv.DictReader((tmp_path / "new" / "diff.csv").read_text(encoding="utf-8").splitlines()))
    flips = [c for c in changes if c["change"] == "comparison changed"]
    assert [(c["force_id"], c["statement_id"], c["old"], c["new"]) for c in flips] == [
        ("metropolitan", "measure:officer_leaving_rate", "in line", "higher than expected")]
    # Everything else listed is the same statement (its printed figure moved with it), or the words around the
    # same measure in the workforce area (its charts' descriptions, captions, sources and tables, the lines'
    # values); nothing else changed.
    statements = {(c["force_id"], c["statement_id"]) for c in changes if c["statement_id"]}
    assert statements == {("metropolitan", "measure:officer_leaving_rate")}
    words = [c for c in changes if not c["statement_id"]]
    assert {(c["force_id"], c["area"]) for c in words} == {("metropolitan", "workforce")}
    assert any(c["sentence_kind"] == "chart description" and "10.0 percent, higher than expected" in c["new_sentence"]
               for c in words)
    page = BeautifulSoup((tmp_path / "new" / "diff.html").read_text(encoding="utf-8"), "html.parser")
    assert "higher than expected" in page.select_one("table.diff").get_text()
    assert read_statements(tmp_path / "new")  # the new folder's own table reads back


# --- the words of the reports -------------------------------------------------------------------------------

_REPORT = """<!DOCTYPE html><html lang="en-GB"><head><title>Kent</title></head><body>
<header class="cover"><h1 class="report-title">An inspection of Kent Police</h1>
<div class="demo-notice"><p class="demo-notice-text">The figures are synthetic.</p></div></header>
<main><section class="area" id="police_powers"><h2 class="area-title">Police powers</h2>
<section class="finding"><h3>The force uses its powers fairly</h3>
<div class="finding-text"><p>{finding}</p><p>It records every search.</p></div></section>
<section class="area-for-improvement"><h3>Area for improvement</h3><p>{afi}</p></section>
<figure class="chart"><img alt="A chart of searches." src="x.png"><figcaption>Figure 1: Searches</figcaption></figure>
</section>
<section class="annex print-only"><p>{finding} (the annex repeats what is above)</p></section></main>
<footer class="colophon"><p class="build-identity">Report built with peel {version}</p></footer></body></html>
"""
_FINDING = "The force understands its use of force. Officers explain why they search people."
_AFI = "The force should check that stop and search records are complete."


def _folder(path: Path, finding: str = _FINDING, afi: str = _AFI, version: str = "1.0",
            rows: list[dict[str, str]] | None = None) -> Path:
    (path / "kent").mkdir(parents=True)
    (path / "kent" / "report.html").write_text(_REPORT.format(finding=finding, afi=afi, version=version),
                                               encoding="utf-8")
    _write(path / "statements.csv", rows or [_row()])
    return path


def test_a_reworded_finding_is_one_change_with_both_sentences_and_exit_1(tmp_path: Path, capsys):
    old = _folder(tmp_path / "old")
    new = _folder(tmp_path / "new", finding=_FINDING.replace("understands its use", "does not yet understand its use"),
                  version="1.1")  # another version of the software is not a change of the report
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert "- **police\\_powers, finding**: text reworded" in markdown
    assert "  - Before: The force understands its use of force." in markdown
    assert "  - After: The force does not yet understand its use of force." in markdown
    assert "  - Words: The force ~~understands~~ **does not yet understand** its use of force." in markdown
    assert "Officers explain" not in markdown  # the finding's unchanged sentence is not listed
    assert "1 change: 1 text reworded." in markdown

    assert main(["diff", str(old), str(new), "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["force_id"], r["area"], r["sentence_kind"], r["change"], r["old_sentence"], r["new_sentence"])
            for r in rows] == [("kent", "police_powers", "finding", "text reworded",
                                "The force understands its use of force.",
                                "The force does not yet understand its use of force.")]
    assert (new / "diff.csv").read_text(encoding="utf-8") == diff_csv(diff_builds(old, new))
    page = BeautifulSoup((new / "diff.html").read_text(encoding="utf-8"), "html.parser")
    assert [t.get_text() for t in page.select("table.diff del")] == ["understands"]
    assert [t.get_text() for t in page.select("table.diff ins")] == ["does not yet understand"]


def test_identical_reports_have_no_changes_and_exit_0(tmp_path: Path, capsys):
    old, new = _folder(tmp_path / "old"), _folder(tmp_path / "new", version="2.0")
    assert main(["diff", str(old), str(new), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [",".join(DIFF_COLUMNS)]


def test_words_added_removed_and_kinds_of_block_are_told_apart(tmp_path: Path):
    old = _folder(tmp_path / "old")
    new = _folder(tmp_path / "new", afi=_AFI + " It should publish them.")
    (new / "kent" / "report.html").write_text(
        (new / "kent" / "report.html").read_text(encoding="utf-8")
        .replace("The figures are synthetic.", "The figures are made up.")
        .replace("<p>It records every search.</p>", "")
        .replace("Figure 1: Searches", "Figure 1: Stop and search"), encoding="utf-8")
    got = [(c.area, c.sentence_kind, c.change, c.old_sentence, c.new_sentence) for c in diff_builds(old, new)]
    assert got == [
        ("cover", "notice", "text reworded", "The figures are synthetic.", "The figures are made up."),
        ("police_powers", "finding", "text removed", "It records every search.", ""),
        ("police_powers", "area for improvement", "text added", "", "It should publish them."),
        ("police_powers", "caption", "text reworded", "Figure 1: Searches", "Figure 1: Stop and search"),
    ]


def test_a_rewording_a_statement_change_shows_is_not_repeated(tmp_path: Path):
    sentence = "The figure was 5.0."
    old = _folder(tmp_path / "old", finding=sentence, rows=[_row(sentence=sentence)])
    new = _folder(tmp_path / "new", finding="The figure was 5.1.", rows=[_row(sentence="The figure was 5.1.",
                                                                               value_text="5.1")])
    assert [c.change for c in diff_builds(old, new)] == ["figure moved"]


def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path):
    assert [spreadsheet_safe(t) for t in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx", "5.0", "Kent", "")] == [
        "'=1+1", "'+44", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "5.0", "Kent", ""]
    old = _folder(tmp_path / "old")
    new = _folder(tmp_path / "new", afi='=HYPERLINK("http://example.com","click")')
    [row] = list(csv.DictReader(io.StringIO(diff_csv(diff_builds(old, new)))))
    assert row["new_sentence"] == '\'=HYPERLINK("http://example.com","click")'
    assert row["old_sentence"] == _AFI


# --- bounded, safe reads and writes -------------------------------------------------------------------------

def _diff_in_child(*args: str) -> subprocess.CompletedProcess[str]:
    """``peel diff`` in a child process, as a user runs it; the timeout bounds a read that would never end."""
    return subprocess.run([sys.executable, "-m", "peel.cli", "diff", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("kind", ["fifo", "device", "device in a folder"])
def test_a_fifo_or_a_device_is_refused_at_once_naming_it(tmp_path: Path, kind: str):
    good = _write(tmp_path / "good.csv", [_row()])
    if kind == "fifo":
        bad = tmp_path / "statements.csv"
        os.mkfifo(bad)  # no writer ever comes: a plain open would wait for ever
    elif kind == "device":
        bad = Path("/dev/zero")  # reads without end
    else:
        (tmp_path / "build").mkdir()
        (tmp_path / "build" / "statements.csv").symlink_to("/dev/zero")
        bad = tmp_path / "build"
    done = _diff_in_child(str(bad), str(good), "--out", str(tmp_path / "d"))
    assert done.returncode == 2, done.stdout + done.stderr
    said = "a named pipe (FIFO)" if kind == "fifo" else "a device"
    assert "statements.csv" in done.stderr or "/dev/zero" in done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_statements_table_saved_as_utf16_or_with_a_bom_reads_as_utf8(tmp_path: Path, encoding: str):
    text = statements_csv([_row(sentence="The figure was 5.0 – in line.")])
    (tmp_path / "a.csv").write_text(text, encoding="utf-8")
    (tmp_path / "b.csv").write_text(text, encoding=encoding)  # Python writes the BOM for both
    assert (tmp_path / "b.csv").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb")
    assert read_statements(tmp_path / "b.csv") == read_statements(tmp_path / "a.csv")
    assert main(["diff", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--out", str(tmp_path / "d")]) == 0


def test_an_undecodable_statements_table_is_an_error_naming_it(tmp_path: Path, capsys):
    good = _write(tmp_path / "good.csv", [_row()])
    (tmp_path / "bad.csv").write_bytes(good.read_bytes().replace(b"The figure", b"The \xff figure"))
    assert main(["diff", str(good), str(tmp_path / "bad.csv"), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv, byte " in err and "not UTF-8 text" in err and "Traceback" not in err


def test_out_never_replaces_a_file_diff_did_not_write(tmp_path: Path, capsys):
    a = _write(tmp_path / "a.csv", [_row()])
    b = _write(tmp_path / "b.csv", [_row(sentence="The value was 5.0.")])
    params = tmp_path / "params"
    params.mkdir()
    (params / "diff.csv").write_text("the analyst's own table\n", encoding="utf-8")
    assert main(["diff", str(a), str(b), "--out", str(params)]) == 2
    err = capsys.readouterr().err
    assert "diff.csv: was not written by peel diff" in err and "--force" in err and "Traceback" not in err
    assert (params / "diff.csv").read_text(encoding="utf-8") == "the analyst's own table\n"
    assert not (params / "diff.html").exists()  # nothing at all was written
    # Its own outputs it replaces; an edit to them makes them the analyst's again.
    out = tmp_path / "out"
    assert main(["diff", str(a), str(b), "--out", str(out)]) == 1
    assert main(["diff", str(a), str(a), "--out", str(out)]) == 0
    with (out / "diff.html").open("a", encoding="utf-8") as f:
        f.write("<!-- signed off -->\n")
    assert main(["diff", str(a), str(b), "--out", str(out)]) == 2
    assert (out / "diff.html").read_text(encoding="utf-8").endswith("<!-- signed off -->\n")
    assert main(["diff", str(a), str(b), "--out", str(out), "--force"]) == 1
    assert "signed off" not in (out / "diff.html").read_text(encoding="utf-8")


def test_out_naming_a_file_is_an_error_not_a_traceback(tmp_path: Path):
    a = _write(tmp_path / "a.csv", [_row()])
    done = _diff_in_child(str(a), str(a), "--out", str(a))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{a}, --out: is a file: expected a folder" in done.stderr or "a.csv, --out: is a file" in done.stderr
    assert a.read_text(encoding="utf-8") == statements_csv([_row()])


@pytest.mark.slow
def test_a_finding_reworded_in_a_built_report_is_found_and_shown_both_ways(built_reports: Path, tmp_path: Path):
    # A copy of the session's build stands in for a rebuild: the diff reads only the files.
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        (folder / "metropolitan").mkdir(parents=True)
        shutil.copy(built_reports / "statements.csv", folder / "statements.csv")
        shutil.copy(built_reports / "metropolitan" / "report.html", folder / "metropolitan" / "report.html")
    done = _diff_in_child(str(old), str(new), "--format", "csv")
    assert done.returncode == 0 and done.stdout.splitlines() == [",".join(DIFF_COLUMNS)], done.stdout + done.stderr

    html = new / "metropolitan" / "report.html"
    text = html.read_text(encoding="utf-8")
    [finding] = [b for b in report_blocks(text) if b.section == "victim_service_assessment" and b.kind == "finding"
                 and "did not always record why" in b.text]
    before = next(s for s in sentences(finding.text) if "did not always record why" in s)
    after = before.replace("did not always record why", "rarely recorded why")
    assert text.count("did not always record why") == 1
    html.write_text(text.replace("did not always record why", "rarely recorded why"), encoding="utf-8")

    done = _diff_in_child(str(old), str(new), "--format", "markdown")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- **victim\\_service\\_assessment, finding**: text reworded" in done.stdout
    assert f"  - Before: {before}" in done.stdout and f"  - After: {after}" in done.stdout
    assert "~~did not always record~~ **rarely recorded**" in done.stdout
    assert "1 change: 1 text reworded." in done.stdout
    done = _diff_in_child(str(old), str(new), "--format", "csv")
    assert done.returncode == 1
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["force"], r["area"], r["sentence_kind"], r["old_sentence"], r["new_sentence"]) for r in rows] == [
        ("Metropolitan Police Service", "victim_service_assessment", "finding", before, after)]


def test_each_forces_changes_are_listed_together(tmp_path: Path):
    rows = [_row(), _row(force_id="gwent", force="Gwent Police")]
    old = _folder(tmp_path / "old", rows=rows)
    new = _folder(tmp_path / "new", afi="The force should publish its records.",
                  rows=[rows[0] | {"grade": "Good"}, rows[1] | {"grade": "Good"}])
    assert [(c.force_id, c.change) for c in diff_builds(old, new)] == [
        ("kent", "grade changed"), ("kent", "text reworded"), ("gwent", "grade changed")]
