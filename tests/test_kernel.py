"""The warm kernel's platform choices (peel.portable, peel.pipeline.kernel): its socket transport, and
signalling processes where there are no process groups.

Windows cannot be had here, so each choice is a function of the platform's facts, and both of its
branches run on Linux: a real kernel is started with TCP sockets (the Windows choice) and runs a notebook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest

from peel.pipeline.execute import execute_area
from peel.pipeline.kernel import WarmKernel
from peel.portable import block_signals, kernel_transport, kill_group_quietly, kill_quietly

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"


def test_unix_sockets_on_posix_and_tcp_elsewhere() -> None:
    assert kernel_transport(posix=True, unix_sockets=True) == "ipc"
    assert kernel_transport(posix=False, unix_sockets=True) == "tcp"  # Windows (whatever its AF_UNIX)
    assert kernel_transport(posix=True, unix_sockets=False) == "tcp"
    assert kernel_transport() == "ipc"  # here, Linux
    assert WarmKernel().transport == "ipc"


def test_a_process_group_is_signalled_only_where_there_are_groups(monkeypatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        monkeypatch.delattr(os, "killpg")  # as on Windows
        assert kill_group_quietly(child.pid) is False
        assert child.poll() is None
        monkeypatch.undo()
        assert kill_group_quietly(child.pid) is True
        assert child.wait(timeout=10) == -signal.SIGKILL
        kill_quietly(child.pid)  # already gone: nothing is raised
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_signals_are_ignored_where_threads_cannot_block_them(monkeypatch) -> None:
    saved = signal.getsignal(signal.SIGTERM)
    try:
        monkeypatch.delattr(signal, "pthread_sigmask")  # as on Windows
        block_signals(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, saved)


@pytest.mark.slow
def test_a_kernel_on_tcp_sockets_runs_a_notebook_and_leaves_nothing(tmp_path: Path) -> None:
    kernels = tmp_path / "kernels"
    kernels.mkdir()
    kernel = WarmKernel(cwd=NOTEBOOKS, temp_dir=kernels, transport="tcp")
    kernel.start()
    try:
        assert kernel.km is not None
        info = kernel.km.get_connection_info()
        assert info["transport"] == "tcp" and info["ip"] == "127.0.0.1"
        assert not list(kernels.rglob("k-*"))  # no socket files: TCP ports instead
        pid = kernel.pid
        out = tmp_path / "kent" / "01_alpha.ipynb"
        params = {"force_id": "kent", "data_dir": str(FIXTURES / "data"), "params_dir": str(tmp_path)}
        run = execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", out, params, area_id="alpha", title="Alpha",
                           graded=True, timeout=120)
        assert run.attempts == 1
        nb = nbformat.read(out, as_version=4)
        assert nb.metadata["peel"]["area_id"] == "alpha"
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        # A second notebook on the same kernel: reset over TCP too.
        execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", out, params, area_id="alpha", title="Alpha",
                     graded=True, timeout=120)
        assert kernel.pid == pid
    finally:
        kernel.shutdown()
    assert pid is not None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not list(kernels.iterdir())  # its folder (the connection file) is gone
