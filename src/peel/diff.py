"""``peel diff OLD NEW``: what changed between two builds, statement by statement and word by word.

OLD and NEW are output folders (their ``statements.csv`` and each force's ``report.html`` are read) or
``statements.csv`` files (then only the statements are compared). A statement is keyed by force,
statement id (``measure:<id>``, ``grade:<area>``, ``figure:<area>:<finding>:<n>``) and sentence kind.
The changes reported are:

* ``force added`` / ``force removed``: a force has statements in one build only;
* ``statement added`` / ``statement removed``: a sentence printed in one build only;
* ``grade changed``;
* ``comparison changed``: the comparison word flipped ("in line" -> "higher than expected");
* ``trend changed``;
* ``figure moved``: the value as printed changed, so it moved by more than its published precision
  (for the inspectors' figures, any of the numbers behind the sentence);
* ``England and Wales figure moved``: by more than the measure's published precision;
* ``edition changed``: the force's figure comes from another edition of a published table (another file,
  or another edition date), whether or not the figure moved;
* ``sentence reworded``: the sentence differs and none of the changes above explains it.

A measure's comparison, trend and figure are stated once per measure, not once per sentence.

Between two folders, every other word a reader sees in a force's report is compared too (findings, the
summary, areas for improvement, causes of concern, headings, captions, notes, the notice: the blocks of
:mod:`peel.report_text`), block by block per force and section, paired by :mod:`difflib` so that a
reworded finding is one change with its old and new sentences:

* ``text reworded`` / ``text added`` / ``text removed``: the sentences that differ, with the changed words
  marked (:func:`word_diff`); a rewording a statement change above already shows is not repeated.

Every file is read through :func:`peel.files.read_input` (a FIFO, a device or a huge file is refused at
once), decoded by its byte order mark (UTF-8, UTF-16) or else as UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from peel.errors import InputError, problem
from peel.files import InputFileError, atomic_write, read_input, spreadsheet_safe
from peel.report_text import Block, report_blocks, sentences

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

    @property
    def where(self) -> str:
        """The statement, or for a change of the report's words its section and kind (``police_powers, finding``)."""
        if self.statement_id:
            return self.statement_id
        return f"{self.area}, {self.sentence_kind}" if self.area else "(the whole report)"

    def marked_old(self) -> list[tuple[str, str]]:
        """The old sentence as runs of words, ``("same", ...)`` or ``("old", removed words)``."""
        return [(op, text) for op, text in word_diff(self.old_sentence, self.new_sentence) if op != "new"]

    def marked_new(self) -> list[tuple[str, str]]:
        """The new sentence as runs of words, ``("same", ...)`` or ``("new", added words)``."""
        return [(op, text) for op, text in word_diff(self.old_sentence, self.new_sentence) if op != "old"]

    def line(self) -> str:
        """The change in one line of plain text (with the sentences on their own lines when reworded)."""
        what = self.where
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


def read_text(file: Path, expected: str, hint: str = "") -> str:
    """A file's text, read bounded (:func:`peel.files.read_input`) and decoded by its byte order mark
    (UTF-8, UTF-16 LE or BE), else as UTF-8.

    Raises
    ------
    InputError
        When the file is missing, not a regular file (a FIFO, a device), too large, unreadable or not text
        in those encodings; the message names the file and says what was expected.
    """
    try:
        raw = read_input(file)
    except FileNotFoundError:
        raise InputError(problem(file, "", f"file not found: expected {expected}{hint}")) from None
    except InputFileError as e:
        raise InputError(problem(file, "", f"{e}: expected {expected}")) from None
    except OSError as e:
        raise InputError(problem(file, "", f"cannot be read ({e.strerror or e}): expected {expected}")) from None
    encoding = "utf-8"
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            raw, encoding = raw[len(bom):], codec
            break
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(problem(file, f"byte {e.start}", f"not {encoding.upper()} text: expected {expected}, saved "
                                                          "as UTF-8 (or UTF-16 with a byte order mark)")) from None


def read_statements(path: Path) -> dict[Key, dict[str, str]]:
    """Read a ``statements.csv`` keyed by (force, statement id, sentence kind).

    Raises
    ------
    InputError
        When the file is missing, unreadable, lacks a column the diff needs, or repeats a key.
    """
    file = statements_path(path)
    hint = " (a folder built before statements.csv existed: rebuild it)" if Path(path).is_dir() else ""
    text = read_text(file, "the statements table written by peel build", hint)
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
    # Tables written before statements named editions have no such columns: nothing to compare there.
    if "edition_file" in o and "edition_file" in n and _edition(o) != _edition(n):
        out.append(_change(n, "edition changed", _edition(o), _edition(n)))
    return out


def _edition(row: dict[str, str]) -> str:
    """"denominators.csv, edition of 2024-01-23" (or the file alone when the edition is not dated)."""
    file, when = row.get("edition_file") or "", row.get("edition") or ""
    return f"{file}, edition of {when}" if file and when else file or when


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


