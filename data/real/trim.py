"""The last step of data/real/rebuild.sh: two adjustments the imported tables cannot make themselves.

Usage: python3 data/real/trim.py DATASET_DIR

1. Rates per 1,000 population need the ONS mid-year estimate of the year of the period's midpoint.
   Recorded crime is published to the year ending March 2026, but the latest estimate held is
   mid-2023, so the recorded crime rows for 2024/25 and later are dropped once the outcomes import
   has used them as the charge rate's denominator (their counts stay there). The source's ``rows``
   in dataset.yaml is lowered to match.
2. Known gaps in a secondary copy that holds yearly totals only, so the importer cannot see the
   missing quarters: each listed row is kept, emptied, and given the reason in its ``note``.

Only the standard library is used; the output is deterministic.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

#: Measures whose value is a rate per 1,000 population (data/real/measures.yaml).
RATES = ("recorded_crime_per_1000", "officer_fte_per_1000", "pcso_fte_per_1000")

#: (force_id, measure, period) -> why the published yearly total is not a whole year's figure.
GAPS = {
    ("greater-manchester", "charge_summons_rate", "2019-04-01/2020-03-31"):
        "Greater Manchester Police supplied no outcomes data from July 2019 to March 2020 (Home Office "
        "crime outcomes tables), so its 2019/20 total covers three months only",
}


def _midpoint_year(period: str) -> int:
    from datetime import date

    start, end = (date.fromisoformat(d) for d in period.split("/"))
    return date.fromordinal(start.toordinal() + (end - start).days // 2).year


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([r[h] for h in header] for r in rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def main(folder: Path) -> None:
    with (folder / "population.csv").open(encoding="utf-8", newline="") as fh:
        have = {(r["force_id"], int(r["year"])) for r in csv.DictReader(fh)}
    with (folder / "national.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    kept, dropped = [], {}
    for r in rows:
        if r["measure"] in RATES and (r["force_id"], _midpoint_year(r["period"])) not in have:
            dropped[r["source"]] = dropped.get(r["source"], 0) + 1
            continue
        gap = GAPS.get((r["force_id"], r["measure"], r["period"]))
        if gap:
            r.update(value="", numerator="", denominator="", note=gap)
        kept.append(r)
    missing = [k for k in GAPS if not any((r["force_id"], r["measure"], r["period"]) == k for r in kept)]
    if missing:
        sys.exit(f"trim.py: {folder / 'national.csv'}: no row for {missing}: expected the imported rows")
    _write(folder / "national.csv", header, kept)

    text = (folder / "dataset.yaml").read_text(encoding="utf-8")
    for source, n in sorted(dropped.items()):
        block = re.search(rf"^  {re.escape(source)}:\n(?:    .*\n)*?    rows: (\d+)\n", text, flags=re.MULTILINE)
        if block is None:
            sys.exit(f"trim.py: {folder / 'dataset.yaml'}: no 'rows' for source {source}")
        start, end = block.span(1)
        text = text[:start] + str(int(block.group(1)) - n) + text[end:]
        print(f"trim.py: {source}: {n} rows of rates with no ONS population estimate dropped")
    (folder / "dataset.yaml").write_text(text, encoding="utf-8")
    for key in GAPS:
        print(f"trim.py: {', '.join(key)}: not available (a known gap in the published table)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 data/real/trim.py DATASET_DIR")
    main(Path(sys.argv[1]))
