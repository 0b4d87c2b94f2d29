#!/bin/sh
# Rebuild the real dataset (dataset.yaml, population.csv, national.csv) from the published tables in
# data/published/ with 'peel import', then trim.py (see data/real/README.md). The same files give the
# same bytes.
#
#   data/real/rebuild.sh            rewrite data/real/
#   data/real/rebuild.sh OUT_DIR    write the three files to OUT_DIR instead (it must exist)
#
# PEEL and PYTHON name the commands to use (default: peel and python3 on the PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$here}
if [ ! -d "$out" ]; then
    echo "rebuild.sh: $out: no such folder: expected an existing folder to write the dataset to" >&2
    exit 1
fi
peel=${PEEL:-peel}
python=${PYTHON:-python3}
pub=$root/data/published
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/dataset.yaml" <<'YAML'
# The real national dataset: every figure is a published Home Office or ONS statistic, imported from
# data/published/ by data/real/rebuild.sh (see README.md in this folder). Do not edit by hand.
name: PEEL national dataset from published Home Office and ONS statistics
demonstration: false
notice: ""
YAML

# Population first: rates need it. Mid-2001 to mid-2020, mid-2021, mid-2022, mid-2023.
lookup=$pub/lad_pfa_lookup.csv
for f in crime-pressure-force-2022-pop-data.csv.gz ukpopestimatesmid2021on2021geographyfinal.xls \
         mye22final.xlsx lad_population_mid2023_from_budget-galaxy.csv; do
    "$peel" import population "$pub/$f" --lookup "$lookup" --data "$work"
done
# Recorded crime before outcomes: the charge rate's denominator is the offences recorded.
"$peel" import recorded-crime "$pub/denominators.csv" --data "$work"
"$peel" import outcomes "$pub/force_year_subset_2019-20_to_2025-26.csv" --data "$work"
"$peel" import workforce "$pub/police-uplift-2022-data.csv.gz" --data "$work"
# Stop and search (ppap-totals.csv, year ending March 2025) is not imported: its rate per 1,000
# needs the mid-2024 population estimate, which data/published/ does not hold.
"$python" "$here/trim.py" "$work"

cp "$here/measures.yaml" "$work/measures.yaml"
"$peel" validate --data "$work" --params "$root/params" >/dev/null
for f in dataset.yaml population.csv national.csv; do
    cp "$work/$f" "$out/$f.tmp"
    mv "$out/$f.tmp" "$out/$f"
done
echo "rebuilt $out: dataset.yaml, population.csv, national.csv"
