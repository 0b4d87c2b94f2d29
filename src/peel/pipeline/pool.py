"""The worker pool: one process per job, each with a warm kernel, building whole forces.

Every wait is bounded and judged by processes, not by messages: the build polls its results queue
with a timeout and, between messages, looks at each worker's process. A worker whose process has
ended is gone, whatever it said before; the force it was building is given to another worker once,
then failed. A worker whose kernel cannot start says so and leaves; if no kernel can start at all,
the build stops with the kernel's own error.

A worker dies with its build: Linux sends it SIGKILL when the build process dies
(``PR_SET_PDEATHSIG``), a thread watches the parent in case that is not available, and the worker
never renames a file into place once its build has ended. Its kernel dies with it the same way.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from peel.errors import BuildStopped, KernelStartError
from peel.pipeline.force import build_force, failed_record
from peel.pipeline.kernel import KERNEL_DIR_ENV, WarmKernel, descendants, die_with_parent, kill_quietly, stop_strays
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.progress import Progress
from peel.pipeline.records import Failure, ForceRecord
from peel.portable import KILL_SIGNAL, STOP_SIGNALS

#: Seconds the build waits for workers to stop on Ctrl-C before killing them.
STOP_GRACE = 10.0
#: Seconds between looks at the workers' processes while no message arrives.
POLL = 0.5
#: How many times a force is given to a worker: a worker that dies is replaced and its force tried once more.
FORCE_ATTEMPTS = 2


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
class _PoolState:
    """What the pool's callbacks share: workers started so far, and whether any kernel has started."""

    spawned: int = 0
    kernel_ok: bool = False
    kernel_error: str = ""


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
#: Every signal that asked to stop, in order. The handler raises, but an exception raised while Python runs
#: a finalizer (as the garbage collector may, anywhere) is printed and dropped; a long-running caller
#: (``peel watch``) looks here at its safe points, so that such a stop is not lost.
STOPS: list[int] = []


@contextmanager
def signals_stop_the_build(sigint: bool = False) -> Iterator[None]:
    """SIGTERM and SIGHUP (and Ctrl-C too, with ``sigint``) stop the build as Ctrl-C does (clean stop,
    then exit 128 + the signal); each is also noted in :data:`STOPS`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        STOPS.append(signum)
        raise BuildStopped(signum)

    mine = STOP_SIGNALS + ((signal.SIGINT,) if sigint else ())
    saved = {s: signal.signal(s, stop) for s in mine}
    saved.setdefault(signal.SIGINT, signal.getsignal(signal.SIGINT))
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def run_pool(work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO) -> dict[str, ForceRecord]:
    """Build the forces with work on ``opts.jobs`` worker processes and return their records.

    Raises
    ------
    KernelStartError
        When no worker could start a kernel.
    KeyboardInterrupt
        On Ctrl-C, SIGTERM or SIGHUP, after every worker and kernel has stopped and temporary files are gone.
    """
    ctx = multiprocessing.get_context("spawn")  # no state inherited from the build process
    results = ctx.Queue()
    # Forces with the most notebooks to run first, so that the batch ends with short jobs.
    pending = deque(sorted(work, key=lambda p: -sum(a.execute for a in p.areas)))
    attempts: dict[str, int] = {}
    n_workers = max(1, min(opts.jobs, len(work)))
    start_kernel = any(p.needs_kernel for p in work)
    workers: dict[int, _Worker] = {}
    records: dict[str, ForceRecord] = {}
    progress = Progress(len(work), stream)
    state = _PoolState()

    def spawn() -> None:
        wid = state.spawned
        state.spawned += 1
        inbox = ctx.Queue()
        proc = ctx.Process(target=worker_main, name=f"peel-build-{wid}", daemon=False,
                           args=(wid, inbox, results, str(opts.notebooks_dir), start_kernel, str(temp_dir),
                                 os.getpid()))
        proc.start()
        workers[wid] = _Worker(proc, inbox)

    def finish(plan: ForcePlan, record: ForceRecord) -> None:
        records[plan.force_id] = record
        progress.force_done(record)

    def handle(msg: Any) -> None:
        w = workers.get(msg.worker)
        if w is None or w.gone:
            return
        if isinstance(msg, KernelStarted):
            w.kernel = msg
            state.kernel_ok = True
        elif isinstance(msg, KernelFailed):
            w.kernel_failed = True
            state.kernel_error = msg.message
        elif isinstance(msg, ForceDone) and w.current is not None:
            plan, w.current = w.current, None
            finish(plan, msg.record)
        elif isinstance(msg, Ready) and w.current is None:
            w.current = pending.popleft() if pending else None
            if w.current is not None:
                attempts[w.current.force_id] = attempts.get(w.current.force_id, 0) + 1
            w.inbox.put(w.current)

    def bury(w: _Worker) -> None:
        """A worker's process has ended: kill its kernel, retry or fail its force, replace it if needed."""
        w.gone = True
        if w.kernel is not None:
            _kill_kernel(w.kernel)
        plan, w.current = w.current, None
        if plan is not None and plan.force_id not in records:
            if attempts.get(plan.force_id, 0) < FORCE_ATTEMPTS:
                pending.appendleft(plan)
            else:
                finish(plan, failed_record(plan, Failure(
                    error="WorkerDied", message=f"the worker process building this force stopped unexpectedly "
                    f"(exit status {w.process.exitcode}), twice")))
        if pending and not w.kernel_failed and state.spawned < 2 * n_workers:
            spawn()

    try:
        for _ in range(n_workers):
            spawn()
        looked = time.monotonic()
        while len(records) < len(work):
            with suppress(queue.Empty):
                handle(results.get(timeout=POLL))
            if time.monotonic() - looked < POLL:
                continue
            looked = time.monotonic()
            for w in list(workers.values()):
                if not w.gone and w.process.exitcode is not None:
                    _drain(results, handle)  # its last messages may still be in the queue
                    bury(w)
            if all(w.gone for w in workers.values()):
                if not state.kernel_ok and state.kernel_error:
                    raise KernelStartError(state.kernel_error)
                for plan in list(pending):
                    finish(plan, failed_record(plan, Failure(error="WorkerDied",
                                                             message="no worker process was left to build it")))
                pending.clear()
        # Every force is done: tell the idle workers to leave now (they would otherwise wait for a force
        # until the join below timed out and the clean-up killed them).
        for w in workers.values():
            if not w.gone:
                w.inbox.put(None)
        for w in workers.values():
            w.process.join(timeout=STOP_GRACE)
    except BaseException as e:
        progress.close()
        if not isinstance(e, KernelStartError):
            print("\nstopping: shutting down workers and kernels...", file=stream, flush=True)
        _stop_everything(list(workers.values()), results, handle)
        remove_temporaries([p.out for p in work])
        raise
    finally:
        progress.close()
        for w in workers.values():
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=2)
            if w.kernel is not None:
                _kill_kernel(w.kernel)
        for q in (results, *(w.inbox for w in workers.values())):
            q.close()
            q.cancel_join_thread()
    remove_temporaries([p.out for p in work])
    return records


