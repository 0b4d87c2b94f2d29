"""Faults of the machine, not of the inputs: a build never hangs, never leaves a process or a kernel key
behind, never lets a stopped build write, and its records describe the reports that are on disk.

Each fault is caused for real: a kernel spec whose program exits at once, a kernel that is slow to
start, a worker killed mid-build, SIGTERM and SIGKILL to the build, a second build on the same
folder, a rebuild that fails. Every child process has a deadline, so a regression fails, not hangs.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest

from peel.inputs.forces import get_force
from peel.lock import LOCK_NAME, TEMP_PREFIX, OutputLock, make_build_temp
from peel.pipeline import build
from peel.pipeline.options import BuildOptions

FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Runs ``peel`` as a user would, except that the fixture inputs (inspection inputs for four forces, not
#: all 43) are not put through the data contract's validation.
DRIVER = '''
import signal
# Ctrl-C as from a terminal, even when the test run itself was started with SIGINT ignored (as a shell
# starts `command &`), which this process and everything it starts would otherwise inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)
import dataclasses, sys
import peel.pipeline.options
from peel import cli

if __name__ == "__main__":
    make = peel.pipeline.options.make_options
    peel.pipeline.options.make_options = lambda **kw: dataclasses.replace(make(**kw), validate=False)
    sys.exit(cli.main(sys.argv[1:]))
'''

#: Seconds any one build in these tests may take before the test fails.
DEADLINE = 60


@pytest.fixture
def project():
    """The fixture project in a folder with a short path: kernel socket paths are limited to about
    100 characters, and the builds here keep their temporary files in it (``TMPDIR``)."""
    root = Path(tempfile.mkdtemp(prefix="peel-faults-", dir="/tmp"))
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, root / name)
    (root / "driver.py").write_text(DRIVER, encoding="utf-8")
    (root / "tmp").mkdir()
    (root / "runtime").mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _env(project: Path, marker: str, jupyter_path: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "PEEL_TEST_MARKER": marker, "TMPDIR": str(project / "tmp"),
           "JUPYTER_RUNTIME_DIR": str(project / "runtime")}
    if jupyter_path is not None:
        env["JUPYTER_PATH"] = str(jupyter_path)
    return env


def _argv(project: Path, forces: list[str], jobs: int, *extra: str) -> list[str]:
    return [sys.executable, str(project / "driver.py"), "build", *forces, "--to", "html", "--jobs", str(jobs),
            "--data", str(project / "data"), "--params", str(project / "params"),
            "--notebooks", str(project / "notebooks"), "--out", str(project / "out"), *extra]


def _hang_in_alpha(project: Path, forces: list[str]) -> None:
    """Make each force's build sleep in its alpha notebook (a fault the fixture notebooks read)."""
    for force in forces:
        (project / "params" / f"{force}.alpha.fault").write_text("sleep", encoding="utf-8")


def _sleeping(project: Path, forces: list[str]) -> list[str]:
    """The forces of ``forces`` whose alpha notebook is in its sleeping cell (see :func:`_hang_in_alpha`): the
    fixture notebooks write ``<force>.alpha.sleeping`` in the params folder as they start to sleep."""
    return [f for f in forces if (project / "params" / f"{f}.alpha.sleeping").exists()]


def _stop(proc: subprocess.Popen, sig: int) -> tuple[str, str, float]:
    """Send ``sig`` to the build and wait (bounded) for it to end: its output and the seconds it took."""
    t0 = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=DEADLINE)
    return out, err, time.monotonic() - t0


