"""The run loop: every force with work is run through :func:`run_forces`, whatever places its work.

An executor only *places* a force's work: in this process (:class:`~peel.pipeline.inline.InProcess`),
on local worker processes (:class:`~peel.pipeline.pool.LocalPool`) or as Dask tasks
(:class:`~peel.pipeline.dask.DaskExecutor`). Wherever it is placed, the work is
:func:`~peel.pipeline.force.build_force` on a warm kernel. Everything else is here, once:

* **order**: forces with the most notebooks to run first, so that a batch ends with short jobs;
* **progress** (:class:`~peel.pipeline.progress.Progress`), one line or one bar update per force;
* **retries**: a force whose worker (and so its kernel) was lost is placed once more, then reported
  failed (:data:`~peel.pipeline.executor.FORCE_ATTEMPTS`); a failure in the force's own work is never retried;
* **stops**: Ctrl-C, SIGTERM and SIGHUP (:func:`signals_stop_the_build`) raise
  :class:`~peel.errors.BuildStopped` here; the executor stops every force's work and kernel, and the
  build's temporary files are removed before the stop goes on to the caller;
* **clean-up**: the executor is closed and temporary files removed however the loop ends.

The build (:func:`peel.pipeline.build`) plans before and records after, so reuse and the records are
the same whichever executor ran.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from peel.errors import BuildStopped
from peel.pipeline.executor import FORCE_ATTEMPTS, Executor, Lost
from peel.pipeline.force import failed_record
from peel.pipeline.inline import InProcess
from peel.pipeline.options import BuildOptions
from peel.pipeline.ownership import is_build_temporary
from peel.pipeline.plan import ForcePlan
from peel.pipeline.pool import LocalPool
from peel.pipeline.progress import Progress
from peel.pipeline.records import ForceRecord
from peel.portable import STOP_SIGNALS


def executor_for(opts: BuildOptions, forces: int) -> Executor:
    """Where ``forces`` forces with work are built: Dask with ``opts.scheduler``; a single force in this
    process (a worker's start would cost more than it saves); otherwise a local pool of ``opts.jobs``."""
    if opts.scheduler:
        from peel.pipeline.dask import DaskExecutor  # only here: Dask is an optional extra

        return DaskExecutor(opts.scheduler)
    if forces == 1:
        return InProcess()
    return LocalPool()


def run_forces(work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO, executor: Executor,
               *, progress: bool = True) -> dict[str, ForceRecord]:
    """Build the forces of ``work`` with ``executor`` and return one record per force.

    Parameters
    ----------
    work
        The plans of the forces with work.
    opts
        The build's options.
    temp_dir
        The build's own temporary folder (the kernels' sockets and connection files).
    stream
        Where progress is printed.
    executor
        What places the work (:func:`executor_for`).
    progress
        Print a line (or move a bar) per force.

    Raises
    ------
    KernelStartError
        When no kernel could start.
    KeyboardInterrupt
        On Ctrl-C, SIGTERM or SIGHUP, after every force's work and kernel stopped and temporary files are gone.
    """
    ordered = sorted(work, key=lambda p: -sum(a.execute for a in p.areas))
    records: dict[str, ForceRecord] = {}
    attempts: dict[str, int] = {}
    shown = Progress(len(work), stream) if progress else None

    def place(plan: ForcePlan, first: bool = False) -> None:
        attempts[plan.force_id] = attempts.get(plan.force_id, 0) + 1
        executor.place(plan, first)

    try:
        executor.open(ordered, opts, temp_dir)
        for plan in ordered:
            place(plan)
        while len(records) < len(work):
            for outcome in executor.collect():
                plan = outcome.plan
                if isinstance(outcome, Lost):
                    if attempts[plan.force_id] < FORCE_ATTEMPTS:
                        place(plan, first=True)
                        continue
                    record = failed_record(plan, outcome.failure)
                else:
                    record = outcome.record
                records[plan.force_id] = record
                if shown is not None:
                    shown.force_done(record)
    except BaseException as e:
        if shown is not None:
            shown.close()
        if isinstance(e, KeyboardInterrupt) and executor.stopping:
            print(f"\nstopping: {executor.stopping}...", file=stream, flush=True)
        ignore_stop_signals()  # a second Ctrl-C must not cut the clean-up short
        executor.stop()
        raise
    finally:
        if shown is not None:
            shown.close()
        executor.close()
        remove_temporaries([p.out for p in work])
    return records


# -- stops -------------------------------------------------------------------------------------------
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


def ignore_stop_signals() -> None:
    """Ignore Ctrl-C, SIGTERM and SIGHUP from now on (during a clean-up; :func:`signals_stop_the_build`
    restores the handlers)."""
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, *STOP_SIGNALS):
            signal.signal(s, signal.SIG_IGN)


def remove_temporaries(folders: Iterable[Path]) -> None:
    """Remove temporary files a stopped force may have left in forces' folders: only the build's own
    (``.report.html.1234.tmp``; :func:`~peel.pipeline.ownership.is_build_temporary`), never a file of the user's."""
    for folder in folders:
        for sub, where in ((folder, "force"), (folder / "notebooks", "notebooks")):
            if sub.is_dir() and not sub.is_symlink():
                for p in sub.glob(".*.tmp"):
                    if is_build_temporary(p.name, where) and not p.is_symlink():
                        p.unlink(missing_ok=True)

