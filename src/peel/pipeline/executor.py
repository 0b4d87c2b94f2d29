"""Where the forces' work runs: the local process pool (the default) or a Dask cluster (``--scheduler``).

An executor takes the forces that have work (their :class:`~peel.pipeline.plan.ForcePlan`) and returns
one :class:`~peel.pipeline.records.ForceRecord` per force, with the same promises wherever it runs: a
failing force fails only itself, a worker lost mid-force is replaced and its force tried once more,
Ctrl-C, SIGTERM and SIGHUP stop every worker's work and leave no partial file. Planning before and
recording after are the build's, so reuse and the records are the same whichever executor ran.

The Dask executor is imported only when a scheduler is given: the local pool needs no Dask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TextIO

from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import ForceRecord


class Executor(Protocol):
    """Runs the forces' work and returns their records (see the module docstring)."""

    def run(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO) -> dict[str, ForceRecord]:
        ...


class LocalPool:
    """Worker processes on this machine, one per job (:mod:`peel.pipeline.pool`); a single force with work
    is built in the build process itself (:mod:`peel.pipeline.inline`), which spares it a worker's start."""

    def run(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO) -> dict[str, ForceRecord]:
        if len(work) == 1:
            from peel.pipeline.inline import run_inline

            return run_inline(work, opts, temp_dir, stream)
        from peel.pipeline.pool import run_pool

        return run_pool(work, opts, temp_dir, stream)


def executor_for(opts: BuildOptions) -> Executor:
    """The local pool, or a :class:`~peel.pipeline.dask.DaskExecutor` when ``opts.scheduler`` is set."""
    if not opts.scheduler:
        return LocalPool()
    from peel.pipeline.dask import DaskExecutor  # only here: Dask is an optional extra

    return DaskExecutor(opts.scheduler)


__all__ = ["Executor", "LocalPool", "executor_for"]
