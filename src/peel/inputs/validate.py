"""``peel validate``: check every input against the data contract before any notebook runs.

Runs :func:`peel.inputs.dataset.check_dataset` (which includes :func:`peel.inputs.catalogue.check_catalogue`) on the
national data folder and :func:`peel.inputs.inspection.check_params` on the per-force inspection inputs,
and reports every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from peel.errors import InputError, Problem
from peel.files import read_input
from peel.inputs.areas import load_report
from peel.inputs.catalogue import load_not_available
from peel.inputs.coverage import coverage, partial_warnings, period_warnings
from peel.inputs.dataset import CATALOGUE_FILE, _check_and_read
from peel.inputs.forces import force_ids
from peel.inputs.inspection import check_params
from peel.inputs.provenance import edition_warnings
from peel.paths import notebooks_dir


def _report(notebooks: Path, problems: list[Problem]) -> Any:
    """The report structure (ordered areas) from ``notebooks/report.yaml``, or None with its problems.

    The notebooks themselves are not required here: validation is about the inputs, and a build
    checks that every area's notebook exists.
    """
    try:
        return load_report(notebooks, check_notebooks=False)
    except InputError as e:
        problems.extend(e.problems)
        return None


def validate_all(data_dir: str | Path, params_dir: str | Path, notebooks: str | Path | None = None,
                 warnings: list[str] | None = None) -> str:
    """Check the national data folder and the inspection inputs.

    Parameters
    ----------
    data_dir
        Folder with dataset.yaml, measures.yaml, national.csv and population.csv.
    params_dir
        Folder with one ``<force_id>.yaml`` of inspection inputs per force.
    notebooks
        Folder holding report.yaml (default: the project's notebooks folder).
    warnings
        When given, the warnings are appended to it too (a force with no row for a measure and
        period that other forces have, :func:`peel.inputs.coverage.coverage`; every partial force-period,
        :func:`peel.inputs.coverage.partial_warnings`); they are also in the summary.

    Returns
    -------
    str
        A short summary of what was checked.

    Raises
    ------
    InputError
        Listing every problem found in any file.
    """
    data_dir, params_dir = Path(data_dir), Path(params_dir)
    problems: list[Problem] = []
    report = _report(Path(notebooks) if notebooks is not None else notebooks_dir(), problems)
    area_ids = [a.id for a in report.areas] if report is not None else None
    found, dataset = _check_and_read(data_dir, area_ids)
    problems.extend(found)
    warned: list[str] = []
    if dataset is not None:
        gaps, warned = coverage(dataset)
        warned += partial_warnings(dataset)
        warned += edition_warnings(data_dir, dataset.info)
        if report is not None and report.reference_period is not None:
            warned += period_warnings(dataset, report.reference_period)
        problems.extend(gaps)
        if warnings is not None:
            warnings.extend(warned)
    if dataset is not None:
        measure_ids: Any = dict(dataset.catalogue)
    else:
        measure_ids = {m: None for m in _measure_ids_if_readable(data_dir / CATALOGUE_FILE)}
    # Findings may cite measures the dataset lists as not available (they are shown without a chart).
    measure_ids.update({m: None for m in load_not_available(data_dir / CATALOGUE_FILE) if m not in measure_ids})

    if report is not None:
        problems.extend(check_params(params_dir, report, measure_ids, list(force_ids())))
    if problems:
        raise InputError(problems)
    assert dataset is not None
    n_forces = dataset.national["force_id"].nunique()
    param_files = sorted(params_dir.glob("*.yaml"))
    lines = [
        f"{data_dir}: {len(dataset.catalogue)} measures, {len(dataset.national)} rows for {n_forces} forces"
        + (f" ({dataset.ignored_rows} British Transport Police rows ignored)" if dataset.ignored_rows else "")
        + f"; population for {dataset.population['year'].min()} to {dataset.population['year'].max()}",
        f"{params_dir}: inspection inputs for {len(param_files)} forces",
    ]
    if dataset.info.demonstration:
        lines.append(f"demonstration data: {dataset.info.notice}")
    if dataset.info.sources:
        lines.append(f"sources: {len(dataset.info.sources)} ({', '.join(dataset.info.sources)})")
    if dataset.groups is not None:
        g = dataset.groups
        lines.append(f"groups of most similar forces: {len(set(g.of.values()))} ({g.title}"
                     f"{'; illustrative, not a published grouping' if g.illustrative else ''})")
    lines += [f"warning: {w}" for w in warned]
    lines.append(f"no problems found{f' ({len(warned)} warnings)' if warned else ''}")
    return "\n".join(lines)


def _measure_ids_if_readable(path: Path) -> list[str]:
    """Measure ids from a catalogue that has problems, so params can still be checked against them."""
    try:  # through the bounded reader: a FIFO in the catalogue's place is refused, not waited on
        doc = yaml.safe_load(read_input(path).decode("utf-8"))
        return [str(k) for k in doc["measures"]]
    except Exception:  # the catalogue's own problems are already reported
        return []
