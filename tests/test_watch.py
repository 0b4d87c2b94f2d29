"""``peel watch``: a save rebuilds only what it touched, with the bytes of ``peel build``, on a kernel kept
warm; bad inputs are reported and the watch goes on; a stopped watch leaves nothing behind.

The watches run as a user runs them (a child process, the fixture project of ``test_faults``) and the
faults are caused for real: a broken YAML file, a killed kernel, a kernel spec that cannot start, signals.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from test_faults import (
    DEADLINE,
    _assert_nothing_left,
    _env,
    _kernel_spec,
    _kernels,
    _reap,
    _sleeping,
    _wait_for,
)
from test_faults import project as fault_project  # noqa: F401  (a fixture, known to pytest by this name)

from peel.cli import make_parser
from peel.lock import LOCK_NAME, TEMP_PREFIX, OutputLock
from peel.pipeline.watch import changed_files, snapshot, watched_inputs


@pytest.fixture
def project(fault_project: Path) -> Path:  # noqa: F811  (the fixture imported above)
    """test_faults' fixture project (the notebooks, data and inspection inputs of tests/fixtures)."""
    return fault_project


class Watched:
    """``peel watch`` on the fixture project, its stderr collected line by line."""

    def __init__(self, project: Path, marker: str, force: str = "kent", to: str = "html",
                 jupyter_path: Path | None = None):
        argv = [sys.executable, str(project / "driver.py"), "watch", force, "--to", to,
                "--data", str(project / "data"), "--params", str(project / "params"),
                "--notebooks", str(project / "notebooks"), "--out", str(project / "out")]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=_env(project, marker, jupyter_path), start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, after: int = 0, seconds: float = DEADLINE) -> int:
        """Wait (bounded) for a line after the first ``after`` that contains ``text``; return its index."""
        deadline = time.monotonic() + seconds
        while True:
            for i, line in enumerate(self.lines[after:], start=after):
                if text in line:
                    return i
            assert self.proc.poll() is None, f"the watch ended ({self.proc.returncode}):\n{self.text}"
            assert time.monotonic() < deadline, f"no line with {text!r} within {seconds} s:\n{self.text}"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=DEADLINE)

    def reap(self) -> None:
        """Kill what a failed test left running, then read the last lines and close the pipe."""
        _reap(self.proc)
        self._reader.join(timeout=10)
        assert self.proc.stderr is not None
        self.proc.stderr.close()


def _edit(params: Path, old: str, new: str) -> None:
    text = params.read_text(encoding="utf-8")
    assert old in text
    params.write_text(text.replace(old, new), encoding="utf-8")


def _manifest(out: Path) -> dict:
    """``build.json`` without what differs between two runs by design: the time of the build and durations."""
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("built_at", "duration")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node
    return strip(json.loads((out / "build.json").read_text(encoding="utf-8")))


# ---------------------------------------------------------------- what is watched (no kernel)

def test_the_watched_files_are_the_forces_inputs_the_data_the_notebooks_and_the_report_structure(project):
    from peel.pipeline.options import make_options

    opts = make_options(forces=["kent"], data=project / "data", params=project / "params",
                        notebooks=project / "notebooks", out=project / "out")
    names = {p.relative_to(project).as_posix() for p in watched_inputs(opts)}
    assert names == {"params/kent.yaml", "data/dataset.yaml", "data/measures.yaml", "data/national.csv",
                     "data/population.csv", "notebooks/report.yaml",
                     "notebooks/00_overview.ipynb", "notebooks/01_alpha.ipynb", "notebooks/02_beta.ipynb",
                     "notebooks/03_about_the_data.ipynb"}
    before = snapshot(watched_inputs(opts))
    time.sleep(0.01)
    _edit(project / "params" / "kent.yaml", "Some text.", "Some more text.")
    (project / "params" / "essex.yaml").write_text("not watched: another force", encoding="utf-8")
    assert changed_files(before, snapshot(watched_inputs(opts))) == [project / "params" / "kent.yaml"]


def test_watch_takes_the_options_of_build_that_apply_to_it():
    parser = make_parser()
    args = parser.parse_args(["watch", "metropolitan", "--to", "html", "--out", "o", "--param", "x=1",
                              "--timeout", "30.5"])
    assert (args.forces, args.to, args.out, args.param, args.timeout) == (["metropolitan"], "html", Path("o"),
                                                                           ["x=1"], 30.5)
    with pytest.raises(SystemExit):
        parser.parse_args(["watch"])  # a watch names its forces


# ---------------------------------------------------------------- rebuilds

