"""One Jupyter kernel per worker, started once, warmed up, and reset between notebooks.

Starting a Jupyter kernel and importing pandas, matplotlib and seaborn into it takes a few seconds,
which is most of the cost of a small notebook. A build therefore keeps one kernel per worker process
(:class:`WarmKernel`), started once with those imports done, and hands it to
:func:`papermill.execute_notebook` (``km=``), which passes it on to nbclient: nbclient does not shut
down a kernel it did not start. Before each notebook the kernel's namespace is reset (``%reset -f``,
figures closed, matplotlib and pandas settings restored, execution counter set back to 1), so a
notebook sees nothing another notebook defined, and its executed copy is the same as from a fresh
kernel.

A kernel start is judged by its process and a deadline, never by a heartbeat alone: a kernel whose
process has ended has failed (what it wrote to stderr is in the message), and one that has not
answered by :data:`KERNEL_START_TIMEOUT` is killed. A start is tried twice, then
:class:`~peel.errors.KernelStartError` names the kernel spec. On Linux a kernel is killed by the
operating system when the process that started it dies, and its connection file (which holds the
key that signs its messages) is deleted as soon as the kernel has read it. When a kernel stops, so does
every process its notebooks started and left running, even one in a session of its own
(:func:`stop_strays`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from peel.errors import BuildError, KernelStartError
from peel.portable import KILL_SIGNAL, kernel_transport, kill_group_quietly, kill_quietly

#: Seconds a kernel gets to start and answer its first request.
KERNEL_START_TIMEOUT = 60.0

#: How many times a kernel start is tried before it fails.
KERNEL_START_ATTEMPTS = 2

#: The folder kernels keep their sockets and connection files in (a per-build folder in a build).
KERNEL_DIR_ENV = "PEEL_KERNEL_DIR"

#: Set in a kernel's environment to its own folder: every process the kernel starts inherits it, so the
#: processes a notebook left running are found when the kernel stops, even those that left its process
#: tree (``setsid -f``, a daemon's double fork, which makes init their parent at once).
KERNEL_TOKEN_ENV = "PEEL_KERNEL_TOKEN"

#: Seconds the processes a kernel left get to die after SIGKILL.
STRAY_WAIT = 5.0

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = KILL_SIGNAL) -> None:
    """Ask Linux to send ``sig`` to this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the parent watch of the worker still applies
        pass


def descendants(pid: int | None) -> list[int]:
    """The process ids of every process below ``pid`` (its children, theirs, ...), while it runs."""
    if not pid:
        return []
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def stop_strays(token: str, pids: list[int] | tuple[int, ...] = ()) -> list[int]:
    """Kill what a kernel started that still runs: ``pids`` (its descendants, listed before it stopped)
    and every process whose environment carries the kernel's ``token`` (:data:`KERNEL_TOKEN_ENV`), such
    as one a notebook started with ``setsid -f``; wait for them (at most :data:`STRAY_WAIT` s).
    Returns the ids of the processes killed."""
    me = os.getpid()
    found: dict[int, psutil.Process] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            found[pid] = psutil.Process(pid)
    for p in psutil.process_iter():
        try:
            if p.pid != me and p.pid not in found and p.environ().get(KERNEL_TOKEN_ENV) == token:
                found[p.pid] = p
        except psutil.Error:  # gone, a zombie, or another user's
            continue
    for p in found.values():
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(list(found.values()), timeout=STRAY_WAIT)
    return sorted(found)


#: Run once in a new kernel (:mod:`peel.kernel_warm_up`): the imports every notebook pays for, and the
#: settings to restore before each notebook.
WARM_UP_CODE = "import peel.kernel_warm_up; peel.kernel_warm_up.warm_up(); del peel"

#: Run (without storing history) before every notebook: clears every name the last notebook made.
RESET_CODE = '%reset -f\n__import__("peel.kernel_warm_up").kernel_warm_up.reset()\n'


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

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        # The public coroutine nbclient awaits (``kc.wait_for_ready``), not the private one behind it.
        if self._was_ready and await self.is_alive():
            return
        await super().wait_for_ready(timeout=timeout)
        self._was_ready = True


