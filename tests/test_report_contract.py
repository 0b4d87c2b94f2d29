"""The report-content contract: only what ``peel.analysis.present`` displays reaches a report.

An analyst's scratch cells (a ``display(df)``, a seaborn chart, a ``print``) stay in the executed
notebook; the build lists them per force and area, in its output and in ``build.json``.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from peel.analysis import present
from peel.analysis.reportable import NotInspected, ReportHTML
from peel.inputs.forces import get_force
from peel.pipeline import build
from peel.pipeline.options import BuildOptions

REPO = Path(__file__).resolve().parents[1]

SCRATCH = [
    # A data frame whose cells hold words that appear nowhere in a report.
    'import pandas as pd\nfrom IPython.display import display\n'
    'df = pd.DataFrame({"scratch": ["ZEBRAFRAME", "QUOKKAFRAME"]})\ndisplay(df)',
    # A seaborn chart: shown by the inline backend as a PNG at the end of the cell.
    'import seaborn as sns\nax = sns.barplot(x=["a", "b"], y=[1, 2])\nax.set_title("WOMBATCHART")',
    'print("NARWHALPRINT")',
]


def test_present_marks_its_html_and_notes_an_area_not_inspected():
    ctx = present.load("metropolitan")
    shown = present.area_header(ctx, "police_powers")
    assert isinstance(shown, ReportHTML)
    data, meta = shown._repr_mimebundle_()
    assert meta == {"peel": {"report": True}} and 'id="police_powers-title"' in data["text/html"]
    not_inspected = next(a.id for a in ctx.report.areas if not a.always and ctx.area_inputs(a.id) is None)
    for note in (present.area_header(ctx, not_inspected), present.area(ctx, not_inspected)):
        assert isinstance(note, NotInspected)
        assert str(note).startswith("The Metropolitan Police Service was not inspected on the area "
                                    f"{not_inspected!r}")
        assert not hasattr(note, "_repr_html_") and not hasattr(note, "_repr_mimebundle_")
    assert present.findings(ctx, not_inspected) is None


@pytest.mark.slow
def test_scratch_outputs_stay_out_of_the_report_and_are_listed(tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks)
    path = notebooks / "03_police_powers.ipynb"
    nb = nbformat.read(path, as_version=4)
    first_new = len(nb.cells) + 1
    nb.cells += [nbformat.v4.new_code_cell(src) for src in SCRATCH]
    nbformat.write(nb, path)

    out = tmp_path / "out"
    opts = BuildOptions((get_force("kent"),), ("html", "pdf"), REPO / "data", REPO / "params", out, notebooks,
                        1, 300, validate=False)
    stream = io.StringIO()
    result = build(opts, stream=stream)
    log = stream.getvalue()
    assert result.exit_status == 0, log

    html = (out / "kent" / "report.html").read_text(encoding="utf-8")
    pdf = " ".join(p.extract_text() or "" for p in PdfReader(out / "kent" / "report.pdf").pages)
    for word in ("ZEBRAFRAME", "QUOKKAFRAME", "WOMBATCHART", "NARWHALPRINT", "dataframe"):
        assert word not in html and word not in pdf, word
    assert 'id="police_powers-title"' in html  # the area itself is there
    assert html.count("<img ") == html.count('class="figure-number"')  # no stray image

    # The executed notebook keeps them all.
    executed = nbformat.read(out / "kent" / "notebooks" / "03_police_powers.ipynb", as_version=4)
    kept = json.dumps([c.get("outputs", []) for c in executed.cells])
    assert "ZEBRAFRAME" in kept and "image/png" in kept and "NARWHALPRINT" in kept

    # Listed in build.json, per force and area, with the cells of the executed notebook...
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))["forces"]["kent"]["areas"]
    listed = record["police_powers"]["left_out"]
    # papermill inserts the injected-parameters cell after the parameters cell: one more cell.
    cells = [first_new + 1 + i for i in range(3)]
    assert [(i["cell"], i["what"], i["mime"]) for i in listed] == [
        (cells[0], "a DataFrame", "text/html"),
        (cells[1], "plain text", "text/plain"),  # the Text object set_title returns
        (cells[1], "a matplotlib figure", "image/png"),
        (cells[2], "printed text", "stdout"),
    ]
    assert all("left_out" not in a for area, a in record.items() if area != "police_powers")
    # ... and in what the build says.
    assert (f"kent, police_powers: 4 outputs left out of the report (cell {cells[0]}: a DataFrame (text/html); "
            f"cell {cells[1]}: plain text (text/plain); cell {cells[1]}: a matplotlib figure (image/png); "
            f"cell {cells[2]}: printed text (stdout)); "
            "they are in ") in log, log
    assert "kent/notebooks/03_police_powers.ipynb" in log
