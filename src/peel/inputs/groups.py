"""Groups of most similar forces: a table of force -> group that a dataset may declare.

``dataset.yaml`` declares the file, the grouping's title, whether it is illustrative and the id of the
source it came from (``groups:``; the schema is :class:`peel.inputs.schemas.groups.GroupsDeclaration`).
A catalogue measure with ``compare: group`` then compares each force with the forces of its own group:
the lines are one standard deviation either side of the group's unweighted mean, and the sentence
names the group. :func:`read_groups` lists every problem with the file, each naming the row.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peel.errors import Problem, problem
from peel.inputs.forces import EXCLUDED_FROM_ENGLAND_AND_WALES, force_ids
from peel.inputs.schemas.groups import GROUPS_COLUMNS
from peel.inputs.tables import read_csv

#: How an illustrative grouping is labelled wherever a report shows it.
ILLUSTRATIVE_LABEL = "an illustrative grouping, not a published one"


@dataclass(frozen=True)
class Groups:
    """The dataset's groups of most similar forces.

    Attributes
    ----------
    title
        The grouping's name (``groups.title`` in dataset.yaml).
    illustrative
        True when the grouping was made up to show the feature, not published: every report showing a
        group says so.
    source
        The id of the entry of the dataset's ``sources`` the grouping came from.
    of
        Force id -> the name of its group, for each of the 43 forces.
    """

    title: str
    illustrative: bool
    source: str
    of: dict[str, str] = field(default_factory=dict)

    def group_of(self, force_id: str) -> str:
        """The name of the force's group (KeyError when the force is in none)."""
        return self.of[force_id]

    def members(self, group: str) -> tuple[str, ...]:
        """The ids of the forces in ``group``, in reference order."""
        return tuple(f for f in force_ids() if self.of.get(f) == group)

    def label(self, group: str) -> str:
        """The group as a report names it: "Mostly urban", or with the illustrative label when it is one."""
        return f"{group}, {ILLUSTRATIVE_LABEL}" if self.illustrative else group


def read_groups(path: Path, title: str, illustrative: bool, source: str,
                problems: list[Problem]) -> Groups | None:
    """Read and check the groups file; problems name the file, the row and what was expected.

    Refused: missing or extra columns, an unknown force, a force in two groups (or twice), a group of one
    force, and any of the 43 forces in no group (a ``compare: group`` measure needs every force's group).
    """
    rows = read_csv(path, GROUPS_COLUMNS, problems)
    if rows is None:
        return None
    before = len(problems)
    known = force_ids()
    of: dict[str, str] = {}
    first_row: dict[str, int] = {}
    rows_of_group: dict[str, list[int]] = {}
    for n, r in rows:
        where = f"row {n}"
        fid, group = r["force_id"].strip(), " ".join(r["group"].split())
        if fid not in known:
            problems.append(problem(path, where, _unknown(fid)))
            continue
        if not group:
            problems.append(problem(path, where, f"column group: empty: expected the name of {fid}'s group"))
            continue
        if fid in of:
            same = of[fid] == group
            problems.append(problem(path, where, f"{fid} is already in group {of[fid]!r} (row {first_row[fid]})"
                                    + ("" if same else f" and cannot also be in {group!r}")
                                    + ": expected each force in exactly one group"))
            continue
        of[fid], first_row[fid] = group, n
        rows_of_group.setdefault(group, []).append(n)
    for group, at in rows_of_group.items():
        if len(at) == 1:
            problems.append(problem(path, f"row {at[0]}", f"group {group!r} has only one force: expected at least "
                                    "two forces in a group (a force cannot be compared with a group of itself)"))
    absent = [f for f in known if f not in of]
    if absent and len(problems) == before:
        problems.append(problem(path, "", f"{len(absent)} force(s) in no group: {', '.join(absent)}: expected "
                                "every one of the 43 forces listed by 'peel forces' in one group"))
    if len(problems) > before:
        return None
    return Groups(" ".join(title.split()), illustrative, source, of)


def _unknown(fid: str) -> str:
    if not fid:
        return "missing force_id: expected one of the 43 ids listed by 'peel forces'"
    if fid in EXCLUDED_FROM_ENGLAND_AND_WALES:
        return (f"{fid} is not one of the 43 forces of England and Wales and is never compared: "
                "expected one of the 43 ids listed by 'peel forces'")
    close = difflib.get_close_matches(fid, force_ids(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown force {fid!r}{hint}: expected one of the 43 ids listed by 'peel forces'"


def check_groups_source(dataset_path: Path, groups: dict[str, Any], sources: dict[str, dict[str, Any]]
                        ) -> list[Problem]:
    """The grouping's ``source`` must be an entry of ``sources``; a made-up one (``table: none``) must say
    it is illustrative. (Checked here, not in the schema: a JSON Schema cannot refer to another key's keys.)"""
    entry = sources.get(groups["source"])
    if entry is None:
        known = ", ".join(sources) or "none declared"
        return [problem(dataset_path, "groups.source", f"unknown source {groups['source']!r}: expected the id of an "
                        f"entry of 'sources' saying where the grouping came from ({known})")]
    if not groups["illustrative"] and entry.get("table") == "none":
        return [problem(dataset_path, "groups.illustrative", f"source {groups['source']!r} is not a published table "
                        "(table: none): expected illustrative: true, or a source naming the publication of the "
                        "grouping")]
    return []


def check_group_measures(catalogue_path: Path, catalogue: dict[str, Any], groups: Groups | None,
                         dataset_path: Path) -> list[Problem]:
    """A ``compare: group`` measure in a dataset that declares no groups, as problems of the catalogue."""
    if groups is not None:
        return []
    return [problem(catalogue_path, f"measures.{mid}.compare",
                    f"compare: group needs groups of most similar forces: expected a 'groups:' entry in "
                    f"{Path(dataset_path).name} naming the groups file (data/README.md, 'Most similar groups'), "
                    "or another comparison")
            for mid, m in catalogue.items() if m.compare == "group"]
