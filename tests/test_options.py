"""A build request checked before anything runs (:mod:`peel.pipeline.options`): every problem listed at once."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from peel.errors import InputError
from peel.inputs.forces import all_forces
from peel.pipeline.options import (
    RESERVED_PARAMETERS,
    check_scheduler,
    make_options,
    parse_formats,
    resolve_forces,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FOLDERS = {"data": FIXTURES / "data", "params": FIXTURES / "params", "notebooks": FIXTURES / "notebooks"}
HAVE_DASK = importlib.util.find_spec("distributed") is not None


def _problems(e: pytest.ExceptionInfo[InputError]) -> list[tuple[str, str]]:
    """``(file or option, message)`` of every problem listed."""
    return [(p.file, p.message) for p in e.value.problems]


@pytest.mark.parametrize(("text", "formats"), [("html,pdf", ("html", "pdf")), ("pdf,html", ("html", "pdf")),
                                               (" PDF ", ("pdf",)), ("html,html", ("html",))])
def test_formats_keep_the_report_order_and_drop_duplicates(text, formats):
    assert parse_formats(text) == formats


@pytest.mark.parametrize("text", ["", ",", "docx", "html,docx", "html;pdf"])
def test_a_format_other_than_html_and_pdf_is_refused_by_name(text):
    with pytest.raises(InputError) as e:
        parse_formats(text)
    [(option, message)] = _problems(e)
    assert option == "--to" and "expected a comma-separated list of html and pdf" in message


def test_forces_are_checked_together_and_named_once():
    assert [f.id for f in resolve_forces(["kent", "surrey", "kent"], False)] == ["kent", "surrey"]
    assert resolve_forces([], True) == all_forces() and len(all_forces()) == 43
    with pytest.raises(InputError) as e:
        resolve_forces(["kent", "atlantis", "../x"], False)
    assert len(e.value.problems) == 2 and "atlantis" in str(e.value) and "../x" in str(e.value)
    for ids, everything, words in ((["kent"], True, "not both"), ([], False, "name at least one force")):
        with pytest.raises(InputError, match=words):
            resolve_forces(ids, everything)


def test_a_good_request_is_resolved(tmp_path):
    opts = make_options(forces=["kent"], to="pdf", jobs=None, timeout=30, out=tmp_path / "out",
                        param=["figure_width=6"], **{k: v for k, v in FOLDERS.items()})
    assert [f.id for f in opts.forces] == ["kent"] and opts.formats == ("pdf",)
    assert opts.jobs == (os.cpu_count() or 1) and opts.timeout == 30.0 and isinstance(opts.timeout, float)
    assert opts.out_dir == (tmp_path / "out").resolve() and opts.data_dir.is_absolute()
    assert opts.extra_parameters == (("figure_width", "6"),) and opts.scheduler is None and not opts.force
    assert make_options(forces=["kent"], timeout=None, **FOLDERS).timeout is None


def test_every_problem_of_a_request_is_listed_at_once(tmp_path):
    a_file = tmp_path / "out.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError) as e:
        make_options(forces=["atlantis"], to="docx", jobs=0, timeout=float("nan"), data=tmp_path / "no-data",
                     params=tmp_path / "no-params", out=a_file, notebooks=tmp_path / "no-notebooks",
                     param=["no_equals", "force_id=kent", "2x=1"])
    options = [option for option, _ in _problems(e)]
    assert options[:2] == ["FORCE_ID", "--to"]
    for option in ("--jobs", "--timeout", "--data", "--params", "--out", "--notebooks"):
        assert options.count(option) == 1, option
    assert options.count("--param") == 3
    assert all(name in str(e.value) for name in RESERVED_PARAMETERS)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_a_timeout_must_be_a_finite_number_of_seconds(timeout):
    with pytest.raises(InputError) as e:
        make_options(forces=["kent"], timeout=timeout, **FOLDERS)
    assert _problems(e) == [("--timeout", "expected a number of seconds above 0 (a finite number: not inf or nan)")]


@pytest.mark.parametrize(("scheduler", "wrong"), [
    ("local:2", None), ("tcp://10.0.0.5:8786", None), ("tls://scheduler", None),
    ("local:0", "expected local:N"), ("local:two", "expected local:N"),
    ("http://scheduler:8786", "expected a Dask scheduler address"), ("10.0.0.5:8786", "expected a Dask scheduler"),
])
def test_a_scheduler_is_an_address_or_a_local_cluster(scheduler, wrong):
    messages = [p.message for p in check_scheduler(scheduler)]
    missing_dask = [m for m in messages if "Dask distributed is not installed" in m]
    assert len(missing_dask) == (0 if HAVE_DASK else 1)
    address = [m for m in messages if m not in missing_dask]
    assert (address == []) if wrong is None else (len(address) == 1 and address[0].startswith(wrong))
