"""A build writes only its own files: a folder of the user's, a file of theirs in a build's folder, or a
symbolic link where the build would write is refused, naming them, and no file of the user's changes.

Each case is caused for real (the user's files written, the links made) and the user's files are hashed
before and after.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from peel import cli
from peel.errors import OutputFolderError
from peel.inputs.forces import get_force
from peel.pipeline import build
from peel.pipeline.options import BuildOptions
from peel.pipeline.ownership import is_build_file, is_build_temporary
from peel.pipeline.run import remove_temporaries

FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Seconds a refusal may take: it comes before anything is read or run (generous for a loaded machine).
REFUSAL_DEADLINE = 60


@pytest.fixture
def project(tmp_path):
    """A copy of the fixture notebooks, data and inspection inputs."""
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def _opts(root: Path, out: Path, force: bool = False) -> BuildOptions:
    return BuildOptions((get_force("kent"),), ("html",), root / "data", root / "params", out, root / "notebooks",
                        1, 60, validate=False, force=force)


def _hashes(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links not followed) and its SHA-256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def _cli(root: Path, out: Path, *extra: str) -> int:
    return cli.main(["build", "kent", "--to", "html", "--data", str(root / "data"), "--params", str(root / "params"),
                     "--notebooks", str(root / "notebooks"), "--out", str(out), *extra])


def test_a_folder_of_the_users_is_refused_naming_its_files(project, capsys):
    site = project / "mysite"
    site.mkdir()
    for name, text in (("index.html", "my home page"), ("statements.csv", "my,table\n"), ("build.json", "{}"),
                       ("overview.html", "mine"), ("notes.txt", "notes")):
        (site / name).write_text(text, encoding="utf-8")
    before = _hashes(site)
    t0 = time.monotonic()
    assert _cli(project, site) == 2
    assert time.monotonic() - t0 < REFUSAL_DEADLINE
    err = capsys.readouterr().err
    assert "is not a folder a peel build made (it has no build.json)" in err
    for name in ("index.html", "statements.csv", "notes.txt", "overview.html"):
        assert f"mysite/{name}" in err
    assert "--force" in err and "Traceback" not in err
    assert _hashes(site) == before and sorted(os.listdir(site)) == sorted(before)  # not even a lock file


def test_an_output_folder_that_is_a_file_is_a_clean_error(project, capsys):
    blocker = project / "out.txt"
    blocker.write_text("mine", encoding="utf-8")
    assert _cli(project, blocker) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "expected a folder, found a file" in err and "Traceback" not in err
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_a_build_folder_is_recognised_a_users_file_in_it_is_named_and_force_keeps_it(project):
    out = project / "out"
    first = build(_opts(project, out), stream=io.StringIO())
    assert first.exit_status == 0
    assert is_build_file("build.json", "top") and (out / "kent" / "notebooks").is_dir()
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    (out / "kent" / "my-chart.png").write_bytes(b"\x89PNG")
    (out / "kent" / "notebooks" / ".scratch.tmp").write_text("mine", encoding="utf-8")
    mine = {p: p.read_bytes() for p in (out / "notes.txt", out / "kent" / "my-chart.png",
                                        out / "kent" / "notebooks" / ".scratch.tmp")}
    before = _hashes(out)
    with pytest.raises(OutputFolderError) as refused:
        build(_opts(project, out), stream=io.StringIO())
    message = str(refused.value)
    assert "holds files no peel build wrote" in message
    assert "notes.txt" in message and "kent/my-chart.png" in message and "--force" in message
    assert _hashes(out) == before

    # With --force the build writes its own files beside them, and leaves theirs as they were.
    (out / "kent" / "report.html").unlink()  # the build's own file, made again
    forced = build(_opts(project, out, force=True), stream=io.StringIO())
    assert forced.exit_status == 0 and (out / "kent" / "report.html").is_file()
    assert {p: p.read_bytes() for p in mine} == mine


def test_a_force_folder_that_is_a_link_to_a_users_folder_is_refused_even_with_force(project, capsys):
    out = project / "out"
    assert build(_opts(project, out), stream=io.StringIO()).exit_status == 0
    users = project / "users-folder"
    users.mkdir()
    (users / "report.html").write_text("my report", encoding="utf-8")
    (users / "report.key").write_text("my key", encoding="utf-8")
    shutil.rmtree(out / "kent")
    (out / "kent").symlink_to(users, target_is_directory=True)
    before = _hashes(users)
    for extra in ((), ("--force",)):
        assert _cli(project, out, *extra) == 2
        err = capsys.readouterr().err
        assert "never writes through a symbolic link" in err and f"out/kent (a symbolic link to {users})" in err
    assert _hashes(users) == before and sorted(os.listdir(users)) == ["report.html", "report.key"]


def test_a_file_that_is_a_link_is_refused(project):
    out = project / "out"
    assert build(_opts(project, out), stream=io.StringIO()).exit_status == 0
    users = project / "my-index.html"
    users.write_text("my page", encoding="utf-8")
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(users)
    with pytest.raises(OutputFolderError, match=r"out/index.html \(a symbolic link to "):
        build(_opts(project, out, force=True), stream=io.StringIO())
    assert users.read_text(encoding="utf-8") == "my page" and (out / "index.html").is_symlink()


def test_watch_refuses_a_folder_of_the_users_before_it_starts(project, capsys):
    site = project / "mysite"
    site.mkdir()
    (site / "notes.txt").write_text("notes", encoding="utf-8")
    t0 = time.monotonic()
    status = cli.main(["watch", "kent", "--to", "html", "--data", str(project / "data"), "--params",
                       str(project / "params"), "--notebooks", str(project / "notebooks"), "--out", str(site)])
    assert status == 2 and time.monotonic() - t0 < REFUSAL_DEADLINE
    assert "mysite/notes.txt" in capsys.readouterr().err
    assert os.listdir(site) == ["notes.txt"]


def test_only_the_builds_own_temporaries_are_removed(tmp_path):
    force = tmp_path / "kent"
    (force / "notebooks").mkdir(parents=True)
    own = [force / ".report.html.1234.tmp", force / "notebooks" / ".01_alpha.ipynb.x8k2p1q9.tmp"]
    users = [force / ".notes.tmp", force / "notebooks" / ".my.draft.tmp", force / "report.html.tmp"]
    for p in own + users:
        p.write_text("x", encoding="utf-8")
    remove_temporaries([force])
    assert [p.exists() for p in own] == [False, False]
    assert all(p.exists() for p in users)
    assert is_build_temporary(".statements.csv.ab12cd34.tmp", "top")
    assert not is_build_temporary(".statements.csv.ab12cd34.tmp", "force")



# ---------------------------------------------------------------- a full disk (a small tmpfs, filled for real)

@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs, mounted for the test (the machine's root user can; others cannot mount one)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True,
                             text=True, timeout=30)
    if mounted.returncode != 0:
        # Only a machine without root may lack this; CI runs as root, where a skip would hide a failure.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"a tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


def _free(disk: Path) -> int:
    st = os.statvfs(disk)
    return st.f_bavail * st.f_frsize


def _fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` (beside the output folder, not in it) until ``leave`` bytes are free."""
    with (disk / "filler").open("ab") as f:
        f.write(b"\0" * max(0, _free(disk) - leave))
    assert _free(disk) <= leave + 4096


