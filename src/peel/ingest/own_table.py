"""``peel import csv``: an analyst's own table of one measure, by force and period, into a dataset folder.

The table is a CSV file (or an XLSX or ODS sheet) with a header row naming at least a force column, a
period column and the figures (see :data:`LAYOUT`). Forces may be written as published ("Metropolitan
Police", "Avon & Somerset", "London, City of"), in common variants ("Met", "Devon and Cornwall Police")
or as ONS codes (E23…/W15…): :func:`peel.ingest.forces.resolve`. Periods may be written "2022/23",
"year ending March 2023", "31 March 2023" or as ISO dates: :func:`peel.inputs.periods.period_from_text`.

The source's name, its licence and whether it is official statistics are required (there is no default:
an analyst's table may be anything from a force's own return to a survey), recorded in the dataset's
``sources:`` and shown beside every chart and table of the measure when it is not official
(:mod:`peel.analysis.provenance`). The same rules as the other imports apply: a dataset of published
figures only (never the demonstration's), every bad cell reported at once, whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from peel.ingest import LOCK_NAME, LOCK_WAIT, check_rows, refuse_demonstration
from peel.ingest import source_id as table_source_id
from peel.ingest.common import Parsed
from peel.ingest.forces import resolve
from peel.ingest.layout import MISSING_SPELLINGS, Column, Layout, cell_text, fold, parse_count
from peel.ingest.reading import (
    IngestError,
    Sheet,
    collecting,
    fail,
    file_digest,
    raise_collected,
    read_sheets,
    report,
)
from peel.ingest.store import write_import
from peel.inputs.catalogue import POPULATION_UNITS, Measure, load_catalogue, load_not_available
from peel.inputs.dataset import CATALOGUE_FILE
from peel.inputs.periods import Period, period_from_text
from peel.lock import OutputLock

#: The ``table`` of an own table's source entry in dataset.yaml.
TABLE = "own"

#: What messages call the table.
WHAT = "analyst's own"

#: The header an own table may have: each column's accepted spellings (case and spaces do not matter).
LAYOUT = Layout(
    id="own", label="own table", sheets=None, annual=True, totals=True,
    columns=(
        Column("force", ("force", "force name", "force_name", "force id", "force_id", "police force",
                         "police force area", "pfa", "pfa name", "pfa code", "force area", "area", "area name",
                         "area code", "ons code", "code", "geography", "geography code")),
        Column("period", ("period", "year", "financial year", "date", "as at", "year ending", "period ending",
                          "time period", "reporting period")),
        Column("value", ("value", "figure", "rate", "percentage", "percent"), required=False),
        Column("numerator", ("numerator", "count", "number", "total"), required=False),
        Column("denominator", ("denominator", "base", "out of"), required=False),
    ),
)

FIGURES = ("value", "numerator", "denominator")


def layout_with(columns: list[str] | None) -> Layout:
    """:data:`LAYOUT` with the headers ``--column KEY=HEADER`` names (``numerator=Arrests``) accepted too.

    Raises
    ------
    IngestError
        A value not of the form KEY=HEADER, or a KEY that is not one of the layout's columns.
    """
    extra: dict[str, str] = {}
    keys = [c.key for c in LAYOUT.columns]
    for item in columns or []:
        key, sep, header = item.partition("=")
        key, header = key.strip(), header.strip()
        if not sep or not header:
            raise fail("--column", f"{item!r}: expected KEY=HEADER, such as numerator=Arrests")
        if key not in keys:
            raise fail("--column", f"{item!r}: unknown column {key!r}: expected one of {', '.join(keys)}")
        extra[key] = header
    if not extra:
        return LAYOUT
    return replace(LAYOUT, columns=tuple(
        replace(c, spellings=(extra[c.key], *c.spellings)) if c.key in extra else c for c in LAYOUT.columns))


@dataclass(frozen=True)
class OwnSource:
    """What an analyst says about where a table came from.

    Attributes
    ----------
    name
        Who publishes or holds the figures ("Kent Police performance team").
    licence
        Its licence or terms of use ("Open Government Licence v3.0", "internal use only").
    official
        Whether the figures are official statistics (the Code of Practice for Statistics' sense).
    publication
        The publication or dataset's title, if it has one.
    """

    name: str
    licence: str
    official: bool
    publication: str | None = None


def own_source(name: str | None, licence: str | None, official: bool | None,
               publication: str | None = None) -> OwnSource:
    """The source from the command's options; each is required (none has a default to fall back on).

    Raises
    ------
    IngestError
        Naming every option missing and what it is for.
    """
    missing = []
    if not (name or "").strip():
        missing.append(fail("--source", "missing: expected the source's name, who publishes or holds the figures "
                                        "(such as --source 'Kent Police performance team')"))
    if not (licence or "").strip():
        missing.append(fail("--licence", "missing: expected the licence or terms the figures may be used under "
                                         "(such as --licence 'Open Government Licence v3.0')"))
    if official is None:
        missing.append(fail("--official", "missing: expected --official when the figures are official statistics, "
                                          "or --not-official, which every chart and table of them then says (there is "
                                          "no default)"))
    if missing:
        raise IngestError([p for e in missing for p in e.problems])
    return OwnSource(" ".join(str(name).split()), " ".join(str(licence).split()), bool(official),
                     " ".join(publication.split()) if publication else None)


def undeclared_measure(catalogue: Path, measure: str, areas: list[str]) -> str:
    """How to declare ``measure`` in the catalogue: the entry to add, with every field it needs."""
    return (f"{measure!r} is not in the measure catalogue: declare it first, then import again. Add an entry under "
            f"'measures:' in {catalogue.name} (data/README.md, 'Adding a measure'; the file's header says what each "
            "field means), such as:\n"
            f"  {measure}:\n"
            "    title: What the figure is, as a table heading\n"
            f"    area: {areas[0] if areas else 'police_powers'}"
            f"{'   # one of ' + ', '.join(areas) if areas else ''}\n"
            "    unit: count                # count | percent | per_1000_population | gbp_per_1000_population\n"
            "    decimals: 0\n"
            "    period: 2022-04-01/2023-03-31   # the period the report quotes, as an ISO interval\n"
            "    source: Who publishes it, and its licence (printed under every chart and table)\n"
            "    figure_title: What the chart shows, forces in England and Wales\n"
            "    compare: band              # band | group | standard | none\n"
            "    england_and_wales: pooled  # pooled | mean | none\n"
            '    statement: "In {period}, {force} recorded {value} of these."')


def _number(x: float) -> str:
    """A figure as plain text: whole numbers without ``.0``, others as written (no rounding)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and cell != cell) or (isinstance(cell, str) and not cell.strip())


