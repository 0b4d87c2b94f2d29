"""``peel build --scheduler``: the forces on a Dask cluster, with the local build's promises and outputs.

The slow tests run real builds on a LocalCluster of 2 worker processes: byte-identical reports and
records to the local pool, a failing force isolated, a worker killed mid-force survived (retried once,
then reported), and Ctrl-C leaving no kernel or worker process behind.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from conftest import BUILT_FORCES, REPO
from test_faults import (  # noqa: F401
    DEADLINE,
    _assert_nothing_left,
    _env,
    _hang_in_alpha,
    _kernels,
    _reap,
    _sleeping,
    _snapshot,
    _start,
    _stop,
    _wait_for,
    project,
)

from peel.errors import InputError
from peel.pipeline.inline import InProcess
from peel.pipeline.options import make_options
from peel.pipeline.pool import LocalPool
from peel.pipeline.run import executor_for

# ---------------------------------------------------------------- the request and the seam (fast)

@pytest.mark.parametrize("bad", ["local:0", "local:x", "http://host:8786", "host:8786", "tcp://"])
def test_a_malformed_scheduler_is_refused_before_anything_runs(bad):
    with pytest.raises(InputError) as info:
        make_options(forces=["metropolitan"], scheduler=bad)
    assert "--scheduler" in str(info.value) and bad in str(info.value)


def test_the_local_pool_is_the_default_and_imports_no_dask():
    opts = make_options(forces=["metropolitan", "kent"])
    assert isinstance(executor_for(opts, 2), LocalPool)
    assert isinstance(executor_for(opts, 1), InProcess)  # one force with work: no worker to start
    code = ("import sys, peel.pipeline, peel.pipeline.pool, peel.cli\n"
            "from peel.pipeline.options import make_options\n"
            "from peel.pipeline.run import executor_for\n"
            "executor_for(make_options(forces=['metropolitan', 'kent']), 2)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


class _FakeServer:
    """A TCP server on 127.0.0.1 that is not a Dask scheduler: it sends ``answer`` to every connection
    (nothing when empty) and keeps it open until stopped."""

    def __init__(self, answer: bytes):
        import threading

        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.answer:
                conn.sendall(self.answer)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


#: An SSH server's greeting: read as a Dask message length it is about 3 EiB.
SSH_GREETING = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"


@pytest.mark.parametrize("answer, words", [
    (SSH_GREETING, "is not a Dask scheduler"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00" + b"junk, not frames", "is not a Dask scheduler"),  # a sane length
    (b"", "no Dask scheduler answered within"),  # accepts, and says nothing
])
def test_a_server_that_is_not_a_dask_scheduler_is_a_clear_error_in_bounded_time(answer, words, project):  # noqa: F811
    from peel.errors import BuildError
    from peel.inputs.forces import get_force
    from peel.pipeline import build
    from peel.pipeline.dask import PROBE_TIMEOUT
    from peel.pipeline.options import BuildOptions

    server = _FakeServer(answer)
    try:
        opts = BuildOptions((get_force("kent"),), ("html",), project / "data", project / "params", project / "out",
                            project / "notebooks", 1, 60, validate=False, scheduler=server.address)
        t0 = time.monotonic()
        with pytest.raises(BuildError) as info:
            build(opts, stream=io.StringIO())
        took = time.monotonic() - t0
    finally:
        server.close()
    assert f"--scheduler {server.address}" in str(info.value) and words in str(info.value)
    assert took < PROBE_TIMEOUT + 30  # the probe's deadline, and the build's planning on a loaded machine
    assert not (project / "out" / "kent" / "report.html").exists()


def test_a_dask_scheduler_passes_the_probe():
    from distributed import LocalCluster

    from peel.pipeline.dask import probe_scheduler

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=":0",
                      silence_logs=50) as cluster:
        probe_scheduler(cluster.scheduler_address, timeout=10)  # raises when it is not recognised


def test_a_worker_with_other_inputs_is_refused_naming_it_and_what_differs(tmp_path):
    from peel.pipeline.dask import DaskExecutor
    from peel.pipeline.dask_worker import build_inputs

    opts = make_options(forces=["metropolitan"], out=tmp_path, scheduler="tcp://127.0.0.1:8786")
    args = (str(opts.data_dir), str(opts.params_dir), str(opts.notebooks_dir), str(opts.out_dir), ["metropolitan"])
    here = build_inputs(*args)
    assert here[f"output folder {tmp_path}"] == "present"
    other = {**here, "peel-reports version": "0.0.9", f"output folder {tmp_path}": "missing"}

    class Client:
        def run(self, fn, *a, wait=True, callback_timeout=None):
            assert callback_timeout is not None  # every wait is bounded
            assert fn is build_inputs and a == args
            return {"tcp://10.0.0.2:4000": other, "tcp://10.0.0.3:4000": dict(here)}

    with pytest.raises(InputError) as info:
        DaskExecutor("tcp://127.0.0.1:8786")._check_workers(Client(), opts, ["metropolitan"])
    text = str(info.value)
    assert "worker tcp://10.0.0.2:4000" in text and "tcp://10.0.0.3:4000" not in text
    assert "peel-reports version differs: 0.0.9 on the worker" in text
    assert f"output folder {tmp_path} differs: missing on the worker, present here" in text


def test_the_warm_kernel_plugin_is_registered_only_where_a_worker_lacks_it_in_this_version():
    import pickle

    from peel.pipeline.dask import DaskExecutor
    from peel.pipeline.dask_worker import PLUGIN_NAME, WarmKernelPlugin, installed_version

    class Client:
        def __init__(self, seen):
            self.seen, self.registered = seen, []

        def run(self, fn, *a, wait=True, callback_timeout=None):
            assert callback_timeout is not None  # every wait is bounded
            assert fn is installed_version
            return self.seen

        def register_plugin(self, plugin, name=None):
            self.registered.append((plugin, name))

    warm = Client({"tcp://10.0.0.2:4000": "1.0+abc", "tcp://10.0.0.3:4000": "1.0+abc"})
    assert DaskExecutor._ensure_plugin(warm, "1.0+abc") is False and warm.registered == []
    for seen in ({"tcp://10.0.0.2:4000": "1.0+abc", "tcp://10.0.0.3:4000": None},
                 {"tcp://10.0.0.2:4000": "0.9+old", "tcp://10.0.0.3:4000": "1.0+abc"}):
        client = Client(seen)
        assert DaskExecutor._ensure_plugin(client, "1.0+abc") is True
        [(plugin, name)] = client.registered
        assert isinstance(plugin, WarmKernelPlugin) and name == PLUGIN_NAME
        # What a worker that joins later unpickles from the scheduler reports the same version.
        assert pickle.loads(pickle.dumps(plugin)).version == "1.0+abc"

    class Worker:
        plugins = {PLUGIN_NAME: WarmKernelPlugin("1.0+abc")}

    assert installed_version(Worker()) == "1.0+abc"
    Worker.plugins = {}
    assert installed_version(Worker()) is None


def test_the_plugin_version_follows_the_code_a_kernel_imports_not_the_data(tmp_path):
    from peel import __version__
    from peel.pipeline.dask_worker import build_inputs, plugin_version

    opts = make_options(forces=["metropolitan"], out=tmp_path)
    here = build_inputs(str(opts.data_dir), str(opts.params_dir), str(opts.notebooks_dir), str(opts.out_dir),
                        ["metropolitan"])
    version = plugin_version(here)
    assert version.startswith(f"{__version__}+")
    data_key = next(k for k in here if k.startswith("data folder "))
    assert plugin_version({**here, data_key: "0" * 64}) == version  # new data: the warm kernel serves it
    for code in ("peel package code", "report template", "Python and library versions"):
        assert plugin_version({**here, code: "0" * 64}) != version, code


# ---------------------------------------------------------------- real builds on a LocalCluster (slow)

def _records(out: Path) -> dict:
    """The forces' records of ``build.json``, without what differs between any two runs (durations)."""
    def strip(doc):
        if isinstance(doc, dict):
            return {k: strip(v) for k, v in doc.items() if k != "duration"}
        if isinstance(doc, list):
            return [strip(v) for v in doc]
        return doc

    return strip(json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"])


@pytest.mark.slow
def test_a_build_on_a_local_cluster_is_byte_identical_to_the_local_pool(built_reports, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "peel.cli", "build", *BUILT_FORCES, "--to", "html,pdf", "--out", str(out),
               "--scheduler", "local:2"]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    for force in BUILT_FORCES:
        for name in ("report.html", "report.pdf"):
            assert (out / force / name).read_bytes() == (built_reports / force / name).read_bytes(), f"{force}/{name}"
    assert _records(out) == _records(built_reports)
    assert json.loads((out / "build.json").read_text(encoding="utf-8"))["options"]["scheduler"] == "local:2"


@pytest.mark.slow
def test_a_failing_force_on_the_cluster_fails_only_itself(project):  # noqa: F811
    (project / "params" / "metropolitan.alpha.fault").write_text("error", encoding="utf-8")
    marker = uuid.uuid4().hex
    proc = _start(project, ["metropolitan", "kent"], 2, marker, "--scheduler", "local:2")
    out, err = proc.communicate(timeout=DEADLINE * 3)
    assert proc.returncode == 1, err
    manifest = json.loads((project / "out" / "build.json").read_text(encoding="utf-8"))
    assert manifest["forces"]["metropolitan"]["status"] == "failed"
    assert manifest["forces"]["metropolitan"]["error"]["area"] == "alpha"
    assert manifest["forces"]["kent"]["status"] == "built"
    assert (project / "out" / "kent" / "report.html").is_file()
    assert not (project / "out" / "metropolitan" / "report.html").exists()
    assert "Traceback" not in err
    _assert_nothing_left(project, marker)


def _executing(client, force: str, seen: set[str]) -> str | None:
    """The address of the worker executing an attempt at ``force`` not in ``seen`` (its key is added to it).

    Asked of the workers themselves: a task the scheduler lists as processing may still be queued on
    the worker or be moved to another one, and a warm kernel is no sign of it (it is kept between forces).
    """
    def executing(dask_worker) -> list[str]:
        return [str(ts.key) for ts in dask_worker.state.executing]

    for address, keys in client.run(executing, on_error="return").items():
        if isinstance(keys, BaseException):  # a worker just killed, still listed by the scheduler
            continue
        for key in keys:
            if f"peel-build-{force}-" in key and key not in seen:
                seen.add(key)
                return address
    return None


@pytest.mark.slow
def test_a_worker_killed_mid_force_is_survived_retried_once_then_reported(project):  # noqa: F811
    import dask
    from distributed import Client, LocalCluster

    (project / "params" / "kent.alpha.fault").write_text("sleep", encoding="utf-8")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                         silence_logs=50) as cluster, Client(cluster, timeout=30) as client:
        marker = uuid.uuid4().hex
        # The timeout bounds the test if a kill misses: kent then fails as timed out, not as WorkerDied.
        proc = _start(project, ["kent", "metropolitan"], 2, marker, "--scheduler", cluster.scheduler_address,
                      "--timeout", "30")
        try:
            killed, seen = [], set()
            for _ in range(2):  # the first death is retried on a worker, the second is reported
                deadline = time.monotonic() + DEADLINE * 2
                while (address := _executing(client, "kent", seen)) is None:
                    assert proc.poll() is None, proc.communicate(timeout=10)[1]
                    assert time.monotonic() < deadline, "kent's task did not start on a worker"
                    time.sleep(0.3)
                while not _sleeping(project, ["kent"]):
                    assert proc.poll() is None, proc.communicate(timeout=10)[1]
                    assert time.monotonic() < deadline, "kent's notebook did not reach its sleeping cell"
                    time.sleep(0.2)
                # Removed, so that the retry's notebook is waited for in its turn.
                (project / "params" / "kent.alpha.sleeping").unlink()
                pid = client.run(os.getpid, workers=[address])[address]
                victims = [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
                os.kill(pid, signal.SIGKILL)
                killed.extend(victims)
            out, err = proc.communicate(timeout=DEADLINE * 2)
        finally:
            _reap(proc)
        assert len(seen) == 2, seen
        assert proc.returncode == 1, err
        manifest = json.loads((project / "out" / "build.json").read_text(encoding="utf-8"))
        assert manifest["forces"]["kent"]["status"] == "failed"
        assert manifest["forces"]["kent"]["error"]["error"] == "WorkerDied", err
        assert manifest["forces"]["metropolitan"]["status"] == "built", err
        assert (project / "out" / "metropolitan" / "report.html").is_file()
        assert "Traceback" not in err
        time.sleep(1.0)
        assert not [p for p in killed if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"], \
            "a killed worker's kernel outlived it"


@pytest.mark.slow
def test_ctrl_c_on_a_cluster_build_leaves_no_kernel_or_worker_and_no_partial_file(project):  # noqa: F811
    forces = ["metropolitan", "kent", "essex"]
    _hang_in_alpha(project, forces)  # so the build is mid-way when stopped
    marker = uuid.uuid4().hex
    proc = _start(project, forces, 2, marker, "--scheduler", "local:2")
    try:
        _wait_for(lambda: len(_sleeping(project, forces)) >= 2, "two notebooks reaching their sleeping cell", proc,
                  seconds=DEADLINE * 2)
        out, err, took = _stop(proc, signal.SIGINT)
    finally:
        _reap(proc)
    assert proc.returncode == 130, err
    assert took < 30
    _assert_nothing_left(project, marker)
    out_dir = project / "out"
    after_exit = _snapshot(out_dir)
    time.sleep(2)
    assert _snapshot(out_dir) == after_exit, "a file was written after the build ended"
    assert not list(out_dir.rglob("report.html")) and not (out_dir / "build.json").exists()
    assert not list(out_dir.rglob("*.tmp"))
    assert "Traceback" not in err


def _executed_everything(out: Path, forces: list[str]) -> None:
    manifest = json.loads((out / "build.json").read_text(encoding="utf-8"))
    for force in forces:
        record = manifest["forces"][force]
        assert record["status"] == "built", record
        assert {a["status"] for a in record["areas"].values()} == {"executed"}, record


@pytest.mark.slow
def test_a_second_build_on_the_same_cluster_finds_the_kernels_warm(project, monkeypatch):  # noqa: F811
    from distributed import Client, LocalCluster

    def kernel_state(dask_worker) -> tuple[int | None, int | None, int]:
        """The worker's plugin object, its kernel's process and how many kernels that plugin started."""
        plugin = dask_worker.plugins.get("peel-warm-kernel")
        kernel = getattr(plugin, "kernel", None)
        return (id(plugin) if plugin else None, kernel.pid if kernel else None, kernel.starts if kernel else 0)

    cluster_marker = uuid.uuid4().hex
    # The workers (and so their kernels) inherit these from this process, not from the builds.
    for name, value in _env(project, cluster_marker).items():
        monkeypatch.setenv(name, value)
    forces = ["metropolitan", "kent"]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster, timeout=30) as client:
        after = []
        for _ in range(2):
            shutil.rmtree(project / "out", ignore_errors=True)  # every area is executed again
            proc = _start(project, forces, 2, uuid.uuid4().hex, "--scheduler", cluster.scheduler_address)
            try:
                out, err = proc.communicate(timeout=DEADLINE * 2)
            finally:
                _reap(proc)
            assert proc.returncode == 0, err
            _executed_everything(project / "out", forces)
            state = client.run(kernel_state)
            after.append((state, sorted(p.pid for p in _kernels(cluster_marker))))
        first, second = after
        assert first[1], "the first build started no kernel on the cluster"
        assert sorted(pid for _, pid, _ in first[0].values() if pid) == first[1]
        assert sum(starts for _, _, starts in first[0].values()) == len(first[1])
        assert second == first, "the second build replaced a plugin or started a kernel"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to a process group started by a test, SIGKILL if it has not ended within the deadline."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=DEADLINE)


@pytest.fixture
def cli_cluster(project):  # noqa: F811
    """A scheduler and two workers started as separate processes with the ``dask`` command, as on servers.

    Yields the scheduler's address, the marker its processes (and their kernels) carry, and the workers' pids.
    """
    from distributed import Client

    marker = uuid.uuid4().hex
    env = _env(project, marker)
    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = [open(project / f"{name}.log", "wb") for name in ("scheduler", "workers")]  # noqa: SIM115
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--no-dashboard", "--dashboard-address", ":0"],
                              env=env, stdout=logs[0], stderr=logs[0], start_new_session=True)]
    try:
        procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard", "--local-directory", str(project / "tmp")],
                                      env=env, stdout=logs[1], stderr=logs[1], start_new_session=True))
        with Client(address, timeout=DEADLINE) as client:
            client.wait_for_workers(2, timeout=DEADLINE)
            pids = sorted(client.run(os.getpid).values())
        yield address, marker, pids
    finally:
        for proc in reversed(procs):
            _stop_group(proc)
        for log in logs:
            log.close()


