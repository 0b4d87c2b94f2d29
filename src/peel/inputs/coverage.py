"""Is every figure the catalogue quotes loaded? "Not supplied" told apart from "not loaded".

A force that did not supply a figure has an explicit row with an empty value (optionally a ``note``)
in national.csv. A gap is something else: a catalogue measure with no rows at all for the period it
quotes (an error: a file was not loaded, or the catalogue's period is wrong), or a force with no row
for a measure and period that other forces have (a warning: the report then says the figure is not in
the national data, without blaming the force; an explicit row says it did not supply it).

A partial figure is a third thing: a row whose ``coverage`` (the share of its count the figure covers, such
as the offences with an outcome assigned out of the offences recorded) is under the measure's completeness
rule, or under :data:`DEFAULT_MIN_SHARE` when the catalogue gives the measure none (a warning for each).
"""

from __future__ import annotations

from peel.errors import Problem, problem
from peel.inputs.dataset import Dataset, partial_figures
from peel.inputs.forces import all_forces
from peel.inputs.periods import Period
from peel.inputs.tables import NATIONAL_FILE
from peel.numbers import share_percent

#: A figure covering less of its count than this is partial when its measure declares no completeness rule.
DEFAULT_MIN_SHARE = 0.95


def coverage(dataset: Dataset) -> tuple[list[Problem], list[str]]:
    """Errors (measures with no rows for their quoted period) and warnings (forces with no row).

    Returns
    -------
    tuple
        ``(problems, warnings)``: each problem names national.csv, the measure and the period; each
        warning names the measure, the period and the forces with no row.
    """
    path = dataset.root / NATIONAL_FILE
    nat = dataset.national
    have: dict[tuple[str, str], set[str]] = {}
    for (mid, iso), ids in nat.groupby(["measure", "period"], sort=False)["force_id"]:
        have[(str(mid), str(iso))] = set(ids)
    problems: list[Problem] = []
    for mid, m in dataset.catalogue.items():
        if (mid, m.period.iso) not in have:
            loaded = sorted(iso for (i, iso) in have if i == mid)
            problems.append(problem(
                path, f"measure {mid!r}, period {m.period.iso}",
                "no rows for the period the catalogue quotes (measures.yaml: period); load the figures for "
                "it, or give a force that did not supply its figure a row with an empty value"
                + (f"; the file has this measure for {', '.join(loaded)}" if loaded else
                   "; the file has no rows for this measure at all")))
    names = {f.id: f.name for f in all_forces()}
    warnings: list[str] = []
    for (mid, iso), forces in have.items():
        absent = [names[f] for f in names if f not in forces]
        if absent and mid in dataset.catalogue:
            warnings.append(
                f"{path.name}: measure {mid!r}, period {iso}: no row for {', '.join(absent)} "
                f"({len(forces)} of {len(names)} forces have one); the report says the figure is not in the "
                "national data. If a force did not supply it, add its row with an empty value (and a note).")
    return problems, warnings


def partial_warnings(dataset: Dataset) -> list[str]:
    """One warning per partial force-period of a catalogue measure, naming the rule and what it does."""
    path = dataset.root / NATIONAL_FILE
    names = {f.id: f.name for f in all_forces()}
    nat = dataset.national
    out: list[str] = []
    for mid, m in dataset.catalogue.items():
        min_share, below = m.completeness if m.completeness is not None else (DEFAULT_MIN_SHARE, "")
        periods = sorted(set(nat.loc[nat["measure"] == mid, "period"]))
        for iso in periods:
            quoted = iso == m.period.iso
            for fid, share in sorted(partial_figures(nat, mid, iso, min_share).items()):
                if not below:
                    does = "measures.yaml gives this measure no completeness rule"
                elif quoted:
                    does = {"exclude": "the report leaves it out of the comparison",
                            "note": "the report shows it with a note"}[below]
                else:
                    does = f"completeness rule: below {below}"
                out.append(f"{path.name}: measure {mid!r}, period {iso}{' (quoted)' if quoted else ''}: "
                           f"{names.get(fid, fid)}'s figure covers {share_percent(share, min_share)} of its count, "
                           f"under {share_percent(min_share)} ({does})")
    return out


def period_warnings(dataset: Dataset, reference: Period) -> list[str]:
    """One warning per catalogue measure whose quoted period does not fall within the report's
    ``reference_period`` (notebooks/report.yaml)."""
    out = []
    for mid, m in dataset.catalogue.items():
        if reference.start <= m.period.start and m.period.end <= reference.end:
            continue
        moved = (f" (measures.yaml declares {m.declared_period.iso}; its completeness rule moved it)"
                 if m.declared_period is not None else "")
        out.append(f"measures.yaml: measure {mid!r} quotes {m.period.iso}{moved}, outside the "
                   f"report's reference period {reference.iso} (notebooks/report.yaml: reference_period)")
    return out
