"""The code is checked by the same tools, with the same settings, wherever the tests run.

ruff (style and likely bugs) over the package, the tests and the benchmarks, and mypy (types) over
the package, both configured in pyproject.toml. Each runs from this interpreter's environment, so the
versions are the pinned ones; a failure shows the tool's own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Both start a linter in a child process: not in the fast tier.
pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[1]

#: A cold mypy run takes about 40 s on a busy machine; a warm one (cache in .mypy_cache) a few seconds.
TIMEOUT = 300


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def test_ruff_finds_nothing():
    done = run("ruff", "check", "--no-cache", "src/peel", "tests", "benchmarks")
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing():
    # The files checked, the strictness and the cache folder come from [tool.mypy] in pyproject.toml.
    done = run("mypy")
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
    assert "Success: no issues found" in done.stdout, done.stdout
