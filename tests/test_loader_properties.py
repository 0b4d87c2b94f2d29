"""Property tests for the loaders: no input file can make them fail with anything but the project's own
:class:`peel.errors.InputError` (or a list of problems), and what they load stays within its bounds.

Each example writes its file into a fresh folder (a fresh path, so the dataset memo, keyed on the
files' path, size and modification time, cannot hand back an earlier example's result).
"""

from __future__ import annotations

import csv
import io
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peel.analysis.comparison import compare
from peel.errors import InputError, Problem
from peel.inputs.areas import load_report
from peel.inputs.dataset import check_dataset, load_dataset
from peel.inputs.forces import force_ids
from peel.inputs.inspection import check_params, load_force_inputs
from peel.inputs.periods import Period, parse_period

REPO = Path(__file__).resolve().parents[1]
DATA_FILES = ("dataset.yaml", "measures.yaml", "national.csv", "population.csv", "groups.csv")
REPORT = load_report(REPO / "notebooks", check_notebooks=False)
AREA_IDS = [a.id for a in REPORT.areas]
GOOD_CATALOGUE = yaml.safe_load((REPO / "data" / "measures.yaml").read_text(encoding="utf-8"))
MEASURE_IDS = list(GOOD_CATALOGUE["measures"])
NATIONAL_LINES = (REPO / "data" / "national.csv").read_text(encoding="utf-8").splitlines()
POPULATION_LINES = (REPO / "data" / "population.csv").read_text(encoding="utf-8").splitlines()
MET = yaml.safe_load((REPO / "params" / "metropolitan.yaml").read_text(encoding="utf-8"))

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def data_copy(**files: str | bytes) -> Iterator[Path]:
    """A fresh copy of the shipped data folder with ``files`` (name -> content) replaced."""
    with tempfile.TemporaryDirectory(prefix="peel-prop-") as tmp:
        d = Path(tmp) / "data"
        d.mkdir()
        for name in DATA_FILES:
            shutil.copyfile(REPO / "data" / name, d / name)
        for name, content in files.items():
            (d / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        yield d


def check_and_load(d: Path) -> Any:
    """check_dataset returns problems, load_dataset agrees with it; nothing else may be raised."""
    problems = check_dataset(d, AREA_IDS)
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
    for p in problems:  # every problem names its file and says something
        assert p.file and p.message
    try:
        ds = load_dataset(d)
    except InputError as e:
        assert e.problems
        return None
    # load_dataset does not check the measures' areas against the report, so it may accept more.
    assert all("area" in p.where or "area" in p.message for p in problems), problems
    return ds


def assert_within_bounds(ds: Any) -> None:
    """Loaded values: percentages 0..100, rates and counts non-negative, and every comparison works."""
    units = {mid: m.unit for mid, m in ds.catalogue.items()}
    for mid, value in zip(ds.national["measure"], ds.national["value"], strict=True):
        if math.isnan(value):
            continue
        assert value >= 0, (mid, value)
        if units[mid] == "percent":
            assert value <= 100 + 1e-9, (mid, value)
    for mid, m in ds.catalogue.items():
        c = compare(ds, mid)
        assert len(c.rows) == len(force_ids())
        ew = c.england_and_wales
        if ew is not None:
            assert ew >= 0 and math.isfinite(ew), (mid, ew)
            if m.unit == "percent":
                assert ew <= 100 + 1e-9, (mid, ew)
        for fid in ("metropolitan", "kent"):
            c.for_force(fid)


# ==============================================================================================
# Strategies


def _period_text() -> st.SearchStrategy[str]:
    good = st.sampled_from(["2022-04-01/2023-03-31", "2021-04-01/2022-03-31", "2023-11-01/2023-11-30",
                            "2016-04-01/2017-03-31"])
    dates = st.dates().map(lambda d: d.isoformat())
    return st.one_of(good, st.builds(lambda a, b: f"{a}/{b}", dates, dates), st.text(max_size=25))


def _number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.integers(min_value=-10, max_value=10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str),
        st.text(alphabet="0123456789.,-+eE% £", max_size=10),
    )


_FORCE = st.one_of(st.sampled_from(list(force_ids()) + ["british-transport-police"]), st.text(max_size=15))
_MEASURE = st.one_of(st.sampled_from(MEASURE_IDS), st.text(max_size=15))


@st.composite
def national_rows(draw: st.DrawFn) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [draw(_FORCE), draw(_MEASURE), draw(_period_text()), draw(_number_text()), draw(_number_text()),
               draw(_number_text())]
        if draw(st.booleans()):  # sometimes a row with too few or too many cells
            row = row[: draw(st.integers(0, 7))]
        rows.append(row)
    return rows


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# ==============================================================================================
# National data and population


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_as_national_csv(raw: bytes) -> None:
    with data_copy(**{"national.csv": raw}) as d:
        assert check_and_load(d) is None  # never a valid dataset


@FAST
@given(st.binary(max_size=200), st.sampled_from(["population.csv", "measures.yaml", "dataset.yaml"]))
def test_random_bytes_as_other_data_files(raw: bytes, name: str) -> None:
    with data_copy(**{name: raw}) as d:
        check_and_load(d)