#: The changes of a report's words (see the module's docstring).
TEXT_REWORDED, TEXT_ADDED, TEXT_REMOVED = "text reworded", "text added", "text removed"


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The words of ``old`` and ``new`` as runs: ``("same", words)``, ``("old", words removed)`` and
    ``("new", words added)``, in reading order (a replacement gives its old run, then its new one)."""
    a, b = old.split(), new.split()
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("old", " ".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("new", " ".join(b[j1:j2])))
    return runs


def force_reports(path: Path) -> dict[str, Path]:
    """``{force id: its report.html}`` in an output folder (none when ``path`` is a ``statements.csv``)."""
    path = Path(path)
    if not path.is_dir():
        return {}
    return {p.parent.name: p for p in sorted(path.glob("*/report.html"))}


def _similar(a: Block, b: Block) -> bool:
    """Two blocks are one reworded block when of a kind and sharing most of their words."""
    return a.kind == b.kind and difflib.SequenceMatcher(None, a.text.split(), b.text.split(),
                                                        autojunk=False).ratio() >= 0.5


def _pair(olds: list[Block], news: list[Block]) -> list[tuple[Block | None, Block | None]]:
    """Blocks difflib replaced, paired in order: each old with the next new block like it, the rest alone."""
    if len(olds) == len(news) and all(o.kind == n.kind for o, n in zip(olds, news, strict=True)):
        return list(zip(olds, news, strict=True))
    pairs: list[tuple[Block | None, Block | None]] = []
    j = 0
    for o in olds:
        match = next((k for k in range(j, len(news)) if _similar(o, news[k])), None)
        if match is None:
            pairs.append((o, None))
            continue
        pairs += [(None, n) for n in news[j:match]]
        pairs.append((o, news[match]))
        j = match + 1
    pairs += [(None, n) for n in news[j:]]
    return pairs


def _block_changes(force_id: str, force: str, o: Block | None, n: Block | None) -> list[Change]:
    """The sentences that differ between a block and its rewording (or all of a block added or removed)."""
    block = n or o
    assert block is not None
    old_s, new_s = sentences(o.text) if o else [], sentences(n.text) if n else []
    out = []
    matcher = difflib.SequenceMatcher(None, old_s, new_s, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        before, after = " ".join(old_s[i1:i2]), " ".join(new_s[j1:j2])
        what = TEXT_REWORDED if before and after else TEXT_ADDED if after else TEXT_REMOVED
        out.append(Change(force_id, force, block.section, "", block.kind, what, old_sentence=before,
                          new_sentence=after))
    return out


def diff_blocks(force_id: str, force: str, old: list[Block], new: list[Block]) -> list[Change]:
    """Every change of one force's words, section by section in the new report's order.

    Within a section the blocks are aligned by :class:`difflib.SequenceMatcher`; the blocks it replaced are
    paired (:func:`_pair`) so that a reworded finding is one change with its old and new sentences.
    """
    sections = list(dict.fromkeys([b.section for b in new] + [b.section for b in old]))
    changes: list[Change] = []
    for section in sections:
        a = [b for b in old if b.section == section]
        b = [x for x in new if x.section == section]
        matcher = difflib.SequenceMatcher(None, [x.text for x in a], [x.text for x in b], autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                for o, n in _pair(a[i1:i2], b[j1:j2]):
                    changes += _block_changes(force_id, force, o, n)
    return changes


def _shown_already(change: Change, statement_changes: Iterable[Change]) -> bool:
    """Whether a change of a report's words is a sentence a statement change already shows."""
    olds = " ".join(c.old_sentence for c in statement_changes)
    news = " ".join(c.new_sentence for c in statement_changes)
    return (all(s in olds for s in sentences(change.old_sentence))
            and all(s in news for s in sentences(change.new_sentence)))


def diff_reports(old: Path, new: Path, statement_changes: list[Change],
                 names: dict[str, str] | None = None) -> list[Change]:
    """The changes of the words of every force report in both output folders (none for a ``statements.csv``),
    leaving out those a statement change already shows; ``names`` gives the forces' names by id."""
    old_reports, new_reports = force_reports(old), force_reports(new)
    names = names or {}
    changes: list[Change] = []
    for force_id, new_html in new_reports.items():
        if force_id not in old_reports:
            continue
        expected = "a report written by peel build"
        old_blocks = report_blocks(read_text(old_reports[force_id], expected))
        new_blocks = report_blocks(read_text(new_html, expected))
        force = names.get(force_id, force_id)
        shown = [c for c in statement_changes if c.force_id == force_id]
        changes += [c for c in diff_blocks(force_id, force, old_blocks, new_blocks) if not _shown_already(c, shown)]
    return changes


