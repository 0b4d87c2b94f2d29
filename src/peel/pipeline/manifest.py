"""``OUT/build.json``: what a build used and what it did, so that any report can be traced to its inputs.

The manifest names the project version and source commit, the hashes of the data files, inspection
inputs and notebooks used, and for every force and area its status (executed, reused or failed),
why it was re-run, how long it took and, on failure, the area, the cell and the error. Forces not in
this build keep their record from the previous manifest, so the file always describes every report
in the output folder. The build time is its only field that changes when nothing else did; it is
never written into a report. The read-merge-write happens while the build holds the output folder's
lock (:mod:`peel.lock`), so two builds cannot lose each other's records.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from peel import __version__
from peel.files import atomic_write, read_input
from peel.paths import project_root
from peel.pipeline.headline_figures import force_figures
from peel.pipeline.records import ForceRecord

MANIFEST_NAME = "build.json"

#: Version of the manifest's layout, raised when a field changes meaning.
MANIFEST_FORMAT = 1


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
    """Every force's record in the manifest of ``out_dir``."""
    forces = read_manifest(out_dir).get("forces", {})
    if not isinstance(forces, dict):
        return {}
    return {fid: ForceRecord.from_json(fid, doc) for fid, doc in forces.items()}


def read_figures(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Every force's headline figures as the manifest in ``out_dir`` records them."""
    forces = read_manifest(out_dir).get("forces", {})
    if not isinstance(forces, dict):
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for fid, doc in forces.items():
        figures = doc.get("figures") if isinstance(doc, dict) else None
        if isinstance(figures, list):
            out[fid] = [dict(f) for f in figures if isinstance(f, dict)]
    return out


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
    previous = read_manifest(out_dir).get("forces", {})
    this = {r.force_id: r.to_json() for r in forces}
    merged: dict[str, Any] = {}
    if isinstance(previous, dict):
        merged.update({k: v for k, v in previous.items() if k not in this})
    merged.update(this)
    with_report = [fid for fid in sorted(merged) if isinstance(merged[fid], dict) and merged[fid].get("files")]
    figures = force_figures(out_dir, with_report)
    stale = dict((vintage or {}).get("stale") or {})
    for fid, doc in merged.items():
        if isinstance(doc, dict):
            merged[fid] = {k: v for k, v in doc.items() if k != "stale"} | {"figures": figures.get(fid, [])}
            if fid in stale:
                merged[fid]["stale"] = list(stale[fid])
    when = (built_at or datetime.now(UTC)).astimezone(UTC)
    counts: dict[str, int] = {}
    for record in forces:
        counts[record.status] = counts.get(record.status, 0) + 1
    doc = {
        "format": MANIFEST_FORMAT,
        "project": {"name": "peel-reports", "version": __version__, "commit": commit},
        "built_at": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "options": dict(options),
        "inputs": dict(inputs),
        "this_build": {"forces": sorted(this), "counts": counts},
        "forces": merged,
    }
    if vintage is not None:
        doc["vintage"] = dict(vintage)
    path = out_dir / MANIFEST_NAME
    write_json_atomic(path, doc)
    return path
