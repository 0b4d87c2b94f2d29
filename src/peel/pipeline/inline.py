"""The executor that builds in the build process itself (:class:`InProcess`): no worker, the kernel started at once.

A build with work for a single force (the usual rebuild after an edit) gains nothing from a worker
pool, and pays for it: a new Python process that imports the build's modules again before it can
even start its kernel. Here the force is built in the build process, by the same
:func:`~peel.pipeline.force.build_force` as in a worker, so its files are the same bytes; the run
loop (:func:`~peel.pipeline.run.run_forces`) does the rest, as for every executor.

While the kernel starts (a separate process, on another core) a thread imports what the report
needs afterwards (the stitcher, the PDF writer and its fonts, the workbook writer), so that those
imports do not wait for the notebook.

The promises of the pool hold: the kernel is started from the main thread, so it dies with the
build (``PR_SET_PDEATHSIG`` follows the thread that started it); a kernel that cannot start is
tried twice and then stops the build with its own message.

``peel watch`` (:mod:`peel.pipeline.watch`) keeps one :class:`InProcess` (``keep_warm``), and so one
warm kernel and the imported render side, for its whole life and builds on it again after each change.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from peel.pipeline.executor import Done, Lost
from peel.pipeline.force import build_force
from peel.pipeline.kernel import WarmKernel
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan

#: Seconds the build waits for the preloading thread before going on without it (it only imports).
PRELOAD_WAIT = 30.0


def preload(formats: tuple[str, ...]) -> None:
    """Import the modules that render a report (and load the PDF's fonts when a PDF is asked).

    Only an optimisation: any failure is left for the stage that needs the module to report.
    """
    # Imported here, in a thread while the kernel starts, not at the top: that is the point of it.
    try:
        # papermill and nbclient; openpyxl; nbconvert and the Jinja templates
        for name in ("peel.pipeline.execute", "peel.pipeline.workbook", "peel.render.assemble", "peel.render.page"):
            importlib.import_module(name)
        if "pdf" in formats:
            from peel.render.pdf import compiler_fonts  # Typst, only when a PDF is asked

            compiler_fonts()  # imports Typst and reads the package's fonts once for the process
    except Exception:  # the real import, later, says what is wrong
        pass


class InProcess:
    """The executor that builds forces one after another in this process, on one warm kernel.

    :meth:`open` starts importing the render side in a thread; the kernel starts from the main thread
    on :meth:`start_kernel`, or with the first force that needs it. With ``keep_warm`` (``peel watch``)
    the kernel outlives the run: :meth:`close` keeps it for the next build, :meth:`shutdown` ends it.

    Parameters
    ----------
    keep_warm
        Keep the kernel (and the imported render side) between runs.
    on_written
        Called with ``(force_id, file name)`` as each report file goes into place, the HTML before the
        PDF is laid out (see :func:`~peel.pipeline.force.build_force`).
    """

    #: A one-force build stops without a line of its own: its kernel goes with it at once.
    stopping = ""

    def __init__(self, keep_warm: bool = False, on_written: Callable[[str, str], None] | None = None):
        self.keep_warm = keep_warm
        self.on_written = on_written
        self.kernel: WarmKernel | None = None
        self._loader: threading.Thread | None = None
        self._levels: dict[str, int] = {}
        self._queue: deque[ForcePlan] = deque()

    def open(self, work: list[ForcePlan], opts: BuildOptions, temp_dir: Path) -> None:
        """Make the kernel (not yet started; its sockets in ``temp_dir``) unless one is kept warm."""
        if self.kernel is None:
            self._loader = threading.Thread(target=preload, args=(opts.formats,), name="peel-preload", daemon=True)
            self._loader.start()
            self.kernel = WarmKernel(cwd=opts.notebooks_dir, temp_dir=temp_dir)
            # papermill and traitlets log every warning; failures are in the summary instead (as in a worker).
            self._levels = {name: logging.getLogger(name).level for name in ("papermill", "traitlets")}
            for name in self._levels:
                logging.getLogger(name).setLevel(logging.CRITICAL)

    def start_kernel(self) -> None:
        """Start the kernel now, unless it runs (tried twice; raises :class:`KernelStartError`)."""
        assert self.kernel is not None, "open() first"
        if self.kernel.km is None:
            self.kernel.start()

    def place(self, plan: ForcePlan, first: bool = False) -> None:
        if first:
            self._queue.appendleft(plan)
        else:
            self._queue.append(plan)

    def collect(self) -> list[Done | Lost]:
        """Build the next force here and now (a kernel that cannot start raises :class:`KernelStartError`)."""
        if not self._queue:
            return []
        assert self.kernel is not None, "open() first"
        plan = self._queue.popleft()
        if plan.needs_kernel:
            self.start_kernel()  # from the main thread: the kernel dies with this process
        if self._loader is not None:
            self._loader.join(PRELOAD_WAIT)
        written = None if self.on_written is None else functools.partial(self.on_written, plan.force_id)
        return [Done(plan, build_force(plan, self.kernel, written))]

    def stop(self) -> None:
        self.shutdown()

    def close(self) -> None:
        self._queue.clear()
        if not self.keep_warm:
            self.shutdown()

    def shutdown(self) -> None:
        """Shut the kernel down (safe to call twice) and give the loggers their levels back."""
        if "peel.pipeline.execute" in sys.modules:  # only when a notebook may have run
            from peel.pipeline.execute import abandon_notebook_tasks  # loaded already, as the test says

            abandon_notebook_tasks()  # nbclient's tasks, left by a stop, would print a traceback
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            kernel.shutdown()
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels = {}
