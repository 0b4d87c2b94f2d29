"""``OUT/build.json``: what a build used and what it did, so that any report can be traced to its inputs.

The manifest names the project version and source commit, the hashes of the data files, inspection
inputs and notebooks used, and for every force and area its status (executed, reused or failed),
why it was re-run, how long it took and, on failure, the area, the cell and the error. Forces not in
this build keep their record from the previous manifest, so the file always describes every report
in the output folder. The build time is its only field that changes when nothing else did; it is
never written into a report. The read-merge-write happens while the build holds the output folder's
lock (:mod:`peel.lock`), so two builds cannot lose each other's records.

The manifest is a pydantic model (:class:`Manifest`, its forces' records from
:mod:`peel.pipeline.records`) written as its ``model_dump(mode="json")`` with sorted keys. A
force's record that does not validate (an old or hand-edited ``build.json``) is read as no record of
that force, as a manifest that is not JSON is read as no manifest; the next build's manifest leaves
it out.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from peel import __version__
from peel.files import atomic_write, read_input
from peel.paths import project_root
from peel.pipeline.headline_figures import force_figures
from peel.pipeline.records import ForceRecord, Record

MANIFEST_NAME = "build.json"

#: Version of the manifest's layout, raised when a field changes meaning.
MANIFEST_FORMAT = 1


class ProjectInfo(Record):
    """What made the build: the project's name and version, and the source commit (``None`` when unknown)."""

    name: str
    version: str
    commit: str | None


class BuildSettings(Record):
    """The build's options: what ``peel status`` judges the reports against (the same folders)."""

    formats: list[str]
    jobs: int
    #: Seconds a cell may run (``None``: no limit); an ``int`` stays one, as it was given.
    timeout: int | float | None
    #: ``{"data": path, "params": path, "notebooks": path}``, resolved (none in a ``build.json`` from before
    #: ``peel status``).
    folders: dict[str, str] = Field(default_factory=dict)
    #: ``--scheduler``, when the build ran on Dask.
    scheduler: str | None = Field(None, exclude_if=lambda v: v is None)


class InputHashes(Record):
    """SHA-256 of every input the build used: the data files, inspection inputs and notebooks by name."""

    data: dict[str, str]
    notebooks: dict[str, str]
    params: dict[str, str | None]
    package: str
    template: str


class ThisBuild(Record):
    """The forces of this build (the others' records are kept from the previous manifest) and their statuses."""

    forces: list[str]
    counts: dict[str, int]


class VintageRecord(Record):
    """The current vintage (:mod:`peel.pipeline.vintage`), the stale reports, their refresh command and
    the forces whose report is built from another dataset version."""

    current: dict[str, str]
    stale: dict[str, list[str]]
    refresh: str
    older_dataset: list[str]


class ManifestForce(ForceRecord):
    """A force's record as ``build.json`` holds it: with its report's headline figures
    (:mod:`peel.pipeline.headline_figures`) and, when its report is stale, why."""

    figures: list[dict[str, Any]] = Field(default_factory=list)
    stale: list[str] | None = Field(None, exclude_if=lambda v: v is None)

    @classmethod
    def of(cls, record: ForceRecord, figures: list[dict[str, Any]], stale: Sequence[str] | None) -> ManifestForce:
        """``record`` with the figures of its report on disk and why it is stale (``None``: it is not)."""
        fields = {name: getattr(record, name) for name in ForceRecord.model_fields}
        return cls(**fields, figures=figures, stale=list(stale) if stale is not None else None)


class Manifest(Record):
    """``OUT/build.json``."""

    format: int
    project: ProjectInfo
    #: UTC, to the second: ``2026-12-07T06:18:45Z``.
    built_at: str
    options: BuildSettings
    inputs: InputHashes
    this_build: ThisBuild
    forces: dict[str, ManifestForce]
    vintage: VintageRecord | None = Field(None, exclude_if=lambda v: v is None)