@FAST
@given(st.lists(st.sampled_from(NATIONAL_LINES[1:]), max_size=40, unique=True), national_rows(),
       st.booleans())
def test_random_national_rows(kept: list[str], extra: list[list[str]], header: bool) -> None:
    """Some real rows plus random ones: refused with problems, or loaded with every value in bounds."""
    text = (NATIONAL_LINES[0] + "\n" if header else "") + "".join(line + "\n" for line in kept) + _csv_text(extra)
    with data_copy(**{"national.csv": text}) as d:
        ds = check_and_load(d)
        if ds is not None:
            assert_within_bounds(ds)


@FAST
@given(st.lists(st.sampled_from(NATIONAL_LINES[1:]), min_size=1, max_size=60, unique=True))
def test_subsets_of_good_rows_load_and_stay_in_bounds(kept: list[str]) -> None:
    """Any subset of the good rows is valid (missing data is not an error) and compares within bounds."""
    with data_copy(**{"national.csv": NATIONAL_LINES[0] + "\n" + "\n".join(kept) + "\n"}) as d:
        ds = check_and_load(d)
        assert ds is not None
        assert_within_bounds(ds)


@FAST
@given(st.text(max_size=300))
def test_random_text_as_national_csv(text: str) -> None:
    with data_copy(**{"national.csv": NATIONAL_LINES[0] + "\n" + text}) as d:
        ds = check_and_load(d)
        if ds is not None:
            assert_within_bounds(ds)


@FAST
@given(st.lists(st.lists(st.one_of(_FORCE, _number_text(), st.integers(1990, 2030).map(str)), max_size=4),
                max_size=6),
       st.lists(st.sampled_from(POPULATION_LINES[1:]), max_size=30, unique=True))
def test_random_population_rows(extra: list[list[str]], kept: list[str]) -> None:
    text = POPULATION_LINES[0] + "\n" + "".join(line + "\n" for line in kept) + _csv_text(extra)
    with data_copy(**{"population.csv": text}) as d:
        ds = check_and_load(d)
        if ds is not None:
            assert_within_bounds(ds)
            assert (ds.population["population"] > 0).all()


# ==============================================================================================
# YAML: the catalogue, dataset.yaml and the inspection inputs


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.dates(),
                    st.sampled_from(["band", "pooled", "percent", "count", "2022-04-01/2023-03-31", "{value}",
                                     "{", "}", "{0}", "{value!r}", "{value:>10}", "Good", "sample_count"]))
_ANY = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=12), inner, max_size=3)),
                    max_leaves=12)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a YAML document (dict keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    import copy

    doc = copy.deepcopy(doc)
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


CATALOGUE_PATHS = _paths(GOOD_CATALOGUE)
MET_PATHS = _paths(MET)


@FAST
@given(st.sampled_from(CATALOGUE_PATHS), _ANY, st.booleans())
def test_mutated_catalogue(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    """One key of the good catalogue replaced or deleted: problems, or a dataset within bounds."""
    with data_copy(**{"measures.yaml": _dump(_mutate(GOOD_CATALOGUE, path, value, delete))}) as d:
        ds = check_and_load(d)
        if ds is not None:
            assert_within_bounds(ds)


@FAST
@given(_ANY)
def test_random_yaml_as_catalogue_and_dataset_info(doc: Any) -> None:
    with data_copy(**{"measures.yaml": _dump(doc)}) as d:
        check_and_load(d)
    with data_copy(**{"dataset.yaml": _dump(doc)}) as d:
        check_and_load(d)


@FAST
@given(st.text(max_size=200))
def test_random_text_as_catalogue(text: str) -> None:
    with data_copy(**{"measures.yaml": text}) as d:
        check_and_load(d)


@pytest.fixture(scope="module")
def params_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("params-base")


def _params_file(base: Path, content: str | bytes) -> Path:
    folder = Path(tempfile.mkdtemp(dir=base))
    raw = content if isinstance(content, bytes) else content.encode("utf-8")
    (folder / "metropolitan.yaml").write_bytes(raw)
    return folder


def _check_params_file(folder: Path) -> None:
    """load_force_inputs: ForceInputs or InputError; check_params: a list of problems (never raises)."""
    try:
        inputs = load_force_inputs(folder, "metropolitan", REPORT, MEASURE_IDS)
    except InputError as e:
        assert e.problems
        inputs = None
    if inputs is not None:
        for area in inputs.areas.values():
            for finding in area.findings:
                for fig in finding.figures:
                    sentence = fig.sentence()
                    assert isinstance(sentence, str) and sentence
                    assert all(math.isfinite(v) for v in fig.values().values())
    problems = check_params(folder, REPORT, MEASURE_IDS, ["metropolitan"])
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems)
    assert (inputs is None) == bool(problems), problems


@FAST
@given(st.sampled_from(MET_PATHS), _ANY, st.booleans())
def test_mutated_inspection_inputs(params_base: Path, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    """One key of the Met's inputs replaced or deleted: problems, or inputs whose figures all state."""
    _check_params_file(_params_file(params_base, _dump(_mutate(MET, path, value, delete))))


@FAST
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), _ANY.map(_dump)))
def test_random_inspection_inputs(params_base: Path, content: str | bytes) -> None:
    _check_params_file(_params_file(params_base, content))


