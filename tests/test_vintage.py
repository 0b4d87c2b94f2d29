"""Every report knows what it was built from: stale reports are said to be stale (build.json, the index,
the overview, the build's last line, ``peel status``); a --to html build leaves no older PDF, nor a --to pdf
build an older HTML; a notebook
run and saved in JupyterLab re-runs nothing; a tampered executed notebook is never reused."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from test_committed_notebooks import run_all_and_save

from peel import cli
from peel.errors import BuildError
from peel.inputs.forces import get_force
from peel.pipeline import build
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import UNSEALED
from peel.pipeline.seal import SEALS_NAME, _key_at, key_path, seal
from peel.pipeline.vintage import VINTAGE_WORDS, refresh_command, remove_older_format, stale_reasons
from peel.reuse import sha256_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def project(tmp_path):
    """A copy of the fixture notebooks, data and inspection inputs that a test may change."""
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _opts(root: Path, forces, formats=("html",), out: str = "out") -> BuildOptions:
    return BuildOptions(tuple(get_force(f) for f in forces), tuple(formats), root / "data", root / "params",
                        root / out, root / "notebooks", 2, 120, validate=False)


def _build(root: Path, forces, formats=("html",), out: str = "out"):
    stream = io.StringIO()
    result = build(_opts(root, forces, formats, out), stream=stream)
    assert result.exit_status == 0, stream.getvalue()
    return result, stream.getvalue()


def _set_kent_figure(root: Path, value: float) -> None:
    """A change of national data: Kent's figure in national.csv (England and Wales's figure moves with it)."""
    path = root / "data" / "national.csv"
    rows = [r.split(",") for r in path.read_text(encoding="utf-8").splitlines()]
    rows = [[*r[:3], str(value), *r[4:]] if r[0] == "kent" else r for r in rows]
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def _status(out: Path, capsys, *extra: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = cli.main(["status", str(out), *extra])
    return code, capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------- fast: the rules themselves

def test_stale_reasons_name_what_changed_per_file():
    now = {"dataset": "d2", "params": "p", "notebooks": "n", "package": "k", "template": "t"}
    old_data = {**now, "dataset": "d1"}
    assert stale_reasons({"report.html": now, "report.pdf": now}, ["report.html", "report.pdf"], now) == []
    assert stale_reasons({"report.html": old_data}, ["report.html"], now) == [VINTAGE_WORDS["dataset"]]
    assert stale_reasons({"report.html": now, "report.pdf": {**now, "template": "t0"}},
                         ["report.html", "report.pdf"], now) == ["report.pdf: the template changed"]
    assert stale_reasons({}, ["report.html"], now) == ["it was built before reports recorded their inputs"]


def test_the_refresh_command_names_the_forces_formats_and_folders(tmp_path):
    command = refresh_command(["surrey", "kent"], ("html",), tmp_path / "out", total=43, data_dir=tmp_path / "d b",
                              params_dir=tmp_path / "p", notebooks_dir=tmp_path / "n")
    words = shlex.split(command)
    assert words[:5] == ["peel", "build", "kent", "surrey", "--to"] and words[5] == "html"
    assert words[words.index("--data") + 1] == str(tmp_path / "d b")
    assert words[words.index("--out") + 1] == str(tmp_path / "out")
    every = refresh_command([f"f{i}" for i in range(43)], ("html", "pdf"), tmp_path, total=43)
    assert shlex.split(every)[:5] == ["peel", "build", "--all", "--to", "html,pdf"]
    assert "--data" not in every  # the default folders are not repeated


@pytest.mark.parametrize(("made", "other"), [("html", "pdf"), ("pdf", "html")])
def test_a_report_in_one_format_removes_the_other_made_by_the_last_build_and_names_an_edited_one(
        tmp_path, made, other):
    older = tmp_path / f"report.{other}"
    older.write_bytes(b"the previous build's")
    previous = {f"report.{other}": sha256_file(older)}
    assert remove_older_format(tmp_path, "kent", (made, other), previous) == []  # both made again
    assert older.read_bytes() == b"the previous build's"
    assert remove_older_format(tmp_path, "kent", (made,), previous) == [
        f"removed kent/report.{other}: it was built from older inputs than the new report.{made}"]
    assert not older.exists()
    assert remove_older_format(tmp_path, "kent", (made,), previous) == []  # nothing left to remove
    older.write_bytes(b"edited since")
    [line] = remove_older_format(tmp_path, "kent", (made,), previous)
    assert line.startswith(f"left kent/report.{other} in place") and line.endswith(f"the new report.{made}")
    assert older.read_bytes() == b"edited since"
    # Not made by the last build (no record of it): left in place as well.
    assert remove_older_format(tmp_path, "kent", (made,), {})[0].startswith(f"left kent/report.{other}")
    assert older.is_file()


def test_the_seal_key_is_made_once_readable_by_the_user_alone_and_refused_when_others_can_read_it(
        tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = key_path()
    assert str(path).startswith(str(tmp_path / "state"))
    first = seal("a/notebooks/x.key", {"executed_sha256": "0"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert seal("a/notebooks/x.key", {"executed_sha256": "0"}) == first
    assert seal("a/notebooks/x.key", {"executed_sha256": "1"}) != first
    other = tmp_path / "other" / "peel-reports" / path.name
    other.parent.mkdir(parents=True)
    other.write_text("00" * 32 + "\n", encoding="ascii")
    os.chmod(other, 0o644)
    with pytest.raises(BuildError, match="readable by you alone"):
        _key_at(other)


# ---------------------------------------------------------------- builds (fixture data, --to html, few forces)

@pytest.mark.slow
def test_a_notebook_run_and_saved_in_jupyterlab_executes_nothing(project):
    _build(project, ["kent"])
    for path in sorted((project / "notebooks").glob("*.ipynb")):
        before = path.read_bytes()
        run_all_and_save(path)
        assert path.read_bytes() != before and '"outputs": [\n' in path.read_text(encoding="utf-8")
    again, log = _build(project, ["kent"])
    assert {a.status for a in again.records["kent"].areas.values()} == {"reused"}, log
    assert "reusing 4 of 4 executed notebooks; 1 of 1 reports unchanged" in log


@pytest.mark.slow
def test_a_grade_change_then_an_html_build_leaves_no_older_pdf_nor_a_pdf_build_an_older_html(project):
    _, _ = _build(project, ["kent"], formats=("html", "pdf"))
    out = project / "out"
    assert (out / "kent" / "report.pdf").is_file()
    params = project / "params" / "kent.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace("grade: Adequate", "grade: Good"), encoding="utf-8")
    result, log = _build(project, ["kent"], formats=("html",))
    assert "Good" in (out / "kent" / "report.html").read_text(encoding="utf-8")
    assert not (out / "kent" / "report.pdf").exists()
    line = next(x for x in log.splitlines() if x.startswith("removed kent/report.pdf"))
    assert "built from older inputs than the new report.html" in line
    assert shlex.split(line.split("to make it again: ")[1])[:5] == ["peel", "build", "kent", "--to", "html,pdf"]
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert set(manifest["forces"]["kent"]["files"]) == {"report.html"}
    assert 'href="kent/report.pdf"' not in (out / "index.html").read_text(encoding="utf-8")
    code = cli.main(["status", str(out), "--strict"])
    assert code == 0
    # And the other way round: a PDF alone after another grade change leaves no older HTML.
    params.write_text(params.read_text(encoding="utf-8").replace("grade: Good", "grade: Adequate"), encoding="utf-8")
    result, log = _build(project, ["kent"], formats=("pdf",))
    assert (out / "kent" / "report.pdf").is_file() and not (out / "kent" / "report.html").exists()
    line = next(x for x in log.splitlines() if x.startswith("removed kent/report.html"))
    assert "built from older inputs than the new report.pdf" in line
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert set(manifest["forces"]["kent"]["files"]) == {"report.pdf"}
    assert 'href="kent/report.html"' not in (out / "index.html").read_text(encoding="utf-8")
    assert cli.main(["status", str(out), "--strict"]) == 0


@pytest.mark.slow
def test_a_national_data_change_then_a_one_force_build_leaves_the_others_stale_and_said_so(project, capsys):
    _build(project, ["kent", "surrey"])
    out = project / "out"
    code, lines = _status(out, capsys, "--strict")
    assert code == 0 and lines[-1].startswith("0 stale reports"), lines

    _set_kent_figure(project, 99.5)
    result, log = _build(project, ["kent"])
    last = log.strip().splitlines()[-1]
    assert last.startswith("1 stale report (surrey); to refresh: "), last
    words = shlex.split(last.split("to refresh: ")[1])
    assert words[:5] == ["peel", "build", "surrey", "--to", "html"]
    for option, folder in (("--data", "data"), ("--params", "params"), ("--notebooks", "notebooks"), ("--out", "out")):
        assert Path(words[words.index(option) + 1]) == project / folder

    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert manifest["forces"]["surrey"]["stale"] == ["the data changed"]
    assert "stale" not in manifest["forces"]["kent"]
    assert manifest["vintage"]["stale"] == {"surrey": ["the data changed"]}
    assert manifest["vintage"]["older_dataset"] == ["surrey"]
    built = manifest["forces"]["kent"]["built_from"]
    assert set(built) == {"report.html", "statements.json", "figures.xlsx"}
    assert built["report.html"]["dataset"] != manifest["forces"]["surrey"]["built_from"]["report.html"]["dataset"]

    index = (out / "index.html").read_text(encoding="utf-8")
    surrey_row = index[index.index("<th scope=\"row\">Surrey Police</th>"):]
    surrey_row = surrey_row[:surrey_row.index("</tr>")]
    assert '<span class="stale">out of date: the data changed</span>' in surrey_row
    assert "1 report was built from an older version of the dataset" in index and "may differ: Surrey Police." in index
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert "One of the two reports in this folder was built from an older version of the dataset" in overview
    assert "Surrey Police" in overview[overview.index("older version of the dataset"):][:400]

    code, lines = _status(out, capsys, "--strict")
    assert code == 1
    assert any(x.split() == ["kent", "current"] for x in lines), lines
    assert any(x.split(None, 1) == ["surrey", "stale: the data changed"] for x in lines), lines
    assert lines[-2].endswith("1 current, 1 stale, 0 failed, 0 with a format missing or edited")
    code, _ = _status(out, capsys)
    assert code == 0  # without --strict it only reports

    # The command it gives, run (through the API: the fixture inputs are not a whole dataset for validation).
    forces = words[2:words.index("--to")]
    _build(project, forces, formats=words[words.index("--to") + 1].split(","))
    code, lines = _status(out, capsys, "--strict")
    assert code == 0, lines
    assert "out of date" not in (out / "index.html").read_text(encoding="utf-8")
    assert "older version of the dataset" not in (out / "overview.html").read_text(encoding="utf-8")

    # A report file deleted by hand is a format missing.
    (out / "surrey" / "report.html").unlink()
    code, lines = _status(out, capsys, "--strict")
    assert code == 1 and any(x.split(None, 1) == ["surrey", "report.html missing"] for x in lines), lines


@pytest.mark.slow
def test_a_tampered_executed_notebook_with_its_hash_recomputed_is_executed_again(project, tmp_path, monkeypatch):
    _build(project, ["kent"])
    out = project / "out"
    executed = out / "kent" / "notebooks" / "01_alpha.ipynb"
    nb = nbformat.read(executed, as_version=4)
    text = json.dumps(nb)
    assert "Fixture text for kent." in text
    nbformat.write(nbformat.reads(text.replace("Fixture text for kent.", "Tampered text."), as_version=4), executed)
    key_file = executed.with_suffix(".key")
    record = json.loads(key_file.read_text(encoding="utf-8"))
    record["executed_sha256"] = sha256_file(executed)  # the hash beside the notebook, recomputed
    key_file.write_text(json.dumps(record, sort_keys=True, indent=2) + "\n", encoding="utf-8")

    result, log = _build(project, ["kent"])
    area = result.records["kent"].areas["alpha"]
    assert area.status == "executed" and area.reason == UNSEALED, log
    assert {a.status for n, a in result.records["kent"].areas.items() if n != "alpha"} == {"reused"}
    html = (out / "kent" / "report.html").read_text(encoding="utf-8")
    assert "Tampered text." not in html and "Fixture text for kent." in html

    # The seal depends on the user's key, which is kept out of every compared file: another user's build
    # of the same inputs gives the same reports, executed notebooks and records; only .seals.json differs.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-user"))
    _build(project, ["kent"], out="out-b")
    a, b = out / "kent", project / "out-b" / "kent"
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert "notebooks/01_alpha.key" in names and "report.key" in names
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (out / SEALS_NAME).read_bytes() != (project / "out-b" / SEALS_NAME).read_bytes()
