"""The main job, on the shipped demonstration data: ``peel build --all`` writes 43 HTML reports, 43 PDFs,
the index and the manifest; a second run with nothing changed executes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from peel.inputs.areas import load_report
from peel.inputs.forces import force_ids
from peel.inputs.inspection import load_force_inputs

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def peel_build(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "peel.cli", "build", "--all", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("all")
    first = peel_build(out)
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    return out, first, manifest


def test_all_writes_43_reports_pdfs_index_and_manifest(batch):
    out, first, manifest = batch
    assert first.returncode == 0, first.stderr[-3000:]
    ids = force_ids()
    assert len(ids) == 43
    for fid in ids:
        assert (out / fid / "report.html").stat().st_size > 10_000, fid
        assert (out / fid / "report.pdf").read_bytes()[:5] == b"%PDF-", fid
    assert sorted(manifest["forces"]) == sorted(ids)
    assert {r["status"] for r in manifest["forces"].values()} == {"built"}
    # Each force's areas are the ones its inspection inputs have, plus the overview and about the data.
    report = load_report(REPO / "notebooks")
    for fid in ("metropolitan", "bedfordshire", "gwent"):
        inputs = load_force_inputs(REPO / "params", fid, report)
        expected = {a.id for a in report.areas if a.always or a.id in inputs.areas}
        assert set(manifest["forces"][fid]["areas"]) == expected, fid
    assert "crime_data_integrity" in manifest["forces"]["bedfordshire"]["areas"]
    assert "crime_data_integrity" not in manifest["forces"]["metropolitan"]["areas"]
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    hrefs = {a["href"] for a in index.find_all("a")}
    for fid in ids:
        assert {f"{fid}/report.html", f"{fid}/report.pdf"} <= hrefs, fid


def test_a_second_run_with_nothing_changed_executes_nothing(batch):
    out, first, _ = batch
    assert first.returncode == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("report.*")}
    again = peel_build(out)
    assert again.returncode == 0, again.stderr[-3000:]
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert len(manifest["forces"]) == 43
    for fid, record in manifest["forces"].items():
        assert record["status"] == "reused", fid
        assert record["areas"], fid
        executed = [a for a, r in record["areas"].items() if r["status"] != "reused"]
        assert not executed, f"{fid} re-executed {executed}"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("report.*")} == before, "a report was rewritten"
