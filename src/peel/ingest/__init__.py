"""``peel import``: the official Home Office and ONS tables into a dataset folder.

One module per table (:mod:`.population`, :mod:`.recorded_crime`, :mod:`.outcomes`, :mod:`.workforce`,
:mod:`.stop_search`), each declaring its layouts as data (:mod:`.layout`) and returning rows in the data
contract; :mod:`.store` writes them with their source. :func:`import_table` is the whole API.
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from peel.errors import problem
from peel.ingest import outcomes, population, recorded_crime, stop_search, workforce
from peel.ingest.common import Parsed, fy_period
from peel.ingest.editions import edition_of, table_id_of
from peel.ingest.reading import (
    IngestError,
    collecting,
    fail,
    file_digest,
    raise_collected,
    read_dataset_file,
    report,
)
from peel.ingest.store import write_import
from peel.inputs.forces import force_ids
from peel.inputs.periods import parse_period
from peel.lock import OutputLock

TABLES = ("population", "recorded-crime", "outcomes", "workforce", "stop-search")
LICENCE = "Open Government Licence v3.0"
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


def table_module(table: str) -> ModuleType:
    """The importer module of ``table`` (one of :data:`TABLES`)."""
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


#: How long an import waits for another import into the same dataset folder to finish (seconds).
LOCK_WAIT = 60.0
LOCK_NAME = ".import.lock"


def parse_exclusions(given: list[str] | None) -> dict[tuple[str, str], str]:
    """``--exclude FORCE:PERIOD=REASON`` values as (force id, ISO period) -> reason.

    PERIOD is a financial year (``2019/20``) or an ISO 8601 interval (``2019-04-01/2020-03-31``).
    """
    out: dict[tuple[str, str], str] = {}
    for item in given or []:
        where, sep, reason = item.partition("=")
        force, colon, period = where.partition(":")
        force, period, reason = force.strip(), period.strip(), " ".join(reason.split())
        if not (sep and colon and reason):
            raise fail("--exclude", f"{item!r}: expected FORCE:PERIOD=REASON, such as "
                                    "'greater-manchester:2019/20=no data supplied from July 2019 to March 2020'")
        if force not in force_ids():
            raise fail("--exclude", f"{force!r} is not a force id: expected one of 'peel forces'")
        fy = re.fullmatch(r"(\d{4})/(\d{2})", period)
        try:
            iso = fy_period(int(fy.group(1))) if fy else parse_period(period).iso
        except (ValueError, KeyError):
            iso = ""
        if not iso or (fy and (int(fy.group(1)) + 1) % 100 != int(fy.group(2))):
            raise fail("--exclude", f"{period!r} is not a period: expected a financial year such as 2019/20 or "
                                    "an ISO 8601 interval such as 2019-04-01/2020-03-31")
        out[(force, iso)] = reason
    return out


def refuse_demonstration(data_dir: Path) -> None:
    """Refuse a dataset that declares itself demonstration data (``demonstration: true`` in dataset.yaml):
    published figures and synthetic ones are never mixed in one dataset."""
    path = data_dir / "dataset.yaml"
    text = read_dataset_file(path)
    if text is None:
        raise fail("--data", f"{data_dir}: no dataset.yaml: expected a dataset folder (see data/README.md)")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise fail(path, f"cannot be read ({' '.join(str(e).split())[:200]}): fix it first ('peel validate')") from None
    demo = doc.get("demonstration") if isinstance(doc, dict) else None
    if demo is not False:
        said = "true: a demonstration dataset (synthetic figures)" if demo is True else \
            f"{'not given' if demo is None else repr(demo)}"
        raise IngestError(problem(path, "demonstration", f"{said}: expected false, a dataset of published figures "
                                  "only, so that published and synthetic figures are never mixed; import into "
                                  "data/real or a new dataset folder (see data/README.md)"))


def _only_with_population(data_dir: Path, rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], str | None]:
    """The rows whose period's midpoint year has an ONS population estimate in the dataset, and what was
    left out (``None`` when nothing was)."""
    text = read_dataset_file(data_dir / "population.csv") or ""
    years = {r.get("year", "").strip() for r in csv.DictReader(io.StringIO(text, newline=""))}
    kept: list[dict[str, str]] = []
    left: list[dict[str, str]] = []
    for r in rows:
        (kept if str(parse_period(r["period"]).midpoint_year) in years else left).append(r)
    if not left:
        return kept, None
    periods = sorted({r["period"] for r in left})
    return kept, (f"{len(left)} rows whose period has no ONS mid-year population estimate in the dataset "
                  f"(--only-with-population): {', '.join(periods)}")


def import_table(table: str, file: str | Path, data_dir: str | Path, *, measures: list[str] | None = None,
                 lookup: str | Path | None = None, year: int | None = None, expect_total: float | None = None,
                 strict: bool = True, force: bool = False, dry_run: bool = False,
                 publication: str | None = None, exclude: list[str] | None = None,
                 only_with_population: bool = False, edition: str | None = None, table_id: str | None = None,
                 current: bool = False, lock_wait: float = LOCK_WAIT) -> list[str]:
    """Import one published table into a dataset folder.

    Nothing is written unless every check passes: each bad cell (text, true/false, not finite, out of
    range, negative in a table of yearly totals), each row given twice and each total that does not
    add up is listed, with file, sheet, row and column, in one error.

    Parameters
    ----------
    table
        One of :data:`TABLES`.
    file
        The published file (ODS, XLSX, XLS, CSV or CSV.GZ, told apart by content), official or a
        declared secondary copy.
    data_dir
        The dataset folder (dataset.yaml, national.csv, population.csv); its dataset.yaml must declare
        ``demonstration: false``.
    measures
        ``--measure`` values: an id, or ``KIND=ID`` for tables that write several measures.
    lookup
        Population only: the ONS LAD -> PFA lookup CSV (needed for LAD-level files).
    year
        Population only: the mid-year, when the file does not say it.
    expect_total
        A headline total from the publication to check the 43 forces' sum against (latest period).
    strict
        Differences from published totals are errors (the default); ``False`` makes them warnings.
    force
        Replace rows of the same measure and period that came from another source.
    dry_run
        Say what would change; write nothing.
    publication
        Override the publication's name recorded in the source entry.
    exclude
        ``--exclude FORCE:PERIOD=REASON`` values: that force's figure for that period is written as not
        available, with the reason in its note (and in the source entry's ``excluded``).
    only_with_population
        Leave out rows whose period's midpoint year has no population estimate in the dataset (said in
        the source entry's ``left_out``).
    edition
        The date the edition was published (``YYYY-MM-DD``); by default the date the file's name ends
        with (``-230124``), if any (:mod:`peel.ingest.editions`).
    table_id
        The table's name across its editions; by default the file's name less its edition date.
    current
        Make this edition's figures current even where a later edition of the table supplies them.
    lock_wait
        Seconds to wait for another import into the same folder to finish before refusing.

    Returns
    -------
    list of str
        The summary lines to print.

    Raises
    ------
    IngestError
        Naming file, sheet, row and column; the dataset folder is then left untouched.
    OutputFolderError
        Another import holds the dataset folder (naming it) for longer than ``lock_wait``.
    """
    path, data_dir = Path(file), Path(data_dir)
    mod = table_module(table)
    dated, tid = edition_of(path, edition), table_id_of(path, table_id)
    chosen = parse_measures(table, measures)
    excluded = parse_exclusions(exclude)
    if only_with_population and table == "population":
        raise fail("--only-with-population", "given with the population table: expected it with a table of figures "
                                             "whose rates need the population")
    refuse_demonstration(data_dir)
    with OutputLock(data_dir, sys.stderr, name=LOCK_NAME, what="dataset folder", option="--data",
                    busy="another peel import is writing to this dataset", wait=lock_wait,
                    advice="wait for it to finish and run this import again", remove=True):
        with collecting():
            parsed = mod.parse(path, measures=chosen, lookup=None if lookup is None else Path(lookup), year=year,
                               expect_total=expect_total, strict=strict, data_dir=data_dir)
            check_rows(path, parsed)
            raise_collected()
        if not parsed.rows:
            raise fail(path, f"no figures for the 43 forces: expected at least one complete period of the {table} "
                             "table")
        record = _record(table, path, mod, parsed, publication, tid, dated)
        if excluded:
            parsed.rows = _exclude(path, parsed.rows, excluded)
            record["excluded"] = {f"{f} {p}": reason for (f, p), reason in sorted(excluded.items())}
        if only_with_population:
            parsed.rows, left = _only_with_population(data_dir, parsed.rows)
            if left:
                record["left_out"] = left
        sid = source_id(table, path)
        lines = write_import(data_dir, parsed, sid, record, force=force, dry_run=dry_run, current=current)
    kinds = ", ".join(chosen.values()) if table != "population" else "population"
    head = [f"{table}: {path.name} ({parsed.layout.label}) -> {kinds}: {len(parsed.rows)} rows, source {sid}",
            f"edition: table {tid}, " + (f"published {dated}" if dated else "not dated (give --edition YYYY-MM-DD: "
                                                                          "the date the edition was published)")]
    aside = [f"set aside: {label}: {n} rows" for label, n in sorted(parsed.set_aside.items())]
    notes = sum(1 for r in parsed.rows if r.get("note"))
    na = [f"not available: {notes} rows (a missing quarter or N/A in the table, or --exclude; the reason is in "
          "the note column)"] if notes else []
    left_out = [f"left out: {record['left_out']}"] if "left_out" in record else []
    warn = [f"warning: {w}" for w in parsed.warnings]
    return head + aside + parsed.info + na + left_out + warn + lines


def _record(table: str, path: Path, mod: ModuleType, parsed: Parsed, publication: str | None, table_id: str,
            edition: str | None) -> dict[str, Any]:
    """The source entry of ``dataset.yaml`` (its ``rows`` and ``edition_rows`` are added when written)."""
    digest = file_digest(path)
    record: dict[str, Any] = {
        "table": table, "publisher": mod.PUBLISHER, "publication": publication or mod.PUBLICATION,
        "table_id": table_id, "edition": edition, "file": path.name, "sha256": digest,
        "sheet": ", ".join(s for s in parsed.sheets if s) or None,
        "licence": LICENCE, "attribution": f"{ATTRIBUTION} ({mod.PUBLISHER})", "layout": parsed.layout.label,
    }
    if parsed.layout.label.startswith("secondary"):
        record["via"] = parsed.layout.label.removeprefix("secondary: ")
    for key in ("sheet", "edition"):
        if record[key] is None:
            del record[key]
    return record


def _exclude(path: Path, rows: list[dict[str, str]], excluded: dict[tuple[str, str], str]) -> list[dict[str, str]]:
    """The rows with each excluded force and period emptied and given its reason as the note."""
    out, found = [], set()
    for r in rows:
        key = (r.get("force_id", ""), r.get("period", ""))
        if key in excluded:
            found.add(key)
            r = dict(r, value="", numerator="", denominator="", note=excluded[key])
        out.append(r)
    missing = [f"{f} {p}" for f, p in excluded if (f, p) not in found]
    if missing:
        raise fail("--exclude", f"no figure for {', '.join(missing)} in {path.name}: expected a force and period "
                                "the table gives")
    return out


def check_rows(path: Path, parsed: Parsed) -> None:
    """The rows to be written, checked once more: one per force and period (or year), and every figure a
    finite number of 0 or more (reported, see :func:`peel.ingest.reading.report`)."""
    keys = ("force_id", "year") if parsed.table == "population" else ("force_id", "measure", "period")
    seen: set[tuple[str, ...]] = set()
    for r in parsed.rows:
        key = tuple(r.get(k, "") for k in keys)
        if key in seen:
            report(fail(path, f"two figures for {' '.join(key)}: expected one per force and "
                              f"{'year' if parsed.table == 'population' else 'measure and period'}"))
        seen.add(key)
        for col in ("population", "value", "numerator", "denominator"):
            text = r.get(col, "")
            if not text:
                continue
            try:
                x = float(text)
            except ValueError:
                x = float("nan")
            if not math.isfinite(x) or x < 0:
                report(fail(path, f"{' '.join(key)}: {col} {text!r}: expected a finite number of 0 or more"))


__all__ = ["TABLES", "import_table"]
