"""Seals on the build's cache records (:mod:`peel.pipeline.seal`): a record edited outside the build, moved
to another name or sealed under another key is not trusted. The key itself is checked in ``test_vintage.py``."""

from __future__ import annotations

import json
import os

import pytest

from peel.pipeline.seal import SEALS_NAME, key_path, read_seals, seal, sealed, write_seals

RECORD = {"components": {"notebook": "a" * 64, "data": "b" * 64}, "executed_sha256": "c" * 64, "area_id": "alpha"}
NAME = "kent/notebooks/01_alpha.key"


def test_a_seal_stands_for_the_record_and_its_place_in_the_folder():
    mine = seal(NAME, RECORD)
    assert len(mine) == 64 and int(mine, 16) >= 0
    assert seal(NAME, dict(reversed(list(RECORD.items())))) == mine  # the order of keys does not count
    assert seal("surrey/notebooks/01_alpha.key", RECORD) != mine  # moved to another force
    assert seal(NAME, {**RECORD, "executed_sha256": "d" * 64}) != mine  # its hash recomputed by hand


def test_only_the_record_the_build_sealed_is_trusted():
    seals = {NAME: seal(NAME, RECORD)}
    assert sealed(seals, NAME, RECORD)
    assert not sealed(seals, NAME, {**RECORD, "area_id": "beta"})
    assert not sealed(seals, NAME, None)  # no record on disk
    assert not sealed({}, NAME, RECORD)  # a record the build did not seal
    assert not sealed({NAME: "0" * 64}, NAME, RECORD)


def test_a_record_sealed_under_another_key_is_not_trusted(tmp_path, monkeypatch):
    """Another user's builds (another state folder, so another key) seal the same record differently."""
    mine = seal(NAME, RECORD)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-user"))
    assert key_path().is_relative_to(tmp_path)
    assert seal(NAME, RECORD) != mine and not sealed({NAME: mine}, NAME, RECORD)
    assert oct(key_path().stat().st_mode & 0o777) == "0o600"


def test_seals_are_written_sorted_and_read_back(tmp_path):
    seals = {"surrey/report.key": seal("surrey/report.key", RECORD), NAME: seal(NAME, RECORD)}
    write_seals(tmp_path, seals)
    assert read_seals(tmp_path) == seals
    assert list(json.loads((tmp_path / SEALS_NAME).read_text(encoding="utf-8"))) == sorted(seals)
    assert not [p for p in tmp_path.iterdir() if p.name != SEALS_NAME]  # no temporary file left


@pytest.mark.parametrize("text", ["", "{", "[1]", "null", '"seal"'])
def test_seals_that_cannot_be_read_are_no_seals(tmp_path, text):
    (tmp_path / SEALS_NAME).write_text(text, encoding="utf-8")
    assert read_seals(tmp_path) == {}


def test_no_seals_file_is_no_seals(tmp_path):
    assert read_seals(tmp_path) == {}
    os.mkfifo(tmp_path / SEALS_NAME)  # never waited on
    assert read_seals(tmp_path) == {}
