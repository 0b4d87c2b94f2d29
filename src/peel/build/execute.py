"""Running one area notebook for one force, with papermill, in a kernel kept warm between notebooks.

Starting a Jupyter kernel and importing pandas, matplotlib and seaborn into it takes a few seconds,
which is most of the cost of a small notebook. A build therefore keeps one kernel per worker process
(:class:`WarmKernel`), started once with those imports done, and hands it to
:func:`papermill.execute_notebook` (``km=``), which passes it on to nbclient: nbclient does not shut
down a kernel it did not start. Before each notebook the kernel's namespace is reset (``%reset -f``,
figures closed, matplotlib and pandas settings restored, execution counter set back to 1), so a
notebook sees nothing another notebook defined, and its executed copy is the same as from a fresh
kernel.

Faults are told apart because they call for different responses:

* an error in a notebook's own code fails the force at once (:class:`NotebookError`); running it again
  would give the same error;
* a kernel that dies (killed, out of memory) gets one retry with a fresh kernel, then fails the force
  (:class:`KernelDiedError`);
* a notebook that runs longer than the timeout is interrupted, killed if it does not stop, and fails
  the force (:class:`NotebookTimeoutError`).
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# jsonschema (used by nbformat to validate notebooks) imports the optional package rfc3987_syntax when
# it is installed, which compiles a grammar for about two seconds on every process start, to check
# IRI formats that no notebook schema uses. Marking it absent keeps that cost out of every worker.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import nbformat  # noqa: E402
import papermill  # noqa: E402
from jupyter_client.asynchronous import AsyncKernelClient  # noqa: E402
from jupyter_client.blocking import BlockingKernelClient  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from jupyter_core.utils import run_sync  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: E402
from papermill.exceptions import PapermillExecutionError  # noqa: E402

from peel.errors import BuildError, InputError, display_path, problem  # noqa: E402
from peel.files import atomic_write

#: Seconds a notebook gets to stop after it is interrupted at its timeout before its kernel is killed.
INTERRUPT_GRACE = 5.0

#: Seconds to wait for a kernel to start and answer.
KERNEL_START_TIMEOUT = 60.0

#: Run once in a new kernel: the imports every notebook pays for, and a private module that keeps
#: the settings to restore before each notebook. The module lives in ``sys.modules`` under a name no
#: notebook uses, so it survives ``%reset -f`` without appearing in the notebook's namespace.
WARM_UP_CODE = r"""
def __peel_warm_up():
    import importlib, os, pkgutil, sys, types, warnings
    import pandas, numpy, matplotlib, matplotlib.pyplot as plt, seaborn
    import peel
    # Pre-import the package's own modules so notebooks find them loaded; the build-side ones
    # (which import papermill and the PDF writer) are not needed in a kernel.
    for info in pkgutil.iter_modules(peel.__path__):
        if info.name not in ("cli", "build", "execute", "site", "manifest", "pdf", "stitch"):
            try:
                importlib.import_module("peel." + info.name)
            except Exception:
                pass
    state = types.ModuleType("_peel_kernel_state")
    state.rc = dict(matplotlib.rcParams)
    state.warning_filters = list(warnings.filters)
    state.cwd = os.getcwd()
    state.sys_path = list(sys.path)
    def reset():
        plt.close("all")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.clear()
            matplotlib.rcParams.update(state.rc)
            pandas.reset_option("all")
        warnings.filters[:] = state.warning_filters
        sys.path[:] = state.sys_path
        os.chdir(state.cwd)
        # A fresh kernel numbers its first cell 1; so does a reset one.
        get_ipython().execution_count = 1
    state.reset = reset
    sys.modules["_peel_kernel_state"] = state
