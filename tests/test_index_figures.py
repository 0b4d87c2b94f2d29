"""The reports' headline figures in ``build.json`` and in the index's "Figures" table.

Both come from the statement records kept beside each report, the records ``statements.csv`` is
written from: the slow test builds the real dataset for two forces and checks every figure against
``statements.csv`` and the report's own text, and that a second build with another number of
workers writes the same bytes.
"""

from __future__ import annotations

import csv
import html as html_lib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peel.inputs.areas import load_report
from peel.inputs.dataset import DatasetInfo, read_info
from peel.numbers import format_value
from peel.pipeline.headline_figures import FIGURE_FIELDS, headline_figures
from peel.pipeline.records import ForceRecord
from peel.render.index import render_index

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "data" / "real"
FORCES = ("metropolitan", "avon-and-somerset")


def _record(measure: str, sentence_kind: str, value: float | None, **extra) -> dict:
    base = dict.fromkeys(("force_id", "area", "decimals", "source", "trend"))
    base.update(kind="measure", statement_id=f"measure:{measure}", measure=measure, period="2023-04-01/2024-03-31",
                value=value, value_text="not available" if value is None else f"{value:.1f}",
                unit="per_1000_population", decimals=1, england_and_wales=87.5, comparison="in line",
                source="Home Office", sentence_kind=sentence_kind, sentence="s")
    base.update(extra)
    return base


def test_headline_figures_take_one_entry_per_measure_in_reading_order():
    records = [
        _record("b", "value", 2.0), _record("b", "comparison", 2.0),
        {"kind": "grade", "statement_id": "grade:x", "measure": None},
        _record("a", "value", None, comparison="not available"),
        {"kind": "inspection_figure", "measure": "sample", "period": "2023"},
    ]
    figures = headline_figures(records)
    assert [f["measure"] for f in figures] == ["b", "a"]
    assert list(figures[0]) == list(FIGURE_FIELDS)
    assert figures[1]["value"] is None and figures[1]["comparison"] == "not available"


def _figures_page(tmp_path: Path, info: DatasetInfo) -> str:
    report = load_report(REPO / "notebooks", check_notebooks=False)
    (tmp_path / "gwent").mkdir()
    (tmp_path / "gwent" / "report.html").write_text("x", encoding="utf-8")
    (tmp_path / "kent").mkdir()
    (tmp_path / "kent" / "report.pdf").write_text("x", encoding="utf-8")
    records = {fid: ForceRecord.from_json(fid, {"status": "executed", "files": {name: "x"}})
               for fid, name in (("gwent", "report.html"), ("kent", "report.pdf"), ("dorset", "report.html"))}
    figures = {
        "gwent": headline_figures([_record("crime", "value", 80.5), _record("rate", "value", 3.0,
                                                                             period="2022-03-31/2022-03-31")]),
        "kent": headline_figures([_record("crime", "value", 70.0, comparison="lower than expected")]),
        "dorset": headline_figures([_record("crime", "value", 60.0)]),  # no report on disk
    }
    return render_index(report, records, tmp_path, demonstration=info.demonstration, notice="n",
                        figures=figures, catalogue={}, info=info)


def _section(page: str) -> str:
    return page[page.index('<section aria-labelledby="figures-title">'):]


def test_figures_table_is_accessible_and_links_each_value(tmp_path):
    info = read_info(REAL)
    section = _section(_figures_page(tmp_path, info))
    assert '<div class="figures-region" role="region" tabindex="0" aria-label="' in section
    assert "<caption>Figures by force. Sources: Office for National Statistics" in section
    assert "Contains public sector information licensed under the Open Government Licence v3.0" in section
    assert "Demonstration data" not in section
    # England and Wales first, then one row per force with a report, in the reference order.
    rows = re.findall(r'<tr[^>]*><th scope="row">([^<]+)</th>', section)
    assert rows == ["England and Wales", "Kent Police", "Gwent Police"]
    assert section.count('<th scope="col">') == 3  # force, and two (measure, period) columns
    assert '<span class="period">The year ending 31 March 2024</span>' in section
    assert '<span class="period">31 March 2022</span>' in section
    assert '<td><a href="gwent/report.html#crime-measure">80.5</a><span class="comparison">in line</span></td>' \
        in section
    assert '<a href="kent/report.pdf">70.0</a><span class="comparison">lower than expected</span>' in section
    assert "<td>not in report</td>" in section  # Kent's report does not show the second measure
    assert "<td>87.5</td>" in section


def test_figures_table_says_prominently_when_the_data_are_for_demonstration(tmp_path):
    info = read_info(REPO / "data")
    section = _section(_figures_page(tmp_path, info))
    note = section[:section.index("<table")]
    assert 'class="demo-notice figures-notice" role="note"' in note
    assert "Demonstration data: these are not real figures" in note and "synthetic" in note
    assert "<caption>Figures by force (demonstration data). Sources:" in section


