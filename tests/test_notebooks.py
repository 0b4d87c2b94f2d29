"""The area notebooks: their shape, and every one executed with papermill for fixture forces.

Each notebook is executed once per force as a build executes it: in a warm kernel reset before each
notebook (``notebook_runner.py``), two kernels at once, from a working directory outside the project to
show that nothing depends on it. The executed notebooks are shared by all the tests here and by
``test_seed_figures.py`` through :func:`executed`.
"""

from __future__ import annotations

import ast
import atexit
import functools
import html
import itertools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml
from notebook_runner import DEFAULTS

from peel.analysis.reportable import is_report_output
from peel.analysis.statements import STATEMENTS_MIME

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORT = yaml.safe_load((NOTEBOOKS / "report.yaml").read_text(encoding="utf-8"))
AREAS = REPORT["areas"]
NOTEBOOK_NAMES = [a["notebook"] for a in AREAS]

#: Fixture forces: the seed report's force, the force left out of rate comparisons, a Welsh force.
#: ``None`` runs every notebook with its own defaults (no injected parameters).
FORCES = ["metropolitan", "city-of-london", "south-wales", None]

#: Runner processes executing notebooks at once, each in one warm kernel (the machine's two cores).
WORKERS = 2
#: Seconds one notebook may take.
TIMEOUT = 300


def notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


# ---------------------------------------------------------------------------------------------
# Shape of the source notebooks (fast)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("area", AREAS, ids=[a["id"] for a in AREAS])
def test_notebook_introduction_names_the_area_measures(area):
    """The introduction lists the measures the demonstration catalogue places in the area."""
    catalogue = yaml.safe_load((ROOT / "data" / "measures.yaml").read_text(encoding="utf-8"))["measures"]
    intro = notebook(area["notebook"]).cells[0].source
    for measure_id, entry in catalogue.items():
        assert (f"`{measure_id}`" in intro) == (entry["area"] == area["id"]), measure_id


def test_every_area_has_its_notebook_and_nothing_else():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NOTEBOOK_NAMES)


@pytest.mark.parametrize("area", AREAS, ids=[a["id"] for a in AREAS])
def test_notebook_shape(area):
    nb = notebook(area["notebook"])
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["peel"]["area_id"] == area["id"]
    # A Markdown introduction for the analyst (never in the report), then code cells only.
    intro, cells = nb.cells[0], nb.cells[1:]
    assert intro.cell_type == "markdown" and intro.source.startswith(f"# {area['title']}\n")
    assert "force_id" in intro.source and "ctx.comparison(" in intro.source
    assert all(c.cell_type == "code" for c in cells)
    assert all(not c.outputs and c.execution_count is None for c in cells), "outputs are never committed"
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is cells[0]
    # Every parameter has a type annotation, a default and a comment; nothing else is in the cell.
    tree = ast.parse(tagged[0].source)
    assert all(isinstance(node, ast.AnnAssign) for node in tree.body)
    names = [node.target.id for node in tree.body]
    assert names == ["force_id", "data_dir", "params_dir"]
    for line in tagged[0].source.splitlines():
        if line.split(":")[0] in names:
            assert "  # " in line, f"parameter without a comment: {line}"
    # Thin: the logic is in the package; the notebook only loads and displays.
    code = "\n".join(c.source for c in cells[1:])
    assert "from peel.analysis import present" in code
    assert len(code.splitlines()) <= 20
    for forbidden in ("import pandas", "import matplotlib", "def ", "class ", "for "):
        assert forbidden not in code


# ---------------------------------------------------------------------------------------------
# Executing the notebooks (slow)
# ---------------------------------------------------------------------------------------------

@dataclass
class Run:
    """One notebook executed for one force."""

    name: str
    force_id: str | None
    returncode: int
    stderr: str
    nb: nbformat.NotebookNode | None

    def outputs(self) -> list[dict]:
        assert self.nb is not None
        return [o for c in self.nb.cells for o in c.get("outputs", [])]

    def html(self) -> str:
        """The HTML the report takes: outputs marked by peel.analysis.present (and only those)."""
        out = []
        for o in self.outputs():
            data = o.get("data", {})
            if "text/html" in data and is_report_output(o):
                h = data["text/html"]
                out.append("".join(h) if isinstance(h, list) else h)
        return "\n".join(out)


_WORK = Path(tempfile.mkdtemp(prefix="peel-notebooks-"))
atexit.register(shutil.rmtree, _WORK, True)

_RUNNER = Path(__file__).resolve().parent / "notebook_runner.py"


def _execute(forces: tuple[str | None, ...]) -> dict[str | None, dict[str, Run]]:
    """Every area notebook executed for each of ``forces``, by force and notebook name.

    The forces are shared out between :data:`WORKERS` runner processes (``notebook_runner.py``), each
    executing its forces' notebooks one after another in one warm kernel, as a build's worker does.
    """
    shares = [[f for i, f in enumerate(forces) if i % WORKERS == w] for w in range(WORKERS)]
    # The working directory is a folder outside the project: notebooks must not depend on it.
    procs = [subprocess.Popen([sys.executable, str(_RUNNER), str(NOTEBOOKS), str(_WORK), str(TIMEOUT),
                               *(f or DEFAULTS for f in share)],
                              cwd=_WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for share in shares if share]
    failures: dict[str, dict[str, str]] = {}
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT * len(NOTEBOOK_NAMES) * len(forces))
            assert proc.returncode == 0, err[-4000:]
            failures.update(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=TIMEOUT)
    runs: dict[str | None, dict[str, Run]] = {}
    for force in forces:
        errors = failures[force or DEFAULTS]
        runs[force] = {}
        for name in NOTEBOOK_NAMES:
            path = _WORK / (force or "defaults") / name
            nb = nbformat.read(path, as_version=4) if path.is_file() else None
            runs[force][name] = Run(name, force, 1 if errors.get(name) else 0, errors.get(name, ""), nb)
    return runs