def _drain(results: Any, handle: Any) -> None:
    while True:
        try:
            handle(results.get(timeout=0.05))
        except queue.Empty:
            return


def _stop_everything(workers: list[_Worker], results: Any, handle: Any) -> None:
    """Ask workers to stop (they shut their kernels down), then kill whatever is left."""
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, *STOP_SIGNALS):  # a second Ctrl-C must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
    for w in workers:
        if w.process.is_alive() and w.process.pid:
            kill_quietly(w.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline and any(w.process.is_alive() for w in workers):
        try:
            msg = results.get(timeout=0.1)
            if isinstance(msg, KernelStarted):
                handle(msg)
        except (queue.Empty, OSError, EOFError, ValueError):
            pass
    for w in workers:
        if w.process.is_alive():
            w.process.kill()
        w.process.join(timeout=2)
        if w.kernel is not None:
            _kill_kernel(w.kernel)


def _kill_kernel(kernel: KernelStarted) -> None:
    import shutil

    below = descendants(kernel.pid)
    kill_quietly(kernel.pid, group=True)  # the kernel leads its own process group
    kill_quietly(kernel.pid)
    stop_strays(kernel.folder, below)  # and what its notebooks started outside it (the folder is its token)
    shutil.rmtree(kernel.folder, ignore_errors=True)


def remove_temporaries(folders: Iterable[Path]) -> None:
    """Remove temporary files a stopped worker may have left in forces' folders: only the build's own
    (``.report.html.1234.tmp``; :func:`~peel.pipeline.ownership.is_build_temporary`), never a file of the user's."""
    from peel.pipeline.ownership import is_build_temporary

    for folder in folders:
        for sub, where in ((folder, "force"), (folder / "notebooks", "notebooks")):
            if sub.is_dir() and not sub.is_symlink():
                for p in sub.glob(".*.tmp"):
                    if is_build_temporary(p.name, where) and not p.is_symlink():
                        p.unlink(missing_ok=True)


# -- the worker side ----------------------------------------------------------------------------------
def worker_main(worker_id: int, inbox: Any, results: Any, cwd: str, start_kernel: bool, temp_dir: str,
                parent: int) -> None:
    """A worker process: keep one warm kernel, build the forces it is given, report back."""
    import logging

    from peel import files

    die_with_parent(KILL_SIGNAL)
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)

    def stop(signum: int, frame: Any) -> None:
        # Block further signals (Ctrl-C reaches the worker and the build process sends SIGTERM too), so
        # the clean-up below is not interrupted; blocking rather than ignoring also keeps them from
        # interrupting system calls half-way (ZeroMQ reports that as an error).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
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
        while True:
            results.put(Ready(worker_id))
            plan = _next(inbox, orphaned)
            if plan is None:
                break
            try:
                if plan.needs_kernel and kernel.km is None:
                    kernel.start()
                record = build_force(plan, kernel)
            except (KernelStartError, Exception) as e:  # a bug must not take the other forces down with it
                tb = None if isinstance(e, KernelStartError) else traceback.format_exc(limit=8)
                record = failed_record(plan, Failure.of_exception(e, traceback=tb))
            results.put(ForceDone(worker_id, record))
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
        from peel.pipeline.execute import abandon_notebook_tasks

        abandon_notebook_tasks()


def _next(inbox: Any, orphaned: Any) -> ForcePlan | None:
    """The next force from the build, waiting in bounded steps while the build lives."""
    while True:
        try:
            return inbox.get(timeout=POLL)
        except queue.Empty:
            if orphaned():
                raise _Orphaned("the build has ended") from None


__all__ = ["run_pool", "worker_main", "signals_stop_the_build", "remove_temporaries", "STOP_GRACE"]