def test_no_figures_table_without_figures(tmp_path):
    report = load_report(REPO / "notebooks", check_notebooks=False)
    page = render_index(report, {}, tmp_path, demonstration=False, notice="")
    assert "figures-title" not in page


def _build(out: Path, jobs: int) -> None:
    run = subprocess.run([str(Path(sys.executable).parent / "peel"), "build", *FORCES, "--data", str(REAL),
                          "--to", "html", "--jobs", str(jobs), "--out", str(out)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow
def test_real_figures_agree_in_build_json_index_statements_and_reports(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    _build(one, jobs=1)
    manifest = json.loads((one / "build.json").read_text(encoding="utf-8"))
    with open(one / "statements.csv", encoding="utf-8", newline="") as f:
        statements = [r for r in csv.DictReader(f) if r["kind"] == "measure"]
    index = (one / "index.html").read_text(encoding="utf-8")
    figures_section = _section(index)
    catalogue = list(__import__("yaml").safe_load((REAL / "measures.yaml").read_text(encoding="utf-8"))["measures"])
    for fid in FORCES:
        figures = manifest["forces"][fid]["figures"]
        assert [f["measure"] for f in figures] and {f["measure"] for f in figures} == set(catalogue)
        report = _text((one / fid / "report.html").read_text(encoding="utf-8"))
        rows = [r for r in statements if r["force_id"] == fid]
        for fig in figures:
            mine = [r for r in rows if r["measure"] == fig["measure"] and r["period"] == fig["period"]]
            assert mine, f"{fid} {fig['measure']}: in build.json but not in statements.csv"
            for r in mine:
                # statements.csv writes floats with repr: they read back exactly.
                assert float(r["value"]) == fig["value"] and r["value_text"] == fig["value_text"]
                assert float(r["england_and_wales"]) == fig["england_and_wales"]
                assert r["comparison"] == fig["comparison"] and r["source"] == fig["source"]
                assert r["unit"] == fig["unit"]
                assert " ".join(r["sentence"].split()) in report
            assert fig["value_text"] in " ".join(r["sentence"] for r in mine)
            link = f'<a href="{fid}/report.html#{fig["measure"]}-measure">{html_lib.escape(fig["value_text"])}</a>'
            assert link in figures_section, f"{fid} {fig['measure']}: {link} not in the index"
            ew = format_value(fig["england_and_wales"], fig["unit"], fig["decimals"])
            assert f"England and Wales figure of {ew}" in report or f"England and Wales average of {ew}" in report
            assert f"<td>{html_lib.escape(ew)}</td>" in figures_section
            assert f'id="{fig["measure"]}-measure"' in (one / fid / "report.html").read_text(encoding="utf-8")
    # The same inputs with two workers give the same figures, index and statements, byte for byte.
    _build(two, jobs=2)
    again = json.loads((two / "build.json").read_text(encoding="utf-8"))
    assert {f: again["forces"][f]["figures"] for f in FORCES} == {f: manifest["forces"][f]["figures"] for f in FORCES}
    assert (two / "index.html").read_bytes() == (one / "index.html").read_bytes()
    assert (two / "statements.csv").read_bytes() == (one / "statements.csv").read_bytes()
    for fid in FORCES:
        assert (two / fid / "statements.json").read_bytes() == (one / fid / "statements.json").read_bytes()


def test_data_hash_is_the_dataset_folders_own_files(tmp_path):
    """The demonstration's folder holds the real dataset and the published tables: neither is part of it."""
    import shutil

    from peel.pipeline.cache import fingerprints
    from peel.reuse import content_id

    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("*.xlsx", "*.xls", "*.gz"))
    notebooks = REPO / "notebooks"
    names = sorted(p.name for p in notebooks.glob("*.ipynb"))

    def prints(folder: Path):
        fp = fingerprints(folder, notebooks, names)
        return fp.data, fp.data_hash, fp.data_areas, content_id(fp.data)

    demo, real = prints(data), prints(data / "real")
    assert set(demo[0]) == {"dataset.yaml", "groups.csv", "measures.yaml", "national.csv", "population.csv"}
    assert set(real[0]) >= {"dataset.yaml", "measures.yaml", "national.csv", "population.csv"}
    assert not any("/" in name for name in (*demo[0], *real[0]))
    # A change to the real dataset, or to a published table, leaves the demonstration's hashes alone ...
    with open(data / "real" / "national.csv", "a", encoding="utf-8") as f:
        f.write("kent,recorded_crime_per_1000,2012-04-01/2013-03-31,,1,,,x\n")
    (data / "published" / "PROVENANCE.md").write_text("changed", encoding="utf-8")
    (data / "published" / "new.csv").write_text("a\n1\n", encoding="utf-8")
    assert prints(data) == demo
    assert prints(data / "real") != real
    # ... and the demonstration's own change changes its own hash and no other.
    real_after = prints(data / "real")
    with open(data / "national.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    assert prints(data)[1] != demo[1] and prints(data / "real") == real_after
