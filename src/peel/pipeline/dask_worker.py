"""The worker side of ``peel build --scheduler``: the warm-kernel plugin and the functions run on workers.

Each Dask worker keeps one warm Jupyter kernel for its life (:class:`WarmKernelPlugin`), registered by a
build only where a worker lacks it in the client's version (:func:`plugin_version`), so that the next
build on the same cluster finds the kernels warm. A stop of a build (:meth:`WarmKernelPlugin.stop`)
kills the kernel working for it, whether it was running a notebook or starting; an idle warm kernel
stays with its worker. :func:`build_inputs` is what the client and every worker compare before a build.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from pathlib import Path
from typing import Any, cast

from distributed import WorkerPlugin, get_worker

from peel import __version__, files
from peel.errors import KernelStartError
from peel.lock import make_build_temp
from peel.pipeline.cache import fingerprints
from peel.pipeline.force import build_force, failed_record
from peel.pipeline.kernel import WarmKernel
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import Failure, ForceRecord
from peel.reuse import sha256_file

#: The name the warm-kernel plugin is registered under on the workers.
PLUGIN_NAME = "peel-warm-kernel"


class _Stopped(BaseException):
    """Raised on a worker inside a task whose build was stopped: nothing more may be written or started."""


class _StoppableKernel(WarmKernel):
    """A warm kernel that neither (re)starts nor runs another notebook for a build that was stopped."""

    def __init__(self, plugin: WarmKernelPlugin, **kwargs: Any):
        super().__init__(**kwargs)
        self._plugin = plugin

    def _start_once(self) -> None:
        self._plugin.check_running()  # before each try: a stopped build's start is not tried again
        super()._start_once()

    def start(self) -> WarmKernel:
        super().start()
        try:
            self._plugin.check_running()  # a stop that came mid-start found no kernel to kill
        except _Stopped:
            self.shutdown()
            raise
        return self

    def reset(self) -> None:
        self._plugin.check_running()  # before each notebook: a stopped build runs no further one
        super().reset()


class WarmKernelPlugin(WorkerPlugin):
    """One warm Jupyter kernel per Dask worker, kept for the worker's life and shut down with it.

    Forces run one at a time on a worker (a lock), whatever its number of threads: the kernel is one.
    """

    name = PLUGIN_NAME

    def __init__(self, version: str = "") -> None:
        #: What the registering client runs (:func:`plugin_version`); pickled with the plugin, so a worker
        #: that joins later reports the version the scheduler handed it.
        self.version = version
        self.kernel: _StoppableKernel | None = None
        self.cwd: str | None = None
        self.temp_dir: Path | None = None
        self.stopped: set[str] = set()
        self.running: str | None = None
        self.lock: Any = None

    def setup(self, worker: Any) -> None:
        self.lock = threading.Lock()
        self.temp_dir = make_build_temp()  # named after this process: removed by a later build if it dies
        logging.getLogger("papermill").setLevel(logging.CRITICAL)
        logging.getLogger("traitlets").setLevel(logging.CRITICAL)

    def teardown(self, worker: Any) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def check_running(self) -> None:
        """Raise :class:`_Stopped` when the build of the running task was stopped."""
        if self.running is not None and self.running in self.stopped:
            raise _Stopped(self.running)

    def build(self, plan: ForcePlan, cwd: str, token: str) -> ForceRecord | None:
        """Build one force with this worker's kernel; ``None`` when its build was stopped."""
        with self.lock:
            if token in self.stopped:
                return None
            self.running = token
            files.set_write_guard(lambda path: self.check_running())
            try:
                if self.kernel is None or self.cwd != cwd:  # another project's build: its own kernel
                    if self.kernel is not None:
                        self.kernel.shutdown()
                    self.kernel, self.cwd = _StoppableKernel(self, cwd=Path(cwd), temp_dir=self.temp_dir), cwd
                record = build_force(plan, self.kernel)
                return None if token in self.stopped else record  # a stop kills the kernel: no failure of its own
            except _Stopped:
                return None
            except KernelStartError as e:
                return None if token in self.stopped else failed_record(plan, Failure.of_exception(e))
            finally:
                self.running = None
                files.set_write_guard(None)

    def stop(self, token: str) -> None:
        """Stop the build ``token``: its running task may write and start nothing more; its kernel dies now."""
        self.stopped.add(token)
        if self.running == token and self.kernel is not None:
            self.kernel.kill()


# -- functions run on the workers ------------------------------------------------------------------
def build_task(plan: ForcePlan, cwd: str, token: str) -> ForceRecord | None:
    """The Dask task of one force: build it on this worker's warm kernel (``None``: its build was stopped)."""
    plugin = cast(WarmKernelPlugin, get_worker().plugins[PLUGIN_NAME])  # registered under this name by the build
    return plugin.build(plan, cwd, token)


def installed_version(dask_worker: Any = None) -> str | None:
    """The version of this worker's warm-kernel plugin, ``None`` when it has none."""
    return getattr(dask_worker.plugins.get(PLUGIN_NAME), "version", None) if dask_worker is not None else None


def stop_task(token: str, dask_worker: Any = None) -> bool:
    """Stop the build ``token`` on this worker (:meth:`WarmKernelPlugin.stop`); whether the worker has the plugin."""
    plugin = dask_worker.plugins.get(PLUGIN_NAME) if dask_worker is not None else None
    if plugin is not None:
        plugin.stop(token)
    return plugin is not None


def build_inputs(data_dir: str, params_dir: str, notebooks_dir: str, out_dir: str,
                 force_ids: list[str]) -> dict[str, str]:
    """What a build depends on as this process sees it: the package, the data, notebooks, params, output folder.

    Run on the client and on every worker; any difference means the workers would build other reports.
    """
    try:
        names = sorted(p.name for p in Path(notebooks_dir).glob("*.ipynb"))
        fp = fingerprints(Path(data_dir), Path(notebooks_dir), names)
        seen = {"peel-reports version": __version__, "peel package code": fp.package_render,
                "report template": fp.template, "Python and library versions": fp.environment,
                f"data folder {data_dir}": fp.data_hash}
        seen.update({f"notebook {notebooks_dir}/{n}": h for n, h in fp.notebooks.items()})
        for fid in force_ids:
            path = Path(params_dir) / f"{fid}.yaml"
            seen[f"params file {path}"] = sha256_file(path) if path.is_file() else "missing"
        out = Path(out_dir)
        seen[f"output folder {out_dir}"] = "present" if out.is_dir() else "missing"
        return seen
    except OSError as e:
        return {"reading the inputs": f"failed: {e}"}


#: The entries of :func:`build_inputs` that describe the code a kernel runs (not the data it reads).
_CODE_INPUTS = ("peel-reports version", "peel package code", "report template", "Python and library versions")


def plugin_version(inputs: dict[str, str]) -> str:
    """The version of the warm-kernel plugin a client with these :func:`build_inputs` registers.

    The package version and the hashes of its code, templates and environment: a kernel that imported
    other code is replaced, while a new dataset or new params (read afresh by every notebook) keep it.
    """
    text = "\n".join(f"{k}={inputs.get(k, '')}" for k in _CODE_INPUTS)
    return f"{inputs.get('peel-reports version', '')}+{hashlib.sha256(text.encode()).hexdigest()[:12]}"

