"""Fixtures for the importer tests: the generated files (once per session) and an empty dataset folder."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PUBLISHED = REPO / "data" / "published"


def load_make_fixtures():  # type: ignore[no-untyped-def]
    """tests/ingest/make_fixtures.py as a module (by path: tests/fixtures has a script of the same name)."""
    name = "peel_ingest_make_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "make_fixtures.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


make_fixtures = load_make_fixtures()


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("ingest-fixtures")
    files = make_fixtures.write_good(out)
    files.update(make_fixtures.write_bad(out))
    return files


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    return make_fixtures.expected()


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A dataset folder with the shipped dataset.yaml (declared ``demonstration: false``, as an import
    requires), measures.yaml and groups.csv, and empty CSV files."""
    d = tmp_path / "data"
    d.mkdir()
    text = (REPO / "data" / "dataset.yaml").read_text(encoding="utf-8")
    assert "\ndemonstration: true\n" in text
    (d / "dataset.yaml").write_text(text.replace("\ndemonstration: true\n", "\ndemonstration: false\n"),
                                    encoding="utf-8")
    shutil.copyfile(REPO / "data" / "measures.yaml", d / "measures.yaml")
    shutil.copyfile(REPO / "data" / "groups.csv", d / "groups.csv")  # dataset.yaml declares it
    (d / "national.csv").write_text("force_id,measure,period,value,numerator,denominator\n", encoding="utf-8")
    (d / "population.csv").write_text("force_id,year,population\n", encoding="utf-8")
    return d
