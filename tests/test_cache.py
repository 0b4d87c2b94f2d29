"""What a build depends on, as hashes, and the rule that reuses a kept output (:mod:`peel.pipeline.cache`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from peel.files import InputFileError
from peel.pipeline.cache import (
    AREA_WORDS,
    BUILD_SIDE,
    combined_hash,
    dataset_files,
    files_under,
    hash_files,
    notebook_content,
    notebook_fingerprint,
    package_hashes,
    read_json,
)
from peel.reuse import reuse_decision, sha256_file, sha256_text

COMPONENTS = {"notebook": "n1", "data": "d1", "params": "p1"}


def _notebook(path: Path, source: str = "x = 1", **cell: object) -> Path:
    doc = {"nbformat": 4, "nbformat_minor": 5,
           "metadata": {"kernelspec": {"name": "python3", "language": "python"}, "peel": {"area": "alpha"}},
           "cells": [{"cell_type": "code", "id": "a1", "metadata": {"tags": ["parameters"]}, "source": source,
                      "outputs": [], "execution_count": None, **cell}]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_file_hashes_are_of_the_bytes_and_a_fifo_or_folder_is_refused(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"x,y\n")
    assert sha256_file(tmp_path / "a.csv") == sha256_text("x,y\n")
    os.mkfifo(tmp_path / "pipe")
    for path in (tmp_path / "pipe", tmp_path, tmp_path / "missing"):
        with pytest.raises(InputFileError, match="is not a regular file"):
            sha256_file(path)


def test_a_set_of_files_is_named_relative_to_its_root_and_its_hash_does_not_depend_on_order(tmp_path):
    (tmp_path / "sub").mkdir()
    for rel, text in (("b.csv", "b"), ("a.csv", "a"), ("sub/c.csv", "c")):
        (tmp_path / rel).write_text(text, encoding="utf-8")
    hashes = hash_files([tmp_path / "sub" / "c.csv", tmp_path / "b.csv", tmp_path / "a.csv"], tmp_path)
    assert list(hashes) == ["a.csv", "b.csv", "sub/c.csv"] and hashes["a.csv"] == sha256_text("a")
    assert combined_hash(dict(reversed(list(hashes.items())))) == combined_hash(hashes)
    # A file renamed with the same bytes is another set.
    assert combined_hash({"z.csv": hashes["a.csv"], "b.csv": hashes["b.csv"]}) != \
        combined_hash({"a.csv": hashes["a.csv"], "b.csv": hashes["b.csv"]})


def test_hidden_files_caches_and_notes_are_not_inputs(tmp_path):
    for rel in ("national.csv", "README.md", ".hidden.csv", "__pycache__/x.pyc", ".git/HEAD", "real/national.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    # A dataset is the files at the top of its folder: the dataset in a folder inside it is not part of it.
    assert [p.name for p in dataset_files(tmp_path)] == ["national.csv"]
    assert dataset_files(tmp_path / "missing") == []
    under = [p.relative_to(tmp_path).as_posix() for p in files_under(tmp_path)]
    assert under == ["README.md", "national.csv", "real/national.csv"]
    assert [p.name for p in files_under(tmp_path, lambda rel: rel.parts[0] != "real")] == ["README.md", "national.csv"]


@pytest.mark.parametrize("text", ["", "[1]", "null", "{"])
def test_a_record_that_is_not_a_json_object_is_no_record(tmp_path, text):
    (tmp_path / "r.key").write_text(text, encoding="utf-8")
    assert read_json(tmp_path / "r.key") is None
    assert read_json(tmp_path / "missing.key") is None


def test_running_a_notebook_and_saving_it_leaves_its_fingerprint_alone(tmp_path):
    before = notebook_fingerprint(_notebook(tmp_path / "a.ipynb"))
    ran = _notebook(tmp_path / "a.ipynb", id="zz9", execution_count=7,
                    outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}],
                    metadata={"tags": ["parameters"], "collapsed": True, "execution": {"t": 1}})
    assert notebook_fingerprint(ran) == before
    # A list of lines is the same source as the joined string.
    assert notebook_fingerprint(_notebook(tmp_path / "b.ipynb", source=["x ", "= 1"])) == before
    assert notebook_fingerprint(_notebook(tmp_path / "c.ipynb", source="x = 2")) != before
    tags = _notebook(tmp_path / "d.ipynb", metadata={"tags": []})
    assert notebook_fingerprint(tags) != before  # the parameters tag decides what papermill injects
    assert notebook_content(ran)["cells"] == [{"type": "code", "source": "x = 1", "tags": ["parameters"]}]


@pytest.mark.parametrize(("text", "words"), [("{", "not a readable notebook"), ("[]", "not a notebook"),
                                             ('{"cells": {}}', "not a notebook")])
def test_a_file_that_is_not_a_notebook_is_refused_by_name(tmp_path, text, words):
    path = tmp_path / "a.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=words) as e:
        notebook_content(path)
    assert str(path) in str(e.value)


def test_a_change_outside_the_notebook_side_re_renders_without_re_executing(tmp_path):
    package = tmp_path / "peel"
    for rel in ("analysis/present.py", "pipeline/force.py", "render/templates/report.html.j2", "render/page.py"):
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text("1", encoding="utf-8")
    assert "pipeline" in BUILD_SIDE and "render" in BUILD_SIDE and "analysis" not in BUILD_SIDE
    first = package_hashes(package)
    (package / "pipeline" / "force.py").write_text("2", encoding="utf-8")
    build_side = package_hashes(package)
    assert build_side[0] == first[0] and build_side[1] != first[1] and build_side[2] == first[2]
    (package / "render" / "templates" / "report.html.j2").write_text("2", encoding="utf-8")
    template = package_hashes(package)
    assert template[:2] == build_side[:2] and template[2] != build_side[2]
    (package / "analysis" / "present.py").write_text("2", encoding="utf-8")
    notebook_side = package_hashes(package)
    assert notebook_side[0] != template[0] and notebook_side[1] != template[1]


def test_a_kept_output_is_reused_only_when_nothing_changed_and_its_files_are_as_recorded(tmp_path):
    out = tmp_path / "a.ipynb"
    out.write_text("executed", encoding="utf-8")
    produced = [("executed notebook", out, sha256_file(out))]
    record = {"components": dict(COMPONENTS)}
    assert reuse_decision(COMPONENTS, None, produced, AREA_WORDS, "not built before") == (True, "not built before")
    assert reuse_decision(COMPONENTS, record, produced, AREA_WORDS, "-") == (False, "unchanged")
    changed = {**COMPONENTS, "data": "d2", "params": "p2", "extra": "e"}
    assert reuse_decision(changed, record, produced, AREA_WORDS, "-") == (
        True, "its data changed, its inspection inputs changed, extra changed")
    assert reuse_decision(COMPONENTS, record, [("executed notebook", out, None)], AREA_WORDS, "-") == (
        True, "executed notebook not built before")
    out.write_text("edited", encoding="utf-8")
    assert reuse_decision(COMPONENTS, record, produced, AREA_WORDS, "-") == (
        True, "executed notebook missing or edited")
    out.unlink()
    assert reuse_decision(COMPONENTS, record, produced, AREA_WORDS, "-")[1] == "executed notebook missing or edited"
