"""``peel status`` (:mod:`peel.pipeline.status`): each report of a folder current, stale and why, failed, or
with a format missing or edited, judged against the folder's recorded inputs. The folder here is made from
records (no build runs); ``test_vintage.py`` checks the same after real builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from peel.errors import OutputFolderError
from peel.inputs.areas import load_report
from peel.pipeline.cache import fingerprints, sha256_file
from peel.pipeline.manifest import MANIFEST_NAME, write_manifest
from peel.pipeline.records import Failure, ForceRecord
from peel.pipeline.status import folder_status
from peel.pipeline.vintage import force_vintage, params_hash, shared_vintage

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRAVELS = ("statements.json", "figures.xlsx")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _report(out: Path, fid: str, *names: str) -> dict[str, str]:
    """Report files of ``fid`` on disk, and their hashes as a build records them."""
    (out / fid).mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / fid / name).write_text(f"{fid} {name}", encoding="utf-8")
    return {name: sha256_file(out / fid / name) for name in names}


def _folder(project: Path, formats: tuple[str, ...] = ("html",)) -> Path:
    """An output folder with four reports: kent current, surrey built from older data, essex failed with its
    previous report kept, metropolitan with its HTML edited and its PDF gone."""
    out = project / "out"
    report = load_report(project / "notebooks")
    shared = shared_vintage(fingerprints(project / "data", project / "notebooks", [a.notebook for a in report.areas]))

    def built(fid: str, files: dict[str, str], **vintage: str) -> ForceRecord:
        now = {**force_vintage(shared, params_hash(project / "params", fid)), **vintage}
        return ForceRecord(force_id=fid, status="built", files=files,
                           built_from={name: now for name in (*files, *TRAVELS)})

    essex = built("essex", _report(out, "essex", "report.html"))
    essex.status, essex.previous_report_kept = "failed", True
    essex.error = Failure(error="ValueError", message="a bad figure", area="alpha")
    metropolitan = built("metropolitan", _report(out, "metropolitan", "report.html", "report.pdf"))
    (out / "metropolitan" / "report.html").write_text("edited", encoding="utf-8")
    (out / "metropolitan" / "report.pdf").unlink()
    records = [built("kent", _report(out, "kent", "report.html")),
               built("surrey", _report(out, "surrey", "report.html"), dataset="000000000000"), essex, metropolitan]
    folders = {name: str((project / name).resolve()) for name in ("data", "params", "notebooks")}
    write_manifest(out, commit=None, options={"formats": list(formats), "jobs": 1, "timeout": 60.0,
                                              "folders": folders},
                   inputs={"data": {}, "notebooks": {}, "params": {}, "package": "p", "template": "t"},
                   forces=records)
    return out


def _lines(status) -> dict[str, str]:
    return {r.force_id: r.describe() for r in status.reports}


def test_each_report_is_current_stale_failed_or_missing_a_format(project):
    out = _folder(project)
    status = folder_status(out)
    assert _lines(status) == {
        "essex": "failed (ValueError: a bad figure); the previous report was kept",
        "kent": "current",
        "metropolitan": "report.html edited since it was built; report.pdf missing",
        "surrey": "stale: the data changed",
    }
    assert not status.all_current and set(status.stale) == {"surrey"}
    assert status.refresh.startswith("peel build surrey --to html ")
    lines = status.lines()
    assert lines[-2].endswith(": 1 current, 1 stale, 1 failed, 1 with a format missing or edited")
    assert lines[-2].startswith("4 reports in ") and lines[-1].startswith("1 stale report (surrey); to refresh: ")


def test_a_format_the_last_build_asked_for_and_the_report_lacks_is_named(project):
    out = _folder(project, formats=("html", "pdf"))
    assert _lines(folder_status(out))["kent"] == "no report.pdf (the last build asked for PDF)"


def test_reports_are_judged_against_the_folders_given(project):
    out = _folder(project)
    other = project / "other-params"
    shutil.copytree(project / "params", other)
    (other / "kent.yaml").write_text((other / "kent.yaml").read_text(encoding="utf-8") + "\n# edited\n",
                                     encoding="utf-8")
    assert _lines(folder_status(out))["kent"] == "current"
    assert _lines(folder_status(out, params_dir=other))["kent"] == "stale: its inspection inputs changed"


def test_a_hand_edited_record_that_does_not_validate_is_not_listed(project):
    out = _folder(project)
    text = (out / MANIFEST_NAME).read_text(encoding="utf-8")
    (out / MANIFEST_NAME).write_text(text.replace('"status": "built"', '"status": ["built"]', 1), encoding="utf-8")
    listed = _lines(folder_status(out))
    assert len(listed) == 3 and "essex" in listed


@pytest.mark.parametrize(("edit", "kent"), [
    (lambda options: options.pop("folders"), "no report.pdf (the last build asked for PDF)"),  # an older layout
    (lambda options: options.update(jobs="many"), "current"),  # hand-edited: no formats known
])
def test_options_of_an_older_or_hand_edited_build_json(project, edit, kent):
    out = _folder(project, formats=("html", "pdf"))
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    edit(doc["options"])
    (out / MANIFEST_NAME).write_text(json.dumps(doc), encoding="utf-8")
    status = folder_status(out, **{f"{name}_dir": project / name for name in ("data", "params", "notebooks")})
    assert _lines(status)["kent"] == kent


@pytest.mark.parametrize("text", [None, "", "not json", "[]"])
def test_a_folder_without_a_readable_build_json_is_refused(tmp_path, text):
    if text is not None:
        (tmp_path / MANIFEST_NAME).write_text(text, encoding="utf-8")
    with pytest.raises(OutputFolderError, match=r"build.json is missing or unreadable: expected the output folder"):
        folder_status(tmp_path)
