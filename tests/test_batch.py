"""The batch as a whole: worker processes, progress display, and Ctrl-C with nothing left behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"

DRIVER = '''
import signal
# Ctrl-C as from a terminal, even when the test run itself was started with SIGINT ignored (as a shell
# starts `command &`), which this process and everything it starts would otherwise inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)
import sys
from pathlib import Path
from peel.pipeline import build
from peel.pipeline.options import BuildOptions
from peel.inputs.forces import get_force

if __name__ == "__main__":
    root = Path(sys.argv[1])
    forces = tuple(get_force(f) for f in sys.argv[2].split(","))
    opts = BuildOptions(forces, ("html",), root / "data", root / "params", root / "out", root / "notebooks",
                        int(sys.argv[3]), 600.0, validate=False)
    try:
        sys.exit(build(opts).exit_status)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
'''


#: Builds a test started, killed with everything they started when the test ends (a failed test must
#: not leave one running into the next).
_STARTED: list[subprocess.Popen] = []


@pytest.fixture
def project(tmp_path):
    for name in ("notebooks", "data", "params"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    yield tmp_path
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)


def _run(project: Path, forces: str, jobs: int, marker: str) -> subprocess.Popen:
    env = {**os.environ, "PEEL_TEST_MARKER": marker}
    proc = subprocess.Popen([sys.executable, str(project / "driver.py"), str(project), forces, str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    _STARTED.append(proc)
    return proc


def _marked(marker: str) -> list[psutil.Process]:
    """Processes started for this test (they inherit its marker in their environment)."""
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and p.environ().get("PEEL_TEST_MARKER") == marker:
                found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _kernels(marker: str) -> list[psutil.Process]:
    out = []
    for p in _marked(marker):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            continue
    return out


@pytest.mark.slow
def test_batch_builds_every_force_with_one_line_per_force_when_not_a_terminal(project):
    forces = ["metropolitan", "kent", "essex", "surrey"]
    marker = uuid.uuid4().hex
    proc = _run(project, ",".join(forces), 2, marker)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(lines) == 4
    assert lines[-1].startswith("[4/4] 4 built, 0 failed")
    assert "elapsed" in lines[0] and "left" in lines[0]
    for force in forces:
        assert (project / "out" / force / "report.html").is_file()
    assert not _marked(marker), "a worker or kernel outlived the build"


@pytest.mark.slow
@pytest.mark.parametrize("to_group", [True, False], ids=["ctrl-c-to-process-group", "sigint-to-build-alone"])
def test_ctrl_c_stops_workers_and_kernels_and_leaves_no_partial_file(project, to_group):
    """Ctrl-C in a terminal signals the whole foreground group; a signal to the build process alone
    must stop the workers and kernels too. Either way: prompt exit 130, no orphan, no partial file."""
    forces = ["metropolitan", "kent", "essex"]
    for force in forces:  # every force hangs in its alpha notebook, so the batch is mid-way when stopped
        (project / "params" / f"{force}.alpha.fault").write_text("sleep", encoding="utf-8")
    marker = uuid.uuid4().hex
    proc = _run(project, ",".join(forces), 2, marker)
    deadline = time.monotonic() + 120
    while len(_kernels(marker)) < 2:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "kernels did not start"
        time.sleep(0.2)
    # The fixture notebooks write <force>.alpha.sleeping as they start to sleep.
    while len([f for f in forces if (project / "params" / f"{f}.alpha.sleeping").exists()]) < 2:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the notebooks did not reach their sleeping cell"
        time.sleep(0.2)
    t0 = time.monotonic()
    if to_group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < 30, "the build did not stop promptly"
    deadline = time.monotonic() + 10
    while _marked(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _marked(marker), "orphan processes were left behind"
    out_dir = project / "out"
    assert not list(out_dir.rglob("*.tmp")), "a temporary file was left"
    assert not list(out_dir.rglob("report.html"))
    assert not (out_dir / "build.json").exists()
    assert "Traceback" not in err
