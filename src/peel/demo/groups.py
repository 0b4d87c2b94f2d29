"""The demonstration dataset's ILLUSTRATIVE groups of similar forces and the one measure compared with them.

The grouping is made up to show ``compare: group``: it is not the Home Office's (or anyone's) published
most similar groups, and every report that shows it says so. The measure compared with it, the share
of officers in neighbourhood policing roles, is synthetic for every force, the Metropolitan Police
Service's included (its published report gives no such figure). Its figures are drawn from a
generator of their own, so the other synthetic figures are the same as without it.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from peel.inputs.forces import force_ids
from peel.inputs.periods import financial_year

#: The catalogue id of the measure compared with the groups, and the period the report quotes (2022/23).
GROUP_MEASURE = "neighbourhood_officer_share"
GROUP_PERIOD = financial_year(2022)
GROUP_PERIODS = (financial_year(2020), financial_year(2021), GROUP_PERIOD)
GROUPS_FILE = "groups.csv"
GROUPS_SOURCE = "illustrative/similar-force-groups"
GROUPS_TITLE = "illustrative groups of similar forces, made up for the demonstration data"
_SEED = 20240810

#: Group name -> forces. Made up from geography and size alone, to show the feature.
GROUPS: dict[str, tuple[str, ...]] = {
    "Large metropolitan": ("metropolitan", "city-of-london", "greater-manchester", "west-midlands",
                           "west-yorkshire", "merseyside", "northumbria", "south-yorkshire"),
    "Northern urban and mixed": ("lancashire", "cleveland", "humberside", "durham", "cheshire", "nottinghamshire"),
    "Midlands and eastern": ("leicestershire", "derbyshire", "staffordshire", "northamptonshire", "bedfordshire",
                             "cambridgeshire"),
    "South-eastern counties": ("thames-valley", "hampshire", "kent", "essex", "sussex", "hertfordshire", "surrey"),
    "Mostly rural England": ("cumbria", "north-yorkshire", "lincolnshire", "norfolk", "suffolk", "west-mercia",
                             "warwickshire", "devon-and-cornwall", "dorset", "wiltshire", "gloucestershire"),
    "Wales and the south west": ("south-wales", "gwent", "north-wales", "dyfed-powys", "avon-and-somerset"),
}
#: Each group's typical share of officers in neighbourhood roles (percent): groups differ, so comparing within
#: them matters.
_GROUP_LEVEL = {"Large metropolitan": 14.5, "Northern urban and mixed": 17.0, "Midlands and eastern": 18.5,
                "South-eastern counties": 16.0, "Mostly rural England": 21.5, "Wales and the south west": 19.5}


def group_of() -> dict[str, str]:
    """Force id -> its illustrative group, for the 43 forces."""
    return {f: g for g, members in GROUPS.items() for f in members}


def groups_csv() -> str:
    """groups.csv: force_id,group in reference order."""
    of = group_of()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["force_id", "group"])
    for f in force_ids():
        w.writerow([f, of[f]])
    return buf.getvalue()


def neighbourhood_table(pop: dict[str, dict[int, int]]) -> dict:
    """The synthetic measure's table (period -> force -> (officers in neighbourhood roles, officers)), for the
    three financial years to 2022/23 (the quoted one last), each force drifting a little year on year."""
    rng = np.random.default_rng(_SEED)
    of = group_of()
    ids = force_ids()
    per_1000 = {f: float(np.clip(2.05 + 0.22 * rng.standard_normal(), 1.6, 2.7)) for f in ids}
    pct = {f: float(np.clip(_GROUP_LEVEL[of[f]] + 2.0 * rng.standard_normal(), 8.0, 30.0)) for f in ids}
    table = {}
    for back, period in enumerate(reversed(GROUP_PERIODS)):
        if back:
            pct = {f: float(np.clip(pct[f] + 0.4 + 0.8 * rng.standard_normal(), 8.0, 30.0)) for f in ids}
        row = {}
        for f in ids:
            officers = int(round(pop[f][period.midpoint_year] / 1000 * per_1000[f]))
            if f == "city-of-london":
                officers = 980  # a small resident population policed by a force sized for its daytime one
            row[f] = (int(round(pct[f] / 100 * officers)), officers)
        table[period] = row
    return dict(sorted(table.items()))


#: The force whose demonstration report shows the group comparison in a finding of its own. Not the
#: Metropolitan Police Service: its report reproduces the published one, which has no such chart.
GROUP_DEMO_FORCE = "west-midlands"
GROUP_DEMO_AREA = "preventing_crime"
GROUP_DEMO_FINDING = {
    "heading": "Demonstration: comparing the force with its most similar group",
    "text": (
        "This finding was written for the demonstration data, not by an inspection. It shows how a national "
        "measure is compared with the forces of a most similar group instead of with all forces. The grouping "
        "is illustrative, not a published one, and the figures are synthetic: they say nothing about the "
        "force's neighbourhood policing.\n"
    ),
    "measures": [GROUP_MEASURE],
}
