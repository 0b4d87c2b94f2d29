"""``peel build`` on fixture notebooks: refusals, failure isolation, incremental builds, records."""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from peel import cli
from peel.errors import InputError
from peel.inputs.forces import get_force
from peel.pipeline import BuildResult, build
from peel.pipeline.options import BuildOptions, parse_formats, resolve_forces

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FORCES = ("metropolitan", "kent", "surrey")


@pytest.fixture
def project(tmp_path):
    """A copy of the fixture notebooks, data and inspection inputs that a test may change."""
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _set_kent_figure(root: Path, value: float) -> None:
    """A change of data: Kent's figure in the fixture dataset's national.csv (the folder stays a whole dataset)."""
    path = root / "data" / "national.csv"
    rows = [r.split(",") for r in path.read_text(encoding="utf-8").splitlines()]
    rows = [[*r[:3], str(value), *r[4:]] if r[0] == "kent" else r for r in rows]
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def _opts(root: Path, forces=FORCES, formats=("html",), out: str = "out", jobs: int = 2, timeout=60):
    return BuildOptions(tuple(get_force(f) for f in forces), formats, root / "data", root / "params",
                        root / out, root / "notebooks", jobs, timeout, validate=False)


def _build(root: Path, **kw):
    stream = io.StringIO()
    result = build(_opts(root, **kw), stream=stream)
    return result, stream.getvalue()


@dataclass(frozen=True)
class FirstBuild:
    """The fixture project's first build (``_build`` with its defaults), made once for this module."""

    project: Path
    pristine: Path  # a copy of the project as the first build left it
    result: BuildResult
    log: str


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> FirstBuild:
    root = tmp_path_factory.mktemp("first-build")
    project = root / "project"
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, project / name)
    result, log = _build(project)
    assert result.exit_status == 0, log
    pristine = root / "pristine"
    shutil.copytree(project, pristine, symlinks=True)
    return FirstBuild(project, pristine, result, log)


@pytest.fixture
def built_project(first_build: FirstBuild) -> Path:
    """The fixture project as its first build left it, for a test to change and build again.

    Put back at the path it was built in (the build records its input folders' paths, so a copy
    elsewhere would execute everything again), with the files' times kept: the next build finds the
    first build's outputs as its own.
    """
    shutil.rmtree(first_build.project)
    shutil.copytree(first_build.pristine, first_build.project, symlinks=True)
    return first_build.project


def _statuses(result, force):
    return {a: r.status for a, r in result.records[force].areas.items()}


# ---------------------------------------------------------------- refusals (nothing runs, nothing written)

