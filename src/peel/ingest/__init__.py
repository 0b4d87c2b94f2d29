"""``peel import``: the official Home Office and ONS tables into a dataset folder.

One module per table (:mod:`.population`, :mod:`.recorded_crime`, :mod:`.outcomes`, :mod:`.workforce`,
:mod:`.stop_search`), each declaring its layouts as data (:mod:`.layout`) and returning rows in the data
contract; :mod:`.store` writes them with their source. :func:`import_table` is the whole API.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from peel.ingest.reading import IngestError, fail

TABLES = ("population", "recorded-crime", "outcomes", "workforce", "stop-search")
LICENCE = "Open Government Licence v3.0"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


def table_module(table: str) -> ModuleType:
    """The importer module of ``table`` (one of :data:`TABLES`)."""
    from peel.ingest import outcomes, population, recorded_crime, stop_search, workforce
    modules = {"population": population, "recorded-crime": recorded_crime, "outcomes": outcomes,
               "workforce": workforce, "stop-search": stop_search}
    if table not in modules:
        raise fail("TABLE", f"unknown table {table!r}: expected one of {', '.join(TABLES)}")
    return modules[table]


def parse_measures(table: str, given: list[str] | None) -> dict[str, str]:
    """The measure ids to write: the table's defaults, overridden by ``--measure ID`` or ``--measure KIND=ID``."""
    mod = table_module(table)
    measures = dict(mod.MEASURES)
    for item in given or []:
        kind, sep, mid = item.partition("=")
        if not sep:
            if len(measures) != 1:
                raise fail("--measure", f"{item!r}: the {table} table writes {len(measures)} measures: expected "
                                        f"KIND=ID with KIND one of {', '.join(measures)}")
            kind, mid = next(iter(measures)), item
        if kind not in measures:
            raise fail("--measure", f"{item!r}: unknown kind {kind!r}: expected one of {', '.join(measures)}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", mid):
            raise fail("--measure", f"{mid!r} is not a measure id: expected lower-case letters, digits and _")
        measures[kind] = mid
    return measures


def source_id(table: str, path: Path) -> str:
    """``recorded-crime/prc-pfa-mar2013-onwards-tables-230124``: the table and the file's name."""
    stem = path.name.lower()
    for ext in (".csv.gz", ".ods", ".xlsx", ".xls", ".csv"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
            break
    return f"{table}/{re.sub(r'[^a-z0-9]+', '-', stem).strip('-') or 'file'}"


def import_table(table: str, file: str | Path, data_dir: str | Path, *, measures: list[str] | None = None,
                 lookup: str | Path | None = None, year: int | None = None, expect_total: float | None = None,
                 strict: bool = False, force: bool = False, dry_run: bool = False,
                 publication: str | None = None) -> list[str]:
    """Import one published table into a dataset folder.

    Parameters
    ----------
    table
        One of :data:`TABLES`.
    file
        The published file (ODS, XLSX, XLS, CSV or CSV.GZ), official or a declared secondary copy.
    data_dir
        The dataset folder (dataset.yaml, national.csv, population.csv).
    measures
        ``--measure`` values: an id, or ``KIND=ID`` for tables that write several measures.
    lookup
        Population only: the ONS LAD -> PFA lookup CSV (needed for LAD-level files).
    year
        Population only: the mid-year, when the file does not say it.
    expect_total
        A headline total from the publication to check the 43 forces' sum against (latest period).
    strict
        Differences from published totals are errors, not warnings.
    force
        Replace rows of the same measure and period that came from another source.
    dry_run
        Say what would change; write nothing.
    publication
        Override the publication's name recorded in the source entry.

    Returns
    -------
    list of str
        The summary lines to print.

    Raises
    ------
    IngestError
        Naming file, sheet, row and column; the dataset folder is then left untouched.
    """
    from peel.ingest.store import write_import

    path, data_dir = Path(file), Path(data_dir)
    mod = table_module(table)
    chosen = parse_measures(table, measures)
    if not (data_dir / "dataset.yaml").is_file():
        raise fail("--data", f"{data_dir}: no dataset.yaml: expected a dataset folder (see data/README.md)")
    parsed = mod.parse(path, measures=chosen, lookup=None if lookup is None else Path(lookup), year=year,
                       expect_total=expect_total, strict=strict, data_dir=data_dir)
    if not parsed.rows:
        raise fail(path, f"no figures for the 43 forces: expected at least one complete period of the {table} table")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record: dict[str, Any] = {
        "table": table, "publisher": mod.PUBLISHER, "publication": publication or mod.PUBLICATION,
        "file": path.name, "sha256": digest, "sheet": ", ".join(s for s in parsed.sheets if s) or None,
        "licence": LICENCE, "attribution": f"{ATTRIBUTION} ({mod.PUBLISHER})", "layout": parsed.layout.label,
    }
    if parsed.layout.label.startswith("secondary"):
        record["via"] = parsed.layout.label.removeprefix("secondary: ")
    if record["sheet"] is None:
        del record["sheet"]
    sid = source_id(table, path)
    lines = write_import(data_dir, parsed, sid, record, force=force, dry_run=dry_run)
    kinds = ", ".join(chosen.values()) if table != "population" else "population"
    head = [f"{table}: {path.name} ({parsed.layout.label}) -> {kinds}: {len(parsed.rows)} rows, source {sid}"]
    aside = [f"set aside: {label}: {n} rows" for label, n in sorted(parsed.set_aside.items())]
    notes = sum(1 for r in parsed.rows if r.get("note"))
    na = [f"not available: {notes} rows (a missing quarter or N/A in the table; the reason is in the note "
          "column)"] if notes else []
    warn = [f"warning: {w}" for w in parsed.warnings]
    return head + aside + parsed.info + na + warn + lines


__all__ = ["IngestError", "TABLES", "import_table"]
