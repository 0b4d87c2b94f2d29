"""A build writes only its own files: a folder of the user's, a file of theirs in a build's folder, or a
symbolic link where the build would write is refused, naming them, and no file of the user's changes.

Each case is caused for real (the user's files written, the links made) and the user's files are hashed
before and after.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
from pathlib import Path

import pytest

from peel import cli
from peel.build import BuildOptions, build
from peel.build.ownership import is_build_file, is_build_temporary
from peel.build.pool import remove_temporaries
from peel.errors import OutputFolderError
from peel.inputs.forces import get_force

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