def _reap(proc: subprocess.Popen) -> None:
    """Kill a build a failed test left running, with all its processes, and wait for it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=DEADLINE)


def _start(project: Path, forces: list[str], jobs: int, marker: str, *extra: str,
           jupyter_path: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(_argv(project, forces, jobs, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env(project, marker, jupyter_path), start_new_session=True)


# The process helpers are test_batch's: one way to find what a test started.
from test_batch import _kernels, _marked  # noqa: E402


def _workers(build_pid: int) -> list[psutil.Process]:
    try:
        return [c for c in psutil.Process(build_pid).children() if "spawn_main" in " ".join(c.cmdline())]
    except psutil.NoSuchProcess:
        return []


def _wait_for(condition, what: str, proc: subprocess.Popen, seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the build ended early: {proc.communicate(timeout=10)[1]}"
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.2)


def _assert_nothing_left(project: Path, marker: str) -> None:
    """No process of the build after 5 s, and no kernel connection file (they hold signing keys)."""
    deadline = time.monotonic() + 5
    while _marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _marked(marker), "a worker or kernel outlived the build"
    keys = _connection_files(project)
    assert not keys, f"kernel connection files were left: {keys}"


def _connection_files(project: Path) -> list[Path]:
    return [p for d in ("tmp", "runtime") for p in (project / d).rglob("kernel-*.json")]


def _kernel_spec(root: Path, argv: list[str]) -> Path:
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}),
                                      encoding="utf-8")
    return root


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


# ---------------------------------------------------------------- kernels that cannot start, or start slowly

@pytest.mark.slow
@pytest.mark.parametrize("forces, jobs", [(["kent", "metropolitan"], 2), (["kent"], 1)],
                         ids=["worker-pool", "one-force-in-the-build-process"])
def test_a_kernel_that_exits_at_start_stops_the_build_with_its_message(project, forces, jobs):
    jupyter = _kernel_spec(project / "jupyter",
                           [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    marker = uuid.uuid4().hex
    t0 = time.monotonic()
    done = subprocess.run(_argv(project, forces, jobs), capture_output=True, text=True,
                          env=_env(project, marker, jupyter), timeout=DEADLINE)
    assert time.monotonic() - t0 < DEADLINE
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert "could not start" in message and "'python3'" in message
    assert str(jupyter / "kernels" / "python3" / "kernel.json") in message
    assert "exited with status 3" in message and "boom" in message
    assert "Traceback" not in done.stderr
    assert not list((project / "out").rglob("report.html"))
    _assert_nothing_left(project, marker)


@pytest.mark.slow
def test_a_kernel_slow_to_start_is_waited_for(project):
    launch = f'sleep 3; exec "{sys.executable}" -m ipykernel_launcher -f "$0" "$@"'
    jupyter = _kernel_spec(project / "jupyter", ["sh", "-c", launch, "{connection_file}"])
    marker = uuid.uuid4().hex
    done = subprocess.run(_argv(project, ["kent"], 1), capture_output=True, text=True,
                          env=_env(project, marker, jupyter), timeout=DEADLINE * 2)
    assert done.returncode == 0, done.stderr
    assert (project / "out" / "kent" / "report.html").is_file()
    _assert_nothing_left(project, marker)


# ---------------------------------------------------------------- processes killed from outside

@pytest.mark.slow
def test_a_worker_killed_mid_build_is_replaced_and_its_force_retried_once(project):
    (project / "params" / "kent.alpha.fault").write_text("sleep", encoding="utf-8")
    marker = uuid.uuid4().hex
    # One worker, which takes kent first (the forces have as many notebooks; the order is kept).
    proc = _start(project, ["kent", "metropolitan"], 1, marker, "--timeout", "8")
    try:
        _wait_for(lambda: _sleeping(project, ["kent"]), "kent's notebook reaching its sleeping cell", proc)
        (victim,) = _workers(proc.pid)
        victim.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=DEADLINE * 2)
    finally:
        _reap(proc)
    assert proc.returncode == 1, err
    manifest = json.loads((project / "out" / "build.json").read_text(encoding="utf-8"))
    # kent was given to a new worker and ran into its timeout there: a retry, not a second death.
    assert manifest["forces"]["kent"]["status"] == "failed"
    assert manifest["forces"]["kent"]["error"]["error"] == "Timeout", err
    assert manifest["forces"]["metropolitan"]["status"] == "built", err
    assert (project / "out" / "metropolitan" / "report.html").is_file()
    assert "Traceback" not in err
    _assert_nothing_left(project, marker)


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGKILL, -9)],
                         ids=["sigterm", "sighup", "sigkill"])
def test_a_build_stopped_from_outside_leaves_no_process_no_key_and_writes_nothing_more(project, sig, status):
    forces = ["metropolitan", "kent", "essex"]
    _hang_in_alpha(project, forces)  # so the build is mid-way when stopped
    marker = uuid.uuid4().hex
    proc = _start(project, forces, 2, marker)
    try:
        _wait_for(lambda: len(_kernels(marker)) >= 2, "two kernels starting", proc)
        # A kernel deletes its connection file once it answers; a loaded machine may take seconds.
        _wait_for(lambda: not _connection_files(project), "the kernels answering", proc)
        _wait_for(lambda: len(_sleeping(project, forces)) >= 2, "two notebooks reaching their sleeping cell", proc)
        out, err, took = _stop(proc, sig)
    finally:
        _reap(proc)
    assert proc.returncode == status, err
    assert took < 30
    _assert_nothing_left(project, marker)
    out_dir = project / "out"
    after_exit = _snapshot(out_dir)
    time.sleep(2)
    assert _snapshot(out_dir) == after_exit, "a file was written after the build ended"
    assert not list(out_dir.rglob("report.html")) and not (out_dir / "build.json").exists()
    if sig != signal.SIGKILL:
        assert f"stopped by signal {int(sig)}" in err and "Traceback" not in err
        assert not list(out_dir.rglob("*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -9)],
                         ids=["sigterm", "sigint", "sigkill"])
def test_a_one_force_build_runs_in_the_build_process_and_stops_cleanly(project, sig, status):
    """A build with one force to build runs it without a worker process (peel.pipeline.inline): the
    kernel is the build's own child, and a signal to the build stops it with the same promises."""
    (project / "params" / "kent.alpha.fault").write_text("sleep", encoding="utf-8")
    marker = uuid.uuid4().hex
    proc = _start(project, ["kent"], 2, marker)
    try:
        _wait_for(lambda: len(_kernels(marker)) >= 1, "a kernel starting", proc)
        assert not _workers(proc.pid), "a one-force build started a worker process"
        (kernel,) = _kernels(marker)
        assert kernel.ppid() == proc.pid
        _wait_for(lambda: not _connection_files(project), "the kernel answering", proc)
        _wait_for(lambda: _sleeping(project, ["kent"]), "the notebook reaching its sleeping cell", proc)
        out, err, took = _stop(proc, sig)
    finally:
        _reap(proc)
    assert proc.returncode == status, err
    assert took < 30
    _assert_nothing_left(project, marker)
    out_dir = project / "out"
    assert not list(out_dir.rglob("report.html")) and not (out_dir / "build.json").exists()
    if sig != signal.SIGKILL:
        assert "Traceback" not in err, err
        assert ("interrupted" if sig == signal.SIGINT else f"stopped by signal {int(sig)}") in err
        assert not list(out_dir.rglob("*.tmp"))


