"""Where the demonstration dataset's rows come from: the real ONS population, and each row's source id.

``ons_population.csv`` holds the ONS mid-year estimates of the police force areas for mid-2020 to
mid-2023, each with the id of the published table it was imported from (the same rows as the real
dataset's ``data/real/population.csv``); ``sources.yaml`` holds the ``sources`` entries of
``dataset.yaml``: the synthetic figures, the Metropolitan Police Service's published report, and the
ONS tables (as ``peel import`` records them).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

#: Source ids of the generated rows (their entries are in sources.yaml).
SYNTHETIC = "synthetic"
MET_REPORT = "hmicfrs/peel-2023-2025-metropolitan"
SOURCES_FILE = Path(__file__).with_name("sources.yaml")
ONS_POPULATION_FILE = Path(__file__).with_name("ons_population.csv")


def ons_population() -> dict[str, dict[int, tuple[int, str]]]:
    """Force id -> year -> (ONS mid-year estimate, source id), from ``ons_population.csv``."""
    out: dict[str, dict[int, tuple[int, str]]] = {}
    with ONS_POPULATION_FILE.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["force_id"], {})[int(r["year"])] = (int(r["population"]), r["source"])
    return out


def _row_counts(*texts: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for text in texts:
        for r in csv.DictReader(io.StringIO(text)):
            counts[r["source"]] = counts.get(r["source"], 0) + 1
    return counts


def demo_sources(national: str = "", population: str = "") -> dict[str, dict[str, Any]]:
    """The ``sources`` of the demonstration dataset.yaml, each with the number of rows it supplied.

    Parameters
    ----------
    national, population
        The generated CSV texts (with a ``source`` column).
    """
    counts = _row_counts(*(t for t in (national, population) if t))
    sources = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    for sid, entry in sources.items():
        entry["rows"] = counts.get(sid, 0)
    return sources
