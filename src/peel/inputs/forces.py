"""The 43 territorial police forces of England and Wales.

British Transport Police is not one of them: rows for it are accepted in any input and left out
of every England and Wales figure (see :data:`EXCLUDED_FROM_ENGLAND_AND_WALES`).
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from peel.errors import InputError, problem
from peel.paths import REFERENCE_DIR

FORCES_CSV = REFERENCE_DIR / "forces.csv"

#: Force ids accepted in inputs but never counted in England and Wales figures.
EXCLUDED_FROM_ENGLAND_AND_WALES = frozenset({"british-transport-police"})

#: What a force id looks like: lower-case words joined by hyphens. Anything else (a path such as
#: ``../x`` or ``/etc``) is refused before it can reach a file name.
FORCE_ID_PATTERN = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


@dataclass(frozen=True)
class Force:
    """One territorial police force."""

    id: str
    name: str
    pfa_name: str
    ons_code: str
    country: str


@lru_cache(maxsize=1)
def all_forces() -> tuple[Force, ...]:
    """The 43 forces in the reference order (ONS police force area code order)."""
    with FORCES_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        Force(r["force_id"], r["force_name"], r["pfa_name"], r["ons_pfa_code"], r["country"]) for r in rows
    )


def force_ids() -> tuple[str, ...]:
    """Ids of the 43 forces, in reference order."""
    return tuple(f.id for f in all_forces())


def get_force(force_id: str, source: str = "force id") -> Force:
    """Look up a force by id.

    Raises
    ------
    InputError
        When the id is malformed (for example a path) or names no force; the message lists
        the expected form.
    """
    if not isinstance(force_id, str) or not FORCE_ID_PATTERN.fullmatch(force_id):
        raise InputError(
            problem(source, repr(force_id), "not a force id: expected lower-case words joined by hyphens, "
                    "such as 'metropolitan' (see 'peel forces')")
        )
    for f in all_forces():
        if f.id == force_id:
            return f
    close = difflib.get_close_matches(force_id, force_ids(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InputError(problem(source, repr(force_id),
                             f"unknown force{hint}: expected one of the 43 ids listed by 'peel forces'"))
