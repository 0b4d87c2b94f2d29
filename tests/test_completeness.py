"""Completeness as data: the share of its count a figure covers, the catalogue's rule, the period quoted."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from peel.analysis.comparison import compare
from peel.analysis.numbered_figure import _notes
from peel.analysis.statements import measure_records
from peel.analysis.wording import measure_sentence_parts
from peel.errors import InputError
from peel.ingest import import_table
from peel.inputs.dataset import load_dataset
from peel.inputs.validate import validate_all
from peel.method import band_lines

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = REPO / "data" / "published" / "force_year_subset_2019-20_to_2025-26.csv"
CHARGE = "charge_summons_rate"
Y2324 = "2023-04-01/2024-03-31"
Y2425 = "2024-04-01/2025-03-31"
Y2526 = "2025-04-01/2026-03-31"


@pytest.fixture
def real(tmp_path: Path) -> Path:
    """A copy of the real dataset (recorded crime gives the charge rate's denominators)."""
    folder = tmp_path / "real"
    folder.mkdir()
    for name in ("dataset.yaml", "measures.yaml", "national.csv", "population.csv"):
        shutil.copyfile(REPO / "data" / "real" / name, folder / name)
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _recorded(data: Path, force_id: str, period: str) -> float:
    return next(float(r["numerator"]) for r in _rows(data / "national.csv")
                if r["force_id"] == force_id and r["measure"] == "recorded_crime_per_1000" and r["period"] == period)


def _partial_table(data: Path, out: Path) -> Path:
    """The published force-year outcomes for 2023/24 with Humberside's outcomes assigned to 85% of its offences
    (0.842 as published)."""
    rows = [r for r in _rows(PUBLISHED) if r["fy"] == "2023/24"]
    assert sum(r["slug"] == "humberside" for r in rows) == 1
    for r in rows:
        if r["slug"] == "humberside":
            r["recorded_all_assigned"] = str(round(0.85 * _recorded(data, "humberside", Y2324)))
    path = out / "outcomes_2023_24.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _rule(data: Path, below: str, period: str | None = Y2324) -> None:
    path = data / "measures.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = doc["measures"][CHARGE]
    entry["completeness"] = {"min_share": 0.95, "below": below}
    if period is not None:
        entry["period"] = period
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _humberside(data: Path) -> dict[str, str]:
    return next(r for r in _rows(data / "national.csv")
                if r["force_id"] == "humberside" and r["measure"] == CHARGE and r["period"] == Y2324)


def test_the_import_records_the_share_with_an_outcome_and_validate_lists_the_partial_year(real, tmp_path):
    import_table("outcomes", _partial_table(real, tmp_path), real)
    assert _humberside(real)["coverage"] == "0.8500"
    kent = next(r for r in _rows(real / "national.csv")
                if r["force_id"] == "kent" and r["measure"] == CHARGE and r["period"] == Y2324)
    assert 0.95 < float(kent["coverage"]) <= 1

    warnings: list[str] = []
    summary = validate_all(real, REPO / "params", warnings=warnings)
    humber = [w for w in warnings if "Humberside Police's figure covers" in w and Y2324 in w]
    assert humber == [f"national.csv: measure {CHARGE!r}, period {Y2324}: Humberside Police's figure covers 85% of "
                      "its count, under 95% (completeness rule: below exclude)"]
    assert "warning: " + humber[0] in summary and "no problems found" in summary
    # A figure with no coverage stated reads as complete: nothing is listed for it.
    assert not any("'recorded_crime_per_1000'" in w and "figure covers" in w for w in warnings)


def test_below_note_says_so_in_the_sentence_the_chart_note_and_statements(real, tmp_path):
    import_table("outcomes", _partial_table(real, tmp_path), real)
    _rule(real, "note")
    c = compare(load_dataset(real), CHARGE)
    assert c.period.iso == Y2324 and c.row("humberside").included
    parts = dict(measure_sentence_parts(c, "humberside"))
    assert parts["completeness"] == ("This figure is incomplete: it covers 85% of the count, less than the 95% "
                                     "this measure asks for, and may rise as the count is completed.")
    assert "completeness" not in dict(measure_sentence_parts(c, "kent"))
    notes = " ".join(_notes(c))
    assert "Humberside Police (85%)" in notes and "less than 95% of the count" in notes
    records = measure_records(c, "humberside", "investigating_crime", "real")
    assert {r["coverage"] for r in records} == {0.85}
    assert any(r["sentence_kind"] == "completeness" for r in records)


def test_below_exclude_leaves_the_force_out_of_the_mean_and_names_it(real, tmp_path):
    import_table("outcomes", _partial_table(real, tmp_path), real)
    _rule(real, "exclude")
    c = compare(load_dataset(real), CHARGE)
    assert not c.row("humberside").included
    kept = [r.value for r in c.rows if r.force_id != "humberside" and c.row(r.force_id).included]
    assert len(kept) == 42
    assert c.lines == band_lines(kept)
    text = " ".join(measure_sentence_parts(c, "humberside")[i][1] for i in range(2))
    assert "Humberside Police's figure for 2023/24 is incomplete: it covers 85% of its count" in text
    assert any("Not shown or included in the lines: Humberside Police." in n for n in _notes(c))


def test_an_incomplete_latest_period_quotes_the_previous_complete_one(real):
    # The real data: about 7% of the offences recorded in 2025/26 have no outcome yet.
    m = load_dataset(real).measure(CHARGE)
    assert m.period.iso == Y2425 and m.declared_period is not None and m.declared_period.iso == Y2526
    assert m.note is not None and m.note.startswith(
        "Figures for 2024/25: those for 2025/26 are incomplete (they cover 93% of the count across forces, less "
        "than 95%), so this report quotes the latest period that is complete.")
    c = compare(load_dataset(real), CHARGE)
    assert c.period.iso == Y2425 and all(p.end <= c.period.end for p in c.history_periods)

    # Without the coverage column the figures read as complete, and the declared period stands.
    path = real / "national.csv"
    rows = _rows(path)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k != "coverage"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    m = load_dataset(real).measure(CHARGE)
    assert m.period.iso == Y2526 and m.declared_period is None


def test_a_headline_period_outside_the_reference_period_is_warned_about(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    doc = yaml.safe_load((REPO / "notebooks" / "report.yaml").read_text(encoding="utf-8"))
    doc["reference_period"] = "2022-04-01/2023-03-31"
    (notebooks / "report.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    warnings: list[str] = []
    validate_all(REPO / "data", REPO / "params", notebooks, warnings=warnings)
    outside = sorted(w.split("'")[1] for w in warnings if "outside the report's reference period" in w)
    catalogue = yaml.safe_load((REPO / "data" / "measures.yaml").read_text(encoding="utf-8"))["measures"]
    want = sorted(mid for mid, e in catalogue.items() if e["period"] != "2022-04-01/2023-03-31")
    assert want and outside == want
    # The shipped reference period fits every demonstration measure.
    warnings = []
    validate_all(REPO / "data", REPO / "params", warnings=warnings)
    assert not any("reference period" in w for w in warnings)

    doc["reference_period"] = "2023-04-01/2022-03-31"
    (notebooks / "report.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="reference_period"):
        validate_all(REPO / "data", REPO / "params", notebooks)


@pytest.mark.parametrize("cell", ["1.2", "85%", "-0.1"])
def test_a_coverage_that_is_not_a_share_is_refused_naming_the_row(real, cell):
    path = real / "national.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(n for n, ln in enumerate(lines) if ln.startswith("humberside,charge_summons_rate,2024-04-01"))
    head, _, _ = lines[i].rstrip("\n").rpartition(",")
    lines[i] = f"{head},{cell}\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as e:
        validate_all(real, REPO / "params")
    assert f"national.csv, row {i + 1}: column coverage" in str(e.value)


def test_a_national_trend_that_leaves_out_a_force_names_it(real):
    from peel.render.overview import _left_out_note

    c = compare(load_dataset(real), CHARGE)
    assert {p.iso: names for p, names in c.left_out_of_history().items()} == {
        "2019-04-01/2020-03-31": ("Greater Manchester Police",)}
    assert _left_out_note(c) == ("The England and Wales figure for 2019/20 leaves out Greater Manchester Police, "
                                 "which has no figure for it.")
    # Every force with a figure in every period: nothing to name.
    assert compare(load_dataset(real), "recorded_crime_per_1000").left_out_of_history() == {}
