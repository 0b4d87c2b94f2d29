"""What each report was built from (its *vintage*), and whether it is still current.

Every file of a force's report (``report.html``, ``report.pdf``, and ``statements.json`` and
``figures.xlsx``, which travel with the HTML) is recorded with the inputs it was built from: the
dataset's version (a hash of its files), the force's inspection inputs, the notebooks (and
``report.yaml``), the package and the template. A report whose recorded inputs are no longer the
current ones is *stale*; the build lists the stale reports in ``build.json``, the index marks them
in words, the overview names the reports built from an older dataset version, and ``peel status``
(:mod:`peel.pipeline.status`) checks a folder before it is shared.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from peel.errors import display_path
from peel.paths import data_dir as default_data
from peel.paths import notebooks_dir as default_notebooks
from peel.paths import params_dir as default_params
from peel.pipeline.cache import Fingerprints, combined_hash
from peel.pipeline.records import ForceRecord
from peel.reuse import content_id, sha256_file

#: The parts of a vintage, in the order their changes are named, and how.
VINTAGE_WORDS = {
    "dataset": "the data changed",
    "params": "its inspection inputs changed",
    "notebooks": "the notebooks changed",
    "package": "the package changed",
    "template": "the template changed",
}

#: The files of a report that carry a vintage: the two formats, and what travels with the HTML.
REPORT_FILES = ("report.html", "report.pdf", "statements.json", "figures.xlsx")

Vintage = dict[str, str]


def dataset_version(data: Mapping[str, str]) -> str:
    """The dataset's version: a short id of its files' hashes (as ``statements.csv`` names it)."""
    return content_id(dict(data))


def shared_vintage(fp: Fingerprints) -> Vintage:
    """The parts of the current vintage that are the same for every force."""
    return {"dataset": dataset_version(fp.data), "notebooks": combined_hash(fp.notebooks)[:12],
            "package": fp.package_render[:12], "template": fp.template[:12]}


def force_vintage(shared: Mapping[str, str], params_sha256: str | None) -> Vintage:
    """One force's current vintage: the shared parts and its inspection inputs."""
    return {**shared, "params": (params_sha256 or "missing")[:12]}


def params_hash(params_dir: Path, force_id: str) -> str | None:
    """SHA-256 of a force's inspection inputs file, or ``None`` when there is none."""
    path = Path(params_dir) / f"{force_id}.yaml"
    return sha256_file(path) if path.is_file() else None


def changes(recorded: Mapping[str, str] | None, current: Mapping[str, str]) -> list[str]:
    """What differs between a recorded vintage and the current one, in words (empty: current)."""
    if not recorded:
        return ["it was built before reports recorded their inputs"]
    return [VINTAGE_WORDS[k] for k in VINTAGE_WORDS if recorded.get(k) != current.get(k)]


def stale_reasons(built_from: Mapping[str, Mapping[str, str]], files: Iterable[str],
                  current: Mapping[str, str]) -> list[str]:
    """Why a report on disk is stale: for each of its ``files``, what changed since it was built.

    Returns ``[]`` for a current report, else lines such as ``"the data changed"`` (all files alike)
    or ``"report.pdf: the template changed"``.
    """
    per_file = {name: changes(built_from.get(name), current) for name in files}
    reasons = {tuple(r) for r in per_file.values()}
    if not per_file or reasons == {()}:
        return []
    if len(reasons) == 1:
        return list(next(iter(reasons)))
    return [f"{name}: {', '.join(r)}" for name, r in per_file.items() if r]


def refresh_command(force_ids: Sequence[str], formats: Sequence[str], out_dir: Path, *, total: int,
                    data_dir: Path | None = None, params_dir: Path | None = None,
                    notebooks_dir: Path | None = None) -> str:
    """The ``peel build`` command that rebuilds the given forces into ``out_dir`` from the given inputs."""
    words = ["peel", "build"]
    words += ["--all"] if len(force_ids) >= total else sorted(force_ids)
    words += ["--to", ",".join(formats)]
    for option, given, default in (("--data", data_dir, default_data()), ("--params", params_dir, default_params()),
                                   ("--notebooks", notebooks_dir, default_notebooks())):
        if given is not None and Path(given).resolve() != Path(default).resolve():
            words += [option, str(given)]
    words += ["--out", str(out_dir)]
    return shlex.join(words)