def _period(cell: object) -> str:
    """The ISO period of a period cell (a spreadsheet's date cell is that day)."""
    if isinstance(cell, dt.datetime):
        cell = cell.date()
    if isinstance(cell, dt.date):
        return Period(cell, cell).iso
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        raise ValueError(f"{cell_text(cell)!r} is a number, not a period: expected a period such as 2022/23, "
                         "year ending March 2023, 31 March 2023 or 2023-03-31")
    return period_from_text(cell).iso


def _needs(path: Path, sheet: Sheet, measure: Measure, layout: Layout) -> None:
    """The figure columns the measure's unit needs, present (and none it cannot use)."""
    have = {k for k in FIGURES if k in sheet.frame}
    spelt = {c.key: " or ".join(repr(s) for s in c.spellings[:2]) for c in layout.columns}
    found = ", ".join(repr(h) for h in sheet.headers.values())
    where = f"{measure.id} ({measure.unit})"
    if measure.unit in POPULATION_UNITS:
        if "numerator" not in have:
            report(fail(path, f"no count column for {where}: a rate per 1,000 population is worked out from its "
                              f"count and the ONS population, so expected a column {spelt['numerator']} (columns "
                              f"found: {found}; --column numerator=HEADER reads another)", sheet.name or None))
        if "denominator" in have:
            report(fail(path, f"a denominator column for {where}: expected none (the population comes from "
                              "population.csv)", sheet.name or None, None, sheet.headers["denominator"]))
    elif measure.unit == "percent":
        if "value" not in have and not {"numerator", "denominator"} <= have:
            report(fail(path, f"no figures for {where}: expected a column {spelt['value']}, or both "
                              f"{spelt['numerator']} and {spelt['denominator']} (columns found: {found}; "
                              "--column value=HEADER reads another)", sheet.name or None))
        elif ("numerator" in have) != ("denominator" in have):
            lone = "numerator" if "numerator" in have else "denominator"
            report(fail(path, f"a {lone} column without its {'denominator' if lone == 'numerator' else 'numerator'} "
                              f"for {where}: expected both or neither", sheet.name or None, None, sheet.headers[lone]))
    else:
        if not have & {"value", "numerator"}:
            report(fail(path, f"no figures for {where}: expected a column {spelt['value']} or {spelt['numerator']} "
                              f"(columns found: {found}; --column value=HEADER reads another)", sheet.name or None))
        if "denominator" in have:
            report(fail(path, f"a denominator column for {where}: expected none (a {measure.unit} has no "
                              "denominator)", sheet.name or None, None, sheet.headers["denominator"]))


