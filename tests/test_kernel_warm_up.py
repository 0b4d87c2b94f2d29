"""The kernel's warm-up (peel.kernel_warm_up): every module it names exists and imports, and the code sent
to a kernel is one line that calls it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys

import pytest

from peel import kernel_warm_up
from peel.pipeline.kernel import RESET_CODE, WARM_UP_CODE


@pytest.mark.parametrize("name", kernel_warm_up.PRELOAD)
def test_every_module_the_warm_up_names_exists_and_imports(name: str) -> None:
    assert importlib.util.find_spec(name) is not None, f"{name} is named in PRELOAD but does not exist"
    assert importlib.import_module(name).__name__ == name


def test_the_report_modules_notebooks_use_are_preloaded() -> None:
    # Every notebook starts with `from peel.analysis import present`: a kernel that did not load it pays
    # for it in its first notebook.
    assert "peel.analysis.present" in kernel_warm_up.PRELOAD
    assert not [n for n in kernel_warm_up.PRELOAD if n.startswith(("peel.pipeline", "peel.render", "peel.cli"))]


def test_the_code_sent_to_a_kernel_is_one_line_that_calls_the_module() -> None:
    assert "\n" not in WARM_UP_CODE and "peel.kernel_warm_up.warm_up()" in WARM_UP_CODE
    assert "kernel_warm_up" in RESET_CODE and RESET_CODE.startswith("%reset -f\n")


@pytest.mark.subprocess
def test_the_warm_up_imports_every_module_and_reset_restores_the_settings() -> None:
    # In a fresh interpreter, as in a kernel (IPython's get_ipython stands in for the kernel's shell).
    code = (
        "import sys, warnings, matplotlib\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "shell = start_ipython()\n"
        "from peel import kernel_warm_up\n"
        "kernel_warm_up.warm_up()\n"
        "missing = [n for n in kernel_warm_up.PRELOAD if n not in sys.modules]\n"
        "assert not missing, missing\n"
        "matplotlib.rcParams['lines.linewidth'] = 9.0\n"
        "warnings.simplefilter('error')\n"
        "shell.execution_count = 7\n"
        "kernel_warm_up.reset()\n"
        "assert matplotlib.rcParams['lines.linewidth'] != 9.0\n"
        "assert not warnings.filters or warnings.filters[0][0] != 'error'\n"
        "assert shell.execution_count == 1\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
