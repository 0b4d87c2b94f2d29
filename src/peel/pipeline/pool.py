"""The executor of local worker processes (:class:`LocalPool`): one per job, each with a warm kernel.

Each worker builds whole forces with :func:`~peel.pipeline.force.build_force`; the run loop
(:func:`~peel.pipeline.run.run_forces`) places them, counts them and retries a lost one.

Every wait is bounded and judged by processes, not by messages: the build polls its results queue
with a timeout and, between messages, looks at each worker's process. A worker whose process has
ended is gone, whatever it said before; the force it was building is reported lost (the run loop
gives it to another worker once, then fails it). A worker whose kernel cannot start says so and
leaves; if no kernel can start at all, the build stops with the kernel's own error.

A worker dies with its build: Linux sends it SIGKILL when the build process dies
(``PR_SET_PDEATHSIG``), a thread watches the parent in case that is not available, and the worker
never renames a file into place once its build has ended. Its kernel dies with it the same way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peel import files
from peel.errors import KernelStartError
from peel.kernel_warm_up import keep_loaded_out_of_collections
from peel.pipeline.executor import STOP_GRACE, Done, Lost
from peel.pipeline.force import build_force, failed_record
from peel.pipeline.kernel import KERNEL_DIR_ENV, WarmKernel, descendants, die_with_parent, stop_strays
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import Failure, ForceRecord
from peel.portable import KILL_SIGNAL, block_signals, kill_group_quietly, kill_quietly

#: Seconds between looks at the workers' processes while no message arrives.
POLL = 0.5


# -- messages from workers ------------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    """The worker is idle and wants a force (or ``None`` to leave)."""

    worker: int


@dataclass(frozen=True)
class KernelStarted:
    """The worker's kernel runs as ``pid`` with its files in ``folder`` (for clean-up if the worker dies)."""

    worker: int
    pid: int
    folder: str


@dataclass(frozen=True)
class KernelFailed:
    """No kernel could start in this worker; it leaves."""

    worker: int
    message: str


@dataclass(frozen=True)
class ForceDone:
    worker: int
    record: ForceRecord


@dataclass
class _Worker:
    process: Any
    inbox: Any
    current: ForcePlan | None = None
    kernel: KernelStarted | None = None
    gone: bool = False
    kernel_failed: bool = False


class _Orphaned(BaseException):
    """Raised in a worker whose build has ended: nothing more may be written."""


class _Stop(BaseException):
    """Raised in a worker by SIGTERM from the build process: stop now, clean up."""


# -- the build side ---------------------------------------------------------------------------------
class LocalPool:
    """The executor of ``opts.jobs`` worker processes on this machine (see the module docstring)."""

    stopping = "shutting down workers and kernels"

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("spawn")  # no state inherited from the build process
        self._results: Any = None
        self._pending: deque[ForcePlan] = deque()
        self._workers: dict[int, _Worker] = {}
        self._outcomes: list[Done | Lost] = []
        self._spawned = 0
        self._kernel_ok = False
        self._kernel_error = ""
        self._looked = 0.0

    def open(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path) -> None:
        """Start ``min(opts.jobs, len(work))`` workers; each starts its kernel when any force needs one."""
        self._results = self._ctx.Queue()
        self._n_workers = max(1, min(opts.jobs, len(work)))
        self._worker_args = (str(opts.notebooks_dir), any(p.needs_kernel for p in work), str(temp_dir), os.getpid())
        self._looked = time.monotonic()
        for _ in range(self._n_workers):
            self._spawn()

    def place(self, plan: ForcePlan, first: bool = False) -> None:
        if first:
            self._pending.appendleft(plan)
        else:
            self._pending.append(plan)

    def collect(self) -> list[Done | Lost]:
        """Handle the workers' messages for up to :data:`POLL` seconds; then look at their processes.

        Raises
        ------
        KernelStartError
            When every worker has gone and none could start a kernel.
        """
        with suppress(queue.Empty):
            self._handle(self._results.get(timeout=POLL))
        if time.monotonic() - self._looked >= POLL:
            self._looked = time.monotonic()
            for w in list(self._workers.values()):
                if not w.gone and w.process.exitcode is not None:
                    self._drain()  # its last messages may still be in the queue
                    self._bury(w)
            if all(w.gone for w in self._workers.values()):
                if not self._kernel_ok and self._kernel_error:
                    raise KernelStartError(self._kernel_error)
                for plan in self._pending:
                    self._outcomes.append(Done(plan, failed_record(plan, Failure(
                        error="WorkerDied", message="no worker process was left to build it"))))
                self._pending.clear()
        outcomes, self._outcomes = self._outcomes, []
        return outcomes

    def stop(self) -> None:
        """Ask workers to stop (they shut their kernels down), then kill whatever is left."""
        for w in self._workers.values():
            if w.process.is_alive() and w.process.pid:
                kill_quietly(w.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline and any(w.process.is_alive() for w in self._workers.values()):
            try:
                msg = self._results.get(timeout=0.1)
                if isinstance(msg, KernelStarted):  # a kernel to kill if its worker does not stop
                    self._handle(msg)
            except (queue.Empty, OSError, EOFError, ValueError):
                pass

    def close(self) -> None:
        """Tell idle workers to leave, wait for them (at most :data:`STOP_GRACE` s), kill what is left."""
        for w in self._workers.values():
            if not w.gone:
                w.inbox.put(None)
        for w in self._workers.values():
            w.process.join(timeout=STOP_GRACE)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=2)
            if w.kernel is not None:
                _kill_kernel(w.kernel)
                w.kernel = None
        for q in (self._results, *(w.inbox for w in self._workers.values())):
            if q is not None:
                q.close()
                q.cancel_join_thread()
        self._workers.clear()
        self._results = None

    # -- inside -----------------------------------------------------------------------------------------
    def _spawn(self) -> None:
        wid = self._spawned
        self._spawned += 1
        inbox = self._ctx.Queue()
        proc = self._ctx.Process(target=worker_main, name=f"peel-build-{wid}", daemon=False,
                                 args=(wid, inbox, self._results, *self._worker_args))
        proc.start()
        self._workers[wid] = _Worker(proc, inbox)

    def _handle(self, msg: Any) -> None:
        w = self._workers.get(msg.worker)
        if w is None or w.gone:
            return
        if isinstance(msg, KernelStarted):
            w.kernel = msg
            self._kernel_ok = True
        elif isinstance(msg, KernelFailed):
            w.kernel_failed = True
            self._kernel_error = msg.message
        elif isinstance(msg, ForceDone) and w.current is not None:
            plan, w.current = w.current, None
            self._outcomes.append(Done(plan, msg.record))
        elif isinstance(msg, Ready) and w.current is None:
            w.current = self._pending.popleft() if self._pending else None
            w.inbox.put(w.current)

    def _drain(self) -> None:
        while True:
            try:
                self._handle(self._results.get(timeout=0.05))
            except queue.Empty:
                return

    def _bury(self, w: _Worker) -> None:
        """A worker's process has ended: kill its kernel, report its force lost, replace it if needed."""
        w.gone = True
        if w.kernel is not None:
            _kill_kernel(w.kernel)
            w.kernel = None
        plan, w.current = w.current, None
        if plan is not None:
            self._outcomes.append(Lost(plan, Failure(
                error="WorkerDied", message=f"the worker process building this force stopped unexpectedly "
                f"(exit status {w.process.exitcode}), twice")))
        if (self._pending or plan is not None) and not w.kernel_failed and self._spawned < 2 * self._n_workers:
            self._spawn()


