"""Layouts of the official tables, declared as data, and the one place that matches a header to them.

A :class:`Layout` names the sheets a table is on, its columns and, for each column, every spelling the
publishers have used across editions (``Geocode``/``Geo code``, ``Rank``/``Rank description``, the
underscored headers of one re-published copy, the snake_case headers of another). Headers are compared
after folding case and spaces (non-breaking ones too), so ``Force Name`` and ``Force name`` are one
spelling; genuinely different words, and the underscored headers of a copy, are listed as variants.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsInt

#: Cells that mean "no figure" in the Home Office tables (compared case-folded, spaces collapsed).
#: "N/A - data not provided" is missing data, not zero: the force did not supply it.
MISSING_SPELLINGS = frozenset({
    "n/a", "na", "n/a - data not provided", "n/a - data not available", "n/a - not applicable",
    "not available", "..", ":", "[x]", "[z]", "[c]", "-", "x",
})


def fold(text: object) -> str:
    """A header or name compared loosely: case, non-breaking and repeated spaces folded.

    Underscores are *not* folded: an underscored header marks a re-published copy, declared as its own layout.
    """
    s = str(text).replace("\u00a0", " ").strip().casefold()
    return re.sub(r"\s+", " ", s)


@dataclass(frozen=True)
class Column:
    """One column of a layout.

    Attributes
    ----------
    key
        The name the importer uses for it.
    spellings
        Every header the publishers have used for it, the current one first.
    required
        A layout matches a sheet only when every required column is there.
    """

    key: str
    spellings: tuple[str, ...]
    required: bool = True

    def matches(self, header: str) -> bool:
        h = fold(header)
        return any(fold(s) == h for s in self.spellings)


@dataclass(frozen=True)
class Layout:
    """One published layout (an edition or a re-published copy) of a table.

    Attributes
    ----------
    id
        Short name used in messages and tests.
    label
        What the dataset records in ``sources.<id>.layout``: ``official`` or ``secondary: <where>``.
    sheets
        Regular expression a sheet name must match fully (``None``: any sheet; CSV files have one).
        Every matching sheet is read (one sheet per financial year in the recorded crime table).
    columns
        The columns, required and optional.
    annual
        True when rows are already totals per year (no quarter column to check for completeness).
    header_scan
        How many rows from the top are searched for the header row (title rows come first).
    csv
        ``True``: only a CSV file has this layout (the re-published copies); ``False``: only a
        spreadsheet; ``None``: either.
    sheet_label
        How a message names the expected sheet(s), when ``sheets`` is a pattern a reader would not parse.
    totals
        True when the table has one row per force and year (a copy of yearly totals): a force and year
        given twice, or a negative count, is then an error. Other tables have many rows per force and
        period (by offence, outcome type, ethnicity...) and correction rows; only a whole row given
        twice is an error there.
    """

    id: str
    label: str
    sheets: str | None
    columns: tuple[Column, ...]
    annual: bool = False
    header_scan: int = 30
    csv: bool | None = None
    sheet_label: str = ""
    totals: bool = False

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def sheet_matches(self, name: str) -> bool:
        return self.sheets is None or re.fullmatch(self.sheets, name.strip(), flags=re.IGNORECASE) is not None

    def match_header(self, cells: Sequence[object]) -> dict[str, int] | None:
        """Column key -> position when ``cells`` is a header of this layout, else ``None``."""
        found: dict[str, int] = {}
        for i, cell in enumerate(cells):
            if cell is None or str(cell).strip() == "":
                continue
            for col in self.columns:
                if col.key not in found and col.matches(str(cell)):
                    found[col.key] = i
                    break
        if all(c.key in found for c in self.required):
            return found
        return None

    def score(self, cells: Sequence[object]) -> int:
        """How many required columns ``cells`` has (to pick the layout a wrong header was meant to be)."""
        heads = [str(c) for c in cells if c is not None and str(c).strip()]
        return sum(1 for col in self.required if any(col.matches(h) for h in heads))

    def explain_missing(self, cells: Sequence[object]) -> str:
        """Which required columns a header lacks, their accepted spellings, and the closest header found."""
        heads = [str(c).strip() for c in cells if c is not None and str(c).strip()]
        parts = []
        for col in self.required:
            if any(col.matches(h) for h in heads):
                continue
            close = difflib.get_close_matches(fold(col.spellings[0]), [fold(h) for h in heads], n=1, cutoff=0.6)
            hint = ""
            if close:
                original = next(h for h in heads if fold(h) == close[0])
                hint = f" (did you mean {original!r}?)"
            spelt = " or ".join(repr(s) for s in col.spellings)
            parts.append(f"missing column {spelt}{hint}")
        return "; ".join(parts)


def parse_count(cell: object) -> tuple[float | None, bool]:
    """A count cell as ``(number, ok)``: ``(None, True)`` for an empty or "N/A" cell, ``ok`` False for text.

    Negative numbers are accepted: the tables carry correction rows, which are real and are summed.
    """
    if cell is None:
        return None, True
    if isinstance(cell, bool):
        return None, False
    if isinstance(cell, (int, float)):
        if cell != cell:  # NaN: an empty cell
            return None, True
        return float(cell), True
    t = fold(cell)
    if t == "" or t in MISSING_SPELLINGS or t.startswith("n/a"):
        return None, True
    t = t.replace("\u2009", "").replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", t):
        t = t.replace(",", "")
    if re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", t):
        return float(t), True
    return None, False


def whole(x: object) -> int:
    """A cell or group key that holds a whole number (an int, or numpy's), as an int."""
    if not isinstance(x, SupportsInt):
        raise TypeError(f"expected a whole number, found {x!r}")
    return int(x)


def cell_text(cell: object) -> str:
    """A cell as a user sees it in a spreadsheet: ``5`` not ``5.0``, ``12.5`` not ``np.float64(12.5)``."""
    if hasattr(cell, "item"):
        cell = cell.item()  # a numpy scalar
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