__peel_warm_up()
del __peel_warm_up
# Everything loaded so far lives as long as the kernel: keep it out of the garbage collector's
# scans, so the collection %reset does before each notebook only looks at the last notebook's objects.
__import__("gc").collect()
__import__("gc").freeze()
"""

#: Run (without storing history) before every notebook: clears every name the last notebook made.
RESET_CODE = '%reset -f\n__import__("sys").modules["_peel_kernel_state"].reset()\n'


class ExecutionFailure(BuildError):
    """A notebook did not run to the end; the message names the area and the cause.

    Attributes
    ----------
    area_id, notebook
        The area and the source notebook.
    executed
        The executed notebook kept for inspection (``None`` when nothing could be kept).
    cell, ename, evalue
        The failing cell's index in the executed notebook and the error's name and value, when known.
    """

    kind = "failure"

    def __init__(self, message: str, *, area_id: str, notebook: Path, executed: Path | None = None,
                 cell: int | None = None, ename: str | None = None, evalue: str | None = None):
        self.area_id = area_id
        self.notebook = Path(notebook)
        self.executed = executed
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        super().__init__(message)

    def details(self) -> dict[str, Any]:
        """The failure as plain data for the build manifest."""
        return {
            "kind": self.kind,
            "area": self.area_id,
            "cell": self.cell,
            "error": self.ename,
            "message": self.evalue if self.evalue is not None else str(self),
            "executed_notebook": str(self.executed) if self.executed else None,
        }


class NotebookError(ExecutionFailure):
    """A cell of the notebook raised an error (never retried: it would fail the same way)."""

    kind = "cell_error"


class NotebookTimeoutError(ExecutionFailure):
    """The notebook ran longer than the timeout and was stopped."""

    kind = "timeout"


class KernelDiedError(ExecutionFailure):
    """The kernel died while running the notebook, also on the retry with a fresh kernel."""

    kind = "kernel_died"


class _WarmClient(AsyncKernelClient):
    """The one client a warm kernel gives to nbclient, notebook after notebook.

    nbclient asks for a new client for every notebook and waits for it to be ready, which costs a
    fixed 0.2 s (it waits for a quiet IOPub channel) plus four new sockets that it never closes
    because it did not start the kernel. Handing out the same connected client avoids both; once it
    has been ready, being ready again only needs a live kernel. Messages left from an earlier
    notebook are harmless: nbclient only reads replies to its own requests.
    """

    _was_ready = False
    _started = False

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        if not self._started:
            super().start_channels(*args, **kwargs)
            self._started = True

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        if self._was_ready and await self._async_is_alive():
            return
        await super()._async_wait_for_ready(timeout=timeout)
        self._was_ready = True

    wait_for_ready = _async_wait_for_ready  # type: ignore[assignment]


class _WarmKernelManager(AsyncKernelManager):
    """A kernel manager whose :meth:`client` always returns the same :class:`_WarmClient`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared_client: _WarmClient | None = None

    def client(self, **kwargs: Any) -> Any:  # type: ignore[override]
        if self._shared_client is None:
            kw: dict[str, Any] = dict(self.get_connection_info(session=True))
            kw.update(connection_file=self.connection_file, parent=self)
            kw.update(kwargs)
            self._shared_client = _WarmClient(**kw)
        return self._shared_client

    def close_clients(self) -> None:
        kc, self._shared_client = self._shared_client, None
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # a client of a dead kernel may fail to close; nothing to keep
                pass

