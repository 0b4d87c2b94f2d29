"""``peel watch``: rebuild a force's report each time its inputs are saved, on a kernel kept warm.

Every ``peel build`` pays again for starting Python, importing the build, starting a Jupyter kernel
and importing pandas, matplotlib, seaborn and the package into it: about 3.5 CPU seconds before the
one notebook an edit touches runs. An analyst editing a report in a loop pays them once here: the
watch starts one :class:`~peel.pipeline.kernel.WarmKernel` (through the same
:class:`~peel.pipeline.inline.InProcess` executor as a one-force build), imports the stitcher and the PDF
writer, and keeps both for its whole life.

Each rebuild is :func:`peel.pipeline.build` itself, given an executor that runs the forces on that
kernel: the same validation, plan and "why re-run" lines, the same files with the same bytes, the
same ``build.json``. The one difference is the order in which the files go into place: the HTML
report (with its statements and workbook) before the PDF is laid out, so the page can be reloaded
while the PDF prints.

What is watched: each watched force's ``params/<force>.yaml``, the dataset's own files, the
notebooks and ``report.yaml``; the folders are looked at every :data:`POLL` seconds (their files'
size, modification time and inode) and a change counts once the files have been still for
:data:`SETTLE` seconds (an editor that writes a file in several steps). The package's own source is
watched too: a kernel and a process that imported it cannot use new code, so a change to it ends the
watch with a message to start it again.

Bad inputs (a YAML error, a validation error, a notebook that raises) print the message ``peel build``
prints; the previous reports stay, and the next good save rebuilds. The output folder's lock is held
only while a rebuild runs; a rebuild that finds another build writing waits for it, at most
:data:`LOCK_WAIT` seconds. A kernel that stops while the watch is idle is replaced (at most
:data:`IDLE_RESTARTS` times between two rebuilds); a kernel that cannot start ends the watch with its
message. Ctrl-C, SIGTERM and SIGHUP end it at once with 130, 143 or 129, leaving no kernel, no
temporary file and no lock.
"""

from __future__ import annotations

import gc
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from peel.errors import BuildStopped, KernelStartError, PeelError, display_path
from peel.inputs.forces import force_ids
from peel.lock import OutputFolderBusy, make_build_temp
from peel.paths import PACKAGE_DIR
from peel.pipeline import build
from peel.pipeline.cache import dataset_files, files_under
from peel.pipeline.inline import InProcess
from peel.pipeline.options import BuildOptions
from peel.pipeline.ownership import check_output_folder
from peel.pipeline.records import EXECUTED, FAILED, ForceRecord
from peel.pipeline.run import STOPS, ignore_stop_signals, signals_stop_the_build

#: Seconds between two looks at the watched files.
POLL = 0.1
#: Seconds the files must stay as they are before a change is built (an editor may write in steps).
SETTLE = 0.1
#: The longest a change waits for the files to be still (a file written without a pause).
SETTLE_MAX = 2.0
#: Seconds between two looks at the idle kernel and at the package's source.
SLOW_POLL = 1.0
#: How many times an idle kernel that stopped is replaced before the next rebuild; one more ends the watch.
IDLE_RESTARTS = 2
#: Seconds a rebuild waits for another build to release the output folder, and between two tries.
LOCK_WAIT = 120.0
LOCK_POLL = 0.5

Snapshot = dict[Path, tuple[int, int, int] | None]


class PackageChanged(PeelError):
    """The package's source changed while the watch ran: it cannot take the new code in."""


def watched_inputs(opts: BuildOptions) -> list[Path]:
    """The files whose change rebuilds: each force's inputs, the dataset's files, the notebooks, ``report.yaml``."""
    files = [opts.params_dir / f"{force.id}.yaml" for force in opts.forces]
    files += dataset_files(opts.data_dir)
    files += sorted(opts.notebooks_dir.glob("*.ipynb")) + [opts.notebooks_dir / "report.yaml"]
    return files


