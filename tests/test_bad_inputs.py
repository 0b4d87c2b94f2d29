"""The corpus of bad inputs (tests/corpus/cases.yaml) through the command line, and missing data that is not an error.

Every corpus case must

1. end with a non-zero exit status;
2. print an error naming the file (or option), the row or key, and what was expected (the case's
   ``expect`` substrings), with no traceback (a traceback only with ``--debug``);
3. leave every file of an earlier good build byte-identical, with no new file.

Cases of kind ``import`` (``peel import`` on a published table that cannot be imported) must end with exit
status 1, name the file, the sheet, the row and the column, and leave the data folder byte-identical.

The command runs in this process through :func:`peel.cli.main` (its exit status, stdout and stderr
captured), from a temporary folder, so that paths in the messages are shown as the user typed them
(``data/national.csv``). A few cases also run as ``python -m peel.cli`` in a child process, where the
process itself matters: the exit status of the real entry point and the interpreter's traceback.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from peel import cli
from peel.analysis.comparison import compare
from peel.inputs.areas import load_report
from peel.inputs.dataset import check_dataset, load_dataset
from peel.inputs.forces import force_ids
from peel.inputs.inspection import check_params, load_force_inputs

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
FILE_CASES = [c for c in CASES if "target" in c]
CLI_CASES = [c for c in CASES if "argv" in c and c["kind"] != "import"]
IMPORT_CASES = [c for c in CASES if "argv" in c and c["kind"] == "import"]
GOOD_FORCE = "metropolitan"

#: The kinds of mistake the corpus must cover (issue: bad input, faults and hostile content).
REQUIRED_KINDS = {"national data", "population", "catalogue", "inspection inputs", "command line", "import"}


# ==============================================================================================
# Running the command


@dataclass(frozen=True)
class Result:
    """What a run of the command gave: its exit status and everything it printed."""

    returncode: int
    stdout: str
    stderr: str


@contextlib.contextmanager
def _columns(width: str) -> Any:
    """``COLUMNS`` set for the block: argparse wraps its usage line to the terminal width."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def peel(args: list[str], cwd: Path, debug: bool = False) -> Result:
    """``peel ARGS`` in this process, from ``cwd``, through :func:`peel.cli.main`.

    As the interpreter would: argparse's exit becomes the status, and an exception that escapes
    ``main`` (only with ``--debug``) is printed as a traceback with status 1.
    """
    out, err = io.StringIO(), io.StringIO()
    argv = [*(["--debug"] if debug else []), *args]
    with contextlib.chdir(cwd), _columns("200"), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except Exception:
            traceback.print_exc()
            status = 1
    return Result(status, out.getvalue(), err.getvalue())


def peel_in_child(args: list[str], cwd: Path, debug: bool = False) -> Result:
    """``peel ARGS`` in a child process (``python -m peel.cli``: portable, unlike the installed script)."""
    cmd = [sys.executable, "-m", "peel.cli", *(["--debug"] if debug else []), *args]
    env = dict(os.environ, COLUMNS="200")
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=600, env=env)
    return Result(done.returncode, done.stdout, done.stderr)


def assert_refused(result: Result, expect: list[str]) -> None:
    """Non-zero exit; stderr names the file, the row or key and what was expected; no traceback."""
    shown = f"\n--- exit {result.returncode}; stderr:\n{result.stderr}\n--- stdout:\n{result.stdout}"
    assert result.returncode != 0, "the command succeeded on bad input" + shown
    assert "Traceback" not in result.stderr + result.stdout, "a traceback was shown without --debug" + shown
    missing = [s for s in expect if s not in result.stderr]
    assert not missing, f"stderr does not contain {missing}" + shown


# ==============================================================================================
# Applying a case to a copy of the demonstration data


def copy_inputs(dest: Path) -> tuple[Path, Path]:
    """Copies of the shipped data/ and params/ folders under ``dest``."""
    data, params = dest / "data", dest / "params"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("published"))  # the published tables: 9 MB
    shutil.copytree(REPO / "params", params)
    return data, params


