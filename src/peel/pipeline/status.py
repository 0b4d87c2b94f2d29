"""``peel status [OUT]``: is every report in an output folder current? Checked before a folder is shared.

Each force with a record in ``OUT/build.json`` gets one line: *current*; *stale* and why (its data,
inspection inputs, notebooks, package or template changed since it was built:
:mod:`peel.pipeline.vintage`); *failed*, with the previous report kept or none; or a format missing
(a file the build made that is gone or was edited, or a format the last build asked for that the
report lacks). "Current" is judged against the inputs the folder's last build used (the data,
inspection inputs and notebooks folders recorded in ``build.json``), unless others are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from peel import paths
from peel.errors import OutputFolderError, display_path
from peel.inputs.areas import load_report
from peel.inputs.forces import all_forces
from peel.pipeline.cache import fingerprints
from peel.pipeline.manifest import MANIFEST_NAME, BuildSettings, read_manifest, read_records
from peel.pipeline.records import ForceRecord
from peel.pipeline.vintage import assess, refresh_command, shared_vintage, stale_formats, stale_line
from peel.reuse import sha256_file


@dataclass
class ReportState:
    """One force's report: what is wrong with it (nothing when it is current)."""

    force_id: str
    stale: list[str] = field(default_factory=list)
    failed: str | None = None
    kept: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return not (self.stale or self.failed or self.missing)

    def describe(self) -> str:
        """``"stale: the data changed"``, ``"current"``, ...; the parts joined by ``"; "``."""
        parts = []
        if self.failed is not None:
            parts.append(f"failed ({self.failed}); "
                         + ("the previous report was kept" if self.kept else "there is no report"))
        if self.stale:
            parts.append(f"stale: {', '.join(self.stale)}")
        parts += self.missing
        return "; ".join(parts) or "current"


@dataclass
class FolderStatus:
    """Every report of a folder, and the command that refreshes the stale ones."""

    out_dir: Path
    reports: list[ReportState]
    stale: dict[str, list[str]]
    refresh: str

    @property
    def all_current(self) -> bool:
        return all(r.current for r in self.reports)

    def lines(self) -> list[str]:
        """One line per force, a summary, and the stale line (:func:`peel.pipeline.vintage.stale_line`)."""
        width = max((len(r.force_id) for r in self.reports), default=0)
        out = [f"{r.force_id:<{width}}  {r.describe()}" for r in self.reports]
        n = {"current": sum(r.current for r in self.reports), "stale": sum(bool(r.stale) for r in self.reports),
             "failed": sum(r.failed is not None for r in self.reports),
             "missing": sum(bool(r.missing) for r in self.reports)}
        out.append(f"{len(self.reports)} reports in {display_path(self.out_dir)}: {n['current']} current, "
                   f"{n['stale']} stale, {n['failed']} failed, {n['missing']} with a format missing or edited")
        out.append(stale_line(self.stale, self.out_dir, self.refresh))
        return out


def _missing(record: ForceRecord, out_dir: Path, formats: list[str]) -> list[str]:
    """The report files a force should have and has not, or has edited."""
    wanted = [*record.files, *(f"report.{f}" for f in formats if f"report.{f}" not in record.files)]
    out = []
    for name in wanted:
        path = out_dir / record.force_id / name
        if name not in record.files:
            out.append(f"no {name} (the last build asked for {name.removeprefix('report.').upper()})")
        elif not path.is_file():
            out.append(f"{name} missing")
        elif sha256_file(path) != record.files[name]:
            out.append(f"{name} edited since it was built")
    return out


def folder_status(out_dir: Path, *, data_dir: Path | None = None, params_dir: Path | None = None,
                  notebooks_dir: Path | None = None) -> FolderStatus:
    """The state of every report in ``out_dir`` against the folder's inputs (or the ones given).

    Raises
    ------
    OutputFolderError
        When ``out_dir`` has no readable ``build.json``.
    InputError
        When the notebooks' ``report.yaml`` cannot be read.
    """
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    if not manifest:
        raise OutputFolderError(f"{display_path(out_dir / MANIFEST_NAME)} is missing or unreadable: "
                                f"expected the output folder of 'peel build'")
    try:
        settings: BuildSettings | None = BuildSettings.model_validate(manifest.get("options"))
    except ValidationError:  # options of an older or hand-edited build.json: the default folders, no formats
        settings = None
    folders = settings.folders if settings is not None else {}
    formats = [f for f in settings.formats if f in ("html", "pdf")] if settings is not None else []

    def folder(given: Path | None, name: str) -> Path:
        if given is not None:
            return Path(given)
        return Path(folders[name]) if folders.get(name) else getattr(paths, f"{name}_dir")()

    data, params, notebooks = folder(data_dir, "data"), folder(params_dir, "params"), folder(notebooks_dir, "notebooks")
    report = load_report(notebooks)
    shared = shared_vintage(fingerprints(data, notebooks, [a.notebook for a in report.areas]))
    records = read_records(out_dir)
    stale = assess(records, shared, params)
    states = []
    for force in all_forces():
        rec = records.get(force.id)
        if rec is None:
            continue
        state = ReportState(force.id, list(stale.get(force.id, [])))
        if rec.failed:
            state.failed = rec.error.what() if rec.error else "error unknown"
            state.kept = bool(rec.files)
        if rec.files:
            state.missing = _missing(rec, out_dir, formats)
        states.append(state)
    refresh = refresh_command(sorted(stale), stale_formats(records, stale, formats or ("html", "pdf")), out_dir,
                              total=len(all_forces()), data_dir=data, params_dir=params,
                              notebooks_dir=notebooks) if stale else ""
    return FolderStatus(out_dir, states, stale, refresh)