@pytest.mark.slow
def test_an_edit_rebuilds_one_notebook_with_the_bytes_of_peel_build(project):
    out, twin = project / "out", project / "twin"
    marker = uuid.uuid4().hex
    watch = Watched(project, marker, to="html,pdf")
    try:
        first = watch.wait_for("watching")
        shutil.copytree(out, twin)  # the same state, for peel build to rebuild from
        html = (out / "kent" / "report.html").stat().st_ino
        _edit(project / "params" / "kent.yaml", "Some text.", "Some more text.")
        done = watch.wait_for("HTML written after", first)
        watch.wait_for("watching", done)
        assert "kent/alpha: its inspection inputs changed" in watch.text
        line = watch.lines[done]
        assert "executed alpha (its inspection inputs changed)" in line and "PDF written after" in line
        # The HTML went into place before the PDF.
        assert line.index("HTML written") < line.index("PDF written")
        assert watch.proc.poll() is None
    finally:
        status = watch.stop()
        watch.reap()
    assert status == 130
    manifest = _manifest(out)
    executed = [a for a, r in manifest["forces"]["kent"]["areas"].items() if r["status"] == "executed"]
    assert executed == ["alpha"]
    assert (out / "kent" / "report.html").stat().st_ino != html  # replaced (the fixture's text does not show it)

    # peel build, from the same state and the same edit, writes the same bytes and the same record.
    argv = [sys.executable, str(project / "driver.py"), "build", "kent", "--to", "html,pdf",
            "--data", str(project / "data"), "--params", str(project / "params"),
            "--notebooks", str(project / "notebooks"), "--out", str(twin)]
    done_build = subprocess.run(argv, capture_output=True, text=True, env=_env(project, marker), timeout=DEADLINE)
    assert done_build.returncode == 0, done_build.stderr
    for name in ("kent/report.html", "kent/report.pdf", "kent/statements.json", "kent/figures.xlsx",
                 "kent/notebooks/01_alpha.ipynb", "statements.csv", "index.html"):
        assert (out / name).read_bytes() == (twin / name).read_bytes(), name
    assert _manifest(out) == _manifest(twin)
    # And a build from nothing prints the same report.
    argv[argv.index("--out") + 1] = str(project / "scratch")
    done_build = subprocess.run(argv, capture_output=True, text=True, env=_env(project, marker), timeout=DEADLINE)
    assert done_build.returncode == 0, done_build.stderr
    for name in ("kent/report.html", "kent/report.pdf"):
        assert (out / name).read_bytes() == (project / "scratch" / name).read_bytes(), name
    _assert_nothing_left(project, marker)


@pytest.mark.slow
def test_a_rebuild_waits_for_a_build_that_holds_the_output_folder(project):
    out = project / "out"
    marker = uuid.uuid4().hex
    watch = Watched(project, marker)
    try:
        first = watch.wait_for("watching")
        with OutputLock(out, io.StringIO()):  # as a peel build running in the same folder
            _edit(project / "params" / "kent.yaml", "Some text.", "Some more text.")
            waiting = watch.wait_for("waiting for the output folder", first)
            assert "another peel build is writing to this folder" in watch.lines[waiting]
            time.sleep(1.0)
            assert not any("HTML written" in line for line in watch.lines[waiting:])
        done = watch.wait_for("HTML written after", waiting)
        assert "executed alpha" in watch.lines[done]
    finally:
        watch.stop()
        watch.reap()
    _assert_nothing_left(project, marker)


