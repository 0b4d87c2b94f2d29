"""``peel diff OLD NEW``: what changed between two builds, statement by statement.

OLD and NEW are output folders (their ``statements.csv`` is read) or ``statements.csv`` files. A
statement is keyed by force, statement id (``measure:<id>``, ``grade:<area>``,
``figure:<area>:<finding>:<n>``) and sentence kind. The changes reported are:

* ``force added`` / ``force removed``: a force has statements in one build only;
* ``statement added`` / ``statement removed``: a sentence printed in one build only;
* ``grade changed``;
* ``comparison changed``: the comparison word flipped ("in line" -> "higher than expected");
* ``trend changed``;
* ``figure moved``: the value as printed changed, so it moved by more than its published precision
  (for the inspectors' figures, any of the numbers behind the sentence);
* ``England and Wales figure moved``: by more than the measure's published precision;
* ``sentence reworded``: the sentence differs and none of the changes above explains it.

A measure's comparison, trend and figure are stated once per measure, not once per sentence.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from peel.errors import InputError, problem

#: The columns of ``diff.csv``.
DIFF_COLUMNS = ("force_id", "force", "area", "statement_id", "sentence_kind", "change", "old", "new",
                "old_sentence", "new_sentence")

#: Changes of a measure as a whole (stated once per measure, whichever of its sentences carries them).
_PER_STATEMENT = ("grade", "comparison", "trend")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Change:
    """One thing that changed between two builds."""

    force_id: str
    force: str
    area: str
    statement_id: str
    sentence_kind: str
    change: str
    old: str = ""
    new: str = ""
    old_sentence: str = ""
    new_sentence: str = ""

    def row(self) -> list[str]:
        """The change as a row of ``diff.csv``."""
        return [getattr(self, c) for c in DIFF_COLUMNS]

    def line(self) -> str:
        """The change in one line of plain text (with the sentences on their own lines when reworded)."""
        what = self.statement_id or "(the whole report)"
        head = f"{self.force_id}, {what}: {self.change}"
        if self.old or self.new:
            head += f": {self.old or '(none)'} -> {self.new or '(none)'}"
        lines = [head]
        if self.old_sentence != self.new_sentence:
            if self.old_sentence:
                lines.append(f"    - {self.old_sentence}")
            if self.new_sentence:
                lines.append(f"    + {self.new_sentence}")
        return "\n".join(lines)


def statements_path(path: Path) -> Path:
    """The ``statements.csv`` a diff argument names (a folder holds it at its top)."""
    path = Path(path)
    return path / "statements.csv" if path.is_dir() else path


def read_statements(path: Path) -> dict[Key, dict[str, str]]:
    """Read a ``statements.csv`` keyed by (force, statement id, sentence kind).

    Raises
    ------
    InputError
        When the file is missing, unreadable, lacks a column the diff needs, or repeats a key.
    """
    file = statements_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        hint = " (a folder built before statements.csv existed: rebuild it)" if Path(path).is_dir() else ""
        raise InputError(problem(file, "", f"cannot read the statements table: {e.strerror or e}{hint}")) from None
    reader = csv.DictReader(io.StringIO(text))
    needed = {"force_id", "statement_id", "sentence_kind", "sentence", "value_text", "comparison", "trend",
              "grade", "figures", "england_and_wales", "decimals", "area", "force"}
    missing = sorted(needed - set(reader.fieldnames or ()))
    if missing:
        raise InputError(problem(file, "row 1", f"missing column(s) {', '.join(missing)}; "
                                                "expected a statements.csv written by peel build"))
    out: dict[Key, dict[str, str]] = {}
    for n, row in enumerate(reader, start=2):
        key = (row["force_id"], row["statement_id"], row["sentence_kind"])
        if key in out:
            raise InputError(problem(file, f"row {n}", f"repeats the statement {'/'.join(key)}; "
                                                       "expected one row per force, statement and sentence"))
        out[key] = row
    return out


def _moved(old: str, new: str, decimals: str) -> bool:
    if old == new:
        return False
    if not old or not new:
        return True
    try:
        half = 0.5 * 10 ** -int(decimals or 0)
        return abs(float(new) - float(old)) >= half
    except ValueError:
        return True


def _rounded(x: str, decimals: str) -> str:
    """A figure at the published precision, as the diff shows it ("7.1" for 7.1019...)."""
    try:
        return f"{float(x):.{int(decimals or 0)}f}"
    except ValueError:
        return x


def _change(row: dict[str, str], change: str, old: str = "", new: str = "", old_s: str = "",
            new_s: str = "") -> Change:
    return Change(row["force_id"], row["force"], row["area"], row["statement_id"], row["sentence_kind"], change,
                  old, new, old_s, new_s)


def _statement_changes(o: dict[str, str], n: dict[str, str]) -> list[Change]:
    """What changed in a statement as a whole (its grade, comparison, trend, figure, England and Wales figure)."""
    out = [_change(n, f"{field} changed", o[field], n[field]) for field in _PER_STATEMENT if o[field] != n[field]]
    if o["value_text"] != n["value_text"]:
        out.append(_change(n, "figure moved", o["value_text"], n["value_text"]))
    elif o["figures"] != n["figures"]:
        out.append(_change(n, "figure moved", o["figures"], n["figures"]))
    if _moved(o["england_and_wales"], n["england_and_wales"], n["decimals"]):
        out.append(_change(n, "England and Wales figure moved", _rounded(o["england_and_wales"], n["decimals"]),
                           _rounded(n["england_and_wales"], n["decimals"])))
    return out


def diff_statements(old: dict[Key, dict[str, str]], new: dict[Key, dict[str, str]]) -> list[Change]:
    """Every change from ``old`` to ``new``, in the order of the new table (then what was removed).

    The sentences a listed change rewrote are shown with that change (its first), not as a rewording.
    """
    old_forces = {k[0] for k in old}
    new_forces = {k[0] for k in new}
    groups: dict[tuple[str, str], list[Key]] = {}
    for key in list(new) + [k for k in old if k not in new]:
        groups.setdefault(key[:2], []).append(key)
    changes: list[Change] = []
    seen_forces: set[str] = set()
    for (force_id, _), keys in groups.items():
        if force_id not in old_forces or force_id not in new_forces:
            if force_id not in seen_forces:
                seen_forces.add(force_id)
                row = new.get(keys[0]) or old[keys[0]]
                what = "force added" if force_id not in old_forces else "force removed"
                changes.append(Change(force_id, row["force"], "", "", "", what))
            continue
        pairs = [(old.get(k), new.get(k)) for k in keys]
        both = [(o, n) for o, n in pairs if o is not None and n is not None]
        found = _statement_changes(*both[0]) if both else []
        reworded = [(o, n) for o, n in both if o["sentence"] != n["sentence"]]
        if found:
            first = found[0]
            found[0] = Change(first.force_id, first.force, first.area, first.statement_id, first.sentence_kind,
                              first.change, first.old, first.new, " ".join(o["sentence"] for o, _ in reworded),
                              " ".join(n["sentence"] for _, n in reworded))
        else:
            found = [_change(n, "sentence reworded", old_s=o["sentence"], new_s=n["sentence"]) for o, n in reworded]
        changes.extend(found)
        for o, n in pairs:
            if o is None or n is None:
                lone = n or o
                assert lone is not None
                changes.append(_change(lone, "statement added" if o is None else "statement removed",
                                       old_s=o["sentence"] if o else "", new_s=n["sentence"] if n else ""))
    return changes


def summary(changes: list[Change]) -> str:
    """ "3 changes: 1 comparison changed, 2 figure moved" or "No changes." """
    if not changes:
        return "No changes."
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.change] = counts.get(c.change, 0) + 1
    parts = ", ".join(f"{n} {what}" for what, n in counts.items())
    return f"{len(changes)} change{'s' if len(changes) != 1 else ''}: {parts}."


def diff_csv(changes: list[Change]) -> str:
    """The changes as ``diff.csv`` text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DIFF_COLUMNS)
    writer.writerows(c.row() for c in changes)
    return buf.getvalue()


def diff_text(changes: list[Change], old: str, new: str) -> str:
    """The changes as plain text for the terminal."""
    lines = [f"Changes from {old} to {new}"]
    lines += [c.line() for c in changes]
    lines.append(summary(changes))
    return "\n".join(lines) + "\n"
