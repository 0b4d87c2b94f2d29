"""The package imports where there is no ``fcntl``, no SIGHUP or SIGKILL, no ``os.killpg`` and no
``signal.pthread_sigmask`` (Windows, an analyst's desktop).

Windows cannot be had here, so a child interpreter takes away what Windows lacks before it imports
every module of the package: ``fcntl`` cannot be imported, and the signal names Windows does not
define, ``os.killpg`` and ``signal.pthread_sigmask`` are deleted. ``locket`` (a dependency of Dask)
picks ``fcntl`` or ``msvcrt`` itself when imported, so it is imported first, as it would import with
``msvcrt`` on Windows.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from peel.lock import holder_alive, make_build_temp, process_start
from peel.portable import KILL_SIGNAL, STOP_SIGNALS, lock_exclusive

REPO = Path(__file__).resolve().parents[1]

AS_ON_WINDOWS = r'''
import importlib, importlib.abc, json, pkgutil, signal, sys

import locket  # noqa: F401  (chooses fcntl or msvcrt itself: on Windows it has msvcrt)

WINDOWS_SIGNALS = {"SIGABRT", "SIGBREAK", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV", "SIGTERM"}


class NoFcntl(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ModuleNotFoundError("No module named 'fcntl'", name="fcntl")
        return None


sys.meta_path.insert(0, NoFcntl())
sys.modules.pop("fcntl", None)
for name in [n for n in dir(signal) if n.startswith("SIG") and not n.startswith("SIG_")]:
    if name not in WINDOWS_SIGNALS:
        delattr(signal, name)
# Nor process groups to signal, nor threads' signal masks.
import os  # noqa: E402
del os.killpg, signal.pthread_sigmask

# What the package must do without: check the fault is really there.
try:
    import fcntl  # noqa: F401
    sys.exit("fcntl could still be imported")
except ModuleNotFoundError:
    pass
assert not hasattr(signal, "SIGHUP") and not hasattr(signal, "SIGKILL")
assert not hasattr(os, "killpg") and not hasattr(signal, "pthread_sigmask")

import peel
from peel import portable

names = ["peel"] + sorted(m.name for m in pkgutil.walk_packages(peel.__path__, "peel.")
                          if not m.name.endswith("__main__"))
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = f"{type(e).__name__}: {e}"
print(json.dumps({"modules": names, "failed": failed, "stop": [int(s) for s in portable.STOP_SIGNALS],
                  "kill": int(portable.KILL_SIGNAL)}))
'''


def test_every_module_imports_without_fcntl_sighup_or_sigkill() -> None:
    done = subprocess.run([sys.executable, "-c", AS_ON_WINDOWS], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert {"peel", "peel.cli", "peel.pipeline", "peel.lock", "peel.pipeline.pool", "peel.pipeline.kernel",
            "peel.pipeline.watch", "peel.pipeline.dask", "peel.pipeline.run",
            "peel.kernel_warm_up"} <= set(result["modules"])
    assert len(result["modules"]) > 80
    assert result["failed"] == {}
    assert result["stop"] == [signal.SIGTERM]  # no SIGHUP there
    assert result["kill"] == signal.SIGTERM


def test_the_stop_signals_here_include_sighup_and_the_kill_signal_is_sigkill() -> None:
    assert STOP_SIGNALS == (signal.SIGTERM, signal.SIGHUP)
    assert KILL_SIGNAL == signal.SIGKILL


def test_an_exclusive_lock_is_refused_while_held_and_free_once_released(tmp_path: Path) -> None:
    path = tmp_path / ".build.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT)
    second = os.open(path, os.O_RDWR)  # another open file: as another process, the lock is not shared
    try:
        assert lock_exclusive(first)
        assert not lock_exclusive(second)
        os.close(first)
        first = -1
        assert lock_exclusive(second)
    finally:
        for fd in (first, second):
            if fd >= 0:
                os.close(fd)


def test_a_build_knows_a_live_holder_from_a_gone_one(tmp_path: Path) -> None:
    # The lock's holder and the temporary folders of builds that died are told by the process's start
    # time: on Linux the clock ticks /proc gives (the form every build on the machine writes), and where
    # there is no /proc (Windows), psutil's start time.
    me = os.getpid()
    start = process_start(me)
    stat = Path(f"/proc/{me}/stat").read_text(encoding="ascii")
    assert start == stat.rsplit(")", 1)[-1].split()[19]
    assert holder_alive(me, start) and not holder_alive(me, str(int(start) + 1))
    elsewhere = process_start(me, proc=tmp_path / "no-proc")
    assert elsewhere is not None and abs(int(elsewhere) / 100 - psutil.Process(me).create_time()) < 0.02
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_start(child.pid) is None and process_start(child.pid, proc=tmp_path / "no-proc") is None
    assert not holder_alive(child.pid, None)
    folder = make_build_temp()
    try:
        assert folder.name.startswith(f"peel-build-{me}-{start}-")
        shutil.rmtree(make_build_temp())  # the next build's clean-up keeps a live build's folder
        assert folder.is_dir()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