def _cli_unvalidated(monkeypatch, root: Path, out: Path, *extra: str) -> int:
    """``peel build kent --to html`` as typed, except that the fixture inputs (four forces) skip validation."""
    import peel.pipeline.options

    make = peel.pipeline.options.make_options
    monkeypatch.setattr(peel.pipeline.options, "make_options",
                        lambda **kw: dataclasses.replace(make(**kw), validate=False))
    return _cli(root, out, *extra)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["the lock file", "overview.html", "kent's report"])
def test_a_full_disk_is_one_message_and_keeps_the_earlier_outputs(where, project, small_disk, monkeypatch, capsys):
    out = small_disk / "out"
    assert build(_opts(project, out), stream=io.StringIO()).exit_status == 0
    if where == "overview.html":
        # The overview is made again (its record gone); the files written before it fit, the page does not.
        (out / ".overview.json").unlink()
        before_overview = max((out / n).stat().st_size for n in ("build.json", "statements.csv", "statements.parquet"))
        assert before_overview + 16384 < (out / "overview.html").stat().st_size
        leave = before_overview + 8192
    elif where == "the lock file":
        leave = 0  # the build's first write: the line naming it in the (emptied) lock file
    else:
        leave = 4096  # one page: the lock file's line fits, then nothing else does
    if where == "kent's report":
        rows = (project / "data" / "national.csv").read_text(encoding="utf-8").splitlines()
        edited = [",".join([*r.split(",")[:3], "1.5", *r.split(",")[4:]]) if r.startswith("kent,") else r for r in rows]
        (project / "data" / "national.csv").write_text("\n".join(edited) + "\n", encoding="utf-8")
    before = _hashes(out)
    _fill(small_disk, leave)
    capsys.readouterr()
    t0 = time.monotonic()
    status = _cli_unvalidated(monkeypatch, project, out)
    assert time.monotonic() - t0 < 120
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err and err.count("peel build: error:") == 1, err
    assert "No space left on device" in err and "the disk is full" in err
    # After the force failed, which of the records fills the last page depends on their sizes.
    failed_at = {"the lock file": r"out/\.build\.lock", "overview.html": r"out/overview\.html",
                 "kent's report": r"out/(build\.json|statements\.(csv|parquet)|overview\.html|index\.html)"}[where]
    assert re.search(f"{failed_at}: could not be written", err), err
    after = _hashes(out)
    if where == "kent's report":
        # The force failed: the run record of the area that failed is gone (so the next build runs it), its
        # report, workbook, statements and executed notebooks stay.
        assert "kent: FAILED" in err
        assert set(before) - set(after) <= {"kent/notebooks/01_alpha.key", "kent/notebooks/03_about_the_data.key"}
        before = {k: v for k, v in before.items() if k in after}
    if where != "the lock file":
        # Written whole before the failing write: this build's record (of the failed force, or the same
        # but for its build time).
        records = [json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"]]
        kept = before.pop("build.json") == after.pop("build.json")  # or the previous one, when it could not be
        before.pop(".seals.json", None), after.pop(".seals.json", None)  # the run records' seals, written whole
        assert records[0]["kent"]["status"] == ("reused" if where == "overview.html" else "built" if kept
                                                else "failed")
    assert after == before
    assert not [p for p in out.rglob("*.tmp")]  # no temporary file left behind


def test_records_in_an_output_folder_that_would_block_are_read_as_missing(tmp_path):
    """A FIFO (or a device) where a build keeps its records (build.json, a notebook's key, the seals, the
    overview's record, a force's statements) is not waited on: it reads as no record, at once."""
    from peel.pipeline.cache import read_json
    from peel.pipeline.manifest import read_manifest
    from peel.pipeline.seal import SEALS_NAME, read_seals
    from peel.pipeline.statements_table import STATEMENTS_JSON, read_force_statements

    (tmp_path / "kent").mkdir()
    for rel in ("build.json", SEALS_NAME, f"kent/{STATEMENTS_JSON}", "kent/report.key"):
        os.mkfifo(tmp_path / rel)
    results: dict[str, object] = {}

    def read_all() -> None:
        results["manifest"] = read_manifest(tmp_path)
        results["seals"] = read_seals(tmp_path)
        results["statements"] = read_force_statements(tmp_path, "kent")
        results["key"] = read_json(tmp_path / "kent" / "report.key")

    import threading

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(timeout=REFUSAL_DEADLINE)
    assert not reader.is_alive(), "a record that is a FIFO was waited on"
    assert results == {"manifest": {}, "seals": {}, "statements": [], "key": None}
