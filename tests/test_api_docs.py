"""The examples of docs/api.md run as written (doctest), against the project's own data."""

from __future__ import annotations

import doctest
from pathlib import Path

import matplotlib

REPO = Path(__file__).resolve().parents[1]


def test_api_examples_run_as_written(monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(REPO)
    result = doctest.testfile(str(REPO / "docs" / "api.md"), module_relative=False, verbose=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, report=True)
    assert result.attempted >= 30, "the examples were not found"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in docs/api.md failed (see above)"