def snapshot(files: Sequence[Path]) -> Snapshot:
    """Size, modification time and inode of each file (``None`` for one that is missing)."""
    out: Snapshot = {}
    for path in files:
        try:
            st = path.stat()
        except OSError:
            out[path] = None
            continue
        out[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


def changed_files(before: Snapshot, after: Snapshot) -> list[Path]:
    """The files added, removed or changed between two snapshots."""
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


class Watch:
    """One ``peel watch``: its kernel, its temporary folder and what it last saw (see the module docstring)."""

    def __init__(self, opts: BuildOptions, stream: TextIO, debug: bool = False):
        self.opts = opts
        self.stream = stream
        self.debug = debug
        self.seen: Snapshot = {}
        self.package: Snapshot = {}
        self.temp_dir: Path | None = None
        self.executor: InProcess | None = None
        #: When each report file of this rebuild went into place: ``{(force_id, file name): monotonic time}``.
        self.written: dict[tuple[str, str], float] = {}

    # -- life ---------------------------------------------------------------------------------------
    def run(self) -> None:
        """Build, then rebuild on every change until stopped (never returns normally).

        Raises
        ------
        KernelStartError
            When the kernel cannot start, at the beginning or after it stopped.
        PackageChanged
            When the package's source changed.
        KeyboardInterrupt
            On Ctrl-C, SIGTERM or SIGHUP, after the kernel stopped and the temporary folder is gone.
        """
        STOPS.clear()
        with signals_stop_the_build(sigint=True):
            try:
                self.temp_dir = make_build_temp()
                self.executor = InProcess(keep_warm=True, on_written=self._note)
                self.executor.open([], self.opts, self.temp_dir)
                self.package = snapshot(files_under(PACKAGE_DIR))
                self.seen = snapshot(watched_inputs(self.opts))
                started = time.monotonic()
                self.executor.start_kernel()  # from the main thread: the kernel dies with this process
                self.rebuild(started, [])
                while True:
                    # A rebuild with a PDF leaves ~170,000 objects for the collector; collected now, while
                    # idle, a full collection (0.1 to 0.3 s) does not fall in the middle of the next rebuild.
                    gc.collect()
                    self.check_stop()
                    self.say(f"watching {len(self.seen)} files for changes (Ctrl-C to stop)")
                    changed, seen_at = self.wait_for_change()
                    self.rebuild(seen_at, changed)
            finally:
                ignore_stop_signals()  # a second Ctrl-C must not cut the clean-up short
                self.close()

    def close(self) -> None:
        """Stop the kernel and remove the temporary folder (safe to call twice)."""
        executor, self.executor = self.executor, None
        if executor is not None:
            executor.shutdown()
        temp, self.temp_dir = self.temp_dir, None
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)

    def _note(self, force_id: str, name: str) -> None:
        self.written[(force_id, name)] = time.monotonic()

    def say(self, text: str) -> None:
        print(f"{datetime.now():%H:%M:%S} {text}", file=self.stream, flush=True)

    # -- waiting ------------------------------------------------------------------------------------
    def wait_for_change(self) -> tuple[list[Path], float]:
        """Wait until a watched file changes and is still again; return the files and when it was seen."""
        slow = time.monotonic()
        restarts = 0
        while True:
            time.sleep(POLL)
            self.check_stop()
            now = snapshot(watched_inputs(self.opts))
            if now != self.seen:
                seen_at = time.monotonic()
                deadline = seen_at + SETTLE_MAX
                while time.monotonic() < deadline:
                    time.sleep(SETTLE)
                    self.check_stop()
                    again = snapshot(watched_inputs(self.opts))
                    if again == now:
                        break
                    now = again
                changed, self.seen = changed_files(self.seen, now), now
                return changed, seen_at
            if time.monotonic() - slow >= SLOW_POLL:
                slow = time.monotonic()
                self.check_package()
                restarts += self.check_kernel(restarts)

    @staticmethod
    def check_stop() -> None:
        """Stop now if a signal asked to and its exception was lost (see :data:`peel.pipeline.run.STOPS`)."""
        if STOPS:
            raise BuildStopped(STOPS[-1])

    def check_package(self) -> None:
        """End the watch when the package's source changed (see the module docstring)."""
        changed = changed_files(self.package, snapshot(files_under(PACKAGE_DIR)))
        if changed:
            raise PackageChanged(f"{display_path(changed[0])} changed: the peel package is loaded once, when the "
                                 "watch starts, so it cannot build with the new code; start 'peel watch' again")

    def check_kernel(self, restarts: int) -> int:
        """Replace the kernel if it stopped while idle; returns 1 when it did."""
        kernel = self.executor.kernel if self.executor is not None else None
        if kernel is None or kernel.km is None or kernel.is_alive():
            return 0
        if restarts >= IDLE_RESTARTS:
            raise KernelStartError(f"the Jupyter kernel '{kernel.kernel_name}' stopped {restarts + 1} times while "
                                   "the watch was idle; ending the watch")
        self.say(f"the Jupyter kernel (process {kernel.pid}) stopped; starting a new one")
        kernel.restart()  # tried twice; KernelStartError ends the watch
        return 1

    # -- building -----------------------------------------------------------------------------------
    def rebuild(self, seen_at: float, changed: Sequence[Path]) -> None:
        """Build once, as ``peel build`` does, and say in one line what ran and when the files were written."""
        assert self.executor is not None
        if changed:
            self.check_package()
            self.say(f"changed: {', '.join(display_path(p) for p in changed)}")
        self.written.clear()
        waited_since = None
        while True:
            try:
                result = build(self.opts, self.stream, executor=self.executor, quiet=True)
                self.check_stop()
                break
            except OutputFolderBusy as e:
                # Another build writes to the folder: wait for it, as long as LOCK_WAIT, then for the next save.
                if waited_since is None:
                    waited_since = time.monotonic()
                    self.say(f"waiting for the output folder (at most {LOCK_WAIT:g} s): {e}")
                elif time.monotonic() - waited_since > LOCK_WAIT:
                    self.say(f"not rebuilt: the output folder was still busy after {LOCK_WAIT:g} s; "
                             "save again to rebuild")
                    return
                time.sleep(LOCK_POLL)
                self.check_stop()
            except KernelStartError:
                raise
            except PeelError as e:  # the inputs: the same message as peel build, and the watch goes on
                if self.debug:
                    traceback.print_exc(file=self.stream)
                print(f"peel watch: error: {e}", file=self.stream, flush=True)
                self.say("not rebuilt; the previous reports are as they were. Waiting for the next save")
                return
        for force_id, record in result.records.items():
            self.say(self.describe(force_id, record, seen_at))

    def describe(self, force_id: str, record: ForceRecord, seen_at: float) -> str:
        """``metropolitan: executed police_powers (its inspection inputs changed); HTML written after 1.9 s, …``."""
        ran = [f"{area} ({a.reason})" for area, a in record.areas.items() if a.status == EXECUTED]
        if record.failed:
            # A notebook that ran and failed did execute: say which, never "no notebook executed".
            failed = [area for area, a in record.areas.items() if a.status == FAILED]
            ran += [f"{area}, which failed" for area in failed]
            what = f"executed {', '.join(ran)}" if ran else "failed before any notebook executed"
            return f"{force_id}: {what}; the error is above, and the previous report was kept"
        what = f"executed {', '.join(ran)}" if ran else "no notebook executed"
        times = [f"{name.split('.')[-1].upper()} written after {at - seen_at:.1f} s"
                 for (fid, name), at in sorted(self.written.items(), key=lambda kv: kv[1]) if fid == force_id]
        if not times:
            return f"{force_id}: {what}; the report was up to date"
        return f"{force_id}: {what}; {', '.join(times)}"


def watch(opts: BuildOptions, stream: TextIO | None = None, debug: bool = False) -> None:
    """Build ``opts.forces`` and rebuild them whenever their inputs change, until stopped.

    Raises
    ------
    KernelStartError, PackageChanged
        See :meth:`Watch.run`.
    OutputFolderError
        When the output folder holds files no build wrote (without ``opts.force``) or a symbolic link
        where the build writes (:mod:`peel.pipeline.ownership`): the watch does not start.
    KeyboardInterrupt
        On Ctrl-C, SIGTERM or SIGHUP (:class:`~peel.errors.BuildStopped`), after everything stopped.
    """
    check_output_folder(opts.out_dir, force_ids(), force=opts.force)  # a save would not change the answer
    Watch(opts, stream or sys.stderr, debug).run()

