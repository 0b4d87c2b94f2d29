"""What a build depends on, as hashes.

An executed notebook (an area) and a rendered report are each kept beside a small record of the
hashes they were made from (their *components*) and of the files they produced. Both are reused by
:func:`peel.reuse.reuse_decision` when every component is unchanged and every produced file is still
there, unedited; otherwise the reason is given in words.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from peel.files import InputFileError, read_input
from peel.paths import PACKAGE_DIR
from peel.pipeline.depends import DataFingerprints, data_fingerprints
from peel.reuse import sha256_file, sha256_text

#: Parts of the package that never run inside a notebook's kernel: a change to them cannot change an
#: executed notebook, so it re-renders reports without re-executing notebooks. Everything else (the
#: ``inputs`` and ``analysis`` packages and the shared top-level modules) is the notebook side. The
#: notebook side importing none of these is a contract in ``pyproject.toml`` (``[tool.importlinter]``).
BUILD_SIDE = frozenset({"pipeline", "render", "demo", "ingest", "cli.py", "lock.py", "reuse.py"})

#: Libraries whose version can change what a notebook outputs.
ENVIRONMENT_PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "nbclient", "nbformat",
                        "ipykernel", "markdown-it-py", "nh3")

#: How the parts of an area's cache key are named in "why it re-ran" messages.
AREA_WORDS = {
    "notebook": "notebook changed",
    "params": "its inspection inputs changed",
    "data": "its data changed",
    "report": "the report structure (report.yaml) changed",
    "package": "package changed",
    "environment": "environment changed",
    "parameters": "parameters changed",
}
#: The same for a report's rendering.
RENDER_WORDS = {
    "areas": "notebooks re-executed",
    "package": "package changed",
    "template": "template changed",
    "params": "inspection inputs changed",
    "dataset": "dataset notice changed",
    "commit": "source commit changed",
    "version": "version changed",
}


def hash_files(paths: Iterable[Path], root: Path) -> dict[str, str]:
    """``{path relative to root (with /): sha256}`` for the given files, sorted by path."""
    out = {Path(p).relative_to(root).as_posix(): sha256_file(Path(p)) for p in paths}
    return dict(sorted(out.items()))


def combined_hash(hashes: Mapping[str, str]) -> str:
    """One hash standing for a set of named files (names and contents both count)."""
    return sha256_text(json.dumps(dict(sorted(hashes.items())), sort_keys=True))


def area_key(components: Mapping[str, str]) -> str:
    """The cache key of an area: one hash over its named components."""
    return sha256_text(json.dumps(dict(components), sort_keys=True))


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or ``None`` when it is missing, unreadable or not an object."""
    try:
        doc = json.loads(read_input(Path(path)).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


@dataclass(frozen=True)
class Fingerprints:
    """Hashes of everything a build depends on, computed once per build."""

    data: dict[str, str]
    notebooks: dict[str, str]
    package_exec: str
    package_render: str
    template: str
    environment: str
    #: The data split by what each area reads (:mod:`peel.pipeline.depends`).
    data_areas: DataFingerprints

    @property
    def data_hash(self) -> str:
        return combined_hash(self.data)


def files_under(folder: Path, keep: Callable[[Path], bool] | None = None) -> list[Path]:
    """Files below ``folder`` (sorted; hidden files and caches left out) whose relative path ``keep`` accepts."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if keep is None or keep(rel):
            out.append(p)
    return out


def package_hashes(package_dir: Path = PACKAGE_DIR) -> tuple[str, str, str]:
    """(execution-side package hash, whole package hash, template hash)."""
    def exec_side(rel: Path) -> bool:
        return rel.parts[0] not in BUILD_SIDE

    def not_template(rel: Path) -> bool:
        return rel.parts[:2] != ("render", "templates")

    exec_hash = combined_hash(hash_files(files_under(package_dir, exec_side), package_dir))
    all_hash = combined_hash(hash_files(files_under(package_dir, not_template), package_dir))
    tdir = package_dir / "render" / "templates"
    template_hash = combined_hash(hash_files(files_under(tdir), tdir)) if tdir.is_dir() else sha256_text("")
    return exec_hash, all_hash, template_hash


def environment_hash() -> str:
    """Python and library versions that can change a notebook's outputs."""
    versions = {"python": sys.version.split()[0]}
    for name in ENVIRONMENT_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return sha256_text(json.dumps(versions, sort_keys=True))


def dataset_files(data_dir: Path) -> list[Path]:
    """The files of the dataset in ``data_dir``: those at the top of the folder, sorted (``.md`` notes left out).

    A folder inside a dataset's folder is not part of it: the demonstration dataset in ``data/`` holds
    the real dataset (``data/real/``) and the published tables it was imported from
    (``data/published/``), and a change to either must not change the demonstration's data hash.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() != ".md")


def notebook_content(path: Path) -> dict[str, Any]:
    """What of a notebook can change its result: each cell's type, source, tags and attachments, the
    notebook's kernel and language, and its ``peel`` metadata.

    Outputs, execution counts, cell ids and editor metadata (``language_info.version``, ``widgets``,
    ``collapsed``, ``scrolled``, ``execution`` timings, ...) are left out: running a notebook in
    JupyterLab and saving it changes none of this.

    Raises
    ------
    InputFileError
        When the file is not a regular file or not a notebook (JSON with ``cells``).
    """
    if not Path(path).is_file():
        raise InputFileError(f"{path} is not a regular file")
    try:
        doc = json.loads(read_input(Path(path)).decode("utf-8"))
    except (OSError, ValueError) as e:
        raise InputFileError(f"{path}: not a readable notebook ({e})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
        raise InputFileError(f"{path}: not a notebook (expected a JSON object with a list of 'cells')")
    def mapping(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    meta = mapping(doc.get("metadata"))
    kernel, language = mapping(meta.get("kernelspec")), mapping(meta.get("language_info"))

    def text(source: Any) -> str:  # nbformat allows a string or a list of lines
        return "".join(source) if isinstance(source, list) else str(source or "")

    cells = []
    for cell in doc["cells"]:
        cell = mapping(cell)
        cmeta = mapping(cell.get("metadata"))
        entry: dict[str, Any] = {"type": cell.get("cell_type"), "source": text(cell.get("source")),
                                 "tags": sorted(str(t) for t in cmeta.get("tags") or [])}
        if cell.get("attachments"):
            entry["attachments"] = cell["attachments"]
        cells.append(entry)
    return {"nbformat": doc.get("nbformat"), "kernel": kernel.get("name"),
            "language": kernel.get("language") or language.get("name"), "peel": meta.get("peel"), "cells": cells}


def notebook_fingerprint(path: Path) -> str:
    """SHA-256 of :func:`notebook_content`: the same for a notebook before and after Run All and Save."""
    return sha256_text(json.dumps(notebook_content(path), sort_keys=True, ensure_ascii=False))


def fingerprints(data_dir: Path, notebooks_dir: Path, notebook_names: Sequence[str]) -> Fingerprints:
    """Hash the dataset's files (:func:`dataset_files`), notebooks (:func:`notebook_fingerprint`), package,
    template and environment."""
    data = hash_files(dataset_files(data_dir), data_dir)
    notebooks = {name: notebook_fingerprint(notebooks_dir / name) for name in notebook_names}
    notebooks["report.yaml"] = sha256_file(notebooks_dir / "report.yaml")
    exec_hash, all_hash, template_hash = package_hashes()
    return Fingerprints(data, dict(sorted(notebooks.items())), exec_hash, all_hash, template_hash,
                        environment_hash(), data_fingerprints(data_dir))