def _figure(path: Path, sheet: Sheet, row: int, key: str, cell: object, measure: Measure) -> float | None | str:
    """A figure cell as a number, ``"n/a"`` for a figure written as not available, or ``None`` when bad
    (reported)."""
    column = sheet.headers[key]

    def bad(message: str) -> None:
        report(fail(path, message, sheet.name or None, row, column))

    if _blank(cell):
        bad("empty: expected a number (write N/A for a figure that was not supplied)")
        return None
    if isinstance(cell, str) and (fold(cell) in MISSING_SPELLINGS or fold(cell).startswith("n/a")):
        return "n/a"
    x, ok = parse_count(cell)
    if not ok or x is None:
        what = "a true/false cell" if isinstance(cell, bool) else "not a number"
        bad(f"{cell_text(cell)!r} is {what}: expected a number such as 1234, 1,234 or 12.5 (without % or £)")
        return None
    if not math.isfinite(x):
        bad(f"{cell_text(cell)!r} is not a finite number: expected a number such as 1234")
        return None
    if x < 0:
        bad(f"{cell_text(cell)} is negative: expected {'a count' if key != 'value' else 'a figure'} of 0 or more")
        return None
    counts = key == "denominator" or (key == "numerator" and measure.numerator_unit == "count"
                                      and measure.unit != "gbp_per_1000_population")
    if counts and not x.is_integer():
        bad(f"{cell_text(cell)} is not a whole number: expected a count")
        return None
    if key == "value" and measure.unit == "percent" and x > 100:
        bad(f"{cell_text(cell)} is over 100: expected a percentage from 0 to 100")
        return None
    return x