def report_files(record: ForceRecord) -> list[str]:
    """The files of a force's report on disk that carry a vintage, in :data:`REPORT_FILES` order."""
    names = set(record.files) | {n for n in record.built_from if n in REPORT_FILES}
    return [n for n in REPORT_FILES if n in names]


def assess(records: Mapping[str, ForceRecord], shared: Mapping[str, str],
           params_dir: Path) -> dict[str, list[str]]:
    """``{force_id: reasons}`` for every force whose report on disk is stale (see :func:`stale_reasons`).

    A force with no report on disk (its only build failed) is left out: it has nothing to be stale.
    """
    out: dict[str, list[str]] = {}
    for fid, rec in sorted(records.items()):
        if not rec.files:
            continue
        reasons = stale_reasons(rec.built_from, report_files(rec), force_vintage(shared, params_hash(params_dir, fid)))
        if reasons:
            out[fid] = reasons
    return out


def older_dataset(records: Mapping[str, ForceRecord], shared: Mapping[str, str]) -> list[str]:
    """The forces whose report on disk was built (in any of its files) from another dataset version."""
    return sorted(fid for fid, rec in records.items() if rec.files and any(
        (rec.built_from.get(n) or {}).get("dataset") != shared["dataset"] for n in report_files(rec)))


def stale_formats(records: Mapping[str, ForceRecord], force_ids: Iterable[str],
                  default: Sequence[str]) -> tuple[str, ...]:
    """The formats a rebuild of these forces must make so that each of their files is made again."""
    have = {name.removeprefix("report.") for fid in force_ids if fid in records for name in records[fid].files}
    wanted = tuple(f for f in ("html", "pdf") if f in have)
    return wanted or tuple(default)


def remove_older_format(out: Path, force_id: str, formats: Sequence[str],
                        previous_files: Mapping[str, str]) -> list[str]:
    """After a force's report was rendered in one format alone, remove its other format made from older inputs.

    A ``--to html`` build removes the force's older ``report.pdf`` and a ``--to pdf`` build its older
    ``report.html``, so that no file with an older grade or figure is left beside the new one silently.
    Only a file whose bytes are those the previous build recorded (``previous_files``, ``{name: sha256}``
    of the report record kept before this build) is removed; one the last build did not make, or edited
    since, is left in place and named.

    Parameters
    ----------
    out
        The force's folder (``OUT/<force>``).
    force_id
        The force, as the lines name its files.
    formats
        The formats this build rendered (``("html",)``, ``("pdf",)`` or both: then nothing is removed).
    previous_files
        The files of the report on disk before this build, with their SHA-256.

    Returns
    -------
    list of str
        The lines the build prints about it (none when there was no other format on disk).
    """
    lines: list[str] = []
    for made, other in (("html", "pdf"), ("pdf", "html")):
        path = Path(out) / f"report.{other}"
        if made not in formats or other in formats or not path.is_file():
            continue
        if previous_files.get(path.name) == sha256_file(path):
            path.unlink()
            lines.append(f"removed {force_id}/{path.name}: it was built from older inputs than the new report.{made}")
        else:
            lines.append(f"left {force_id}/{path.name} in place (the last build did not make it, or it was edited "
                         f"since): it may not match the new report.{made}")
    return lines


def stale_line(stale: Mapping[str, Sequence[str]], out_dir: Path, command: str) -> str:
    """The line that ends every build and ``peel status``: how many reports are stale, and the command."""
    if not stale:
        return f"0 stale reports: every report in {display_path(Path(out_dir))} is built from the current inputs"
    n = len(stale)
    return f"{n} stale report{'s' if n != 1 else ''} ({', '.join(sorted(stale))}); to refresh: {command}"