@pytest.mark.slow
def test_a_broken_yaml_or_a_failing_notebook_is_reported_the_old_report_kept_and_a_good_save_rebuilds(project):
    params = project / "params" / "kent.yaml"
    good = params.read_text(encoding="utf-8")
    marker = uuid.uuid4().hex
    watch = Watched(project, marker)
    try:
        first = watch.wait_for("watching")
        html = (project / "out" / "kent" / "report.html").read_bytes()
        params.write_text(good.replace('"Summary for kent."', '"Summary for kent.'), encoding="utf-8")  # unclosed
        error = watch.wait_for("peel watch: error:", first)
        waiting = watch.wait_for("watching", error)
        said = "\n".join(watch.lines[error:waiting])
        assert "kent.yaml" in said and "not rebuilt; the previous reports are as they were" in said, said
        assert "Traceback" not in watch.text
        assert (project / "out" / "kent" / "report.html").read_bytes() == html
        assert watch.proc.poll() is None  # the watch goes on
        params.write_text(good.replace("Some text.", "Some fixed text."), encoding="utf-8")
        rebuilt = watch.wait_for("HTML written after", waiting)
        assert "executed alpha (its inspection inputs changed)" in watch.lines[rebuilt]
        # A notebook that raises: the failure as peel build reports it, the report kept, the watch goes on.
        html = (project / "out" / "kent" / "report.html").read_bytes()
        (project / "params" / "kent.alpha.fault").write_text("error", encoding="utf-8")
        params.write_text(good.replace("Some text.", "Some other text."), encoding="utf-8")
        failed = watch.wait_for("the error is above, and the previous report was kept", rebuilt)
        said = "\n".join(watch.lines[rebuilt:failed])
        assert "1 force(s) failed" in said and "ValueError: broken on purpose for kent" in said, said
        # The cell as counted in the source notebook, with its first line; the notebook that ran is named.
        assert "01_alpha.ipynb, cell 2 (the 2nd cell), which begins `from pathlib import Path as _Path`" in said, said
        assert "executed alpha, which failed" in watch.lines[failed] and "no notebook" not in watch.lines[failed]
        assert (project / "out" / "kent" / "report.html").read_bytes() == html
        (project / "params" / "kent.alpha.fault").unlink()
        params.write_text(good.replace("Some text.", "Some last text."), encoding="utf-8")
        watch.wait_for("HTML written after", failed)
    finally:
        watch.stop()
        watch.reap()
    _assert_nothing_left(project, marker)


@pytest.mark.slow
def test_a_kernel_killed_while_idle_is_replaced_and_the_next_save_rebuilds(project):
    marker = uuid.uuid4().hex
    watch = Watched(project, marker)
    try:
        first = watch.wait_for("watching")
        (kernel,) = _kernels(marker)
        kernel.kill()
        restarted = watch.wait_for("stopped; starting a new one", first)
        _edit(project / "params" / "kent.yaml", "Some text.", "Some more text.")
        watch.wait_for("HTML written after", restarted)
        assert len(_kernels(marker)) == 1
    finally:
        watch.stop()
        watch.reap()
    _assert_nothing_left(project, marker)


@pytest.mark.slow
def test_a_kernel_that_cannot_start_ends_the_watch_with_its_message(project):
    jupyter = _kernel_spec(project / "jupyter",
                           [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    marker = uuid.uuid4().hex
    watch = Watched(project, marker, jupyter_path=jupyter)
    try:
        status = watch.proc.wait(timeout=DEADLINE)
    finally:
        watch.reap()
    assert status == 2, watch.text
    assert "could not start" in watch.lines[-1] and "boom" in watch.lines[-1]
    assert "Traceback" not in watch.text
    _assert_nothing_left(project, marker)


# ---------------------------------------------------------------- stopping

@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "sigint"])
@pytest.mark.parametrize("when", ["idle", "rebuilding"])
def test_a_stopped_watch_leaves_no_kernel_no_key_no_temporary_file_and_no_lock(project, sig, status, when):
    out = project / "out"
    marker = uuid.uuid4().hex
    watch = Watched(project, marker)
    try:
        first = watch.wait_for("watching")
        html = (out / "kent" / "report.html").read_bytes()
        # Idle, the watch does not hold the output folder: a build could take it.
        with OutputLock(out, io.StringIO()):
            pass
        if when == "rebuilding":
            (project / "params" / "kent.alpha.fault").write_text("sleep", encoding="utf-8")
            _edit(project / "params" / "kent.yaml", "Some text.", "Some more text.")
            watch.wait_for("kent/alpha: its inspection inputs changed", first)
            _wait_for(lambda: _sleeping(project, ["kent"]), "the notebook reaching its sleeping cell", watch.proc)
            assert json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))["pid"] == watch.proc.pid
        assert len(_kernels(marker)) == 1
        t0 = time.monotonic()
        assert watch.stop(sig) == status, watch.text
        assert time.monotonic() - t0 < 30
    finally:
        watch.reap()
    time.sleep(0.2)
    assert ("interrupted" if sig == signal.SIGINT else f"stopped by signal {int(sig)}") in watch.lines[-1]
    assert "Traceback" not in watch.text
    _assert_nothing_left(project, marker)
    assert not list((project / "tmp").glob(f"{TEMP_PREFIX}*")), "the watch's temporary folder was left"
    assert not list(out.rglob("*.tmp"))
    assert (out / LOCK_NAME).read_text(encoding="utf-8") == ""
    assert (out / "kent" / "report.html").read_bytes() == html  # a stopped rebuild replaced nothing
    assert not [p for p in psutil.process_iter(["pid"]) if p.pid == watch.proc.pid]
