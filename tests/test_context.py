"""``present.load``: what each notebook of a force reads again is remembered by content, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from peel.analysis.present import load
from peel.errors import InputError
from peel.inputs.areas import load_report
from peel.inputs.inspection import load_force_inputs
from peel.paths import notebooks_dir, params_dir


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the project's report structure and of two forces' inspection inputs."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(notebooks_dir() / "report.yaml", notebooks / "report.yaml")
    params = tmp_path / "params"
    params.mkdir()
    for force in ("kent", "metropolitan"):
        shutil.copy(params_dir() / f"{force}.yaml", params / f"{force}.yaml")
    return notebooks, params


def test_a_second_load_gives_what_a_fresh_read_gives(folders):
    notebooks, params = folders
    first = load("metropolitan", "", params, notebooks)
    second = load("metropolitan", "", params, notebooks)
    report = load_report(notebooks, check_notebooks=False)
    assert second.report == first.report == report
    assert second.inputs == first.inputs
    assert second.inputs.summary == load_force_inputs(params, "metropolitan", report).summary
    # each notebook run still gets a context of its own: figure numbers and records start afresh
    first.next_figure()
    assert second.figure_count == 0 and second is not first


def test_an_edited_inputs_file_is_read_again(folders):
    notebooks, params = folders
    path = params / "kent.yaml"
    before = load("kent", "", params, notebooks).inputs.summary
    path.write_text(path.read_text(encoding="utf-8").replace("Demonstration draft.", "Edited draft."),
                    encoding="utf-8")
    after = load("kent", "", params, notebooks).inputs.summary
    assert "Demonstration draft." in before and "Edited draft." in after


def test_an_edited_report_structure_is_read_again(folders):
    notebooks, params = folders
    path = notebooks / "report.yaml"
    assert load("kent", "", params, notebooks).report.subtitle == "Police effectiveness, efficiency and legitimacy"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "subtitle: Police effectiveness, efficiency and legitimacy", "subtitle: Changed"), encoding="utf-8")
    assert load("kent", "", params, notebooks).report.subtitle == "Changed"


def test_a_broken_file_fails_every_time_and_its_repair_is_seen(folders):
    notebooks, params = folders
    path = params / "kent.yaml"
    good = path.read_text(encoding="utf-8")
    load("kent", "", params, notebooks)
    path.write_text(good.replace("draft: true", "draft: [true"), encoding="utf-8")
    for _ in range(2):  # a failure is not remembered, nor does the good content before it hide it
        with pytest.raises(InputError, match=r"kent\.yaml"):
            load("kent", "", params, notebooks)
    path.write_text(good, encoding="utf-8")
    assert load("kent", "", params, notebooks).inputs.draft is True
    path.unlink()
    with pytest.raises(InputError, match="no inspection inputs for Kent Police"):
        load("kent", "", params, notebooks)
