"""What each area's notebook reads, as hashes: so that an edit re-executes only the areas it touches.

An area notebook writes its part of the report only through :mod:`peel.analysis.present` (the
report-content contract, :mod:`peel.analysis.reportable`), which reads the inputs through the loaders.
What each kind of area reads from them:

* **an inspection area** reads the force's inputs for that area (grade, concerns, findings, figures),
  the force-level keys (force, demonstration, draft, inspection) and, from the data, the catalogue
  entries of the area's measures, in catalogue order, with every national row of those measures and
  the population (rates use it);
* **the overview** reads the force-level keys, the summary, which areas were inspected and their
  grades, and the dataset's notice (``dataset.yaml``);
* **"About the data"** reads which areas were inspected, and the whole dataset (sources, the forces
  that did not supply data or were left out, the notice);
* any other area in every report (``always``) is assumed to read everything.

Figure numbers do not tie areas together: each notebook numbers its figures from 1 and the stitcher
renumbers them across the report when it renders (which it does whenever any area re-ran).

When the catalogue cannot be read, or national.csv holds rows of a measure the catalogue does not
have, every area depends on the whole data (correctness before reuse).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from peel.files import read_input
from peel.inputs.inspection import ForceInputs

#: The files the data loader reads; other files in a data folder never reach a report.
DATA_FILES = ("dataset.yaml", "measures.yaml", "national.csv", "population.csv")


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> str | None:
    try:
        return read_input(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def plain(value: Any) -> Any:
    """A JSON-ready copy of parsed inputs that keeps what the report shows of each value.

    A number typed ``94.0`` is shown with one decimal and ``94`` with none, so the precision of a
    typed float is kept beside its value.
    """
    decimals = getattr(value, "decimals", None)
    if isinstance(value, float) and decimals is not None:
        return {"value": repr(float(value)), "decimals": decimals}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "path"}
        return {"__type__": type(value).__name__, **fields}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return None
    return value


def params_fingerprint(inputs: ForceInputs, area_id: str, always: bool) -> str:
    """The hash of the part of a force's inspection inputs that ``area_id``'s notebook reads."""
    common = {"force": inputs.force.id, "demonstration": inputs.demonstration, "draft": inputs.draft,
              "inspection": plain(inputs.inspection)}
    if area_id == "overview":
        scope: Any = {"summary": inputs.summary,
                      "grades": {a: (i.grade, i.graded, i.grade_basis, plain(i.grade_source))
                                 for a, i in inputs.areas.items()}}
    elif area_id == "about_the_data":
        scope = {"inspected": sorted(inputs.areas)}
    elif always:
        scope = {"everything": plain(inputs)}
    else:
        scope = {"area": plain(inputs.areas.get(area_id))}
    return _hash({"common": common, "scope": scope})


@dataclass(frozen=True)
class DataFingerprints:
    """Hashes of a data folder, by what reads them: the whole of it, its notice, each area's measures."""

    whole: str
    info: str
    #: area id -> hash of its measures (catalogue entries in order, national rows, population);
    #: ``None`` when the data cannot be split by measure (then every area depends on the whole).
    areas: dict[str, str] | None

    def for_area(self, area_id: str, always: bool) -> str:
        """The hash of the data that ``area_id``'s notebook reads."""
        if self.areas is None:
            return self.whole
        if area_id == "overview":
            return _hash({"info": self.info})
        if always:
            return self.whole
        return self.areas.get(area_id, _hash({"no measures": True}))


def data_fingerprints(data_dir: Path) -> DataFingerprints:
    """Hash the data folder's four files, whole and split by the areas their measures belong to."""
    texts = {name: _read(Path(data_dir) / name) for name in DATA_FILES}
    whole = _hash(texts)
    info = _hash(texts["dataset.yaml"])
    return DataFingerprints(whole, info, _by_area(texts))


def _by_area(texts: Mapping[str, str | None]) -> dict[str, str] | None:
    try:
        doc = yaml.safe_load(texts["measures.yaml"] or "")
        reader = csv.reader(io.StringIO(texts["national.csv"] or ""))
        header = next(reader, None)
    except (yaml.YAMLError, csv.Error, RecursionError, ValueError):
        # Unreadable inputs: every area re-runs, and validation, which runs next, names the problem.
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), dict) or not header:
        return None
    catalogue: dict[str, Any] = doc["measures"]
    if "measure" not in header or not all(isinstance(e, dict) for e in catalogue.values()):
        return None
    column = header.index("measure")
    rows: dict[str, list[list[str]]] = {}
    try:
        for row in reader:
            rows.setdefault(row[column] if column < len(row) else "", []).append(row)
    except csv.Error:
        return None
    if set(rows) - set(catalogue):
        return None  # rows the catalogue does not explain: validation will say more; re-run everything
    rest = {k: v for k, v in doc.items() if k != "measures"}
    shared = {"catalogue": rest, "header": header, "population": texts["population.csv"]}
    areas: dict[str, list[Any]] = {}
    for mid, entry in catalogue.items():
        areas.setdefault(str(entry.get("area")), []).append([mid, entry, rows.get(mid, [])])
    return {area: _hash({"shared": shared, "measures": measures}) for area, measures in areas.items()}
