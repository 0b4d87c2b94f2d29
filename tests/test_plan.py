"""The plan of a build (:mod:`peel.pipeline.plan`): per force and area, execute or reuse and why, and whether
the report is rendered again; decided from records, hashes and seals, before any kernel starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from peel.errors import InputError
from peel.inputs.areas import load_report
from peel.inputs.forces import get_force
from peel.pipeline.cache import fingerprints
from peel.pipeline.options import BuildOptions, make_options
from peel.pipeline.plan import REPORT_RECORD, UNSEALED, VALIDATION_RECORD, dataset_info, plan_force, validate_inputs
from peel.pipeline.records import relative
from peel.pipeline.seal import seal
from peel.reuse import sha256_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEFT_OUT = [{"cell": 4, "what": "a DataFrame", "mime": "text/html"}]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _opts(root: Path, formats=("html",)) -> BuildOptions:
    return BuildOptions((get_force("kent"),), tuple(formats), root / "data", root / "params", root / "out",
                        root / "notebooks", 1, 60.0, extra_parameters=(("figure_width", "6"),))


def _plan(root: Path, seals: dict[str, str] | None = None, formats=("html",)):
    opts = _opts(root, formats)
    report = load_report(opts.notebooks_dir)
    fp = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])
    return plan_force(get_force("kent"), opts, report, fp, dataset_info(opts.data_dir), "abc123", seals)


def _as_if_executed(root: Path, plan) -> dict[str, str]:
    """Write every area's executed notebook and record as a build does; return their seals."""
    seals = {}
    for area in plan.areas:
        area.executed.parent.mkdir(parents=True, exist_ok=True)
        area.executed.write_text(f"executed {area.area_id}", encoding="utf-8")
        record = {"components": area.components, "executed_sha256": sha256_file(area.executed),
                  "area_id": area.area_id, "left_out": LEFT_OUT}
        area.key_file.write_text(json.dumps(record), encoding="utf-8")
        name = relative(area.key_file, root / "out")
        seals[name] = seal(name, record)
    return seals


def test_a_first_build_executes_every_area_the_force_was_inspected_on(project):
    plan = _plan(project)
    # beta is inspected for kent (kent.yaml has findings for it); overview and about_the_data are always there.
    assert [a.area_id for a in plan.areas] == ["overview", "alpha", "beta", "about_the_data"]
    assert all(a.execute and a.reason == "not built before" for a in plan.areas)
    assert plan.render and plan.render_reason == "notebooks re-executed" and plan.has_work and plan.needs_kernel
    assert plan.grades == {"alpha": "Adequate"} and plan.context["commit"] == "abc123"
    assert plan.areas[0].parameters == {"force_id": "kent", "data_dir": str(project / "data"),
                                        "params_dir": str(project / "params"), "figure_width": "6"}
    assert plan.kept_report() == {}


def test_an_unchanged_sealed_area_is_reused_with_what_its_report_left_out(project):
    seals = _as_if_executed(project, _plan(project))
    plan = _plan(project, seals)
    assert [(a.execute, a.reason) for a in plan.areas] == [(False, "unchanged")] * 4
    assert all(a.left_out == LEFT_OUT for a in plan.areas)
    assert not plan.needs_kernel and plan.render and plan.render_reason == "not built before"


def test_a_record_without_its_seal_is_not_trusted(project):
    seals = _as_if_executed(project, _plan(project))
    alpha = "kent/notebooks/01_alpha.key"
    plan = _plan(project, {k: v for k, v in seals.items() if k != alpha})
    assert {a.area_id: a.reason for a in plan.areas if a.execute} == {"alpha": UNSEALED}
    assert plan.render_reason == "notebooks re-executed"


def test_an_edited_executed_notebook_or_a_changed_finding_runs_that_area_again(project):
    seals = _as_if_executed(project, _plan(project))
    (project / "out" / "kent" / "notebooks" / "02_beta.ipynb").write_text("edited", encoding="utf-8")
    params = project / "params" / "kent.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace("Some text.", "Other text."), encoding="utf-8")
    plan = _plan(project, seals)
    assert {a.area_id: a.reason for a in plan.areas if a.execute} == {
        "alpha": "its inspection inputs changed", "beta": "executed notebook missing or edited"}


def test_a_report_is_kept_only_while_its_files_and_record_match(project):
    seals = _as_if_executed(project, _plan(project))
    plan = _plan(project, seals)
    files = {"report.html": "x"}
    (plan.out / "report.html").write_text("x", encoding="utf-8")
    files["report.html"] = sha256_file(plan.out / "report.html")
    record = {"components": plan.render_components, "files": files, "grades": plan.grades}
    (plan.out / REPORT_RECORD).write_text(json.dumps(record), encoding="utf-8")
    name = f"kent/{REPORT_RECORD}"
    seals[name] = seal(name, record)
    kept = _plan(project, seals)
    assert not kept.render and kept.render_reason == "unchanged" and not kept.has_work
    assert kept.kept_report() == record
    assert _plan(project, seals, formats=("html", "pdf")).render_reason == "report.pdf not built before"
    assert _plan(project, {k: v for k, v in seals.items() if k != name}).render_reason == UNSEALED
    (plan.out / "report.html").write_text("edited", encoding="utf-8")
    assert _plan(project, seals).render_reason == "report.html missing or edited"


def test_validation_is_recorded_and_not_repeated_for_the_same_inputs(tmp_path):
    """On the project's own inputs (the fixtures are not a whole dataset: they are built with validate=False)."""
    opts = make_options(forces=["kent"], out=tmp_path / "out")
    report = load_report(opts.notebooks_dir)
    fp = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])
    opts.out_dir.mkdir()
    warnings = validate_inputs(opts, fp)
    path = opts.out_dir / VALIDATION_RECORD
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["warnings"] == warnings
    # The record answers for the same inputs: what it says is returned without checking again.
    path.write_text(json.dumps({**record, "warnings": ["recorded"]}), encoding="utf-8")
    assert validate_inputs(opts, fp) == ["recorded"]
    # A record of other inputs (another key) is not: they are checked again.
    path.write_text(json.dumps({"key": "0" * 64, "warnings": ["recorded"]}), encoding="utf-8")
    assert validate_inputs(opts, fp) == warnings


def test_inputs_that_fail_validation_are_not_recorded(project):
    opts = _opts(project)
    report = load_report(opts.notebooks_dir)
    fp = fingerprints(opts.data_dir, opts.notebooks_dir, [a.notebook for a in report.areas])
    opts.out_dir.mkdir()
    with pytest.raises(InputError, match="every force needs inspection inputs"):
        validate_inputs(opts, fp)
    assert not (opts.out_dir / VALIDATION_RECORD).exists()
