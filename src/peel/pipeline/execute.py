"""Running one area notebook for one force, with papermill, in a warm kernel (:mod:`peel.pipeline.kernel`).

Faults are told apart because they call for different responses:

* an error in a notebook's own code fails the force at once (:class:`NotebookError`); running it again
  would give the same error;
* a kernel that dies (killed, out of memory) gets one retry with a fresh kernel, then fails the force
  (:class:`KernelDiedError`);
* a notebook that runs longer than the timeout is interrupted, killed if it does not stop, and fails
  the force (:class:`NotebookTimeoutError`).
"""

from __future__ import annotations

import asyncio
import copy
import math
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_core.utils import ensure_event_loop
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from peel.errors import (
    InputError,
    KernelDiedError,
    NotebookError,
    NotebookTimeoutError,
    cell_place,
    display_path,
    problem,
)
from peel.files import atomic_write
from peel.pipeline.kernel import WarmKernel
from peel.portable import CAN_INTERRUPT, kill_quietly

#: Seconds to wait for a cell's last outputs after its reply (nbclient's default, 4, lost output under load).
IOPUB_TIMEOUT = 60.0

#: Seconds a notebook gets to stop after it is interrupted at its timeout before its kernel is killed.
INTERRUPT_GRACE = 5.0


# -- parameters ---------------------------------------------------------------------------------------
def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Raises
    ------
    InputError
        When the notebook cannot be read or has no (or more than one) ``parameters`` cell.
    """
    notebook = Path(notebook)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError) as e:  # nbformat raises NotJSONError (a ValueError) for bad JSON
        raise InputError(problem(notebook, "", f"cannot read the notebook: {e}")) from e
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise InputError(problem(notebook, "cell tagged 'parameters'",
                                 f"expected exactly one, found {len(tagged)}"))
    return papermill.inspect_notebook(str(notebook))


def check_parameters(notebook: Path, parameters: Mapping[str, Any]) -> None:
    """Refuse parameters the notebook does not declare.

    papermill only warns about an unknown parameter and runs the notebook with its defaults, so a
    typo would silently give a report for the wrong inputs; here it is an error.

    Raises
    ------
    InputError
        Naming the notebook, each unknown parameter and the declared ones.
    """
    declared = declared_parameters(notebook)
    unknown = [name for name in parameters if name not in declared]
    if unknown:
        names = ", ".join(sorted(declared)) or "none"
        raise InputError([
            problem(notebook, f"parameter {name!r}",
                    f"the notebook does not declare it; it declares: {names}")
            for name in unknown
        ])


# -- running one notebook -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaRun:
    """What running one notebook did."""

    area_id: str
    executed: Path
    duration: float
    attempts: int


class _Watchdog:
    """Stops a notebook at its deadline: interrupt the kernel, then kill it if it does not stop."""

    def __init__(self, kernel: WarmKernel, timeout: float | None):
        self.kernel = kernel
        self.timeout = timeout
        self.fired = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Watchdog:
        if self.timeout and self.timeout > 0:
            self._thread = threading.Thread(target=self._run, name="peel-notebook-timeout", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        if self._done.wait(self.timeout):
            return
        self.fired = True
        pid = self.kernel.pid
        if pid is None:
            return
        if CAN_INTERRUPT:
            kill_quietly(pid, signal.SIGINT)  # ipykernel turns SIGINT into KeyboardInterrupt in the cell
        if not (CAN_INTERRUPT and self._done.wait(INTERRUPT_GRACE)):
            kill_quietly(pid)  # a cell stuck in C code ignores the interrupt

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


def execute_area(
    kernel: WarmKernel,
    notebook: Path,
    executed: Path,
    parameters: Mapping[str, Any],
    *,
    area_id: str,
    title: str,
    graded: bool,
    timeout: float | None = None,
) -> AreaRun:
    """Run one area notebook for one force and keep the executed notebook.

    Parameters
    ----------
    kernel
        A started :class:`WarmKernel`; it is reset first, and replaced once if it dies.
    notebook
        The source notebook (never modified).
    executed
        Where the executed notebook is written (atomically, also when a cell fails, so the error
        can be read there).
    parameters
        Injected by papermill; each must be declared by the notebook's ``parameters`` cell.
    area_id, title, graded
        Stored in the executed notebook's metadata under ``peel`` for the report stitcher.
    timeout
        Seconds the whole notebook may take; ``None`` or 0 for no limit.

    Raises
    ------
    InputError
        A parameter the notebook does not declare (checked before anything runs).
    NotebookError, NotebookTimeoutError, KernelDiedError
        The notebook did not run to the end.
    """
    notebook = Path(notebook)
    executed = Path(executed)
    check_parameters(notebook, parameters)
    peel_meta = {"area_id": area_id, "title": title, "graded": bool(graded)}
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        try:
            nb = _run_once(kernel, notebook, executed, parameters, peel_meta, timeout, area_id)
        except DeadKernelError as e:
            if attempts >= 2:
                _cleanup_kernel_after_death(kernel)
                raise KernelDiedError(
                    f"{area_id}: the kernel died while running {notebook.name}, twice (once more with a "
                    "fresh kernel); the notebook may use too much memory or crash the interpreter",
                    area_id=area_id, notebook=notebook, executed=executed if executed.exists() else None,
                    ename="DeadKernelError", evalue=str(e) or "Kernel died",
                ) from None
            # A dead kernel is a fault of the machine, not of the notebook: one retry, fresh kernel.
            kernel.restart()
            continue
        break
    del nb
    return AreaRun(area_id, executed, time.monotonic() - started, attempts)


def abandon_notebook_tasks(wait: float = 2.0) -> None:
    """Cancel what nbclient left running in this thread's event loop when a stop interrupted a notebook.

    A signal that stops the build raises inside papermill's event loop and leaves nbclient's tasks
    (the reader of the kernel's messages, the watcher of its life) pending. The next use of the loop
    (shutting the kernel down) resumes them; they find the kernel gone, end with
    ``DeadKernelError`` that no one reads, and asyncio prints it with a traceback. Cancelled here
    first, they end quietly. Waits at most ``wait`` seconds.
    """
    try:
        loop = ensure_event_loop()
        if loop.is_running():
            return
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            loop.run_until_complete(asyncio.wait(tasks, timeout=wait))
        for t in tasks:  # read every outcome, so none is reported as "never retrieved"
            if t.done() and not t.cancelled():
                t.exception()
    except Exception:  # only tidiness: the kernel is shut down (or killed) next in any case
        pass


def _cleanup_kernel_after_death(kernel: WarmKernel) -> None:
    try:
        kernel.restart()  # leave a working kernel for the next force
    except Exception:
        kernel.shutdown()


def _run_once(kernel: WarmKernel, notebook: Path, executed: Path, parameters: Mapping[str, Any],
              peel_meta: dict[str, Any], timeout: float | None, area_id: str) -> Any:
    if not kernel.is_alive():
        kernel.restart()
    kernel.reset()
    assert kernel.km is not None
    holder: dict[str, Any] = {}

    def keep_notebook(notebook: Any = None, **_: Any) -> None:
        # nbclient hands us the very object it executes, so a failed run's outputs are not lost
        # even though papermill raises before returning it.
        notebook.metadata["peel"] = dict(peel_meta)
        holder["nb"] = notebook

    watchdog = _Watchdog(kernel, timeout)
    error: PapermillExecutionError | None = None
    try:
        with watchdog:
            papermill.execute_notebook(
                str(notebook), None, parameters=dict(parameters),
                km=kernel.km, kernel_name=kernel.kernel_name,
                progress_bar=False, log_output=False,
                request_save_on_cell_execute=False,
                # nbclient's own per-cell limit is a backstop behind the watchdog's per-notebook one (which
                # keeps a fraction of a second); nbclient takes whole seconds, so it is rounded up.
                execution_timeout=math.ceil(timeout + 2 * INTERRUPT_GRACE) if timeout else None,
                record_timing=False,
                # After a cell's reply, nbclient waits this long for the cell's remaining output (a print,
                # a display) and by default drops it silently when the wait runs out: on a loaded machine
                # the default 4 s lost output. Wait longer, and fail loudly rather than lose output.
                iopub_timeout=IOPUB_TIMEOUT,
                raise_on_iopub_timeout=True,
                # One stream output per stream name and cell: a kernel may send a print's text and its
                # newline as two messages or one, depending on timing, and the executed notebook (and
                # the outputs the report leaves out) must be the same bytes whatever the timing.
                coalesce_streams=True,
                on_notebook_start=keep_notebook,
            )
    except PapermillExecutionError as e:
        error = e
    except CellTimeoutError:
        # nbclient's backstop fired without interrupting: the kernel is still busy, replace it.
        watchdog.fired = True
        kernel.restart()
    except DeadKernelError:
        # The shared client belongs to the dead kernel; the next start makes a new one.
        kernel.km.close_clients()
        if not watchdog.fired:  # killed at the deadline is a timeout, not a crash
            _save(holder.get("nb"), executed)
            raise
    nb = holder.get("nb")
    _save(nb, executed)
    kept = executed if nb is not None else None
    if watchdog.fired:
        raise NotebookTimeoutError(
            f"{area_id}: {notebook.name} ran longer than the timeout of {timeout:g} seconds and was "
            f"stopped (raise it with --timeout)",
            area_id=area_id, notebook=notebook, executed=kept,
            ename="Timeout", evalue=f"longer than {timeout:g} s",
            **_source_cell(nb, _error_cell(nb, None) if nb is not None else None),
        )
    if error is not None:
        where = _source_cell(nb, _error_cell(nb, error))
        raise NotebookError(
            f"{area_id}: {cell_place(notebook, where['cell'], where['cell_begins'])} raised {error.ename}: "
            f"{error.evalue} (see the executed notebook {display_path(executed)})",
            area_id=area_id, notebook=notebook, executed=kept, ename=error.ename, evalue=error.evalue, **where,
        )
    return nb


#: Tags of the cells papermill adds to the executed copy (the parameters it injected, and the red banners
#: above a failing cell and at the top); the source notebook has none of them.
_INJECTED_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})


def _source_cell(nb: Any, index: int | None) -> dict[str, Any]:
    """The cell at ``index`` of the executed notebook as the analyst knows it: ``cell``, its position in the
    source notebook (1 for the first; the cells papermill added are not counted), and
    ``cell_begins``, the first line of its source."""
    if nb is None or index is None or not 0 <= index < len(nb.cells):
        return {"cell": None, "cell_begins": None}
    injected = sum(1 for c in nb.cells[:index] if _INJECTED_TAGS & set(c.get("metadata", {}).get("tags", [])))
    lines = [line.strip() for line in str(nb.cells[index].get("source", "")).splitlines() if line.strip()]
    return {"cell": index - injected + 1, "cell_begins": lines[0] if lines else None}


def _error_cell(nb: Any, error: PapermillExecutionError | None) -> int | None:
    """Index of the failing (or, when stopped, the running) cell in the executed notebook."""
    if nb is not None:
        for i, cell in enumerate(nb.cells):
            if cell.get("cell_type") == "code" and any(o.get("output_type") == "error"
                                                       for o in cell.get("outputs", [])):
                return i
        for i, cell in enumerate(nb.cells):
            if cell.get("metadata", {}).get("papermill", {}).get("status") in ("running", "failed"):
                return i
    return int(error.cell_index) if error is not None else None


#: Keys of papermill's metadata that hold wall-clock times; dropped so that executed notebooks from
#: the same inputs are identical (durations are in the build manifest instead).
_TIME_KEYS = ("start_time", "end_time", "duration")


def normalise(nb: Any) -> Any:
    """Remove run-to-run noise (times, absolute output path) from an executed notebook, in place."""
    pm = nb.metadata.get("papermill", {})
    for k in _TIME_KEYS:
        pm.pop(k, None)
    pm.pop("output_path", None)
    # papermill gives its injected-parameters cell a random id; a fixed one keeps the file reproducible.
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    if "input_path" in pm and pm["input_path"]:
        pm["input_path"] = Path(pm["input_path"]).name
    for cell in nb.cells:
        cpm = cell.get("metadata", {}).get("papermill")
        if cpm:
            for k in _TIME_KEYS:
                cpm.pop(k, None)
        cell.get("metadata", {}).pop("execution", None)
    return nb


def _save(nb: Any, path: Path) -> None:
    if nb is None:
        return
    write_notebook(normalise(copy.deepcopy(nb)), path)


def write_notebook(nb: Any, path: Path) -> None:
    """Write a notebook atomically, as nbformat writes it (with a final newline)."""
    text = nbformat.writes(nb)
    atomic_write(path, text if text.endswith("\n") else text + "\n")