_FIGURE_NUMBER = st.one_of(st.integers(-5, 10**13), st.floats(allow_nan=False, allow_infinity=False, min_value=-1,
                                                                max_value=1e13), st.text(max_size=5))


@FAST
@given(st.sampled_from(["sample_estimate", "sample_count"]), _FIGURE_NUMBER, _FIGURE_NUMBER,
       st.sampled_from(["{k} {n} {percent}", "{ci} {low} {high}", "{percent}", "{{k}}", "{k", "{nope}", "",
                        "{change}", "{previous_percent} {difference}"]),
       st.none() | st.fixed_dictionaries({"k": _FIGURE_NUMBER, "n": _FIGURE_NUMBER, "period": st.text(max_size=10)}))
def test_sample_figures(params_base: Path, kind: str, k: Any, n: Any, says: str, previous: Any) -> None:
    """Sample figures with any k and n (including k > n, zero, negative, fractional): refused or stated."""
    fig: dict[str, Any] = {"kind": kind, "k": k, "n": n, "says": says}
    if previous is not None and kind == "sample_estimate":
        fig["previous"] = previous
    doc = _mutate(MET, ("areas", "police_powers", "findings", 0, "figures"), [fig], False)
    _check_params_file(_params_file(params_base, _dump(doc)))


_AMOUNT = st.one_of(st.integers(-5, 10**13), st.floats(allow_nan=False, allow_infinity=False, min_value=-1,
                                                       max_value=1e13))


@FAST
@given(st.sampled_from([
    ("prudent_reserve", "budget", "held"), ("budget_gap", "requirement", "funding"),
    ("shortfall", "target", "achieved")]), _AMOUNT, _AMOUNT,
    st.sampled_from(["{low} to {high}", "{gap}", "{shortfall}", "{budget} {held}", "{target} {achieved}"]))
def test_derived_and_change_figures(params_base: Path, rule: tuple[str, str, str], a: Any, b: Any, says: str) -> None:
    name, first, second = rule
    derived = {"kind": "derived", "rule": name, first: a, second: b, "says": says}
    change = {"kind": "change", "unit": "percent", "from": {"label": "2022", "value": a},
              "to": {"label": "2023", "value": b}, "says": "{from} to {to}, {direction} of {difference}"}
    doc = _mutate(MET, ("areas", "police_powers", "findings", 0, "figures"), [derived, change], False)
    _check_params_file(_params_file(params_base, _dump(doc)))


# ==============================================================================================
# Periods


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"\A\s*\d{4}-\d{2}-\d{2}\s*/\s*\d{4}-\d{2}-\d{2}\s*\Z"),
                 st.builds(lambda a, b: f"{a.isoformat()}/{b.isoformat()}", st.dates(), st.dates())))
def test_parse_period_returns_a_period_or_raises_value_error(text: str) -> None:
    try:
        p = parse_period(text)
    except ValueError as e:
        assert "expected" in str(e)
        return
    assert isinstance(p, Period)
    assert p.start <= p.end
    assert parse_period(p.iso) == p
    assert p.months >= 1
    assert p.start <= p.midpoint <= p.end
    for style in (None, "year_ending", "financial_year", "month", "range"):
        assert p.label(style)


@settings(max_examples=100, deadline=None)
@given(st.dates(), st.dates())
def test_parse_period_round_trips_valid_intervals(a: Any, b: Any) -> None:
    start, end = min(a, b), max(a, b)
    assert parse_period(f"{start.isoformat()}/{end.isoformat()}") == Period(start, end)


def test_non_text_is_refused_as_a_value_error() -> None:
    for bad in (None, 2022, 20.5, b"2022-04-01/2023-03-31"):
        with pytest.raises(ValueError, match="expected"):
            parse_period(bad)  # type: ignore[arg-type]



# ==============================================================================================
# Pathological sizes: nesting deeper than the parser's recursion, cells longer than csv's field limit


@pytest.mark.parametrize("where", ["measures.yaml", "dataset.yaml", "params"])
@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
def test_deeply_nested_yaml_is_refused_as_input(params_base: Path, opener: str, where: str) -> None:
    depth = 3000  # deeper than the YAML parser's recursion can go
    text = "measures: " + opener * depth if where != "params" else "force: metropolitan\nsummary: " + opener * depth
    if where == "params":
        _check_params_file(_params_file(params_base, text))
    else:
        with data_copy(**{where: text}) as d:
            check_and_load(d)


@pytest.mark.parametrize("size", [1_000, 131_073, 200_000])  # csv's default field limit is 131,072
@pytest.mark.parametrize("name", ["national.csv", "population.csv"])
def test_very_long_cells_are_refused_as_input(size: int, name: str) -> None:
    lines = NATIONAL_LINES if name == "national.csv" else POPULATION_LINES
    text = "\n".join(lines) + "\n" + "metropolitan," + "9" * size + ",1,,\n"
    with data_copy(**{name: text}) as d:
        assert check_and_load(d) is None