def parse(path: Path, measure: Measure, layout: Layout = LAYOUT) -> Parsed:
    """The rows of ``measure`` in the own table at ``path``, in the ``national.csv`` contract.

    Every bad cell, unknown force, unreadable period and force and period given twice is reported
    (:func:`peel.ingest.reading.report`) with its file, sheet, row and column.
    """
    try:
        sheets = read_sheets(path, [layout], WHAT)
    except IngestError as e:
        # A header of other names is the usual reason: say how to name the columns.
        raise IngestError([replace(p, message=f"{p.message}; a column of another name is read with --column "
                                               "KEY=HEADER, such as --column period='Reporting year'")
                           if "header" in p.message else p for p in e.problems]) from None
    set_aside: Counter[str] = Counter()
    rows: list[dict[str, str]] = []
    seen: dict[tuple[str, str], tuple[Sheet, int, str, str]] = {}
    for sheet in sheets:
        _needs(path, sheet, measure, layout)
        raise_collected()
        frame = sheet.frame
        have = [k for k in FIGURES if k in frame]
        for i in frame.index:
            n = sheet.row_at(i)
            name = frame.at[i, "force"]
            fid = ""
            if _blank(name):
                report(fail(path, "empty: expected a police force area's name or ONS code", sheet.name or None, n,
                            sheet.headers["force"]))
            else:
                try:
                    got = resolve(name)
                except KeyError as e:
                    report(fail(path, e.args[0], sheet.name or None, n, sheet.headers["force"]))
                else:
                    if not isinstance(got, str):
                        set_aside[got[0]] += 1
                        continue
                    fid = got
            period = ""
            cell = frame.at[i, "period"]
            if _blank(cell):
                report(fail(path, "empty: expected a period such as 2022/23", sheet.name or None, n,
                            sheet.headers["period"]))
            else:
                try:
                    period = _period(cell)
                except ValueError as e:
                    report(fail(path, str(e), sheet.name or None, n, sheet.headers["period"]))
            figures = {k: _figure(path, sheet, n, k, frame.at[i, k], measure) for k in have}
            if not fid or not period:
                continue
            key = (fid, period)
            if key in seen:
                first_sheet, first, first_name, first_period = seen[key]
                of = f" of sheet {first_sheet.name!r}" if first_sheet is not sheet else ""
                report(fail(path, f"{cell_text(name)!r} {cell_text(cell)!r} is the force and period of row {first}{of} "
                                  f"({first_name!r} {first_period!r}) again: expected one figure per force and "
                                  "period (figures given twice are never added up; remove one row)",
                            sheet.name or None, n, sheet.headers["force"]))
                continue
            seen[key] = (sheet, n, cell_text(name), cell_text(cell))
            if any(v is None for v in figures.values()):
                continue
            rows.append(_row(path, sheet, n, measure, fid, period, figures))
    raise_collected()
    if not rows:
        raise fail(path, f"no rows for the 43 forces: expected at least one row of {measure.id} for a police force "
                         "area", sheets[0].name or None)
    # The source entry's layout says which of the file's columns were read as what.
    read = ", ".join(f"{k} {h!r}" for k, h in sheets[0].headers.items())
    parsed = Parsed(TABLE, rows, replace(layout, label=f"{LAYOUT.label}: {read}"), [s.name for s in sheets],
                    set_aside)
    periods = {r["period"] for r in rows}
    if measure.period.iso not in periods:
        parsed.warnings.append(f"no figures for the period the catalogue quotes for {measure.id} "
                               f"({measure.period.iso}); the file's periods are {', '.join(sorted(periods))}: "
                               "'peel validate' refuses a measure with no rows for the period it quotes, so change "
                               "the catalogue's period or import that period's figures")
    return parsed


def _row(path: Path, sheet: Sheet, n: int, measure: Measure, fid: str, period: str,
         figures: dict[str, float | None | str]) -> dict[str, str]:
    """One ``national.csv`` row; a row whose figures are all "N/A" is written as not available."""
    row = {"force_id": fid, "measure": measure.id, "period": period, "value": "", "numerator": "",
           "denominator": "", "note": ""}
    given = {k: v for k, v in figures.items() if isinstance(v, float)}  # the caller passes no bad (None) cell
    if not given:
        row["note"] = f"not available: N/A in {path.name}"
        return row
    if len(given) < len(figures):
        lone = next(k for k in figures if k not in given)
        report(fail(path, "N/A beside figures in the same row: expected every figure of the row, or N/A in all of "
                          "them for a figure that was not supplied", sheet.name or None, n, sheet.headers[lone]))
        return row
    for k, v in given.items():
        row[k] = _number(v)
    num, den = given.get("numerator"), given.get("denominator")
    if num is not None and den is not None and num > den:
        report(fail(path, f"numerator {_number(num)} is larger than denominator {_number(den)}: expected a part of "
                          "the whole", sheet.name or None, n, sheet.headers["numerator"]))
    return row


def source_id(measure: str, path: Path) -> str:
    """``own/stop_search_arrests/kent-arrests-2023``: the measure and the file's name (one file may feed
    several measures, each import replacing only its own rows)."""
    return f"{TABLE}/{measure}/{table_source_id(TABLE, path).removeprefix(TABLE + '/')}"


