"""Writing an import into a dataset folder: its rows, its source entry, whole or not at all.

Rules (``data/README.md``, "Importing"):

* every row written carries the import's source id in the ``source`` column, and ``dataset.yaml``
  gets (or replaces) that source's entry under ``sources:``;
* re-importing a file replaces every row it wrote before; importing another edition (or another file)
  of the same table replaces that table's rows for the same force, measure and period (or force and
  year) and keeps its other periods (population comes from several files, one per span of years);
  nothing else is touched;
* a row for the same force, measure and period (or force and year) that came from a *different*
  source, or from no source (typed in, or demonstration data), is not overwritten without ``force``;
* with ``dry_run`` nothing is written; the returned summary says what would change;
* files are written to temporary files first and renamed into place together, so an error leaves the
  folder exactly as it was.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from peel.ingest.common import Parsed
from peel.ingest.editions import edition_path, is_newer
from peel.ingest.reading import fail, read_dataset_file
from peel.inputs.dataset import DATASET_FILE
from peel.inputs.tables import NATIONAL_COLUMNS, NATIONAL_FILE, POPULATION_COLUMNS, POPULATION_FILE

NATIONAL_HEADER = (*NATIONAL_COLUMNS, "note", "source", "coverage")
POPULATION_HEADER = (*POPULATION_COLUMNS, "source")


def _read_rows(path: Path, header: tuple[str, ...]) -> tuple[list[str], list[dict[str, str]]]:
    text = read_dataset_file(path)
    if text is None:
        return list(header), []
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise fail(path, f"cannot be read ({' '.join(str(e).split())[:200]}): expected the data contract's UTF-8 "
                         "CSV file (run 'peel validate')") from None
    if not rows:
        return list(header), []
    head = [h.strip() for h in rows[0]]
    missing = [c for c in header if c not in head and c not in ("note", "source", "coverage")]
    if missing:
        raise fail(path, f"missing column {', '.join(missing)}: expected the data contract's columns "
                         f"{', '.join(header)} (run 'peel validate')", row=1)
    out = [h for h in head] + [c for c in header if c not in head]
    # A short row lacks its last columns (the readers treat an absent column as blank); a long one loses the extra.
    return out, [dict(zip(head, r, strict=False)) for r in rows[1:] if any(c.strip() for c in r)]


def _csv(header: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header])
    return buf.getvalue()


def _yaml_with_sources(text: str, sources: dict[str, Any]) -> str:
    """``dataset.yaml`` with its top-level ``sources:`` block replaced (comments elsewhere kept)."""
    lines = text.splitlines(keepends=True)
    out, skipping = [], False
    for ln in lines:
        if re.match(r"^sources\s*:", ln):
            skipping = True
            continue
        if skipping and (ln.startswith((" ", "\t", "-")) or not ln.strip()):
            continue
        skipping = False
        out.append(ln)
    body = "".join(out)
    if body and not body.endswith("\n"):
        body += "\n"
    if sources:
        body += yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True, width=10_000)
    return body


def _key(row: dict[str, str], target: str) -> tuple[str, ...]:
    if target == "national":
        return (row.get("force_id", ""), row.get("measure", ""), row.get("period", ""))
    return (row.get("force_id", ""), row.get("year", ""))


def _atomic_pair(files: dict[Path, str]) -> None:
    """Write every file to a temporary name first, then rename them all (nothing renamed on error)."""
    temps: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            mask = os.umask(0)
            os.umask(mask)
            os.fchmod(fd, 0o666 & ~mask)
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
            temps.append((tmp, path))
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


def write_import(data_dir: Path, parsed: Parsed, source_id: str, record: dict[str, Any], *, force: bool = False,
                 dry_run: bool = False, current: bool = False) -> list[str]:
    """Merge ``parsed.rows`` into the dataset folder, keep them as an edition and record the source; return the
    summary lines.

    The rows are kept whole in ``DIR/editions/<source id>.csv`` (:mod:`peel.ingest.editions`); each becomes
    the current figure of its force, measure and period unless a later edition of the same table supplies
    it (``current`` makes it current all the same). The same file imported again under another name is
    recognised by its SHA-256 and changes nothing.

    Raises
    ------
    IngestError
        The folder is not a dataset (no dataset.yaml), or rows from another source would be overwritten
        without ``force``.
    """
    data_dir = Path(data_dir)
    yaml_path = data_dir / DATASET_FILE
    if not yaml_path.is_file():
        raise fail("--data", f"{yaml_path}: dataset.yaml not found: expected a dataset folder (see data/README.md)")
    yaml_text = read_dataset_file(yaml_path) or ""
    try:
        doc = yaml.safe_load(yaml_text) or {}
    except yaml.YAMLError as e:
        raise fail(yaml_path, f"cannot be read ({' '.join(str(e).split())[:200]}): fix it first "
                              "('peel validate')") from None
    found = doc.get("sources") if isinstance(doc, dict) else None
    if found is not None and not isinstance(found, dict):
        raise fail(yaml_path, "sources: expected a mapping of source id to its entry (see data/README.md)")
    sources: dict[str, Any] = dict(found or {})
    target = "population" if parsed.table == "population" else "national"
    path = data_dir / (POPULATION_FILE if target == "population" else NATIONAL_FILE)
    header, old = _read_rows(path, POPULATION_HEADER if target == "population" else NATIONAL_HEADER)
    new = [dict(r, source=source_id) for r in parsed.rows]
    edition_text = _edition_csv(target, parsed.rows)
    same = _same_file(data_dir, sources, source_id, record, edition_text)
    if same is not None:
        return [f"{record.get('file', source_id)}: the same file and figures as source {same} (sha256 "
                f"{str(record.get('sha256'))[:12]}): nothing to do"]
    if "coverage" in header and not any(r.get("coverage") for r in (*old, *new)):
        header.remove("coverage")  # no figure states one: the column is not written (empty reads as complete)
    order = list(sources)
    position = order.index(source_id) if source_id in order else len(order)
    new_keys = {_key(r, target): r for r in new}
    # A later edition of the same table keeps its figures unless this one is made current.
    later: Counter[str] = Counter()
    for r in old:
        sid = r.get("source", "")
        entry = sources.get(sid)
        if (sid != source_id and _key(r, target) in new_keys and isinstance(entry, dict)
                and entry.get("table") == parsed.table and not current
                and is_newer(entry, order.index(sid), record, position)):
            later[sid] += 1
            new_keys.pop(_key(r, target), None)
    written = [r for r in new if _key(r, target) in new_keys]
    # The new rows take the place of the first row they replace (at the end when they replace none), so
    # that importing the same files again gives the same bytes, whatever was imported in between.
    kept: list[dict[str, str]] = []
    replaced: list[dict[str, str]] = []
    conflicts: list[tuple[int, dict[str, str]]] = []
    merged: list[dict[str, str]] = []
    for n, r in enumerate(old, start=2):
        sid = r.get("source", "")
        same_table = sid == source_id or (sid in sources and isinstance(sources[sid], dict)
                                          and sources[sid].get("table") == parsed.table)
        if (same_table and (sid == source_id or _key(r, target) in new_keys)) or \
                (_key(r, target) in new_keys and force):
            if not replaced:
                merged.extend(written)
            replaced.append(r)
        elif _key(r, target) in new_keys:
            conflicts.append((n, r))
        else:
            kept.append(r)
            merged.append(r)
    if not replaced:
        merged.extend(written)
    if Counter(_cells(r, header) for r in merged) == Counter(_cells(r, header) for r in old):
        # The same figures from the same sources (a file imported again): the rows keep their order, which the
        # places above would change when a later edition's figures sit among this edition's.
        merged = old
    if conflicts:
        n, r = conflicts[0]
        by = Counter(r.get("source") or "(no source: typed in or demonstration data)" for _, r in conflicts)
        raise fail(path, f"{len(conflicts)} row{'s' if len(conflicts) > 1 else ''} would be overwritten that came "
                         f"from another source ({', '.join(f'{s}: {c}' for s, c in by.items())}), the first "
                         f"{', '.join(_key(r, target))}: expected them left alone; use --force to replace them",
                   row=n)
    # Summary: rows added, removed and changed per measure and period (or per year).
    old_by_key = {_key(r, target): r for r in replaced}
    changes: dict[str, Counter[str]] = {}
    fields = [h for h in header if h not in ("source",)]
    for k, r in new_keys.items():
        group = f"{k[1]} {k[2]}" if target == "national" else f"year {k[1]}"
        c = changes.setdefault(group, Counter())
        if k not in old_by_key:
            c["added"] += 1
        elif any(old_by_key[k].get(f, "") != r.get(f, "") for f in fields):
            c["changed"] += 1
        else:
            c["unchanged"] += 1
    for k in old_by_key.keys() - new_keys.keys():
        group = f"{k[1]} {k[2]}" if target == "national" else f"year {k[1]}"
        changes.setdefault(group, Counter())["removed"] += 1
    lines = [f"{path.name}: {g}: " + ", ".join(f"{v} {w}" for w, v in sorted(c.items()))
             for g, c in sorted(changes.items())]
    if later:
        lines.append(f"kept as an earlier edition: {sum(later.values())} figures not made current, a later edition "
                     f"supplies them ({', '.join(f'{s}: {c}' for s, c in sorted(later.items()))}); --current "
                     "makes this edition current")
    # An earlier edition keeps its entry (its figures stay in editions/), with the rows it still supplies;
    # an entry from before editions were kept goes when its last row does, as its figures are nowhere else.
    remaining = Counter(r.get("source", "") for r in kept)
    for sid in list(sources):
        entry = sources[sid]
        if sid == source_id:
            continue  # replaced in its place below
        elif isinstance(entry, dict) and entry.get("table") == parsed.table and _target_of(entry) == target:
            if remaining[sid] == 0 and "edition_rows" not in entry:
                del sources[sid]
            else:
                sources[sid] = dict(entry, rows=remaining[sid])
    sources[source_id] = dict(record, rows=len(written), edition_rows=len(new))
    if dry_run:
        return ["dry run: nothing written", *lines]
    text = _csv(header, merged)
    archive = edition_path(data_dir, source_id)
    made = [d for d in (archive.parent, *archive.parent.parents) if d.is_relative_to(data_dir) and d != data_dir
            and not d.exists()]
    archive.parent.mkdir(parents=True, exist_ok=True)
    try:
        _atomic_pair({path: text, archive: edition_text, yaml_path: _yaml_with_sources(yaml_text, sources)})
    except BaseException:
        for d in made:  # deepest first: the folder is left as it was
            d.rmdir()
        raise
    return lines


#: The columns of an edition's file: those of the file it was imported into, less ``source`` (its name says it).
EDITION_HEADER = {"national": ("force_id", "measure", "period", "value", "numerator", "denominator", "note",
                               "coverage"),
                  "population": POPULATION_COLUMNS}


def _edition_csv(target: str, rows: list[dict[str, str]]) -> str:
    header = [h for h in EDITION_HEADER[target] if h != "coverage" or any(r.get("coverage") for r in rows)]
    return _csv(header, rows)


def _same_file(data_dir: Path, sources: dict[str, Any], source_id: str, record: dict[str, Any],
               edition_text: str) -> str | None:
    """The id of another source holding the same file (by SHA-256) with the same figures, or ``None``."""
    for sid, entry in sources.items():
        if sid == source_id or not isinstance(entry, dict) or entry.get("sha256") != record.get("sha256") \
                or entry.get("table") != record.get("table"):
            continue
        if read_dataset_file(edition_path(data_dir, sid)) == edition_text:
            return sid
    return None


def _cells(row: dict[str, str], header: list[str]) -> tuple[str, ...]:
    return tuple(row.get(h, "") for h in header)


def _target_of(entry: dict[str, Any]) -> str:
    return "population" if entry.get("table") == "population" else "national"


__all__ = ["EDITION_HEADER", "write_import", "NATIONAL_HEADER", "POPULATION_HEADER"]
