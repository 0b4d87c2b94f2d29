"""What a wheel ships: every template and data file, so a report built from an installed wheel is the same.

The package-data globs of ``pyproject.toml`` must match every file of ``src/peel`` that is not Python
(a file they miss is left out of the wheel with no error). An area introduction the report names must
exist: a missing one stops the build instead of leaving the text out. The slow test builds the wheel,
installs it into a fresh virtual environment (its dependencies are this environment's, so no network),
builds the Met's report from that install and compares it byte for byte with the editable install's.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import jinja2
import pytest

from peel.analysis.templating import AREA_INTRODUCTIONS, MACROS, TEMPLATES_DIR, make_environment

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "peel"


def data_files() -> set[str]:
    """Every file under src/peel that is not Python source or bytecode, relative to the package."""
    return {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}


def package_data_globs() -> list[str]:
    doc = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(doc["tool"]["setuptools"]["package-data"]["peel"])


def test_the_package_data_globs_match_every_file_that_is_not_python() -> None:
    files = data_files()
    assert "analysis/templates/areas/victim_service_assessment.html.j2" in files  # the file a flat glob missed
    # setuptools expands each pattern as glob.glob(pattern, recursive=True) in the package's folder.
    matched = {Path(m).as_posix() for g in package_data_globs()
               for m in glob.glob(g, root_dir=PACKAGE, recursive=True) if (PACKAGE / m).is_file()}
    missed = sorted(files - matched)
    assert not missed, f"files the wheel would leave out (add a glob to [tool.setuptools.package-data]): {missed}"
    shipped_bytecode = sorted(m for m in matched if m.endswith(".pyc"))
    assert not shipped_bytecode, shipped_bytecode


def test_the_area_introductions_are_the_files_in_the_areas_folder() -> None:
    on_disk = {p.name.removesuffix(".html.j2") for p in (TEMPLATES_DIR / "areas").glob("*.html.j2")}
    assert on_disk == set(AREA_INTRODUCTIONS)


def _area_header(templates: Path, area_id: str) -> str:
    macro = make_environment(templates).get_template(MACROS).module.area_header
    return str(macro(area_id=area_id, title="Title", status="ungraded"))


def test_a_missing_area_introduction_stops_the_build(tmp_path: Path) -> None:
    """The include fails loudly: a wheel without the file cannot make a report that lacks its text."""
    whole = _area_header(TEMPLATES_DIR, "victim_service_assessment")
    assert len(whole) > 1000  # the introduction is there
    assert _area_header(TEMPLATES_DIR, "police_powers").rstrip().endswith("Not graded</p>")  # no introduction, no error
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    (templates / "areas" / "victim_service_assessment.html.j2").unlink()
    with pytest.raises(jinja2.TemplateNotFound, match="areas/victim_service_assessment.html.j2"):
        _area_header(templates, "victim_service_assessment")


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_a_report_built_from_the_wheel_is_the_same(built_reports: Path, tmp_path: Path) -> None:
    # Build from a copy, so the build's egg-info and build/ folders stay out of the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)])
    wheel, = dist.glob("peel_reports-*.whl")
    with zipfile.ZipFile(wheel) as z:
        in_wheel = {n.removeprefix("peel/") for n in z.namelist() if n.startswith("peel/")}
    assert not sorted(data_files() - in_wheel), "data files missing from the wheel"
    assert not [n for n in in_wheel if n.endswith(".pyc")]

    # A fresh environment with the wheel alone; the dependencies come from this one through a .pth
    # line (a path there is added without running its .pth files, so the editable install stays out).
    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(env_dir)])
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "peel-test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-cache-dir", str(wheel)])
    where = _run([str(python), "-c", "import peel, sys; print(peel.__file__); print(sys.path)"], cwd=tmp_path).stdout
    assert where.splitlines()[0].startswith(str(site)), where
    assert str(REPO / "src") not in where, where

    out = tmp_path / "out"
    # The data, params and notebooks of the checkout; nbconvert's templates and the kernel spec from the
    # environment that holds the dependencies (as they would be in the new one after a full install).
    env = dict(os.environ, PEEL_ROOT=str(REPO), JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    _run([str(python), "-m", "peel.cli", "build", "metropolitan", "--to", "html", "--out", str(out)],
         cwd=tmp_path, env=env)
    from_wheel = (out / "metropolitan" / "report.html").read_bytes()
    editable = (built_reports / "metropolitan" / "report.html").read_bytes()
    assert b'<div class="area-introduction">' in from_wheel  # the text a wheel without areas/ lost
    assert from_wheel == editable, "the report built from the wheel differs from the editable install's"