@functools.cache
def _executed_for_the_fixture_forces() -> dict[str | None, dict[str, Run]]:
    return _execute(tuple(FORCES))


def executed(force_id: str | None) -> dict[str, Run]:
    """Every area notebook executed for ``force_id``, one of :data:`FORCES` (``None``: with no injected
    parameters), by name. The forces are executed together, once per test session."""
    assert force_id in FORCES, f"{force_id} is not one of the fixture forces {FORCES}"
    return _executed_for_the_fixture_forces()[force_id]


def _inspected_areas(force_id: str) -> set[str]:
    from peel.inputs.inspection import load_force_inputs
    from peel.paths import params_dir

    return set(load_force_inputs(params_dir(), force_id).areas)


def _not_shown(force_id: str) -> set[str]:
    """The measures the force's inputs leave out of its report (``measures_not_shown``)."""
    from peel.inputs.inspection import load_force_inputs
    from peel.paths import params_dir

    return {mid for a in load_force_inputs(params_dir(), force_id).areas.values() for mid in a.measures_not_shown}


def _text(fragment: str) -> str:
    fragment = re.sub(r'src="data:[^"]*"', "", fragment)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


CASES = [(f, a) for f in FORCES for a in AREAS]


@pytest.mark.slow
@pytest.mark.parametrize("force_id, area", CASES, ids=[f"{f or 'defaults'}-{a['id']}" for f, a in CASES])
def test_notebook_executes(force_id, area):
    run = executed(force_id)[area["notebook"]]
    assert run.returncode == 0, f"{area['notebook']} failed for {force_id or 'defaults'}:\n{run.stderr}"
    nb = run.nb
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == (0 if force_id is None else 1)

    outputs = run.outputs()
    # Nothing but HTML reaches the reader: no errors, no warnings printed, no stray images (the statement
    # records travel beside the HTML under their own type, which the stitcher never renders).
    assert not [o for o in outputs if o.get("output_type") in ("error", "stream")], outputs
    for o in outputs:
        assert set(o.get("data", {})) <= {"text/html", "text/plain", STATEMENTS_MIME}, o.get("data", {}).keys()
    page = run.html()
    assert "<script" not in page and "style=" not in page

    effective_force = force_id or ("bedfordshire" if area["id"] == "crime_data_integrity" else "metropolitan")
    inspected = area.get("always") or area["id"] in _inspected_areas(effective_force)
    if not inspected:
        assert page == "", "an area the force was not inspected on puts nothing in the report"
        # ... and says so in the notebook, as plain text.
        notes = [o["data"]["text/plain"] for o in outputs if o.get("output_type") == "execute_result"]
        assert len(notes) == 1 and "was not inspected on the area" in notes[0], notes
        return
    # Every HTML output of an inspected area is marked for the report.
    assert all(is_report_output(o) for o in outputs if "text/html" in o.get("data", {}))
    assert f'<h2 class="area-title" id="{area["id"]}-title">' in page
    text = _text(page)
    assert not re.search(r"\b(nan|NaN|None)\b", text)

    # Headings: one h2, then no level skipped.
    levels = [int(x) for x in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 2 and levels.count(2) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    # Ids unique within the area; figures numbered 1, 2, ... with matching data summaries.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    numbers = [int(n) for n in re.findall(r'<span class="figure-number">Figure (\d+)</span>', page)]
    assert numbers == list(range(1, len(numbers) + 1))
    refs = [int(n) for n in re.findall(r'<span class="figure-ref">figure (\d+)</span>', page)]
    assert refs == numbers
    # Every chart has alt text and a source line.
    assert page.count("<img ") == len(numbers) == page.count('<p class="source">Source: ')
    assert 'alt=""' not in page


@pytest.mark.slow
def test_area_notebooks_show_every_measure_of_inspected_areas():
    """Each measure of an inspected area is shown once, in a finding or under "How the force compares",
    unless the force's inputs leave it out (the Met leaves out the group demonstration's measure)."""
    from peel.inputs.catalogue import load_catalogue
    from peel.paths import data_dir

    catalogue = load_catalogue(data_dir() / "measures.yaml")
    for force_id in ("metropolitan", "south-wales"):
        runs = executed(force_id)
        inspected, left_out = _inspected_areas(force_id), _not_shown(force_id)
        page = "\n".join(r.html() for r in runs.values())
        for mid, m in catalogue.items():
            expected = 1 if m.area in inspected and mid not in left_out else 0
            assert page.count(f'id="figure-{mid}"') == expected, (force_id, mid)


@pytest.mark.slow
def test_city_of_london_is_not_compared_on_rates():
    from peel.inputs.catalogue import load_catalogue
    from peel.paths import data_dir

    catalogue = load_catalogue(data_dir() / "measures.yaml")
    page = "\n".join(r.html() for r in executed("city-of-london").values())
    statements = [_text(p) for p in re.findall(r'<p class="measure-statement">(.*?)</p>', page, re.DOTALL)]
    reasons = {" ".join(m.exclude["city-of-london"].split()) for m in catalogue.values()
               if "city-of-london" in m.exclude}
    assert reasons, "the catalogue leaves City of London Police out of some comparisons"
    for reason in reasons:
        assert any(reason in s for s in statements), reason
    assert not any("higher than expected" in s or "lower than expected" in s
                   for s in statements if any(r in s for r in reasons))
