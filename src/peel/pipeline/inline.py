"""One force built in the build process itself: no worker process, the kernel started at once.

A build with work for a single force (the usual rebuild after an edit) gains nothing from a worker
pool, and pays for it: a new Python process that imports the build's modules again before it can
even start its kernel. Here the force is built in the build process, by the same
:func:`~peel.pipeline.force.build_force` as in a worker, so its files are the same bytes.

While the kernel starts (a separate process, on another core) a thread imports what the report
needs afterwards (the stitcher, the PDF writer and its fonts, the workbook writer), so that those
imports do not wait for the notebook.

The promises of the pool hold: the kernel is started from the main thread, so it dies with the
build (``PR_SET_PDEATHSIG`` follows the thread that started it); a kernel that cannot start is
tried twice and then stops the build with its own message; Ctrl-C, SIGTERM and SIGHUP shut the
kernel down and remove temporary files before the build ends with 130, 143 or 129.

``peel watch`` (:mod:`peel.pipeline.watch`) keeps one :class:`InlineBuilder`, and so one warm kernel
and the imported render side, for its whole life and builds on it again after each change.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from peel.errors import KernelStartError
from peel.pipeline.force import build_force, failed_record
from peel.pipeline.kernel import WarmKernel
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan
from peel.pipeline.progress import Progress
from peel.pipeline.records import Failure, ForceRecord
from peel.portable import STOP_SIGNALS

#: Seconds the build waits for the preloading thread before going on without it (it only imports).
PRELOAD_WAIT = 30.0


def preload(formats: tuple[str, ...]) -> None:
    """Import the modules that render a report (and load the PDF's fonts when a PDF is asked).

    Only an optimisation: any failure is left for the stage that needs the module to report.
    """
    try:
        import peel.pipeline.execute  # noqa: F401  (papermill, nbclient)
        import peel.pipeline.workbook  # noqa: F401  (openpyxl)
        import peel.render.assemble  # noqa: F401
        import peel.render.page  # noqa: F401  (nbconvert, Jinja templates)

        if "pdf" in formats:
            from peel.render.pdf import compiler_fonts

            compiler_fonts()  # imports Typst and reads the package's fonts once for the process
    except Exception:  # the real import, later, says what is wrong
        pass


class InlineBuilder:
    """A warm kernel in this process that builds forces one after another (``peel build``, ``peel watch``).

    Creating it starts importing the render side in a thread; the kernel starts from the main thread
    on :meth:`start_kernel` (or on the first force that needs it). :meth:`build` can be called again
    and again with the same kernel (``peel watch``); :meth:`close` shuts it down.

    Parameters
    ----------
    opts
        The build's options (the notebooks folder is the kernel's working directory; the formats say
        whether Typst and the PDF's fonts are preloaded).
    temp_dir
        Where the kernel's sockets and connection file go.
    """

    def __init__(self, opts: BuildOptions, temp_dir: Path):
        self._loader = threading.Thread(target=preload, args=(opts.formats,), name="peel-preload", daemon=True)
        self._loader.start()
        self.kernel = WarmKernel(cwd=opts.notebooks_dir, temp_dir=temp_dir)
        self._quiet = _QuietLoggers()

    def start_kernel(self) -> None:
        """Start the kernel now, unless it runs (tried twice; raises :class:`KernelStartError`)."""
        if self.kernel.km is None:
            self.kernel.start()

    def build(self, work: list[ForcePlan], stream: TextIO, progress: bool = True,
              on_written: Callable[[str, str], None] | None = None) -> dict[str, ForceRecord]:
        """Build the forces of ``work`` one after another on the kernel; return their records.

        ``on_written(force_id, file name)`` is passed on to :func:`~peel.pipeline.force.build_force`
        (the HTML goes into place before the PDF is laid out).

        Raises
        ------
        KernelStartError
            When no kernel could start (tried twice).
        KeyboardInterrupt
            On Ctrl-C, SIGTERM or SIGHUP, after the kernel has stopped and temporary files are gone.
        """
        from peel.pipeline.pool import remove_temporaries

        records: dict[str, ForceRecord] = {}
        shown = Progress(len(work), stream) if progress else None
        try:
            for plan in work:
                if plan.needs_kernel:
                    self.start_kernel()  # raises KernelStartError after its two tries, as the pool does
                self._loader.join(PRELOAD_WAIT)
                written = None if on_written is None else functools.partial(on_written, plan.force_id)
                try:
                    record = build_force(plan, self.kernel, written)
                except KernelStartError:  # a kernel replaced mid-force (after a death) that could not start
                    raise
                except Exception as e:  # a bug fails this force, as in a worker
                    record = failed_record(plan, Failure.of_exception(e, traceback=traceback.format_exc(limit=8)))
                records[plan.force_id] = record
                if shown is not None:
                    shown.force_done(record)
        except BaseException:
            if shown is not None:
                shown.close()
            ignore_stop_signals()  # a second Ctrl-C must not cut the clean-up short
            self.close()
            remove_temporaries([p.out for p in work])
            raise
        if shown is not None:
            shown.close()
        remove_temporaries([p.out for p in work])
        return records

    def close(self) -> None:
        """Shut the kernel down (safe to call twice) and give the loggers their levels back."""
        if "peel.pipeline.execute" in sys.modules:
            from peel.pipeline.execute import abandon_notebook_tasks

            abandon_notebook_tasks()  # nbclient's tasks, left by a stop, would print a traceback
        self.kernel.shutdown()
        self._quiet.restore()


def run_inline(work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO) -> dict[str, ForceRecord]:
    """Build the forces of ``work`` one after another in this process; return their records.

    A one-off :class:`InlineBuilder`, closed at the end; it raises what :meth:`InlineBuilder.build` raises.
    """
    builder = InlineBuilder(opts, temp_dir)
    try:
        return builder.build(work, stream)
    finally:
        builder.close()


def ignore_stop_signals() -> None:
    """Ignore Ctrl-C, SIGTERM and SIGHUP from now on (during a clean-up; the caller restores the handlers)."""
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, *STOP_SIGNALS):
            signal.signal(s, signal.SIG_IGN)


class _QuietLoggers:
    """papermill and traitlets log every warning; failures are in the summary instead (as in a worker)."""

    NAMES = ("papermill", "traitlets")

    def __init__(self) -> None:
        self.levels = {n: logging.getLogger(n).level for n in self.NAMES}
        for n in self.NAMES:
            logging.getLogger(n).setLevel(logging.CRITICAL)

    def restore(self) -> None:
        for n, level in self.levels.items():
            logging.getLogger(n).setLevel(level)


__all__ = ["InlineBuilder", "run_inline", "preload", "ignore_stop_signals"]