def diff_builds(old: Path, new: Path) -> list[Change]:
    """Every change from the build ``old`` to the build ``new``, force by force: the statements'
    (:func:`diff_statements`), then, between two output folders, the reports' words (:func:`diff_reports`).

    Raises
    ------
    InputError
        When a file cannot be read (see :func:`read_text`) or is not what peel build writes.
    """
    old_rows, new_rows = read_statements(old), read_statements(new)
    changes = diff_statements(old_rows, new_rows)
    names = {k[0]: r["force"] for k, r in {**old_rows, **new_rows}.items()}
    changes += diff_reports(old, new, changes, names)
    # Each force's changes together (its statements', then its words'), forces in the order first met.
    order = {force_id: n for n, force_id in enumerate(dict.fromkeys(c.force_id for c in changes))}
    return sorted(changes, key=lambda c: order[c.force_id])


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
    """The changes as ``diff.csv`` text, every cell safe to open in a spreadsheet (:func:`spreadsheet_safe`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(DIFF_COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in c.row()] for c in changes)
    return buf.getvalue()


def diff_text(changes: list[Change], old: str, new: str) -> str:
    """The changes as plain text for the terminal."""
    lines = [f"Changes from {old} to {new}"]
    lines += [c.line() for c in changes]
    lines.append(summary(changes))
    return "\n".join(lines) + "\n"


#: Characters Markdown would read as markup (emphasis, code, links, tables, headings, HTML).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]<>#|])")


def markdown_escape(text: str) -> str:
    """``text`` shown as itself in Markdown: each character Markdown reads as markup is escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def marked_words(change: Change) -> str:
    """The rewording in Markdown: removed words struck through (``~~old~~``), added words in bold (``**new**``)."""
    marks = {"same": "{}", "old": "~~{}~~", "new": "**{}**"}
    return " ".join(marks[op].format(markdown_escape(text)) for op, text in word_diff(change.old_sentence,
                                                                                      change.new_sentence))


def diff_markdown(changes: list[Change], old: str, new: str) -> str:
    """The changes as Markdown for a sign-off record: per force, each change with its sentences before and after
    and the changed words marked."""
    lines = ["# What changed between two builds", "",
             f"From `{old}` to `{new}`. {markdown_escape(summary(changes))}"]
    force = None
    for c in changes:
        if c.force_id != force:
            force = c.force_id
            lines += ["", f"## {markdown_escape(c.force or c.force_id)}", ""]
        head = f"- **{markdown_escape(c.where)}**: {c.change}"
        if c.old or c.new:
            head += f": {markdown_escape(c.old or '(none)')} → {markdown_escape(c.new or '(none)')}"
        lines.append(head)
        if c.old_sentence:
            lines.append(f"  - Before: {markdown_escape(c.old_sentence)}")
        if c.new_sentence:
            lines.append(f"  - After: {markdown_escape(c.new_sentence)}")
        if c.old_sentence and c.new_sentence and c.old_sentence != c.new_sentence:
            lines.append(f"  - Words: {marked_words(c)}")
    return "\n".join(lines) + "\n"


#: The record of the files ``peel diff`` wrote in a folder (their SHA-256), so that it replaces only its own.
OWN_OUTPUTS = ".peel-diff.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_outputs(out: Path, files: dict[str, str], *, force: bool = False) -> list[Path]:
    """Write ``files`` (name: text) into the folder ``out``, replacing only files ``peel diff`` wrote there.

    A file of the same name that ``peel diff`` did not write (or that was edited since: its SHA-256 is not
    the one recorded in :data:`OWN_OUTPUTS`) is someone's work: nothing is written unless ``force``.

    Raises
    ------
    InputError
        When ``out`` is a file, not a folder; when a file to be replaced is not ``peel diff``'s and ``force``
        is false, or is not a regular file; or when writing fails. Nothing is written in the first cases.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(problem(out, "--out", "is a file: expected a folder to write diff.html and diff.csv in"))
    record = out / OWN_OUTPUTS
    try:
        own = json.loads(read_input(record).decode("utf-8")) if record.is_file() else {}
    except (OSError, UnicodeDecodeError, ValueError):
        own = {}
    own = own if isinstance(own, dict) else {}
    payloads = {name: text.encode("utf-8") for name, text in files.items()}
    refused = []
    for name, payload in payloads.items():
        path = out / name
        if not path.exists() and not path.is_symlink():
            continue
        try:
            current = read_input(path)
        except OSError as e:
            raise InputError(problem(path, "", f"{e}: expected a file peel diff wrote, or no file")) from None
        if current != payload and own.get(name) != _sha256(current):
            refused.append(problem(path, "", "was not written by peel diff (or was edited since): not replaced"))
    if refused and not force:
        raise InputError([*refused, problem("--force", "", "not given: nothing was written. Choose another folder "
                                                          "with --out, or give --force to replace these files")])
    written = []
    try:
        for name, payload in payloads.items():
            atomic_write(out / name, payload)
            own[name] = _sha256(payload)
            written.append(out / name)
        atomic_write(record, json.dumps(dict(sorted(own.items())), indent=1) + "\n")
    except OSError as e:
        where = Path(e.filename) if e.filename else out
        raise InputError(problem(where, "", f"cannot be written ({e.strerror or e})")) from None
    return written
