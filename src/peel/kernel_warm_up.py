"""Run inside every warm Jupyter kernel: the imports every notebook would pay for, and the reset between notebooks.

A build keeps one kernel per worker (:class:`peel.pipeline.kernel.WarmKernel`). When it starts, the
kernel runs ``import peel.kernel_warm_up; peel.kernel_warm_up.warm_up()``, which imports the modules
named in :data:`PRELOAD` and notes the settings a notebook may change; before each notebook it runs
``%reset -f`` and then :func:`reset`, which puts those settings back. This module stays in
``sys.modules``, so it survives ``%reset -f`` without a name in the notebook's namespace.

Only what a notebook uses is preloaded: the build side (papermill, the stitcher, the PDF writer) is
not needed in a kernel. tests/test_kernel_warm_up.py checks that every module named here exists.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import warnings
from typing import Any

#: Imported once per kernel, in this order: the libraries the notebooks use, then the package's modules
#: they reach through ``from peel.analysis import present`` (and what it imports, so, ahead of the
#: first notebook, every chart, wording and data module).
PRELOAD: tuple[str, ...] = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "peel.analysis.present",
    "pyarrow.pandas_compat",  # loaded by the first table pandas reads from Parquet
)

#: The settings :func:`warm_up` found, which :func:`reset` restores before each notebook.
_saved: dict[str, Any] = {}


def warm_up() -> None:
    """Import :data:`PRELOAD`, note the settings to restore, and keep what is loaded out of the collector's scans.

    Raises
    ------
    ImportError
        When a module of :data:`PRELOAD` cannot be imported (the kernel's start then fails, naming it).
    """
    for name in PRELOAD:
        importlib.import_module(name)
    # The libraries are imported in the functions, not at the top: the build imports this module to read
    # PRELOAD, and needs none of them for that.
    import matplotlib

    _saved.update(rc=dict(matplotlib.rcParams), warning_filters=list(warnings.filters), cwd=os.getcwd(),
                  sys_path=list(sys.path))
    # Everything loaded so far lives as long as the kernel: kept out of the garbage collector's scans,
    # the collection %reset does before each notebook only looks at the last notebook's objects.
    keep_loaded_out_of_collections()


def keep_loaded_out_of_collections() -> None:
    """Collect the garbage once, then keep every object still alive out of the collector's later scans.

    For a long-lived process once it has loaded what its work uses: a kernel after its imports
    (:func:`warm_up`), a build worker after its first force (:func:`peel.pipeline.pool.worker_main`:
    nbformat, nbconvert, Beautiful Soup, Typst, openpyxl, about 260,000 objects). Python's full
    collections walk every object; in a worker one came about once a force and cost 0.12 to 0.16 CPU s
    of that force's 1.1, for nothing. Frozen (:func:`gc.freeze`), they are left out; later objects are
    collected as before.
    """
    gc.collect()
    gc.freeze()


def reset() -> None:
    """Give the next notebook the settings of a fresh kernel (after ``%reset -f`` cleared its names)."""
    # In the function, as in warm_up: the build imports this module for PRELOAD alone (loaded by then).
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas
    from IPython import get_ipython

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.clear()
        matplotlib.rcParams.update(_saved["rc"])
        pandas.reset_option("all")
    warnings.filters[:] = _saved["warning_filters"]  # type: ignore[index]  # a list at run time
    sys.path[:] = _saved["sys_path"]
    os.chdir(_saved["cwd"])
    # A fresh kernel numbers its first cell 1; so does a reset one.
    get_ipython().execution_count = 1