def test_the_temporary_folders_of_dead_builds_are_removed(project, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(project / "tmp"))
    dead = project / "tmp" / f"{TEMP_PREFIX}{2**22 + 12345}-1-abc"  # above Linux's largest process id
    (dead / "peel-kernel-x").mkdir(parents=True)
    (dead / "peel-kernel-x" / "kernel-1.json").write_text("{}", encoding="utf-8")
    mine = make_build_temp()
    try:
        assert not dead.exists()
        assert mine.is_dir() and mine.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-")
    finally:
        shutil.rmtree(mine)


# ---------------------------------------------------------------- one build per output folder

@pytest.mark.subprocess
def test_a_second_build_on_the_same_folder_is_refused_naming_the_holder(project):
    out = project / "out"
    with OutputLock(out, io.StringIO()):
        done = subprocess.run(_argv(project, ["kent"], 1), capture_output=True, text=True,
                              env=_env(project, uuid.uuid4().hex), timeout=DEADLINE)
    assert done.returncode == 2
    assert "another peel build is writing to this folder" in done.stderr
    assert f"process {os.getpid()}" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_a_lock_left_by_a_killed_build_is_taken_over_with_a_message(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": 2**22 + 12345, "start": "1", "host": "elsewhere",
                                             "since": "2026-01-01T00:00:00+00:00"}), encoding="utf-8")
    said = io.StringIO()
    with OutputLock(out, said):
        held = json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))
        assert held["pid"] == os.getpid()
    assert "taking over" in said.getvalue() and "is no longer running" in said.getvalue()
    assert (out / LOCK_NAME).read_text(encoding="utf-8") == ""  # released cleanly


