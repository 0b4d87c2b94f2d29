"""One force built in the build process itself: no worker process, the kernel started at once.

A build with work for a single force (the usual rebuild after an edit) gains nothing from a worker
pool, and pays for it: a new Python process that imports the build's modules again before it can
even start its kernel. Here the force is built in the build process, by the same
:func:`~peel.build.force.build_force` as in a worker, so its files are the same bytes.

While the kernel starts (a separate process, on another core) a thread imports what the report
needs afterwards (the stitcher, the PDF writer and its fonts, the workbook writer), so that those
imports do not wait for the notebook.

The promises of the pool hold: the kernel is started from the main thread, so it dies with the
build (``PR_SET_PDEATHSIG`` follows the thread that started it); a kernel that cannot start is
tried twice and then stops the build with its own message; Ctrl-C, SIGTERM and SIGHUP shut the
kernel down and remove temporary files before the build ends with 130, 143 or 129.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import TextIO

from peel.build.force import build_force, failed_record
from peel.build.kernel import WarmKernel
from peel.build.options import BuildOptions
from peel.build.plan import ForcePlan
from peel.build.progress import Progress
from peel.build.records import Failure, ForceRecord
from peel.errors import KernelStartError

#: Seconds the build waits for the preloading thread before going on without it (it only imports).
PRELOAD_WAIT = 30.0


def preload(formats: tuple[str, ...]) -> None:
    """Import the modules that render a report (and build WeasyPrint's fonts when a PDF is asked).

    Only an optimisation: any failure is left for the stage that needs the module to report.
    """
    try:
        import peel.build.execute  # noqa: F401  (papermill, nbclient)
        import peel.build.workbook  # noqa: F401  (openpyxl)
        import peel.render.assemble  # noqa: F401
        import peel.render.page  # noqa: F401  (nbconvert, Jinja templates)

        if "pdf" in formats:
            from peel.render.pdf import font_configuration

            font_configuration()  # imports WeasyPrint; fontconfig's scan is cached for the process
    except Exception:  # the real import, later, says what is wrong
        pass


def run_inline(work: list[ForcePlan], opts: BuildOptions, temp_dir: Path, stream: TextIO) -> dict[str, ForceRecord]:
    """Build the forces of ``work`` one after another in this process; return their records.

    Raises
    ------
    KernelStartError
        When no kernel could start (tried twice).
    KeyboardInterrupt
        On Ctrl-C, SIGTERM or SIGHUP, after the kernel has stopped and temporary files are gone.
    """
    from peel.build.pool import remove_temporaries

    records: dict[str, ForceRecord] = {}
    progress = Progress(len(work), stream)
    loader = threading.Thread(target=preload, args=(opts.formats,), name="peel-preload", daemon=True)
    loader.start()
    kernel = WarmKernel(cwd=opts.notebooks_dir, temp_dir=temp_dir)
    quiet = _quiet_loggers()
    try:
        for plan in work:
            if plan.needs_kernel and kernel.km is None:
                kernel.start()  # raises KernelStartError after its two tries, as the pool does
            loader.join(PRELOAD_WAIT)
            try:
                record = build_force(plan, kernel)
            except KernelStartError:  # a kernel replaced mid-force (after a death) that could not start
                raise
            except Exception as e:  # a bug fails this force, as in a worker
                record = failed_record(plan, Failure.of_exception(e, traceback=traceback.format_exc(limit=8)))
            records[plan.force_id] = record
            progress.force_done(record)
    except BaseException:
        progress.close()
        _ignore_stop_signals()  # a second Ctrl-C must not cut the clean-up short
        if "peel.build.execute" in sys.modules:
            from peel.build.execute import abandon_notebook_tasks

            abandon_notebook_tasks()  # nbclient's tasks, left by the stop, would print a traceback
        kernel.shutdown()
        remove_temporaries([p.out for p in work])
        raise
    finally:
        progress.close()
        kernel.shutdown()
        quiet.restore()
    remove_temporaries([p.out for p in work])
    return records


def _ignore_stop_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
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


def _quiet_loggers() -> _QuietLoggers:
    return _QuietLoggers()


__all__ = ["run_inline", "preload"]