@pytest.mark.parametrize("bad", ["../x", "/etc", "Metropolitan", "not-a-force", "kent/../../x", ""])
def test_bad_force_ids_are_refused_without_traceback_and_nothing_is_written(bad, tmp_path, capsys):
    out = tmp_path / "out"
    status = cli.main(["build", bad, "--out", str(out), "--to", "html"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert repr(bad) in err and "FORCE_ID" in err
    assert not out.exists()


def test_every_bad_force_id_is_listed_at_once(tmp_path, capsys):
    status = cli.main(["build", "../x", "kent", "nowhere", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "'../x'" in err and "'nowhere'" in err and "2 problems" in err


@pytest.mark.parametrize("args, words", [
    (["build", "kent", "--to", "docx"], "--to"),
    (["build", "kent", "--to", ""], "--to"),
    (["build", "kent", "--jobs", "0"], "--jobs"),
    (["build", "kent", "--timeout", "0"], "--timeout"),
    (["build", "--all", "kent"], "--all"),
    (["build"], "name at least one force"),
])
def test_bad_options_are_refused(args, words, tmp_path, capsys):
    status = cli.main([*args, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_formats_and_forces_are_parsed():
    assert parse_formats("pdf, html") == ("html", "pdf")
    assert parse_formats("HTML") == ("html",)
    assert [f.id for f in resolve_forces(["kent", "kent", "essex"], False)] == ["kent", "essex"]
    assert len(resolve_forces([], True)) == 43
    with pytest.raises(InputError):
        parse_formats("html,png")


def test_a_notebook_that_does_not_declare_a_parameter_stops_the_build(project):
    nb_path = project / "notebooks" / "02_beta.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("params_dir", "params_folder")
    nbformat.write(nb, nb_path)
    with pytest.raises(InputError) as e:
        _build(project)
    assert "02_beta.ipynb" in str(e.value) and "'params_dir'" in str(e.value)
    assert not any((project / "out").rglob("*.ipynb"))
    assert not any((project / "out").rglob("report.*"))


@pytest.mark.parametrize("name", ["measures.yaml", "population.csv"])
def test_without_validation_a_data_folder_that_is_not_a_whole_dataset_stops_the_build_before_it_runs(project, name):
    """validate=False skips the contract's checks, not the dataset: the overview and index are made from it."""
    (project / "data" / name).unlink()
    with pytest.raises(InputError) as e:
        _build(project)
    assert str(project / "data" / name) in str(e.value) and "expected" in str(e.value)
    assert not any((project / "out").rglob("*.ipynb"))
    assert not any((project / "out").rglob("report.*"))
    assert not (project / "out" / "overview.html").exists() and not (project / "out" / "index.html").exists()


# ---------------------------------------------------------------- building

@pytest.mark.slow
def test_build_writes_reports_index_and_manifest_then_reuses_everything(first_build, built_project):
    project, result, log = built_project, first_build.result, first_build.log
    assert result.exit_status == 0, log
    out = project / "out"
    for force in FORCES:
        html = (out / force / "report.html").read_text(encoding="utf-8")
        assert f"Fixture text for {force}." in html
        executed = sorted(p.name for p in (out / force / "notebooks").glob("*.ipynb"))
        assert executed[0] == "00_overview.ipynb" and executed[-1] == "03_about_the_data.ipynb"
    # Surrey was not inspected on beta, so its report has no beta area and no beta notebook.
    assert not (out / "surrey" / "notebooks" / "02_beta.ipynb").exists()
    assert (out / "kent" / "notebooks" / "02_beta.ipynb").exists()
    assert "executing all 4 notebooks (not built before)" in log

    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert manifest["project"]["version"]
    assert set(manifest["inputs"]["notebooks"]) >= {"01_alpha.ipynb", "report.yaml"}
    assert manifest["inputs"]["params"]["kent.yaml"]
    assert manifest["forces"]["kent"]["areas"]["alpha"]["status"] == "executed"
    assert list(manifest) == sorted(manifest)

    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'lang="en-GB"' in index and index.count("<h1") == 1 and "<script" not in index
    assert "Kent Police report (HTML)" in index and 'href="kent/report.html"' in index
    assert "Fixture demonstration notice." in index
    # The fixture's grades have no source, so the index says in words that they are illustrative.
    assert re.search(r'class="grade-adequate">Adequate <span class="grade-basis">\(illustrative\)</span><', index)
    assert 'class="grade-requires-improvement"' in index

    # The fixture dataset is a whole one: the overview is made from it, like any other.
    assert result.overview == out / "overview.html"
    assert "National overview: written (not built before)" in log
    overview = (out / "overview.html").read_text(encoding="utf-8")
    assert "Fixture share by forces in England and Wales" in overview and "Fixture demonstration notice." in overview

    before = {f: (out / f / "report.html").stat().st_mtime_ns for f in FORCES}
    again, log2 = _build(project)
    assert again.exit_status == 0
    assert all(r.status == "reused" for r in again.records.values()), log2
    assert "reusing 11 of 11 executed notebooks; 3 of 3 reports unchanged" in log2
    assert "National overview: kept (unchanged)" in log2
    assert {f: (out / f / "report.html").stat().st_mtime_ns for f in FORCES} == before


@pytest.mark.slow
def test_incremental_rules(built_project):
    project = built_project
    out = project / "out"

    # One area's notebook changes: only that area re-runs, for every force that has it.
    nb_path = project / "notebooks" / "02_beta.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("beta_extra = 1", id="extra-cell"))
    nbformat.write(nb, nb_path)
    result, log = _build(project)
    assert _statuses(result, "kent") == {"overview": "reused", "alpha": "reused", "beta": "executed",
                                         "about_the_data": "reused"}
    assert result.records["kent"].areas["beta"].reason == "notebook changed"
    assert "kent/beta: notebook changed" in log and "metropolitan/beta: notebook changed" in log
    assert set(_statuses(result, "surrey").values()) == {"reused"}

    # One finding of one force changes: only that area of that force re-runs.
    params = project / "params" / "kent.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace("Some text.", "Other text."), encoding="utf-8")
    result, log = _build(project)
    assert _statuses(result, "kent") == {"overview": "reused", "alpha": "executed", "beta": "reused",
                                         "about_the_data": "reused"}
    assert result.records["kent"].areas["alpha"].reason == "its inspection inputs changed"
    assert "kent/alpha: its inspection inputs changed" in log
    assert result.records["metropolitan"].status == "reused"
    assert result.records["surrey"].status == "reused"

    # A grade changes: the area and the overview (which shows every grade) re-run.
    params.write_text(params.read_text(encoding="utf-8").replace("grade: Adequate", "grade: Good"), encoding="utf-8")
    result, log = _build(project)
    assert _statuses(result, "kent") == {"overview": "executed", "alpha": "executed", "beta": "reused",
                                         "about_the_data": "reused"}

    # A figure changes: every force's areas that read it re-run (alpha, which shows the fixture measure,
    # and "About the data", which reads the whole dataset); the others are reused.
    _set_kent_figure(project, 99.5)
    result, log = _build(project)
    for force in FORCES:
        statuses = _statuses(result, force)
        assert statuses["alpha"] == statuses["about_the_data"] == "executed"
        assert statuses["overview"] == "reused" and statuses.get("beta", "reused") == "reused"
        assert {a.reason for a in result.records[force].areas.values() if a.status == "executed"} == {
            "its data changed"}

    # An executed notebook deleted by hand is executed again.
    (out / "metropolitan" / "notebooks" / "01_alpha.ipynb").unlink()
    result, log = _build(project)
    assert _statuses(result, "metropolitan")["alpha"] == "executed"
    assert result.records["metropolitan"].areas["alpha"].reason == "executed notebook missing or edited"


@pytest.mark.slow
def test_a_failing_notebook_fails_only_its_force_and_keeps_its_previous_report(built_project):
    project = built_project
    out = project / "out"
    kent_before = (out / "kent" / "report.html").read_bytes()
    (project / "params" / "kent.alpha.fault").write_text("error", encoding="utf-8")
    # The data changes too, so every force has new work and the others must be rebuilt.
    _set_kent_figure(project, 12.5)
    result, log = _build(project)

    assert result.exit_status == 1
    assert result.failed == ["kent"]
    err = result.records["kent"].error
    assert err.area == "alpha" and err.error == "ValueError" and isinstance(err.cell, int)
    assert err.executed_notebook == "kent/notebooks/01_alpha.ipynb"
    assert (out / "kent" / "report.html").read_bytes() == kent_before
    for force in ("metropolitan", "surrey"):
        assert result.records[force].status == "built"
        assert _statuses(result, force)["alpha"] == _statuses(result, force)["about_the_data"] == "executed"
    # The summary names the force, area, cell, error and the executed notebook.
    summary = log[log.index("force(s) failed"):]
    assert "kent, area alpha, " in summary and "ValueError: broken on purpose for kent" in summary
    # The cell as counted in the source notebook the analyst edits (not the executed copy), with its first line.
    assert "01_alpha.ipynb, cell 2 (the 2nd cell), which begins `from pathlib import Path as _Path`" in summary
    assert err.cell == 2 and err.notebook is not None and err.notebook.endswith("01_alpha.ipynb")
    assert "01_alpha.ipynb" in summary
    # The executed notebook with the error is kept for reading; the record of a good run is not.
    assert (out / "kent" / "notebooks" / "01_alpha.ipynb").is_file()
    assert not (out / "kent" / "notebooks" / "01_alpha.key").exists()
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert manifest["forces"]["kent"]["status"] == "failed"
    assert manifest["forces"]["kent"]["error"]["area"] == "alpha"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Forces whose last build failed" in index and "Kent Police" in index
    assert 'href="kent/report.html"' in index  # the previous good report is still linked

    # Once fixed, the areas the data change did not touch (beta) or that ran before the failure (the
    # overview) are reused; the failed area and the ones after it that read the data run.
    (project / "params" / "kent.alpha.fault").unlink()
    fixed, _ = _build(project)
    assert fixed.exit_status == 0
    assert _statuses(fixed, "kent") == {"overview": "reused", "alpha": "executed", "beta": "reused",
                                        "about_the_data": "executed"}
    assert fixed.records["kent"].status == "built" and fixed.records["kent"].rendered == "notebooks re-executed"


@pytest.mark.slow
def test_same_inputs_give_byte_identical_outputs(first_build, built_project):
    """One worker (out-a) against the first build's two (out)."""
    project = built_project
    a, _ = _build(project, out="out-a", jobs=1)
    assert a.exit_status == first_build.result.exit_status == 0
    for force in FORCES:
        assert (project / "out-a" / force / "report.html").read_bytes() == \
            (project / "out" / force / "report.html").read_bytes()
        for nb in (project / "out-a" / force / "notebooks").glob("*.ipynb"):
            assert nb.read_bytes() == (project / "out" / force / "notebooks" / nb.name).read_bytes()
    assert (project / "out-a" / "index.html").read_bytes() == (project / "out" / "index.html").read_bytes()


@pytest.mark.slow
def test_a_force_built_in_the_build_process_is_byte_identical_to_one_built_by_a_worker(project):
    """One force with work is built without a worker process (peel.pipeline.inline); its files must be
    the same bytes as the pool's, the PDF included."""
    pooled, _ = _build(project, out="out-pool", forces=("kent", "surrey"), formats=("html", "pdf"), jobs=2)
    alone, _ = _build(project, out="out-alone", forces=("kent",), formats=("html", "pdf"), jobs=2)
    assert pooled.exit_status == alone.exit_status == 0
    a, b = project / "out-pool" / "kent", project / "out-alone" / "kent"
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert "report.pdf" in names and "statements.json" in names and "figures.xlsx" in names
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
