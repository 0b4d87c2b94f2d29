"""What an executor is: it places forces' work and says when each ended; :mod:`peel.pipeline.run` does the rest.

An executor takes the plans of the forces with work (:class:`~peel.pipeline.plan.ForcePlan`) one by one
(:meth:`Executor.place`) and reports each force's end (:meth:`Executor.collect`): :class:`Done` with its
record, or :class:`Lost` when the worker building it was lost (the run loop places it once more, then
records the failure). Progress, retries, stops and clean-up are the run loop's
(:func:`~peel.pipeline.run.run_forces`), so they are the same wherever the work runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import Failure, ForceRecord

#: How many times a force is placed: a worker lost mid-force is replaced and its force tried once more.
FORCE_ATTEMPTS = 2
#: Seconds an executor gives its workers to stop before it kills them.
STOP_GRACE = 10.0


@dataclass(frozen=True)
class Done:
    """A force's work ended, well or not: its record."""

    plan: ForcePlan
    record: ForceRecord


@dataclass(frozen=True)
class Lost:
    """The worker building a force was lost; ``failure`` is recorded when no attempt is left."""

    plan: ForcePlan
    failure: Failure


class Executor(Protocol):
    """Places forces' work and reports when each ended (see the module docstring).

    The run loop calls :meth:`open` once, :meth:`place` for each force (again for a retry), :meth:`collect`
    until every force is done, :meth:`stop` on a stop or an error, and :meth:`close` last, always.
    """

    #: What is printed after "stopping: " when a stop interrupts the run ("" prints nothing).
    stopping: str

    def open(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path) -> None:
        """Get ready to build ``work`` (start workers, connect to a cluster and check it)."""

    def place(self, plan: ForcePlan, first: bool = False) -> None:
        """Have ``plan`` built; with ``first`` (a retry), before the forces placed earlier and not started."""

    def collect(self) -> list[Done | Lost]:
        """The forces that ended since the last call, after a bounded wait."""
        ...

    def stop(self) -> None:
        """Stop every force's work now: no kernel left running, nothing more renamed into place."""

    def close(self) -> None:
        """Release what :meth:`open` took (safe after :meth:`stop`, and to call twice)."""
