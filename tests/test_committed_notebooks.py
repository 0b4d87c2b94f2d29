"""Committed notebooks carry no outputs and no execution counts (the nbstripout git filter keeps them so),
and a notebook run and saved in JupyterLab has the same fingerprint as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from peel.pipeline.cache import notebook_fingerprint

REPO = Path(__file__).resolve().parents[1]


def _committed_notebooks() -> list[str]:
    done = subprocess.run(["git", "-C", str(REPO), "ls-files", "notebooks/"], capture_output=True, text=True,
                          timeout=30, check=True)
    return [p for p in done.stdout.splitlines() if p.endswith(".ipynb")]


def _dirt(path: Path) -> list[str]:
    """Each output and execution count of a notebook, as "cell 3: 2 outputs"."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(doc.get("cells", []), start=1):
        if cell.get("outputs"):
            found.append(f"cell {i}: {len(cell['outputs'])} outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i}: execution count {cell['execution_count']}")
    return found


def test_committed_notebooks_are_as_the_filter_leaves_them():
    """A committed notebook is exactly what the nbstripout filter makes of it (ids renumbered too), so a
    notebook run and saved in JupyterLab, which keeps its cells' ids, shows no change to git once the
    filter is installed: the checkout stays clean and the build records no "+dirty" commit."""
    names = _committed_notebooks()
    done = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *names], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_committed_notebooks_have_no_outputs_or_execution_counts():
    names = _committed_notebooks()
    assert len(names) >= 12, names
    dirty = {name: _dirt(REPO / name) for name in names}
    dirty = {k: v for k, v in dirty.items() if v}
    assert not dirty, f"committed notebooks with outputs (install the filter: see README, 'Notebooks in git'): {dirty}"


def test_the_check_finds_outputs(tmp_path):
    """The check above fails for a notebook that was run and saved."""
    nb = nbformat.read(REPO / _committed_notebooks()[0], as_version=4)
    i, code = next((i, c) for i, c in enumerate(nb.cells, start=1) if c.cell_type == "code")
    assert _dirt(REPO / _committed_notebooks()[0]) == []
    code.execution_count = 1
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    nbformat.write(nb, tmp_path / "run.ipynb")
    assert _dirt(tmp_path / "run.ipynb") == [f"cell {i}: 1 outputs", f"cell {i}: execution count 1"]


def test_the_gitattributes_declare_the_nbstripout_filter():
    attrs = (REPO / ".gitattributes").read_text(encoding="utf-8").splitlines()
    assert "*.ipynb filter=nbstripout" in attrs


def run_all_and_save(path: Path) -> None:
    """What JupyterLab writes after Run All and Save: outputs, execution counts, timings, language version,
    widget state, collapsed/scrolled flags and new cell ids."""
    nb = nbformat.read(path, as_version=4)
    n = 0
    for i, cell in enumerate(nb.cells):
        cell.id = f"lab-{i}"
        cell.metadata["scrolled"] = True
        if cell.cell_type == "code":
            n += 1
            cell.execution_count = n
            cell.metadata["execution"] = {"iopub.execute_input": "2026-12-07T03:00:00.000Z"}
            cell.metadata["collapsed"] = False
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {n}\n"),
                            nbformat.v4.new_output("display_data", data={"text/plain": "x" * 2000})]
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.99", "mimetype": "text/x-python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(nb, path)


@pytest.mark.parametrize("name", ["00_overview.ipynb", "11_about_the_data.ipynb"])
def test_run_all_and_save_keeps_the_fingerprint(tmp_path, name):
    path = tmp_path / name
    path.write_bytes((REPO / "notebooks" / name).read_bytes())
    before = notebook_fingerprint(path)
    run_all_and_save(path)
    assert path.read_bytes() != (REPO / "notebooks" / name).read_bytes()
    assert notebook_fingerprint(path) == before


@pytest.mark.parametrize("change", ["source", "type", "tag", "kernel"])
def test_what_changes_a_result_changes_the_fingerprint(tmp_path, change):
    path = tmp_path / "nb.ipynb"
    path.write_bytes((REPO / "notebooks" / "00_overview.ipynb").read_bytes())
    before = notebook_fingerprint(path)
    nb = nbformat.read(path, as_version=4)
    tagged = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    if change == "source":
        tagged.source += "\nextra = 1"
    elif change == "type":
        nb.cells[-1].cell_type = "raw" if nb.cells[-1].cell_type != "raw" else "markdown"
        nb.cells[-1].pop("outputs", None)
        nb.cells[-1].pop("execution_count", None)
    elif change == "tag":
        tagged.metadata["tags"] = []
    else:
        nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nbformat.write(nb, path)
    assert notebook_fingerprint(path) != before