class _WarmKernelManager(AsyncKernelManager):
    """A kernel manager whose :meth:`client` always returns the same :class:`_WarmClient`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shared_client: _WarmClient | None = None

    def client(self, **kwargs: Any) -> Any:
        if self._shared_client is None:
            kw: dict[str, Any] = dict(self.get_connection_info(session=True))
            kw.update(connection_file=self.connection_file, parent=self)
            kw.update(kwargs)
            self._shared_client = _WarmClient(**kw)
        return self._shared_client

    def close_clients(self) -> None:
        kc, self._shared_client = self._shared_client, None
        if kc is not None:
            # A client of a dead kernel may fail to close; nothing to keep.
            with contextlib.suppress(Exception):
                kc.stop_channels()


class WarmKernel:
    """One Jupyter kernel kept running across notebooks, with the common imports already done.

    Parameters
    ----------
    kernel_name
        The kernel spec to start (the project's notebooks use ``python3``).
    cwd
        The kernel's working directory (restored before each notebook).
    temp_dir
        Where the kernel's sockets and connection file go (default: ``$PEEL_KERNEL_DIR``, else the
        system's temporary folder).
    transport
        ``ipc`` or ``tcp`` (default: :func:`peel.portable.kernel_transport`, ``ipc`` on POSIX).

    Use as a context manager, or call :meth:`start` and :meth:`shutdown`.
    """

    def __init__(self, kernel_name: str = "python3", cwd: Path | None = None, temp_dir: Path | None = None,
                 transport: str | None = None):
        self.kernel_name = kernel_name
        self.transport = transport or kernel_transport()
        self.cwd = Path(cwd) if cwd else None
        self.temp_dir = temp_dir or (Path(os.environ[KERNEL_DIR_ENV]) if os.environ.get(KERNEL_DIR_ENV) else None)
        self.km: _WarmKernelManager | None = None
        self._socket_dir: Path | None = None
        #: Called with (pid, socket folder) after each kernel start, so that the build process can
        #: kill the kernel if this process itself is killed.
        self.on_start: Callable[[int, str], None] | None = None
        self._control: BlockingKernelClient | None = None
        self.starts = 0  # how many kernels this object has started (a restart adds one)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> WarmKernel:
        """Start the kernel and warm it up (a second try if the first fails); returns ``self``.

        Raises
        ------
        KernelStartError
            When neither try gave a kernel that answered, naming the kernel spec and its stderr.
        """
        problem = ""
        for _ in range(KERNEL_START_ATTEMPTS):
            try:
                self._start_once()
                return self
            except _StartFailed as e:
                problem = str(e)
        raise KernelStartError(f"the Jupyter kernel '{self.kernel_name}'{self._spec_place()} could not start "
                               f"(tried {KERNEL_START_ATTEMPTS} times): {problem}")

    def _spec_place(self) -> str:
        try:
            return f" (kernel spec {KernelSpecManager().get_kernel_spec(self.kernel_name).resource_dir}/kernel.json)"
        except Exception:
            return " (no such kernel spec; see 'jupyter kernelspec list')"

    def _start_once(self) -> None:
        # IPC sockets where there are Unix sockets: local only, no network port opened, and no warning
        # about unencrypted TCP. Their files go in a private folder with an absolute, short path (the
        # kernel runs in another working directory, and a socket path is limited to about 100
        # characters). Elsewhere (Windows) TCP on the loopback address, with the connection file there.
        prefix = "peel-kernel-" if self.temp_dir is None else "k"
        self._socket_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=self.temp_dir))
        connection_file = self._socket_dir / f"kernel-{uuid.uuid4().hex[:12]}.json"
        ip = str(self._socket_dir / "k") if self.transport == "ipc" else "127.0.0.1"
        km = _WarmKernelManager(kernel_name=self.kernel_name, transport=self.transport, ip=ip,
                                connection_file=str(connection_file))
        stderr_path = self._socket_dir / "stderr.txt"
        # No command history: notebooks never use it, and a history database would see the execution
        # counter go back to 1 at each reset and print an error into the next notebook's output.
        kwargs: dict[str, Any] = {"extra_arguments": ["--HistoryManager.enabled=False"],
                                  "env": {**os.environ, KERNEL_TOKEN_ENV: str(self._socket_dir)}}
        if os.name == "posix":  # Windows has no preexec_fn (and no PR_SET_PDEATHSIG to ask for)
            kwargs["preexec_fn"] = die_with_parent
        if self.cwd:
            kwargs["cwd"] = str(self.cwd)
        self.km = km
        try:
            with open(stderr_path, "wb") as err:
                kwargs["stderr"] = err
                run_sync(km.start_kernel)(**kwargs)
        except Exception as e:  # no such kernel spec, or its program cannot be run
            self.shutdown()
            raise _StartFailed(f"{type(e).__name__}: {e}") from None
        self.starts += 1
        # Our own blocking client, kept for the kernel's life, sends the warm-up and reset code.
        control = BlockingKernelClient()
        control.load_connection_info(km.get_connection_info())
        control.start_channels(hb=False)  # liveness is judged by the process, not by heartbeats
        self._control = control
        try:
            self._wait_until_ready(control, stderr_path)
            connection_file.unlink(missing_ok=True)  # read by the kernel; it holds the signing key
            if self.on_start is not None and self.pid is not None:
                self.on_start(self.pid, str(self._socket_dir))
            self._run_quietly(WARM_UP_CODE, "warming up the kernel")
        except BaseException:  # a failed start leaves no process and no file behind
            self.shutdown()
            raise

    def _wait_until_ready(self, control: BlockingKernelClient, stderr_path: Path) -> None:
        """Wait for the kernel's answer to ``kernel_info``, while its process lives, up to the deadline."""
        deadline = time.monotonic() + KERNEL_START_TIMEOUT
        asked_at = 0.0
        msg_id = None
        while True:
            proc = getattr(self.km.provisioner, "process", None) if self.km and self.km.provisioner else None
            code = proc.poll() if proc is not None else -1
            if code is not None:
                said = _tail(stderr_path)
                raise _StartFailed(f"the kernel process exited with status {code} before answering"
                                   + (f"; it wrote: {said}" if said else ""))
            now = time.monotonic()
            if now > deadline:
                raise _StartFailed(f"no answer within {KERNEL_START_TIMEOUT:g} seconds")
            if msg_id is None or now - asked_at > 2.0:  # ask again: a slow kernel may drop the first
                msg_id = control.kernel_info()
                asked_at = now
            try:
                reply = control.get_shell_msg(timeout=0.25)
            except Exception:  # queue.Empty: nothing yet
                continue
            if reply.get("msg_type") == "kernel_info_reply":
                return

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def pid(self) -> int | None:
        """Process id of the running kernel (``None`` when none runs)."""
        provisioner = self.km.provisioner if self.km is not None else None
        return getattr(getattr(provisioner, "process", None), "pid", None)

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        if self.km is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def kill(self) -> None:
        """Kill the kernel's whole process group now, and every process it started (:func:`stop_strays`),
        and remove its files (for a worker that must go)."""
        pid = self.pid
        below = descendants(pid)
        if pid:
            kill_group_quietly(pid)
            kill_quietly(pid)
        if self._socket_dir is not None:
            stop_strays(str(self._socket_dir), below)
        self._remove_socket_dir()

    def shutdown(self) -> None:
        """Stop the kernel now and close every socket; safe to call twice or on a dead kernel."""
        km, self.km = self.km, None
        control, self._control = self._control, None
        if control is not None:
            with contextlib.suppress(Exception):
                control.stop_channels()
        if km is None:
            self._remove_socket_dir()
            return
        below = descendants(getattr(getattr(km.provisioner, "process", None), "pid", None))
        km.close_clients()
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            # The kernel may already be gone; make sure of it and release its files and sockets.
            pid = getattr(getattr(km.provisioner, "process", None), "pid", None)
            if pid:
                kill_quietly(pid)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()
        with contextlib.suppress(Exception):
            km.context.destroy(linger=0)
        if self._socket_dir is not None:
            # What a notebook left running (a server, a `setsid` child) does not outlive its kernel.
            stop_strays(str(self._socket_dir), below)
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
        # Not execute_interactive: it waits out its timeout for a killed kernel (a stopped Dask build's).
        control = self._control
        assert control is not None
        msg_id = control.execute(code, silent=False, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + KERNEL_START_TIMEOUT * 2
        reply: dict[str, Any] = {}
        while reply.get("parent_header", {}).get("msg_id") != msg_id:
            alive = self.is_alive()
            if not alive or time.monotonic() > deadline:
                why = f"no answer within {KERNEL_START_TIMEOUT * 2:g} s" if alive else "the kernel process ended"
                raise BuildError(f"{what} failed: {why}")
            with contextlib.suppress(queue.Empty):
                reply = control.get_shell_msg(timeout=0.25)
        with contextlib.suppress(queue.Empty):  # what the kernel broadcast (this and the last notebook)
            while True:
                control.get_iopub_msg(timeout=0)
        content = reply["content"]
        if content.get("status") != "ok":
            raise BuildError(f"{what} failed: {content.get('ename')}: {content.get('evalue')}")


class _StartFailed(Exception):
    """One kernel start did not give a kernel that answered (the reason is the message)."""


def _tail(path: Path, limit: int = 500) -> str:
    """The last ``limit`` characters a kernel wrote to stderr, on one line."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else "…" + text[-limit:]



