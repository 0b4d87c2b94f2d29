"""The demonstration dataset: deterministic, committed as generated, and reproducing the published figures.

The Metropolitan Police Service's figures and the England and Wales figures are checked against the
published figures of its PEEL 2023–2025 report (seed-figures.yaml beside the checkout), through the
same comparison code the reports use.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from peel.analysis.comparison import compare
from peel.demo import demo_files, write_demo
from peel.inputs.dataset import load_dataset
from peel.inputs.forces import force_ids
from peel.method import Band, Standard, Trend, round_half_up
from peel.numbers import format_gbp

REPO = Path(__file__).resolve().parents[1]
SEED = yaml.safe_load((Path(__file__).resolve().parent / "reference" / "seed-figures.yaml").read_text(encoding="utf-8"))

# The seed's description of each national comparison -> the catalogue's measure id.
MEASURE_OF = {
    "stop and searches per 1,000 population": "stop_search_rate",
    "linked find rate (percent)": "linked_find_rate",
    "antisocial behaviour incidents per 1,000 population": "asb_incident_rate",
    "antisocial behaviour orders per antisocial behaviour incident (percent)": "asb_order_ratio",
    "calls to 999 per 1,000 population": "calls_999_rate",
    "999 calls answered within 10 seconds (percent)": "calls_999_answered_10s",
    "case files meeting the CPS standard (percent)": "cps_file_quality",
    "officer leaving rate (percent)": "officer_leaving_rate",
    "total funding per 1,000 population (GBP)": "funding_per_1000",
    "precept as a proportion of total funding (percent)": "precept_share",
}
# The seed's words for the band -> the band (the leaving rate is below the England and Wales figure
# but inside the lines: "below the England and Wales average", not "lower than expected").
BAND_OF = {
    "higher than expected": Band.ABOVE,
    "significantly higher than the England and Wales average": Band.ABOVE,
    "lower than expected": Band.BELOW,
    "significantly lower than the England and Wales average": Band.BELOW,
    "lowest of all forces": Band.BELOW,
    "below the England and Wales average": Band.WITHIN,
}
COMPARISONS = [f for figs in SEED["figures"].values() for f in figs
               if f["kind"] in ("national_comparison", "standard_comparison")]


def published(x: float | int) -> tuple[Decimal, int]:
    """A published figure and its precision, as it was typed."""
    s = str(x)
    return Decimal(s), len(s.split(".")[1]) if "." in s else 0


@pytest.fixture(scope="module")
def ds():
    return load_dataset(REPO / "data")


def test_every_seed_comparison_is_mapped():
    assert {f["what"] for f in COMPARISONS} == set(MEASURE_OF)


@pytest.mark.parametrize("fig", COMPARISONS, ids=lambda f: MEASURE_OF[f["what"]])
def test_met_value_and_england_and_wales_figure_are_the_published_ones(ds, fig):
    mid = MEASURE_OF[fig["what"]]
    c = compare(ds, mid)
    met = c.for_force("metropolitan")
    want, decimals = published(fig["force"])
    assert round_half_up(met.value, decimals) == want
    if "england_and_wales" in fig:
        want_ew, d = published(fig["england_and_wales"])
        assert c.england_and_wales is not None and round_half_up(c.england_and_wales, d) == want_ew
    if "numerator" in fig:
        assert (c.row("metropolitan").numerator, c.row("metropolitan").denominator) == (fig["numerator"],
                                                                                       fig["denominator"])


@pytest.mark.parametrize("fig", [f for f in COMPARISONS if f["kind"] == "national_comparison"],
                         ids=lambda f: MEASURE_OF[f["what"]])
def test_met_band_matches_the_published_words(ds, fig):
    c = compare(ds, MEASURE_OF[fig["what"]])
    met = c.for_force("metropolitan")
    assert met.band is BAND_OF[fig["stated"]]
    if fig["stated"] == "lowest of all forces":
        assert met.is_lowest and met.rank == met.n_compared
    if fig["stated"] == "below the England and Wales average":
        assert met.value < c.england_and_wales
    if "trend" in fig:
        assert met.trend is Trend(fig["trend"])


def test_999_standard_and_latest_month(ds):
    fig = next(f for f in COMPARISONS if f["kind"] == "standard_comparison")
    c = compare(ds, MEASURE_OF[fig["what"]])
    met = c.for_force("metropolitan")
    assert c.measure.standard == fig["standard"]
    assert met.standard is Standard.BELOW and fig["stated"] == "below the expected standard"
    period, value = met.latest_month
    assert period.label() == fig["latest_month"]["month"]
    assert round_half_up(value, c.measure.latest_month_decimals) == Decimal(str(fig["latest_month"]["value"]))


def test_met_funding_total(ds):
    """The published rate is reproduced; the published total cannot be as well with the ONS population.

    £489,705 per 1,000 and "£4.33 billion" imply a population of 8.83 to 8.85 million; the ONS mid-2022
    estimate for the Met's area is 8,855,333, on which £4.33 billion is £488,971 per 1,000. The rate is
    the compared figure, so the demonstration keeps it (the numerator behind it reads £4.34 billion),
    and the statement gives the published total from ``published_numerator``, with the row's note
    saying why the two differ.
    """
    from peel.analysis.wording import measure_sentence_parts

    fig = next(f for f in COMPARISONS if MEASURE_OF[f["what"]] == "funding_per_1000")
    c = compare(ds, "funding_per_1000")
    row = c.row("metropolitan")
    assert round_half_up(row.value, 0) == Decimal(str(fig["force"]))
    assert fig["total"] == "4.33 billion" and format_gbp(row.numerator) == "£4.34 billion"
    population = ds.rows("funding_per_1000").loc["metropolitan", "population"]
    assert round_half_up(4.33e9 / population * 1000, 0) != Decimal(str(fig["force"]))
    parts = dict(measure_sentence_parts(c, "metropolitan"))
    assert "received a total of £4.33 billion in funding, equal to £489,705 per 1,000 population" in parts["value"]
    assert "ONS mid-2022 population estimate" in parts["note"] and "£4.34 billion" in parts["note"]
    assert f"{int(population):,}" in parts["note"]
    # Only the Met's published row carries a published amount; every other force states its numerator.
    assert set(c.published) == {"metropolitan"}
    assert "note" not in dict(measure_sentence_parts(c, "kent"))


def test_every_measure_has_every_force_and_three_periods(ds):
    named_missing = {("gwent", "asb_order_ratio"), ("lincolnshire", "cps_file_quality")}
    for mid, _m in ds.catalogue.items():
        c = compare(ds, mid)
        assert set(c.missing) == {f for f, x in named_missing if x == mid}, mid
        assert len(c.history_periods) >= 3, mid
    # The forces the reports are tested on supply everything the Met's report quotes, except Gwent's one gap.
    for f in ("metropolitan", "city-of-london"):
        assert all(f not in compare(ds, mid).missing for mid in ds.catalogue)


def test_about_a_third_of_forces_outside_the_lines(ds):
    shares = [compare(ds, mid).share_outside() for mid, m in ds.catalogue.items() if m.compare == "band"]
    assert all(0.15 <= s <= 0.5 for s in shares), shares
    assert 0.22 <= sum(shares) / len(shares) <= 0.4


def test_populations_are_plausible(ds):
    pop = ds.population
    assert set(pop["force_id"]) == set(force_ids())
    assert sorted(set(pop["year"])) == [2020, 2021, 2022, 2023]
    p2022 = pop[pop["year"] == 2022].set_index("force_id")["population"]
    assert p2022["metropolitan"] == 8_855_333  # the ONS mid-2022 estimate
    assert 8_000 <= p2022["city-of-london"] < 15_000  # "about 11,000 residents"
    assert 55e6 < p2022.sum() < 65e6  # England and Wales: about 60 million


def test_dataset_is_marked_as_demonstration(ds):
    assert ds.info.demonstration
    assert "synthetic" in ds.info.notice and "Metropolitan Police Service" in ds.info.notice


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_matches_the_committed_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    written = write_demo(a / "data", a / "params").written
    write_demo(b / "data", b / "params")
    assert _tree(a) == _tree(b)
    assert len(written) == len(demo_files()) + len(force_ids()) and all(p.is_file() for p in written)
    assert {p.name for p in (a / "params").iterdir()} == {f"{f}.yaml" for f in force_ids()}
    for rel, content in _tree(a).items():
        committed = REPO / rel
        assert committed.read_bytes() == content, f"{rel} differs from a fresh 'peel demo-data'"


def test_generated_numbers_are_written_at_fixed_precision():
    with (REPO / "data" / "national.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cat = load_dataset(REPO / "data").catalogue
    for r in rows:
        assert "e" not in r["numerator"].lower() and "." not in r["numerator"]
        if r["value"]:
            d = cat[r["measure"]].decimals
            assert (len(r["value"].split(".")[1]) == d) if d else ("." not in r["value"]), r


def _demo_copy(tmp_path: Path) -> tuple[Path, Path]:
    data, params = tmp_path / "data", tmp_path / "params"
    write_demo(data, params)
    return data, params


def _run_demo_data(data: Path, params: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "peel.cli", "demo-data", "--data", str(data), "--params",
                           str(params), *extra], capture_output=True, text=True, timeout=120)


@pytest.mark.subprocess
def test_demo_data_refuses_to_overwrite_edits_and_names_the_files(tmp_path):
    data, params = _demo_copy(tmp_path)
    # An analyst adds a measure's rows and rewords a finding.
    with (data / "national.csv").open("a", encoding="utf-8") as f:
        f.write("kent,my_new_measure,2022-04-01/2023-03-31,1.0,1,\n")
    kent = params / "kent.yaml"
    kent.write_text(kent.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    before = _tree(tmp_path)
    done = _run_demo_data(data, params)
    assert done.returncode == 2, done.stderr
    assert "national.csv" in done.stderr and "kent.yaml" in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert _tree(tmp_path) == before, "nothing may change when the command refuses"


@pytest.mark.subprocess
def test_demo_data_with_force_replaces_edits(tmp_path):
    data, params = _demo_copy(tmp_path)
    pristine = _tree(tmp_path)
    (params / "kent.yaml").write_text("edited: true\n", encoding="utf-8")
    done = _run_demo_data(data, params, "--force")
    assert done.returncode == 0, done.stderr
    assert "kent.yaml" in done.stdout and "46 files already held" in done.stdout
    assert _tree(tmp_path) == pristine


def test_demo_data_on_unchanged_files_writes_nothing(tmp_path):
    data, params = _demo_copy(tmp_path)
    times = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    result = write_demo(data, params)
    assert result.written == () and len(result.unchanged) == len(demo_files()) + len(force_ids())
    assert times == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}


def _scalars(node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


@pytest.mark.parametrize("force_id", ["metropolitan", "kent", "bedfordshire"])
def test_params_files_are_hand_editable_and_round_trip(force_id):
    """Text is written as | blocks (paragraphs as typed) or > blocks (long sentences), never as wrapped
    quoted strings; loading a file and writing it back gives the same bytes."""
    from peel.inputs.yamlfile import dump_yaml

    text = (REPO / "params" / f"{force_id}.yaml").read_text(encoding="utf-8")
    head, body = text.split("\n", 1)
    assert head.startswith("#")
    assert dump_yaml(yaml.safe_load(body)) == body
    for node in _scalars(yaml.compose(body)):
        if "\n" in node.value.rstrip("\n"):
            assert node.style == "|", node.value[:60]
        if len(node.value) > 100:
            assert node.style in ("|", ">"), node.value[:60]