class WarmKernel:
    """One Jupyter kernel kept running across notebooks, with the common imports already done.

    Parameters
    ----------
    kernel_name
        The kernel spec to start (the project's notebooks use ``python3``).
    cwd
        The kernel's working directory (restored before each notebook).

    Use as a context manager, or call :meth:`start` and :meth:`shutdown`.
    """

    def __init__(self, kernel_name: str = "python3", cwd: Path | None = None):
        self.kernel_name = kernel_name
        self.cwd = Path(cwd) if cwd else None
        self.km: _WarmKernelManager | None = None
        self._socket_dir: Path | None = None
        #: Called with (pid, socket folder) after each kernel start, so that the build process can
        #: kill the kernel if this process itself is killed.
        self.on_start: Callable[[int, str], None] | None = None
        self._control: BlockingKernelClient | None = None
        self.starts = 0  # how many kernels this object has started (a restart adds one)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> WarmKernel:
        """Start the kernel and warm it up; returns ``self``."""
        # IPC sockets: local only, no network port opened, and no warning about unencrypted TCP.
        # The socket files go in a private folder with an absolute, short path (the kernel runs in
        # another working directory, and a socket path is limited to about 100 characters).
        self._socket_dir = Path(tempfile.mkdtemp(prefix="peel-kernel-"))
        km = _WarmKernelManager(kernel_name=self.kernel_name, transport="ipc",
                                    ip=str(self._socket_dir / "k"))
        # No command history: notebooks never use it, and a history database would see the execution
        # counter go back to 1 at each reset and print an error into the next notebook's output.
        kwargs: dict[str, Any] = {"extra_arguments": ["--HistoryManager.enabled=False"]}
        if self.cwd:
            kwargs["cwd"] = str(self.cwd)
        run_sync(km.start_kernel)(**kwargs)
        self.km = km
        self.starts += 1
        # Our own blocking client, kept for the kernel's life, sends the warm-up and reset code.
        control = BlockingKernelClient()
        control.load_connection_info(km.get_connection_info())
        control.start_channels()
        self._control = control
        try:
            control.wait_for_ready(timeout=KERNEL_START_TIMEOUT)
            if self.on_start is not None and self.pid is not None:
                self.on_start(self.pid, str(self._socket_dir))
            self._run_quietly(WARM_UP_CODE, "warming up the kernel")
        except BaseException:
            self.shutdown()
            raise
        return self

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def pid(self) -> int | None:
        """Process id of the running kernel (``None`` when none runs)."""
        if self.km is None or self.km.provisioner is None:
            return None
        proc = getattr(self.km.provisioner, "process", None)
        return getattr(proc, "pid", None)

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        if self.km is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def shutdown(self) -> None:
        """Stop the kernel now and close every socket; safe to call twice or on a dead kernel."""
        km, self.km = self.km, None
        control, self._control = self._control, None
        if control is not None:
            try:
                control.stop_channels()
            except Exception:
                pass
        if km is None:
            self._remove_socket_dir()
            return
        km.close_clients()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            # The kernel may already be gone; make sure of it and release its files and sockets.
            pid = getattr(getattr(km.provisioner, "process", None), "pid", None)
            if pid:
                _kill_quietly(pid)
            try:
                run_sync(km.cleanup_resources)()
            except Exception:
                pass
        try:
            km.context.destroy(linger=0)
        except Exception:
            pass
        self._remove_socket_dir()

    def _remove_socket_dir(self) -> None:
        d, self._socket_dir = self._socket_dir, None
        if d is not None:
            shutil.rmtree(d, ignore_errors=True)

    def restart(self) -> None:
        """Replace the kernel with a fresh, warmed-up one."""
        self.shutdown()
        self.start()

    # -- between notebooks ----------------------------------------------------------------------
    def reset(self) -> None:
        """Give the next notebook a clean namespace (see :data:`RESET_CODE`)."""
        if not self.is_alive():
            self.restart()
        self._run_quietly(RESET_CODE, "resetting the kernel")

    def _run_quietly(self, code: str, what: str) -> None:
        assert self._control is not None
        reply = self._control.execute_interactive(
            code, silent=False, store_history=False, allow_stdin=False,
            timeout=KERNEL_START_TIMEOUT * 2, output_hook=lambda msg: None,
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise BuildError(f"{what} failed: {content.get('ename')}: {content.get('evalue')}")


def _kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
        _kill_quietly(pid, signal.SIGINT)  # ipykernel turns SIGINT into KeyboardInterrupt in the cell
        if not self._done.wait(INTERRUPT_GRACE):
            _kill_quietly(pid)  # a cell stuck in C code ignores the interrupt

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
                # nbclient's own per-cell limit is a backstop behind the watchdog's per-notebook one.
                execution_timeout=(timeout + 2 * INTERRUPT_GRACE) if timeout else None,
                record_timing=False,
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
            cell=_error_cell(nb, None) if nb is not None else None, ename="Timeout", evalue=f"longer than {timeout:g} s",
        )
    if error is not None:
        cell = _error_cell(nb, error)
        raise NotebookError(
            f"{area_id}: cell {cell} raised {error.ename}: {error.evalue} "
            f"(see the executed notebook {display_path(executed)})",
            area_id=area_id, notebook=notebook, executed=kept, cell=cell,
            ename=error.ename, evalue=error.evalue,
        )
    return nb


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


__all__ = [
    "WarmKernel", "execute_area", "check_parameters", "declared_parameters", "AreaRun",
    "ExecutionFailure", "NotebookError", "NotebookTimeoutError", "KernelDiedError", "write_notebook",
    "normalise",
]
