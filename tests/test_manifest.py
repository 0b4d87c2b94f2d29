"""``OUT/build.json`` (:mod:`peel.pipeline.manifest`) and its records (:mod:`peel.pipeline.records`): pydantic
models written with the same bytes as the hand-written serialiser before them, and a record that does not
validate read as no record.

``tests/fixtures/manifest/build.json`` was written by the last commit whose records were serialised by hand
(see the README beside it).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from peel.pipeline.manifest import MANIFEST_NAME, read_figures, read_manifest, read_records, write_manifest
from peel.pipeline.records import AreaRecord, Failure, ForceRecord

FIXTURE = Path(__file__).parent / "fixtures" / "manifest" / MANIFEST_NAME


def _copy(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    shutil.copyfile(FIXTURE, tmp_path / MANIFEST_NAME)
    return tmp_path, json.loads(FIXTURE.read_text(encoding="utf-8"))


def _write_again(out: Path, doc: dict[str, Any], forces: list[ForceRecord]) -> bytes:
    """Write the manifest of ``out`` again with the build-wide fields of ``doc`` and these records."""
    write_manifest(out, commit=doc["project"]["commit"], options=doc["options"], inputs=doc["inputs"],
                   forces=forces, built_at=datetime.fromisoformat(doc["built_at"].replace("Z", "+00:00")),
                   vintage=doc["vintage"])
    return (out / MANIFEST_NAME).read_bytes()


def test_a_manifest_written_before_the_records_were_models_is_written_again_byte_for_byte(tmp_path):
    out, doc = _copy(tmp_path)
    records = read_records(out)
    assert sorted(records) == ["dyfed-powys", "gwent", "kent"]
    failed = records["dyfed-powys"]
    assert failed.failed and failed.error is not None and failed.error.cell == 3
    assert failed.areas["police_powers"].attempts == 1 and failed.areas["victims"].status == "not_run"
    assert failed.describe() == "dyfed-powys: FAILED in police_powers: ZeroDivisionError: division by zero"
    again = _write_again(out, doc, [records[f] for f in doc["this_build"]["forces"]])
    assert again == FIXTURE.read_bytes()


def test_a_force_not_in_this_build_keeps_its_record_as_it_was(tmp_path):
    out, doc = _copy(tmp_path)
    records = read_records(out)
    written = json.loads(_write_again(out, doc, [records["kent"]]))
    assert written["this_build"] == {"forces": ["kent"], "counts": {"built": 1}}
    assert written["forces"] == doc["forces"]


@pytest.mark.parametrize("edit", [
    pytest.param(lambda r: r.update(grades="Good"), id="grades-not-a-mapping"),
    pytest.param(lambda r: r.pop("status"), id="status-missing"),
    pytest.param(lambda r: r.update(duration="fast"), id="duration-not-a-number"),
    pytest.param(lambda r: r["areas"]["about_the_data"].update(attempts=[1]), id="area-attempts-a-list"),
    pytest.param(lambda r: r["built_from"].update({"report.html": "today"}), id="built-from-not-a-vintage"),
])
def test_a_record_that_does_not_validate_is_no_record_and_the_next_build_leaves_it_out(tmp_path, edit):
    out, doc = _copy(tmp_path)
    edit(doc["forces"]["kent"])
    (out / MANIFEST_NAME).write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError):
        ForceRecord.from_json("kent", doc["forces"]["kent"])
    records = read_records(out)
    assert sorted(records) == ["dyfed-powys", "gwent"]
    assert "kent" not in read_figures(out)
    written = json.loads(_write_again(out, doc, [records["gwent"]]))
    assert sorted(written["forces"]) == ["dyfed-powys", "gwent"]


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"forces": [1]}', '{"forces": {"kent": "built"}}'])
def test_a_manifest_that_is_not_one_reads_as_no_records(tmp_path, text):
    (tmp_path / MANIFEST_NAME).write_text(text, encoding="utf-8")
    assert read_records(tmp_path) == {} and read_figures(tmp_path) == {}
    if not text.startswith('{"forces"'):
        assert read_manifest(tmp_path) == {}


def test_a_record_without_the_newer_keys_and_with_unknown_ones_reads_with_defaults():
    """A record of an older layout (no vintage, notices or grade basis) or a newer one (a key this version does
    not know) still reads."""
    record = ForceRecord.from_json("kent", {"status": "built", "duration": 2, "grades": {"a": "Good"},
                                            "files": {"report.html": "0" * 64}, "areas": {},
                                            "reports": {"report.html": "elsewhere"}, "a_later_key": [1]})
    assert record.built_from == {} and record.notices == [] and record.grade_basis == {}
    assert record.duration == 2.0 and record.reports == {"report.html": "kent/report.html"}


def test_what_is_empty_or_unknown_is_left_out_of_the_record():
    record = ForceRecord(force_id="kent", status="built", duration=1.5,
                         areas={"a": AreaRecord(status="executed", executed_notebook="kent/notebooks/a.ipynb")},
                         error=Failure(error="ValueError", message="m"))
    assert record.to_json() == {
        "status": "built", "duration": 1.5, "grades": {}, "grade_basis": {}, "params_sha256": None,
        "areas": {"a": {"status": "executed", "executed_notebook": "kent/notebooks/a.ipynb"}},
        "files": {}, "reports": {},
        "error": {"area": None, "cell": None, "error": "ValueError", "message": "m", "executed_notebook": None},
    }
    # Zero is known: a reused area took no time and is written so.
    assert AreaRecord(status="reused", duration=0.0, attempts=0).to_json()["duration"] == 0.0


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_maybe = st.none() | _text
_failures = st.builds(Failure, error=_maybe, message=_text, area=_maybe, cell=st.none() | st.integers(0, 99),
                      executed_notebook=_maybe, kind=_maybe, traceback=_maybe, notebook=_maybe, cell_begins=_maybe)
_areas = st.builds(AreaRecord, status=st.sampled_from(["executed", "reused", "failed", "not_run"]),
                   executed_notebook=_maybe, reason=_maybe,
                   duration=st.none() | st.floats(0, 1e4, allow_nan=False), attempts=st.none() | st.integers(0, 3),
                   error=st.none() | _failures,
                   left_out=st.lists(st.fixed_dictionaries({"cell": st.integers(1, 9), "what": _text,
                                                            "mime": _text}), max_size=2))
_forces = st.builds(
    ForceRecord, force_id=st.just("kent"), status=st.sampled_from(["built", "reused", "failed"]),
    grades=st.dictionaries(_text, _maybe, max_size=2), params_sha256=_maybe,
    areas=st.dictionaries(_text, _areas, max_size=2), files=st.dictionaries(_text, _text, max_size=2),
    duration=st.floats(0, 1e4, allow_nan=False), rendered=_maybe, error=st.none() | _failures,
    previous_report_kept=st.booleans(), built_from=st.dictionaries(_text, st.dictionaries(_text, _text, max_size=2),
                                                                   max_size=2),
    notices=st.lists(_text, max_size=2), grade_basis=st.dictionaries(_text, _text, max_size=2))


@given(_forces)
def test_a_record_reads_back_as_it_was_written(record):
    written = json.dumps(record.to_json(), sort_keys=True, indent=2, ensure_ascii=False)
    back = ForceRecord.from_json("kent", json.loads(written))
    assert json.dumps(back.to_json(), sort_keys=True, indent=2, ensure_ascii=False) == written
    assert back.describe() == record.describe() and back.reports == record.reports