@pytest.mark.slow
def test_ctrl_c_on_a_running_cluster_kills_its_kernels_and_writes_nothing_while_the_workers_live_on(
        project, cli_cluster):  # noqa: F811
    address, cluster_marker, worker_pids = cli_cluster
    forces = ["metropolitan", "kent", "essex"]
    _hang_in_alpha(project, forces)  # so the build is mid-way when stopped
    marker = uuid.uuid4().hex
    proc = _start(project, forces, 2, marker, "--scheduler", address)
    try:
        _wait_for(lambda: len(_sleeping(project, forces)) >= 2, "two notebooks reaching their sleeping cell", proc,
                  seconds=DEADLINE * 2)
        out, err, took = _stop(proc, signal.SIGINT)
    finally:
        _reap(proc)
    assert proc.returncode == 130, err
    assert took < 30
    assert "Traceback" not in err
    _assert_nothing_left(project, marker)  # the build's own processes
    deadline = time.monotonic() + 10
    while _kernels(cluster_marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _kernels(cluster_marker), "a kernel of the stopped build lives on"
    assert not [p for d in ("tmp", "runtime") for p in (project / d).rglob("kernel-*.json")]
    out_dir = project / "out"
    after_exit = _snapshot(out_dir)
    time.sleep(2)
    assert _snapshot(out_dir) == after_exit, "a file was written after the build ended"
    assert not list(out_dir.rglob("report.html")) and not (out_dir / "build.json").exists()
    assert not list(out_dir.rglob("*.tmp"))

    # The workers live on, and build the next request.
    assert all(psutil.pid_exists(pid) for pid in worker_pids)
    (project / "params" / "kent.alpha.fault").unlink()
    proc = _start(project, ["kent"], 2, uuid.uuid4().hex, "--scheduler", address)
    try:
        out, err = proc.communicate(timeout=DEADLINE * 2)
    finally:
        _reap(proc)
    assert proc.returncode == 0, err
    record = json.loads((out_dir / "build.json").read_text(encoding="utf-8"))["forces"]["kent"]
    assert record["status"] == "built", record
    # A notebook that had finished before the stop may be reused (its inputs are the same); the one that
    # was stopped runs again.
    assert {a["status"] for a in record["areas"].values()} <= {"executed", "reused"}, record
    assert record["areas"]["alpha"]["status"] == "executed", record
    assert (out_dir / "kent" / "report.html").is_file()