def as_import_target(case: dict[str, Any], data: Path) -> None:
    """Mark the copied dataset as one of published figures, as ``peel import`` needs, unless the case is
    about importing into the demonstration data."""
    if case["kind"] != "import" or case.get("demonstration") is True:
        return
    info = data / "dataset.yaml"
    info.write_text(info.read_text(encoding="utf-8").replace("\ndemonstration: true\n", "\ndemonstration: false\n"),
                    encoding="utf-8")


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _key_path(key: str) -> list[str | int]:
    """``areas.police_powers.findings[0].heading`` -> ["areas", "police_powers", "findings", 0, "heading"]."""
    return [int(i) if i else name for name, i in _KEY_PART.findall(key)]


def _yaml_value(v: Any) -> Any:
    """A value from the corpus: ``{repeat: TEXT, times: N}`` is TEXT N times; a list of parts is joined."""
    if isinstance(v, dict) and set(v) == {"repeat", "times"}:
        return str(v["repeat"]) * int(v["times"])
    if isinstance(v, list):
        return "".join(str(_yaml_value(x)) for x in v)
    return v


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def apply_change(root: Path, case: dict[str, Any]) -> dict[str, str]:
    """Change the copy under ``root`` as the case says; return values for placeholders in ``expect``."""
    path = root / case["target"]
    change: dict[str, Any] = case["change"]
    (op, arg), = change.items()
    before = path.read_bytes() if path.exists() else None
    text = before.decode("utf-8") if before is not None else ""
    extra: dict[str, str] = {}
    if op == "replace":
        assert arg["old"] in text, f"case {case['id']}: {arg['old']!r} is not in {case['target']}"
        text = text.replace(arg["old"], str(_yaml_value(arg["new"])), 1)
    elif op == "delete_line":
        lines = text.splitlines(keepends=True)
        kept = [ln for ln in lines if ln.rstrip("\r\n") != arg]
        assert len(kept) == len(lines) - 1, f"case {case['id']}: no single line {arg!r} in {case['target']}"
        text = "".join(kept)
    elif op in ("append", "append_copy_of_row"):
        if not text.endswith("\n"):
            text += "\n"
        lines = text.splitlines()
        # Spreadsheet row numbers: the header is row 1, so the next row is len(lines) + 1.
        extra["appended_row"] = str(len(lines) + 1)
        added = _yaml_value(arg) if op == "append" else lines[int(arg) - 1]
        text += added.rstrip("\n") + "\n"
    elif op == "delete_column":
        rows = _csv_rows(text)
        i = rows[0].index(arg)
        text = _csv_text([r[:i] + r[i + 1:] for r in rows])
    elif op == "add_column":
        rows = _csv_rows(text)
        text = _csv_text([rows[0] + [arg["name"]]] + [r + [arg["value"]] for r in rows[1:]])
    elif op == "write":
        path.write_bytes(str(_yaml_value(arg)).encode(case.get("encoding", "utf-8")))
        return extra
    elif op == "copy":
        shutil.copyfile(CORPUS / "files" / arg, path)
        return extra
    elif op == "delete":
        path.unlink()
        return extra
    elif op == "rename":
        path.rename(path.with_name(arg))
        return extra
    elif op in ("yaml_set", "yaml_delete"):
        doc = yaml.safe_load(text)
        keys = _key_path(arg["key"] if op == "yaml_set" else arg)
        parent = doc
        for k in keys[:-1]:
            parent = parent[k]
        if op == "yaml_set":
            parent[keys[-1]] = _yaml_value(arg["value"])
        else:
            del parent[keys[-1]]
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=10_000)
    else:
        raise AssertionError(f"case {case['id']}: unknown change {op!r}")
    path.write_text(text, encoding="utf-8")
    assert path.read_bytes() != before, f"case {case['id']}: the change left {case['target']} as it was"
    return extra


def expected_substrings(case: dict[str, Any], values: dict[str, str]) -> list[str]:
    return [str(s).replace("{appended_row}", values.get("appended_row", "{appended_row}")) for s in case["expect"]]


