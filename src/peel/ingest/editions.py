"""Editions of the imported tables: which edition of a published table each figure comes from.

A publisher revises its tables: the Home Office republishes its open data tables several times a year,
each edition with the figures of earlier years as revised since. Each import records its edition in the
source's entry of ``dataset.yaml``:

* ``table_id``, the table's name across its editions (the file's name less the edition date the Home
  Office appends, ``prc-pfa-mar2013-onwards-tables``; ``--table-id`` for a copy named otherwise);
* ``edition``, the date the edition was published (``--edition``, or read from the file's name:
  ``-230124`` is 23 January 2024); absent when neither says it;
* ``sha256``, the digest of the file, which tells two files apart whatever their names;
* ``rows``, the figures of the dataset that come from it now (0: every one has been revised by a later
  edition), and ``edition_rows``, the figures it gave.

Every edition's figures are kept whole in ``DIR/editions/<source id>.csv`` (the columns of the file it
was imported into), so an edition a later one revised stays on disk and :func:`revisions` can show what
changed between any two of them. ``national.csv`` and ``population.csv`` hold the current figure of each
force, measure and period: the one from the latest edition (by its date; when either edition has none,
the one imported later). An earlier edition imported after a later one is kept but does not become
current unless asked (``--current``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peel.files import spreadsheet_safe
from peel.ingest.reading import IngestError, fail, read_dataset_file
from peel.inputs.dataset import read_info
from peel.inputs.provenance import EDITIONS_DIR, describe_edition

# The Home Office ends the name of each edition of a table with its date, DDMMYY (-230124: 23 January 2024).
_NAME_DATE = re.compile(r"^(?P<table>.+?)[-_](?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{2})$")

#: The columns of the revisions between two editions (``peel editions OLD NEW --format csv``).
REVISION_COLUMNS = ("force_id", "measure", "period", "field", "old", "new", "change", "change_percent")


def file_stem(path: Path) -> str:
    """The file's name less its extension (``.csv.gz`` counts as one)."""
    name = path.name
    for ext in (".csv.gz", ".ods", ".xlsx", ".xls", ".csv"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _name_date(stem: str) -> tuple[str, str] | None:
    """(table id, ISO date) when the name ends with a valid DDMMYY date, else ``None``."""
    m = _NAME_DATE.fullmatch(stem)
    if not m:
        return None
    try:
        day = dt.date(2000 + int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
    return m["table"], day.isoformat()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def table_id_of(path: Path, given: str | None = None) -> str:
    """The table's id across editions: ``given`` (``--table-id``), else the file's name less an edition date."""
    if given is not None:
        tid = _slug(given)
        if not tid:
            raise fail("--table-id", f"{given!r}: expected the table's name, such as prc-pfa-mar2013-onwards-tables")
        return tid
    stem = file_stem(path)
    found = _name_date(stem)
    return _slug(found[0] if found else stem) or "table"


def edition_of(path: Path, given: str | None = None) -> str | None:
    """The edition's date as ``YYYY-MM-DD``: ``given`` (``--edition``), else the date the file's name ends with
    (``-230124``), else ``None``."""
    if given is not None:
        try:
            return dt.date.fromisoformat(given.strip()).isoformat() if re.fullmatch(
                r"\d{4}-\d{2}-\d{2}", given.strip()) else _bad_edition(given)
        except ValueError:
            return _bad_edition(given)
    found = _name_date(file_stem(path))
    return found[1] if found else None


def _bad_edition(given: str) -> str:
    raise fail("--edition", f"{given!r} is not a date: expected the date the edition was published as "
                            "YYYY-MM-DD, such as 2024-01-23")


def edition_path(data_dir: Path, source_id: str) -> Path:
    """Where an edition's figures are kept: ``DIR/editions/<source id>.csv``.

    Raises
    ------
    IngestError
        The id has a ``.`` or ``..`` step, which would lead outside ``editions/``.
    """
    if any(step in (".", "..", "") for step in source_id.split("/")):
        raise fail(Path(data_dir) / "dataset.yaml", f"sources: {source_id!r}: expected a source id without '.', "
                                                    "'..' or empty steps between its slashes")
    return Path(data_dir) / EDITIONS_DIR / f"{source_id}.csv"


def is_newer(entry: dict[str, Any], position: int, other: dict[str, Any], other_position: int) -> bool:
    """Whether the edition ``entry`` (at ``position`` in ``sources:``) is later than ``other``.

    By their dates when both have one; otherwise the one imported later (further down ``sources:``).
    """
    a, b = entry.get("edition"), other.get("edition")
    if a and b and str(a) != str(b):
        return str(a) > str(b)
    return position > other_position


# ------------------------------------------------------------------------------------------ revisions


@dataclass(frozen=True)
class Revision:
    """One figure that differs between two editions (or is in one of them only)."""

    force_id: str
    measure: str
    period: str
    field: str
    old: str
    new: str

    @property
    def change(self) -> str:
        """New less old ("" when either is not a number)."""
        o, n = _float(self.old), _float(self.new)
        if o is None or n is None:
            return ""
        return _plain(n - o)

    @property
    def change_percent(self) -> str:
        """The change as a percentage of the old figure, to one decimal place ("" when it has none)."""
        o, n = _float(self.old), _float(self.new)
        if o is None or n is None or o == 0:
            return ""
        return f"{(n - o) / o * 100:+.1f}"

    def row(self) -> list[str]:
        """The revision as a CSV row; a note (text) that a spreadsheet would run as a formula gets an apostrophe."""
        old, new = (self.old, self.new) if self.field != "note" else (spreadsheet_safe(self.old),
                                                                      spreadsheet_safe(self.new))
        return [self.force_id, self.measure, self.period, self.field, old, new, self.change, self.change_percent]


def _float(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _plain(x: float) -> str:
    text = f"{x:+.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text


def read_edition(data_dir: Path, source_id: str) -> list[dict[str, str]]:
    """The figures an edition gave, as kept in ``DIR/editions/<source id>.csv``.

    Raises
    ------
    IngestError
        The dataset has no such edition, or its file cannot be read.
    """
    path = edition_path(data_dir, source_id)
    text = read_dataset_file(path)
    if text is None:
        raise fail(path, f"no such file: expected the figures of edition {source_id!r}, written by 'peel import' "
                         "(import the edition again to write it)")
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise fail(path, f"cannot be read ({' '.join(str(e).split())[:200]}): expected the figures 'peel import' "
                         "wrote") from None


def _figure_key(row: dict[str, str]) -> tuple[str, str, str]:
    if "year" in row and "measure" not in row:
        return (row.get("force_id", ""), "population", row.get("year", ""))
    return (row.get("force_id", ""), row.get("measure", ""), row.get("period", ""))


#: The fields compared, in order: the figure, then what it is made of, then what is said about it.
_FIELDS = ("value", "numerator", "denominator", "population", "coverage", "note")


@dataclass(frozen=True)
class Revisions:
    """What a later edition changed: the figures both give that differ, and how many each gives alone."""

    old: str
    new: str
    changes: list[Revision]
    compared: int
    only_old: int
    only_new: int

    @property
    def revised(self) -> int:
        """How many figures (force, measure and period) differ."""
        return len({(c.force_id, c.measure, c.period) for c in self.changes})


def revisions(data_dir: Path, old: str, new: str) -> Revisions:
    """The figures that differ between two editions of a table, per force, measure and period.

    Only the figures both editions give are compared: a period one edition adds (a later year) or
    lacks is not a revision; it is counted in ``only_old`` / ``only_new``.

    Raises
    ------
    IngestError
        Either is not a source of the dataset, they are not of the same table, or an edition's file
        is missing.
    """
    sources = _sources(data_dir)
    for sid in (old, new):
        if sid not in sources:
            known = ", ".join(sorted(k for k, v in sources.items() if "edition_rows" in v)) or "none"
            raise fail(Path(data_dir) / "dataset.yaml", f"sources: no edition {sid!r}: expected one of {known} "
                                                        "('peel editions --data DIR' lists them)")
    if sources[old].get("table") != sources[new].get("table"):
        raise fail(Path(data_dir) / "dataset.yaml", f"sources: {old!r} is a {sources[old].get('table')} table and "
                                                    f"{new!r} a {sources[new].get('table')} table: expected two "
                                                    "editions of the same table")
    before = {_figure_key(r): r for r in read_edition(data_dir, old)}
    after = {_figure_key(r): r for r in read_edition(data_dir, new)}
    both = sorted(before.keys() & after.keys())
    out: list[Revision] = []
    for key in both:
        o, n = before[key], after[key]
        for f in _FIELDS:
            if (f in o or f in n) and o.get(f, "") != n.get(f, ""):
                out.append(Revision(*key, f, o.get(f, ""), n.get(f, "")))
    return Revisions(old, new, out, len(both), len(before.keys() - after.keys()), len(after.keys() - before.keys()))


def _sources(data_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        return {k: v for k, v in (read_info(Path(data_dir)).sources or {}).items() if isinstance(v, dict)}
    except IngestError:
        raise
    except Exception as e:  # an InputError naming dataset.yaml and the key: said as the import says it
        raise fail(Path(data_dir) / "dataset.yaml", f"{' '.join(str(e).split())[:300]} (run 'peel validate')") \
            from None


def revisions_csv(found: Revisions) -> str:
    """The revisions as CSV (:data:`REVISION_COLUMNS`), one row per figure and field revised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REVISION_COLUMNS)
    for c in found.changes:
        w.writerow(c.row())
    return buf.getvalue()


def revisions_text(data_dir: Path, found: Revisions) -> str:
    """The revisions as lines to read: both editions named, one line per figure and field, then a count."""
    sources = _sources(data_dir)
    lines = []
    for word, sid in (("old", found.old), ("new", found.new)):
        e = sources[sid]
        lines.append(f"{word} {sid}: {e.get('publication') or e.get('publisher')}, {describe_edition(e)} "
                     f"({e.get('file', '')})")
    for c in found.changes:
        shown = f"{c.old or '(empty)'} -> {c.new or '(empty)'}"
        if c.change:
            shown += f" ({c.change}{f', {c.change_percent}%' if c.change_percent else ''})"
        lines.append(f"{c.force_id} {c.measure} {c.period} {c.field}: {shown}")
    alone = [f"{n} only in the {w} edition" for n, w in ((found.only_old, "old"), (found.only_new, "new")) if n]
    lines.append(f"{found.revised} of {found.compared} figures in both editions revised"
                 + (f"; {', '.join(alone)}" if alone else ""))
    return "\n".join(lines) + "\n"


def editions_text(data_dir: Path) -> str:
    """Every edition the dataset holds, table by table: its id, date, file, digest, and rows current."""
    sources = _sources(data_dir)
    by_table: dict[tuple[str, str], list[str]] = {}
    for sid, e in sources.items():
        if e.get("table") in (None, "none") or "edition_rows" not in e:
            continue
        by_table.setdefault((str(e.get("table")), str(e.get("table_id", ""))), []).append(sid)
    lines: list[str] = []
    for (table, tid), sids in by_table.items():
        lines.append(f"{table} {tid}:")
        for sid in sids:
            e = sources[sid]
            rows, given = int(e.get("rows") or 0), int(e.get("edition_rows") or 0)
            state = "current" if rows == given else "superseded" if rows == 0 else f"current for {rows} of them"
            lines.append(f"  {sid}: {describe_edition(e)}, {e.get('file', '')}, sha256 {str(e.get('sha256'))[:12]}, "
                         f"{given} figures, {state}")
    return "\n".join(lines) + "\n" if lines else "no imported editions\n"


__all__ = ["REVISION_COLUMNS", "Revision", "Revisions", "edition_of",
           "edition_path", "editions_text", "is_newer", "read_edition", "revisions", "revisions_csv", "revisions_text",
           "table_id_of"]