def git_commit(root: Path | None = None) -> str | None:
    """The checkout's commit (with ``+dirty`` when tracked files changed), or ``None`` when unknown."""
    root = root or project_root()
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0 or not head.stdout.strip():
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no",
                                "--", "src", "notebooks"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return f"{commit}+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else commit


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The previous manifest in ``out_dir``, or an empty one when there is none or it cannot be read."""
    path = Path(out_dir) / MANIFEST_NAME
    try:
        doc = json.loads(read_input(path).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def read_records(out_dir: Path) -> dict[str, ForceRecord]:
    """Every force's record in the manifest of ``out_dir``; one that does not validate is left out (no record)."""
    return dict(_read_forces(out_dir))


def _read_forces(out_dir: Path) -> dict[str, ManifestForce]:
    """The forces' records in the manifest of ``out_dir`` that validate."""
    forces = read_manifest(out_dir).get("forces", {})
    if not isinstance(forces, dict):
        return {}
    out: dict[str, ManifestForce] = {}
    for fid, doc in forces.items():
        try:
            out[fid] = ManifestForce.from_json(fid, doc)
        except ValidationError:
            continue  # an old or hand-edited record: as if there were none
    return out


def read_figures(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every force's headline figures as the manifest in ``out_dir`` records them."""
    return {fid: [dict(f) for f in r.figures] for fid, r in _read_forces(out_dir).items()
            if "figures" in r.model_fields_set}


def write_json_atomic(path: Path, doc: Any) -> None:
    """Write JSON with sorted keys, atomically (see :func:`atomic_write`)."""
    atomic_write(path, json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n")


def write_manifest(
    out_dir: Path,
    *,
    commit: str | None,
    options: Mapping[str, Any],
    inputs: Mapping[str, Any],
    forces: Sequence[ForceRecord],
    built_at: datetime | None = None,
    vintage: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``OUT/build.json`` atomically and return its path.

    Parameters
    ----------
    out_dir
        The output folder.
    commit
        The source commit, or ``None`` when unknown.
    options
        The build's options (formats, jobs, timeout).
    inputs
        Hashes of the data files, inspection inputs, notebooks, package and template used.
    forces
        The records of the forces of this build. Records of other forces are kept from the previous
        manifest. Every force's ``figures`` are read again from the reports on disk.
    built_at
        The build time (now, in UTC, when not given).
    vintage
        ``{"current": vintage, "stale": {force_id: reasons}, "refresh": command, "older_dataset": [ids]}``
        (:mod:`peel.pipeline.vintage`): written as ``vintage``, and each stale force's reasons as its ``stale``.
    """
    out_dir = Path(out_dir)
    this = {r.force_id: r for r in forces}
    # The other forces' records as the previous manifest has them (one that does not validate is dropped).
    merged: dict[str, ForceRecord] = {k: v for k, v in _read_forces(out_dir).items() if k not in this}
    merged.update(this)
    figures = force_figures(out_dir, [fid for fid in sorted(merged) if merged[fid].files])
    stale = dict((vintage or {}).get("stale") or {})
    entries = {fid: ManifestForce.of(record, figures.get(fid, []), stale.get(fid)) for fid, record in merged.items()}
    when = (built_at or datetime.now(UTC)).astimezone(UTC)
    counts: dict[str, int] = {}
    for record in forces:
        counts[record.status] = counts.get(record.status, 0) + 1
    manifest = Manifest(
        format=MANIFEST_FORMAT,
        project=ProjectInfo(name="peel-reports", version=__version__, commit=commit),
        built_at=when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        options=BuildSettings.model_validate(dict(options)),
        inputs=InputHashes.model_validate(dict(inputs)),
        this_build=ThisBuild(forces=sorted(this), counts=counts),
        forces=entries,
        vintage=VintageRecord.model_validate(dict(vintage)) if vintage is not None else None,
    )
    path = out_dir / MANIFEST_NAME
    doc = manifest.to_json()
    write_json_atomic(path, doc)
    return path
