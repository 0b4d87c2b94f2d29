"""Is every figure the catalogue quotes loaded? "Not supplied" told apart from "not loaded".

A force that did not supply a figure has an explicit row with an empty value (optionally a ``note``)
in national.csv. A gap is something else: a catalogue measure with no rows at all for the period it
quotes (an error: a file was not loaded, or the catalogue's period is wrong), or a force with no row
for a measure and period that other forces have (a warning: the report then says the figure is not in
the national data, without blaming the force; an explicit row says it did not supply it).
"""

from __future__ import annotations

from peel.errors import Problem, problem
from peel.inputs.dataset import NATIONAL_FILE, Dataset
from peel.inputs.forces import all_forces


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
