"""One resolver from the many spellings of a force in the published tables to the project's force ids.

The tables spell forces in several ways ("Avon & Somerset", "London, City of", "Metropolitan Police",
"Hampshire and Isle of Wight", ONS codes E23…/W15…). Rows that are not one of the 43 territorial forces
(British Transport Police, the national fraud bodies, England/Wales totals) are *set aside*: counted and
reported, never silently dropped. Anything else is an error naming file, sheet, row and column.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from peel.inputs.forces import all_forces

#: Extra spellings seen in the Home Office and ONS tables (folded as :func:`_key` folds them).
ALIASES = {
    "metropolitan police": "metropolitan", "metropolitan": "metropolitan", "met police": "metropolitan",
    "hampshire and isle of wight": "hampshire", "hampshire": "hampshire",
    "devon and cornwall": "devon-and-cornwall", "avon and somerset": "avon-and-somerset",
    "dyfed powys": "dyfed-powys", "greater manchester": "greater-manchester",
    # Short names analysts use in their own tables ("the Met", "MPS", "GMP").
    "met": "metropolitan", "the met": "metropolitan", "mps": "metropolitan", "gmp": "greater-manchester",
    "tvp": "thames-valley", "city of london": "city-of-london", "london city of": "city-of-london",
}

#: Rows that are not one of the 43 forces, by folded name or code -> the label reported when set aside.
SET_ASIDE = {
    "british transport police": "British Transport Police", "btp": "British Transport Police",
    "action fraud": "Action Fraud", "cifas": "CIFAS", "uk finance": "UK Finance",
    "financial fraud action uk": "Financial Fraud Action UK", "ffa uk": "Financial Fraud Action UK",
    "england and wales": "England and Wales total", "england": "England total", "wales": "Wales total",
    "total": "total row", "england and wales total": "England and Wales total",
    "k04000001": "England and Wales total", "e92000001": "England total", "w92000004": "Wales total",
}

#: The totals among :data:`SET_ASIDE` (used to check that the 43 forces add up).
TOTALS = {"England and Wales total", "England total", "Wales total", "total row"}

_DROP = re.compile(r"\b(police|constabulary|service|force|pfa|area)\b")


def _key(name: object) -> str:
    s = str(name).replace("\u00a0", " ").casefold().replace("&", " and ")
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return re.sub(r"\s+", " ", s)


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for f in all_forces():
        for spelling in (f.id, f.id.replace("-", " "), f.name, f.pfa_name, f.ons_code):
            table[_key(spelling)] = f.id
            table[_DROP.sub(" ", _key(spelling)).strip().replace("  ", " ")] = f.id
    table.update(ALIASES)
    return table


def closest(name: object) -> str | None:
    """The police force area's published name whose spelling is closest to ``name`` ("Metropolitan Police"
    for "Metropolitn"), or ``None`` when none is close; spellings are compared folded, without "Police" and
    the like, so that a typing slip in the place name counts, not the words around it."""
    names = {f.id: f.pfa_name for f in all_forces()}
    spellings = {k: fid for k, fid in _table().items() if fid in names}
    short = re.sub(r"\s+", " ", _DROP.sub(" ", _key(name))).strip()
    close = difflib.get_close_matches(short or _key(name), list(spellings), n=1, cutoff=0.6)
    return names[spellings[close[0]]] if close else None


def resolve(name: object) -> str | tuple[str]:
    """A force id, or a one-element tuple ``(label,)`` for a row to set aside.

    Raises
    ------
    KeyError
        With a message (no file or row: the caller adds them) when the name is unknown.
    """
    k = _key(name)
    if k in SET_ASIDE:
        return (SET_ASIDE[k],)
    table = _table()
    if k in table:
        return table[k]
    short = re.sub(r"\s+", " ", _DROP.sub(" ", k)).strip()
    if short in table:
        return table[short]
    if short in SET_ASIDE:
        return (SET_ASIDE[short],)
    hint = f" (did you mean {closest(name)!r}?)" if closest(name) else ""
    raise KeyError(f"unknown force {str(name).strip()!r}{hint}: expected one of the 43 police force areas "
                   "(by name or ONS code E23…/W15…), or British Transport Police, a fraud body or a total row, "
                   "which are set aside")
