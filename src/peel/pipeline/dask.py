"""The forces' work on a Dask distributed cluster (``peel build --scheduler ADDRESS``).

``--scheduler tcp://HOST:8786`` uses a running cluster (``dask scheduler`` and ``dask worker``);
``--scheduler local:N`` starts a LocalCluster of N worker processes for this build. The build process
stays the client: it plans, writes ``build.json`` and the index, and prints progress and the summary,
exactly as with the local pool (:func:`~peel.pipeline.run.run_forces`); each force is one Dask task
that runs :func:`~peel.pipeline.force.build_force` on a worker, which writes the force's files into the
output folder. Every worker must therefore see the same data, params, notebooks and output folder at the
same paths (a shared file system), and run the same package: this is checked on every worker before
anything runs, and the build refuses, naming the worker and what differs, when it is not so.

Each worker keeps one warm Jupyter kernel for its life (:mod:`peel.pipeline.dask_worker`), as the local
workers do: a build registers the plugin only where a worker lacks it in this version, so the next
build finds the kernels warm. A worker lost mid-force is replaced (by its nanny, or the cluster) and
its force tried once more, then reported failed. Ctrl-C, SIGTERM and SIGHUP cancel the build's tasks,
kill the kernel of a task still running (a running Dask task cannot be interrupted otherwise), forbid
it to rename any file into place, and remove the temporary files; the workers of a running cluster
live on (an idle warm kernel with them), a LocalCluster is shut down with its workers and kernels.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
import uuid
from pathlib import Path
from typing import Any

import dask
from distributed import Client, KilledWorker, LocalCluster
from distributed.protocol.core import loads
from distributed.protocol.utils import unpack_frames

from peel.errors import BuildError, InputError, problem
from peel.pipeline.dask_worker import (
    PLUGIN_NAME,
    WarmKernelPlugin,
    build_inputs,
    build_task,
    installed_version,
    plugin_version,
    stop_task,
)
from peel.pipeline.executor import FORCE_ATTEMPTS, STOP_GRACE, Done, Lost
from peel.pipeline.force import failed_record
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import Failure

#: Seconds to reach the scheduler, and for a first worker to join it.
CONNECT_TIMEOUT = 30.0
#: Seconds a ``tcp://`` scheduler gets to send its handshake to :func:`probe_scheduler`, and the largest
#: handshake accepted (a scheduler's is under 100 bytes).
PROBE_TIMEOUT = 10.0
HANDSHAKE_LIMIT = 64 * 1024
WORKER_WAIT = 60.0
#: Seconds every worker gets to hash the inputs it sees (the data folder, the package) before the build starts.
CHECK_TIMEOUT = 120.0
#: Seconds the build goes on without any worker before it fails the forces still to build.
NO_WORKER_GRACE = 120.0
#: Seconds between looks at the tasks, and between asking the scheduler whether any worker is left.
POLL = 0.2
WORKER_LOOK = 2.0


class DaskExecutor:
    """The executor of Dask tasks, one per force (see the module docstring).

    Parameters
    ----------
    scheduler
        ``tcp://HOST:PORT`` (or any address Dask accepts) of a running scheduler, or ``local:N`` for a
        LocalCluster of N worker processes started and stopped with the build.
    """

    stopping = "cancelling the build's tasks on the Dask cluster"

    def __init__(self, scheduler: str):
        self.scheduler = scheduler
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._token = uuid.uuid4().hex[:12]  # names this build's tasks, and what a stop applies to
        self._cwd = ""
        self._futures: dict[Any, ForcePlan] = {}
        self._attempts: dict[str, int] = {}
        self._priority = 0
        self._no_worker_since: float | None = None
        self._looked = 0.0

    def _connect(self) -> tuple[Client, LocalCluster | None]:
        if self.scheduler.startswith("local:"):
            # The scheduler runs in this process: a lost worker is reported at once (no retry by the
            # scheduler itself), and the build retries the force once, as the local pool does.
            # The scheduler's HTTP server (its health and status pages) takes a free port: with no address
            # it wants 8787, and with a second build (or any cluster) on the machine it would print a warning.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                cluster = LocalCluster(n_workers=int(self.scheduler.split(":", 1)[1]), threads_per_worker=1,
                                       processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
            try:
                return Client(cluster, timeout=CONNECT_TIMEOUT), cluster
            except BaseException:
                cluster.close(timeout=STOP_GRACE)
                raise
        probe_scheduler(self.scheduler)
        try:
            return Client(self.scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError) as e:
            raise BuildError(f"--scheduler {self.scheduler}: no Dask scheduler answered within "
                             f"{CONNECT_TIMEOUT:.0f} s ({e}); start one with 'dask scheduler'") from None

    def open(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path) -> None:
        """Connect, wait for a worker, check that every worker sees this build's inputs, install the plugin.

        Raises
        ------
        BuildError
            When the scheduler cannot be reached or no worker joins it in time.
        InputError
            When a worker sees other inputs, another package or no output folder (nothing has run).
        """
        self._cwd = str(opts.notebooks_dir)
        self._looked = time.monotonic()
        self._client, self._cluster = self._connect()
        try:
            self._client.wait_for_workers(1, timeout=WORKER_WAIT)
        except TimeoutError:
            raise BuildError(f"--scheduler {self.scheduler}: no Dask worker joined the scheduler within "
                             f"{WORKER_WAIT:.0f} s; start workers with 'dask worker {self.scheduler}'") from None
        here = self._check_workers(self._client, opts, [p.force_id for p in work])
        self._ensure_plugin(self._client, plugin_version(here))

    def place(self, plan: ForcePlan, first: bool = False) -> None:
        """Submit the force as one task; Dask runs the highest priority first (a retry above all)."""
        assert self._client is not None, "open() first"
        self._attempts[plan.force_id] = attempts = self._attempts.get(plan.force_id, 0) + 1
        self._priority -= 1
        key = f"peel-build-{plan.force_id}-{self._token}-{attempts}"
        fut = self._client.submit(build_task, plan, self._cwd, self._token, key=key, pure=False,
                                  priority=1 if first else self._priority, retries=0)
        self._futures[fut] = plan

    def collect(self) -> list[Done | Lost]:
        """The tasks that ended; after :data:`NO_WORKER_GRACE` s without any worker, every force left fails."""
        assert self._client is not None, "open() first"
        time.sleep(POLL)
        outcomes: list[Done | Lost] = []
        for fut in [f for f in self._futures if f.done()]:
            plan = self._futures.pop(fut)
            outcomes.append(self._outcome(fut, plan))
            # Let go of the result held on the cluster: if its worker is lost later, the scheduler
            # would otherwise build the force again, behind the build's back.
            fut.release()
        if time.monotonic() - self._looked >= WORKER_LOOK:
            self._looked = time.monotonic()
            if self._client.scheduler_info().get("workers"):
                self._no_worker_since = None
            elif self._no_worker_since is None:
                self._no_worker_since = time.monotonic()
            elif time.monotonic() - self._no_worker_since > NO_WORKER_GRACE:
                outcomes += [Done(plan, failed_record(plan, Failure(
                    error="WorkerDied", message=f"no Dask worker was left to build it for {NO_WORKER_GRACE:.0f} s")))
                    for plan in self._futures.values()]
                self._futures.clear()
        return outcomes

    def stop(self) -> None:
        """Cancel the build's tasks; a task still running is told to stop, and its kernel killed."""
        if self._client is None:
            return
        with contextlib.suppress(Exception):
            self._client.cancel(list(self._futures), force=True)
        with contextlib.suppress(Exception):
            self._client.run(stop_task, self._token, wait=True, callback_timeout=STOP_GRACE)

    def close(self) -> None:
        """Close the client; a LocalCluster is shut down with its workers and kernels."""
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=STOP_GRACE)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=STOP_GRACE)

    @staticmethod
    def _outcome(fut: Any, plan: ForcePlan) -> Done | Lost:
        """What a finished task says: the force's record, or that its worker was lost."""
        if fut.status == "finished":
            record = fut.result(timeout=CONNECT_TIMEOUT)
            if record is not None:
                return Done(plan, record)
            return Done(plan, failed_record(plan, Failure(error="Stopped",
                                                          message="a stop of this build reached the worker")))
        if fut.status == "cancelled":
            return Done(plan, failed_record(plan, Failure(error="Cancelled",
                                                          message="the Dask scheduler cancelled the task")))
        exc = fut.exception(timeout=CONNECT_TIMEOUT)
        if isinstance(exc, KilledWorker):
            return Lost(plan, Failure(error="WorkerDied",
                                      message=f"the Dask worker building this force was lost, {FORCE_ATTEMPTS} times"))
        return Done(plan, failed_record(plan, Failure.of_exception(exc)))

    @staticmethod
    def _ensure_plugin(client: Client, version: str) -> bool:
        """Register the warm-kernel plugin unless every worker has it in ``version``; whether it registered.

        Registering replaces the plugin on every worker, and with it the worker's kernel: done on every
        build, no build would find a warm kernel. A worker that joins later gets the plugin from the
        scheduler, which keeps the last one registered.
        """
        seen = client.run(installed_version, wait=True, callback_timeout=CHECK_TIMEOUT)
        if seen and all(v == version for v in seen.values()):
            return False
        client.register_plugin(WarmKernelPlugin(version), name=PLUGIN_NAME)
        return True

    def _check_workers(self, client: Client, opts: BuildOptions, force_ids: list[str]) -> dict[str, str]:
        """Refuse when a worker sees other inputs than this process; return what this process sees."""
        args = (str(opts.data_dir), str(opts.params_dir), str(opts.notebooks_dir), str(opts.out_dir), force_ids)
        here = build_inputs(*args)
        seen = client.run(build_inputs, *args, wait=True, callback_timeout=CHECK_TIMEOUT)
        problems = []
        for worker, theirs in sorted(seen.items()):
            for what in sorted(set(here) | set(theirs)):
                mine, other = here.get(what, "absent"), theirs.get(what, "absent")
                if mine != other:
                    problems.append(problem(f"--scheduler {self.scheduler}", f"worker {worker}",
                                            f"{what} differs: {_short(other)} on the worker, {_short(mine)} here "
                                            "(every worker must see the same inputs and output folder at the "
                                            "same paths, with the same package installed)"))
        if problems:
            raise InputError(problems)
        return here