def fill_argv(argv: list[str], **values: Path) -> list[str]:
    out = []
    for a in argv:
        for k, v in values.items():
            a = a.replace("{" + k + "}", str(v))
        out.append(a)
    return out


# ==============================================================================================
# The corpus itself


def test_corpus_is_large_and_covers_every_kind() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 40
    assert len(IMPORT_CASES) >= 25
    assert len(set(ids)) == len(ids), [i for i, n in collections.Counter(ids).items() if n > 1]
    assert {c["kind"] for c in CASES} >= REQUIRED_KINDS
    for c in CASES:
        # A file (or option), a row or key, and what was expected: at least two distinct substrings.
        assert len(c["expect"]) >= 2, c["id"]
        assert ("target" in c and "change" in c) != ("argv" in c), c["id"]


# ==============================================================================================
# One good build, made once, that no bad input may touch


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` (hidden files included)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def good_build(tmp_path_factory: pytest.TempPathFactory, built_reports: Path) -> tuple[Path, dict[str, str]]:
    """Earlier output for the refused builds to leave alone, and the hashes of its files: a copy of the
    session's ``built_reports`` (``peel build metropolitan gwent --to html,pdf`` on the shipped data), which
    the refused builds may not touch themselves."""
    out = tmp_path_factory.mktemp("good-build") / "out"
    shutil.copytree(built_reports, out, symlinks=True)
    files = snapshot(out)
    assert any(name.endswith(".html") and name.startswith(GOOD_FORCE) for name in files), sorted(files)
    return out, files


def assert_unchanged(out: Path, before: dict[str, str]) -> None:
    after = snapshot(out)
    new = sorted(set(after) - set(before))
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    assert not (new or gone or changed), f"earlier output touched: new {new}, removed {gone}, changed {changed}"


# ==============================================================================================
# File cases: peel validate, then peel build on the changed copy


@pytest.mark.parametrize("case", FILE_CASES, ids=[c["id"] for c in FILE_CASES])
def test_validate_refuses(case: dict[str, Any], tmp_path: Path) -> None:
    copy_inputs(tmp_path)
    values = apply_change(tmp_path, case)
    result = peel(["validate", "--data", "data", "--params", "params"], cwd=tmp_path)
    assert_refused(result, expected_substrings(case, values))


@pytest.mark.slow
@pytest.mark.parametrize("case", FILE_CASES, ids=[c["id"] for c in FILE_CASES])
def test_build_refuses_and_keeps_earlier_output(case: dict[str, Any], tmp_path: Path,
                                                good_build: tuple[Path, dict[str, str]]) -> None:
    out, before = good_build
    copy_inputs(tmp_path)
    values = apply_change(tmp_path, case)
    result = peel(["build", GOOD_FORCE, "--to", "html", "--out", str(out), "--data", "data", "--params", "params"],
                  cwd=tmp_path)
    assert_refused(result, expected_substrings(case, values))
    assert_unchanged(out, before)


# ==============================================================================================
# Command-line cases


@pytest.mark.slow
@pytest.mark.parametrize("case", CLI_CASES, ids=[c["id"] for c in CLI_CASES])
def test_command_line_refuses_and_keeps_earlier_output(case: dict[str, Any], tmp_path: Path,
                                                       good_build: tuple[Path, dict[str, str]]) -> None:
    out, before = good_build
    data, params = copy_inputs(tmp_path)
    argv = fill_argv(case["argv"], out=out, data=data, params=params, tmp=tmp_path)
    result = peel(argv, cwd=tmp_path)
    assert_refused(result, expected_substrings(case, {}))
    assert_unchanged(out, before)


# ==============================================================================================
# Import cases: peel import on a published table it cannot read; the data folder is left as it was


@pytest.fixture(scope="session")
def import_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of tests/ingest/make_fixtures.py (good ones, and bad ones under bad/)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("peel_ingest_make_fixtures_corpus",
                                                  REPO / "tests" / "ingest" / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    make_fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_fixtures)
    out = tmp_path_factory.mktemp("import-fixtures")
    make_fixtures.write_good(out)
    make_fixtures.write_bad(out)
    return out


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c["id"] for c in IMPORT_CASES])
def test_import_refuses_and_leaves_the_data_unchanged(case: dict[str, Any], tmp_path: Path,
                                                      import_fixtures: Path) -> None:
    data, _ = copy_inputs(tmp_path)
    as_import_target(case, data)
    before = snapshot(data)
    argv = fill_argv(case["argv"], data=data, tmp=tmp_path, fixtures=import_fixtures,
                     published=REPO / "data" / "published")
    result = peel(argv, cwd=tmp_path)
    assert_refused(result, expected_substrings(case, {}))
    assert result.returncode == 1, result.stderr
    assert_unchanged(data, before)


#: Cases run again as the real command in a child process, one of each sort: file, command line, import.
IN_CHILD = ("national-numerator-above-denominator", "cli-unknown-option", "import-wrong-sheet")


@pytest.mark.subprocess
@pytest.mark.parametrize("case_id", IN_CHILD)
def test_the_real_command_refuses_as_main_does(case_id: str, tmp_path: Path, import_fixtures: Path) -> None:
    """``python -m peel.cli`` gives the exit status and the messages that ``main`` gives in process."""
    case = next(c for c in CASES if c["id"] == case_id)
    data, params = copy_inputs(tmp_path)
    if "target" in case:
        values = apply_change(tmp_path, case)
        argv = ["validate", "--data", "data", "--params", "params"]
    else:
        values = {}
        as_import_target(case, data)
        argv = fill_argv(case["argv"], out=tmp_path / "out", data=data, params=params, tmp=tmp_path,
                         fixtures=import_fixtures, published=REPO / "data" / "published")
    child = peel_in_child(argv, cwd=tmp_path)
    assert_refused(child, expected_substrings(case, values))
    assert child == peel(argv, cwd=tmp_path)


@pytest.mark.subprocess
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """--debug is for developers: the same refusal, with the interpreter's traceback and the exception's type."""
    case = next(c for c in FILE_CASES if c["id"] == "national-numerator-above-denominator")
    copy_inputs(tmp_path)
    apply_change(tmp_path, case)
    result = peel_in_child(["validate", "--data", "data", "--params", "params"], cwd=tmp_path, debug=True)
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "InputError" in result.stderr
    assert "is larger than denominator" in result.stderr


def test_the_good_inputs_pass(tmp_path: Path) -> None:
    """The corpus' base (the shipped data) is valid, so each failure above is the case's own."""
    copy_inputs(tmp_path)
    result = peel(["validate", "--data", "data", "--params", "params"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no problems found" in result.stdout


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    """Three cases in three files at once: one run names all three."""
    copy_inputs(tmp_path)
    ids = ("national-unknown-measure", "population-non-number", "params-grade-not-on-scale")
    expected: list[str] = []
    for cid in ids:
        case = next(c for c in FILE_CASES if c["id"] == cid)
        expected += expected_substrings(case, apply_change(tmp_path, case))
    result = peel(["validate", "--data", "data", "--params", "params"], cwd=tmp_path)
    assert_refused(result, expected)


# ==============================================================================================
# Missing data is not an error


QUOTED = "2022-04-01/2023-03-31"
MEASURE = "stop_search_rate"
GONE = "kent"


def _national_rows(data: Path) -> list[list[str]]:
    return _csv_rows((data / "national.csv").read_text(encoding="utf-8"))


def _write_national(data: Path, rows: list[list[str]]) -> None:
    (data / "national.csv").write_text(_csv_text(rows), encoding="utf-8")


@pytest.mark.parametrize("how", ["row removed", "cells empty"])
def test_a_force_without_a_measure_is_not_available_and_named(tmp_path: Path, how: str) -> None:
    data, params = copy_inputs(tmp_path)
    rows = _national_rows(data)
    header = rows[0]
    f, m, p = header.index("force_id"), header.index("measure"), header.index("period")
    target = [i for i, r in enumerate(rows) if r[f] == GONE and r[m] == MEASURE and r[p] == QUOTED]
    assert len(target) == 1
    if how == "row removed":
        del rows[target[0]]
    else:
        rows[target[0]] = [GONE, MEASURE, QUOTED, "", "", ""] + rows[target[0]][6:]
    _write_national(data, rows)

    assert check_dataset(data) == []
    result = peel(["validate", "--data", "data", "--params", "params"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    good = compare(load_dataset(REPO / "data"), MEASURE)
    cmp = compare(load_dataset(data), MEASURE)
    assert GONE in cmp.missing and GONE not in good.missing
    res = cmp.for_force(GONE)
    assert not res.available and res.rank is None and res.band is None
    row = cmp.row(GONE)
    assert math.isnan(row.value) and not row.included
    # Left out of the averages: the lines are those of the other compared forces.
    others = [r.value for r in good.compared if r.force_id != GONE]
    assert cmp.for_force(GONE).n_compared == len(others) == len(good.compared) - 1
    assert cmp.lines is not None
    assert cmp.lines.mean == pytest.approx(sum(others) / len(others), rel=1e-12)
    # ... and out of the pooled England and Wales figure (total count over total population).
    frame = load_dataset(data).rows(MEASURE)
    have = frame.dropna(subset=["numerator"])
    assert GONE not in have.index
    assert cmp.england_and_wales == pytest.approx(have["numerator"].sum() / have["population"].sum() * 1000)


def _report() -> Any:
    return load_report(REPO / "notebooks", check_notebooks=False)


@pytest.mark.parametrize("areas", [{}, {"police_powers": {}}, {"police_powers": {"grade": "Good"},
                                                                  "workforce": {"areas_for_improvement": []}}])
def test_inputs_without_findings_load_as_a_draft(tmp_path: Path, areas: dict[str, Any]) -> None:
    params = tmp_path / "params"
    shutil.copytree(REPO / "params", params)
    doc = {"force": "surrey", "demonstration": False, "inspection": {"name": "PEEL 2023–2025"},
           "summary": "", "areas": areas}  # no draft key: a file with no findings is a draft anyway
    (params / "surrey.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    report = _report()
    inputs = load_force_inputs(params, "surrey", report)
    assert inputs.draft is True
    assert all(not a.findings for a in inputs.areas.values())
    measure_ids = list(load_dataset(REPO / "data").catalogue)
    assert check_params(params, report, measure_ids, force_ids()) == []


def test_british_transport_police_rows_move_no_figure(tmp_path: Path) -> None:
    """BTP rows with enormous values for every measure and period leave every comparison as it was."""
    data, _ = copy_inputs(tmp_path)
    good_ds = load_dataset(REPO / "data")
    rows = _national_rows(data)
    have = {(r[0], r[1], r[2]) for r in rows[1:]}
    added = 0
    for mid, m in good_ds.catalogue.items():
        for period in {m.period.iso, *(p.iso for p in good_ds.periods(mid))}:
            if ("british-transport-police", mid, period) in have:
                continue
            if m.unit == "percent":
                row = ["british-transport-police", mid, period, "", "999999999", "999999999"]
            else:  # a count or an amount; BTP needs no population
                row = ["british-transport-police", mid, period, "", "9" * 15, ""]
            rows.append(row + [""] * (len(rows[0]) - len(row)))  # optional columns (source) left empty
            added += 1
    assert added > 10
    _write_national(data, rows)

    ds = load_dataset(data)
    assert ds.ignored_rows == good_ds.ignored_rows + added
    assert "british-transport-police" not in set(ds.national["force_id"])
    for mid in good_ds.catalogue:
        before, after = compare(good_ds, mid), compare(ds, mid)
        assert [r.force_id for r in after.rows] == list(force_ids())
        assert after.england_and_wales == before.england_and_wales, mid
        assert after.lines == before.lines, mid
        assert after.missing == before.missing, mid
        # NaN (not available) compared as a word, since NaN != NaN.
        def shown(c: Any) -> list[tuple[str, str, Any]]:
            return [(r.force_id, "n/a" if math.isnan(r.value) else repr(r.value), r.band) for r in c.rows]

        assert shown(after) == shown(before), mid