def _kill_kernel(kernel: KernelStarted) -> None:
    below = descendants(kernel.pid)
    kill_group_quietly(kernel.pid)  # the kernel leads its own process group (POSIX)
    kill_quietly(kernel.pid)
    stop_strays(kernel.folder, below)  # and what its notebooks started outside it (the folder is its token)
    shutil.rmtree(kernel.folder, ignore_errors=True)


# -- the worker side ----------------------------------------------------------------------------------
def worker_main(worker_id: int, inbox: Any, results: Any, cwd: str, start_kernel: bool, temp_dir: str,
                parent: int) -> None:
    """A worker process: keep one warm kernel, build the forces it is given, report back."""
    die_with_parent(KILL_SIGNAL)
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)

    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        # Block further signals (Ctrl-C reaches the worker and the build process sends SIGTERM too), so
        # the clean-up below is not interrupted; blocking rather than ignoring also keeps them from
        # interrupting system calls half-way (ZeroMQ reports that as an error).
        block_signals(signal.SIGINT, signal.SIGTERM)
        # The block is this thread's only: a second signal taken by another thread (ZeroMQ's, the parent
        # watch) still runs this handler here, and must not interrupt the clean-up with a traceback.
        if stopping.is_set():
            return
        stopping.set()
        raise _Stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # papermill and nbclient log every warning; failures are reported in the summary instead.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)
    os.environ[KERNEL_DIR_ENV] = temp_dir
    kernel = WarmKernel(cwd=Path(cwd), temp_dir=Path(temp_dir))
    kernel.on_start = lambda pid, folder: results.put(KernelStarted(worker_id, pid, folder))

    def orphaned() -> bool:
        return os.getppid() != parent

    def guard(path: Path) -> None:
        if orphaned():
            raise _Orphaned(str(path))

    def watch_parent() -> None:
        while True:
            time.sleep(POLL)
            if orphaned():
                kernel.kill()
                os._exit(1)

    files.set_write_guard(guard)
    threading.Thread(target=watch_parent, name="peel-parent-watch", daemon=True).start()
    try:
        if start_kernel:
            try:
                kernel.start()
            except KernelStartError as e:
                results.put(KernelFailed(worker_id, str(e)))
                return
        frozen = False
        while True:
            results.put(Ready(worker_id))
            plan = _next(inbox, orphaned)
            if plan is None:
                break
            try:
                record = build_force(plan, kernel)
            except KernelStartError as e:  # this worker's kernel was replaced and the new one could not start
                record = failed_record(plan, Failure.of_exception(e))
            results.put(ForceDone(worker_id, record))
            if not frozen:  # by now the worker has imported all a force's build uses: they live as long as it
                keep_loaded_out_of_collections()
                frozen = True
    except _Orphaned:
        kernel.kill()
        os._exit(1)
    except (_Stop, KeyboardInterrupt):
        _abandon_notebook()
    finally:
        kernel.shutdown()


def _abandon_notebook() -> None:
    """Cancel nbclient's pending tasks before the kernel goes, so that no traceback is printed."""
    if "peel.pipeline.execute" in sys.modules:  # only when a notebook may have run
        from peel.pipeline.execute import abandon_notebook_tasks  # loaded already, as the test says

        abandon_notebook_tasks()


def _next(inbox: Any, orphaned: Any) -> ForcePlan | None:
    """The next force from the build, waiting in bounded steps while the build lives."""
    while True:
        try:
            return inbox.get(timeout=POLL)
        except queue.Empty:
            if orphaned():
                raise _Orphaned("the build has ended") from None