def probe_scheduler(address: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Check that a Dask scheduler answers at a ``tcp://`` address, within ``timeout`` seconds in all.

    A Dask scheduler sends its handshake as soon as a connection is made: an 8-byte length, then a few
    dozen bytes of frames holding a small mapping (``python``, ``pickle-protocol``, ...). Dask's client
    reads the length and allocates that much before looking further, so a server of another kind
    answering (a web server, an SSH daemon) would make it try to allocate exabytes; and one that accepts
    and never answers would keep it waiting. Read here with a deadline and a bound on the length, the
    handshake is checked before the client connects. Other protocols (``tls://``, ``ucx://``) are left
    to the client's own timeout.

    Raises
    ------
    BuildError
        When nothing accepts the connection, nothing is sent in time, or what is sent is not a
        Dask scheduler's handshake.
    """
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://"):].rpartition(":")
    if not host:
        host, port = port, "8786"  # the scheduler's default port, as Dask assumes
    deadline = time.monotonic() + timeout
    where = f"--scheduler {address}"

    def receive(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            head = receive(sock, 8)
            (size,) = struct.unpack("<Q", head)
            if not 0 < size <= HANDSHAKE_LIMIT:
                raise _NotDask(f"it sent {head!r}, which is not the start of a Dask handshake")
            body = receive(sock, size)
    except TimeoutError:
        raise BuildError(f"{where}: no Dask scheduler answered within {timeout:g} s (a server accepted the "
                         "connection but sent nothing, or nothing answered); check the address and port, "
                         "or start one with 'dask scheduler'") from None
    except _NotDask as e:
        raise BuildError(f"{where}: the server at this address is not a Dask scheduler ({e}); "
                         "check the address and port (a scheduler listens on 8786 by default)") from None
    except (OSError, ValueError) as e:
        raise BuildError(f"{where}: no Dask scheduler could be reached ({getattr(e, 'strerror', None) or e}); "
                         "check the address, or start one with 'dask scheduler'") from None
    try:
        info = loads(unpack_frames(body))
    except Exception:
        info = None
    if not (isinstance(info, dict) and "python" in info and "pickle-protocol" in info):
        raise BuildError(f"{where}: the server at this address is not a Dask scheduler (what it sent is not a "
                         "Dask handshake); check the address and port (a scheduler listens on 8786 by default)")


class _NotDask(Exception):
    """What a server sent is not a Dask scheduler's handshake (the reason is the message)."""


def _short(value: str) -> str:
    return value[:12] if len(value) == 64 else value