@pytest.mark.subprocess
def test_an_output_folder_that_cannot_be_written_is_a_clear_error(project):
    blocker = project / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    argv = _argv(project, ["kent"], 1)
    argv[argv.index("--out") + 1] = str(blocker / "out")
    done = subprocess.run(argv, capture_output=True, text=True, env=_env(project, uuid.uuid4().hex),
                          timeout=DEADLINE)
    assert done.returncode == 2
    assert "cannot write to the output folder" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------- records that tell the truth

@pytest.mark.slow
def test_a_failed_rebuild_shows_the_kept_reports_grades(project):
    def opts() -> BuildOptions:
        return BuildOptions((get_force("kent"),), ("html",), project / "data", project / "params",
                            project / "out", project / "notebooks", 1, 60.0, validate=False)

    assert build(opts(), stream=io.StringIO()).exit_status == 0
    out = project / "out"
    report_before = (out / "kent" / "report.html").read_bytes()
    # The new inputs change kent's grade, and the rebuild fails: the old report and its grade stay.
    params = project / "params" / "kent.yaml"
    params.write_text(params.read_text(encoding="utf-8").replace("grade: Adequate", "grade: Outstanding"),
                      encoding="utf-8")
    (project / "params" / "kent.alpha.fault").write_text("error", encoding="utf-8")
    result = build(opts(), stream=io.StringIO())
    assert result.exit_status == 1
    assert (out / "kent" / "report.html").read_bytes() == report_before
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"]["kent"]
    assert record["status"] == "failed" and record["previous_report_kept"] is True
    assert record["grades"]["alpha"] == "Adequate"
    index = (out / "index.html").read_text(encoding="utf-8")
    row = index[index.index("<th scope=\"row\">Kent Police</th>"):]
    row = row[:row.index("</tr>")]
    assert "Adequate" in row and "Outstanding" not in row
    assert "previous report kept" in row and 'href="kent/report.html"' in row


@pytest.mark.slow
@pytest.mark.parametrize("forces, jobs", [(["kent"], 1), (["kent", "essex"], 2)], ids=["in the build", "in workers"])
def test_a_process_a_notebook_starts_in_a_session_of_its_own_does_not_outlive_the_build(project, forces, jobs):
    """``setsid -f`` forks and leaves at once: its child is in no process group or session of the kernel's and
    its parent is init, yet it is stopped with the kernel (it carries the kernel's token in its environment)."""
    import nbformat

    path = project / "notebooks" / "01_alpha.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('import subprocess\n'
                                              'subprocess.run(["setsid", "-f", "sleep", "600"], check=True)'))
    nbformat.write(nb, path)
    marker = uuid.uuid4().hex
    proc = _start(project, forces, jobs, marker)
    try:
        out, err = proc.communicate(timeout=DEADLINE * 2)
    finally:
        _reap(proc)
    try:
        assert proc.returncode == 0, err
        _assert_nothing_left(project, marker)
    finally:
        for p in _marked(marker):
            p.kill()
