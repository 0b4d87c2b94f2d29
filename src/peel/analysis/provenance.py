""""About the data": the published tables a dataset was imported from, and the measures it lacks.

The sources are those ``peel import`` recorded in ``dataset.yaml`` (``sources:``); the measures a
dataset lacks are listed under ``not_available`` in its ``measures.yaml``
(:func:`peel.inputs.catalogue.load_not_available`). Nothing here names a source itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from peel.inputs.catalogue import load_not_available
from peel.inputs.dataset import CATALOGUE_FILE, Dataset
from peel.inputs.provenance import source_entries


def not_available_measures(dataset: Dataset) -> dict[str, tuple[str, str]]:
    """Measure id -> (title, reason) for the measures the dataset lists as not available."""
    key = "not_available"
    if key not in dataset._cache:
        dataset._cache[key] = load_not_available(dataset.root / CATALOGUE_FILE)
    return dataset._cache[key]


def published_sources(dataset: Dataset) -> list[dict[str, str]]:
    """The published tables behind the dataset's figures (publication, publisher, file, via, licence).

    Only published tables: the demonstration's synthetic figures have no licence to state.
    """
    return [e for e in source_entries(dataset.info) if e["licence"]]


def published_sources_intro(dataset: Dataset) -> str:
    """The sentence that introduces the table of published sources."""
    if dataset.info.demonstration:
        return "These published sources supply the dataset's real figures; the other figures are synthetic."
    return ("The national figures were imported from these published tables, unchanged apart from adding up "
            "the rows of each force, year and measure.")


def cited_not_available(dataset: Dataset, cited: Iterable[str]) -> list[tuple[str, str]]:
    """(title, reason) of each measure the findings cite that the dataset lists as not available."""
    listed = not_available_measures(dataset)
    return [listed[m] for m in dict.fromkeys(cited) if m in listed]