def import_own_table(file: str | Path, data_dir: str | Path, *, measure: str, source: str | None,
                     licence: str | None, official: bool | None, publication: str | None = None,
                     columns: list[str] | None = None, force: bool = False, dry_run: bool = False,
                     lock_wait: float | None = None) -> list[str]:
    """Import an analyst's own table of one measure into a dataset folder.

    Parameters
    ----------
    file
        The table: CSV (UTF-8 or Windows-1252), XLSX or ODS, one header row (:data:`LAYOUT`, and ``columns``).
    data_dir
        The dataset folder; its dataset.yaml must declare ``demonstration: false`` and its
        measures.yaml must declare ``measure``.
    measure
        The measure id the figures are of.
    source, licence, official
        Who publishes or holds the figures, their licence, and whether they are official statistics:
        all three required.
    publication
        The publication's or dataset's title, when it has one.
    columns
        ``--column KEY=HEADER`` values: a header of the file to read as that column (``numerator=Arrests``),
        besides the spellings :data:`LAYOUT` accepts.
    force
        Replace rows of the same force, measure and period that came from another source.
    dry_run
        Say what would change; write nothing.
    lock_wait
        Seconds to wait for another import into the same folder (default :data:`peel.ingest.LOCK_WAIT`).

    Returns
    -------
    list of str
        The summary lines to print.

    Raises
    ------
    IngestError
        Naming file, sheet, row and column (or the option or catalogue entry); the dataset folder is then
        left untouched.
    """

    path, data_dir = Path(file), Path(data_dir)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", measure or ""):
        raise fail("--measure", f"{measure!r} is not a measure id: expected lower-case letters, digits and _")
    said = own_source(source, licence, official, publication)
    layout = layout_with(columns)
    refuse_demonstration(data_dir)
    catalogue_path = data_dir / CATALOGUE_FILE
    catalogue = load_catalogue(catalogue_path)
    if measure not in catalogue:
        if measure in load_not_available(catalogue_path):
            raise fail(catalogue_path, f"{measure!r} is listed under not_available: expected it moved to 'measures:' "
                                       "with its full entry before its figures are imported")
        raise fail(catalogue_path, undeclared_measure(catalogue_path, measure,
                                                      sorted({m.area for m in catalogue.values()})))
    with OutputLock(data_dir, sys.stderr, name=LOCK_NAME, what="dataset folder", option="--data",
                    busy="another peel import is writing to this dataset",
                    wait=LOCK_WAIT if lock_wait is None else lock_wait,
                    advice="wait for it to finish and run this import again", remove=True):
        with collecting():
            parsed = parse(path, catalogue[measure], layout)
            check_rows(path, parsed)
            raise_collected()
        sid = source_id(measure, path)
        # Two own tables are not editions of one table (as two files of recorded crime are): each is a table of
        # its own, so that another file's rows of the same force, measure and period are replaced only with --force.
        parsed.table = sid
        lines = write_import(data_dir, parsed, sid, _record(path, parsed, said), force=force, dry_run=dry_run)
    kind = "official statistics" if said.official else "not official statistics"
    head = [f"csv: {path.name} ({WHAT} table: {said.name}, {kind}) -> {measure}: {len(parsed.rows)} rows, "
            f"source {sid}"]
    aside = [f"set aside: {label}: {n} rows" for label, n in sorted(parsed.set_aside.items())]
    notes = sum(1 for r in parsed.rows if r.get("note"))
    na = [f"not available: {notes} rows (N/A in the table)"] if notes else []
    return head + aside + na + [f"warning: {w}" for w in parsed.warnings] + lines


def _record(path: Path, parsed: Parsed, said: OwnSource) -> dict[str, Any]:
    """The source entry of dataset.yaml (its ``rows`` is added when written)."""
    sheet = ", ".join(s for s in parsed.sheets if s) or None
    record: dict[str, Any] = {
        "table": TABLE, "publisher": said.name, "publication": said.publication, "file": path.name,
        "sha256": file_digest(path), "sheet": sheet,
        "licence": said.licence, "official": said.official, "layout": parsed.layout.label,
    }
    return {k: v for k, v in record.items() if v is not None}


__all__ = ["LAYOUT", "OwnSource", "import_own_table", "own_source", "parse"]
