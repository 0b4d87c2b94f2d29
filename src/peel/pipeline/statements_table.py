"""The statements table: every statement of every report in the output folder, as CSV and Parquet.

Each force's statements are written beside its report, ``OUT/<force>/statements.json``, from the
same executed notebooks the report was stitched from and renamed into place with it (see
:func:`peel.pipeline.force.build_force`): a force whose build failed keeps its previous report and its
previous statements together. ``OUT/statements.csv`` gathers them for every force with a report, in
the reference order of the forces, and adds the dataset's version and the build id.
``OUT/statements.parquet`` holds the same rows with typed columns (numbers as float64, decimals as
int64, the rest as text written as in the CSV), for pandas, R's arrow and DuckDB.

Text a spreadsheet would run as a formula (``=SUM(A1)``, ``-1 officers``) is written to the CSV with a
leading apostrophe (:func:`~peel.files.spreadsheet_safe`); the Parquet file keeps the text as the
notebooks stated it, since no spreadsheet opens Parquet and its readers take cells as data.

Both ids are content hashes, not clocks, so the same inputs give a byte-identical table.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from peel.analysis.statements import COLUMNS, notebook_statements
from peel.files import atomic_write, read_input, spreadsheet_safe
from peel.inputs.forces import all_forces

#: Each force's statements, beside its report.
STATEMENTS_JSON = "statements.json"

#: The statements of every report, at the top of the output folder.
STATEMENTS_CSV = "statements.csv"

#: The same rows with typed columns, beside it.
STATEMENTS_PARQUET = "statements.parquet"

#: The columns of ``statements.csv`` (and of the Parquet file).
CSV_COLUMNS = (*COLUMNS, "dataset_version", "build_id")

#: Columns of numbers in the Parquet file (float64); ``decimals`` is a whole number (int64).
NUMBER_COLUMNS = ("value", "coverage", "england_and_wales", "mean", "sd", "lower", "upper")
WHOLE_COLUMNS = ("decimals",)


def statements_json(notebooks: Iterable[Any]) -> str:
    """The statement records of a report's executed notebooks, as the JSON written beside the report."""
    records = [r for nb in notebooks for r in notebook_statements(nb)]
    return json.dumps({"statements": records}, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def read_force_statements(out_dir: Path, force_id: str) -> list[dict[str, Any]]:
    """A force's statement records (empty when it has no report, or one made before statements)."""
    path = Path(out_dir) / force_id / STATEMENTS_JSON
    try:
        doc = json.loads(read_input(path).decode("utf-8"))
    except (OSError, ValueError):
        return []
    records = doc.get("statements", []) if isinstance(doc, dict) else []
    return [r for r in records if isinstance(r, dict)]


def cell(value: Any) -> str:
    """A value as the CSV writes it: numbers in full (``repr``, so they read back exactly), None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def csv_cell(value: Any) -> str:
    """A value as ``statements.csv`` writes it: :func:`cell`, with text a spreadsheet would run as a
    formula neutralised (:func:`~peel.files.spreadsheet_safe`); numbers stay numbers."""
    return spreadsheet_safe(value) if isinstance(value, str) else cell(value)


def statements_csv(records: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of statement records (header first, ``\\n`` line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow([csv_cell(r.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


def write_statements(out_dir: Path, *, build_id: str, dataset_version: str,
                     force_ids: Iterable[str] | None = None) -> Path:
    """Write ``OUT/statements.csv`` from every force's ``statements.json`` and return its path.

    Parameters
    ----------
    out_dir
        The output folder.
    build_id
        The id of this build (a hash of its inputs).
    dataset_version
        The version of the national data (a hash of its files).
    force_ids
        The forces to include (default: every one of the 43 that has statements in the folder).
    """
    out_dir = Path(out_dir)
    wanted = set(force_ids) if force_ids is not None else None
    rows: list[dict[str, Any]] = []
    for force in all_forces():
        if wanted is not None and force.id not in wanted:
            continue
        for r in read_force_statements(out_dir, force.id):
            rows.append({**r, "dataset_version": dataset_version, "build_id": build_id})
    path = out_dir / STATEMENTS_CSV
    atomic_write(out_dir / STATEMENTS_PARQUET, statements_parquet(rows))
    atomic_write(path, statements_csv(rows))
    return path


def statements_parquet(records: Iterable[Mapping[str, Any]]) -> bytes:
    """The Parquet bytes of statement records: the CSV's columns, typed (see :data:`NUMBER_COLUMNS`).

    Text columns hold what the CSV cell holds, without the apostrophe the CSV puts before text a
    spreadsheet would run as a formula; a missing value is null. No clock and no path goes
    into the file, so the same records give the same bytes.
    """
    rows = list(records)
    columns = {}
    for c in CSV_COLUMNS:
        values = [r.get(c) for r in rows]
        if c in NUMBER_COLUMNS:
            columns[c] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        elif c in WHOLE_COLUMNS:
            columns[c] = pa.array([None if v is None else int(v) for v in values], pa.int64())
        else:
            columns[c] = pa.array([None if v is None else cell(v) for v in values], pa.string())
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())
