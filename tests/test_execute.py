"""Running one area notebook with papermill in a warm kernel: parameters, clean namespace and faults."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from peel.errors import InputError, KernelDiedError, NotebookError, NotebookTimeoutError
from peel.inputs.areas import load_report
from peel.inputs.dataset import check_dataset
from peel.pipeline.execute import check_parameters, declared_parameters, execute_area
from peel.pipeline.kernel import WarmKernel

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"


def _params(tmp: Path, force: str = "kent") -> dict[str, str]:
    return {"force_id": force, "data_dir": str(FIXTURES / "data"), "params_dir": str(tmp)}


def _fault(params_dir: Path, force: str, area: str, what: str) -> None:
    (params_dir / f"{force}.{area}.fault").write_text(what, encoding="utf-8")


@pytest.fixture(scope="module")
def kernel():
    k = WarmKernel(cwd=NOTEBOOKS).start()
    yield k
    k.shutdown()


def test_declared_parameters_are_read_from_the_parameters_cell():
    assert set(declared_parameters(NOTEBOOKS / "01_alpha.ipynb")) == {"force_id", "data_dir", "params_dir"}


def test_a_parameter_the_notebook_does_not_declare_is_refused(tmp_path):
    with pytest.raises(InputError) as e:
        check_parameters(NOTEBOOKS / "01_alpha.ipynb", {"force_id": "kent", "forceid": "kent"})
    text = str(e.value)
    assert "01_alpha.ipynb" in text
    assert "'forceid'" in text
    assert "data_dir, force_id, params_dir" in text  # the declared ones, so the typo is easy to see


def test_a_notebook_without_a_parameters_cell_is_refused(tmp_path):
    nb = nbformat.read(NOTEBOOKS / "01_alpha.ipynb", as_version=4)
    nb.cells[0].metadata["tags"] = []
    path = tmp_path / "untagged.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(InputError, match="cell tagged 'parameters'"):
        check_parameters(path, {"force_id": "kent"})


@pytest.mark.slow
def test_undeclared_parameter_is_refused_before_anything_runs(kernel, tmp_path):
    out = tmp_path / "out" / "01_alpha.ipynb"
    with pytest.raises(InputError, match="forse"):
        execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", out, {**_params(tmp_path), "forse": "x"},
                     area_id="alpha", title="Alpha", graded=True)
    assert not out.exists()


@pytest.mark.slow
def test_executes_with_papermill_keeps_the_notebook_and_injects_metadata(kernel, tmp_path):
    out = tmp_path / "kent" / "notebooks" / "01_alpha.ipynb"
    run = execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", out, _params(tmp_path), area_id="alpha",
                       title="Alpha area", graded=True, timeout=60)
    assert run.executed == out and run.attempts == 1
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["peel"] == {"area_id": "alpha", "title": "Alpha area", "graded": True}
    assert "papermill" in nb.metadata  # papermill really ran it
    assert nb.metadata["papermill"]["parameters"]["force_id"] == "kent"
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "kent" in injected[0].source
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # numbered as by a fresh kernel
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "alpha for kent" in text
    assert not list(out.parent.glob(".*.tmp"))


@pytest.mark.slow
def test_each_notebook_runs_in_a_clean_namespace(kernel, tmp_path):
    outs = []
    pid = kernel.pid
    for name, area in (("01_alpha.ipynb", "alpha"), ("02_beta.ipynb", "beta")):
        out = tmp_path / name
        execute_area(kernel, NOTEBOOKS / name, out, _params(tmp_path), area_id=area, title=area, graded=False)
        outs.append(out)
    # Both notebooks define the same name; the second must not see the first one's.
    second = "".join(o.get("text", "") for c in nbformat.read(outs[1], as_version=4).cells
                     for o in c.get("outputs", []))
    assert "beta for kent; leaked=False" in second
    # And both ran in the same kernel process (kept warm), not in a new one per notebook.
    assert kernel.pid == pid


@pytest.mark.slow
def test_a_cell_error_names_area_cell_error_and_executed_notebook(kernel, tmp_path):
    _fault(tmp_path, "kent", "alpha", "error")
    out = tmp_path / "01_alpha.ipynb"
    with pytest.raises(NotebookError) as e:
        execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", out, _params(tmp_path), area_id="alpha",
                     title="Alpha", graded=True)
    err = e.value
    assert err.area_id == "alpha" and err.ename == "ValueError" and "broken on purpose" in err.evalue
    assert err.executed == out and out.is_file()
    nb = nbformat.read(out, as_version=4)
    # The cell is named as the analyst sees it in the source notebook: the cells papermill adds to the executed
    # copy (the injected parameters, the red error banners) are not counted; the message quotes the first line.
    [failing] = [c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert nb.cells.index(failing) > err.cell - 1  # the executed copy counts the added cells
    source = nbformat.read(NOTEBOOKS / "01_alpha.ipynb", as_version=4).cells[err.cell - 1]
    assert "raise ValueError" in source.source and source.source == failing.source
    assert err.cell == 2 and err.cell_begins == "from pathlib import Path as _Path"
    assert "01_alpha.ipynb, cell 2 (the 2nd cell), which begins `from pathlib import Path as _Path` raised " \
        "ValueError" in str(err), str(err)
    # An error in the notebook's code is not retried: the kernel was not replaced.
    starts = kernel.starts
    assert kernel.is_alive() and kernel.starts == starts


@pytest.mark.slow
def test_a_notebook_that_runs_too_long_is_stopped(kernel, tmp_path):
    _fault(tmp_path, "kent", "alpha", "sleep")
    t0 = time.monotonic()
    # A fraction of a second is a timeout like any other (nbclient's per-cell limit takes whole seconds).
    with pytest.raises(NotebookTimeoutError, match="timeout of 2.5 seconds"):
        execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", tmp_path / "a.ipynb", _params(tmp_path),
                     area_id="alpha", title="Alpha", graded=True, timeout=2.5)
    assert time.monotonic() - t0 < 30
    # The kernel is usable for the next notebook.
    execute_area(kernel, NOTEBOOKS / "02_beta.ipynb", tmp_path / "b.ipynb", _params(tmp_path),
                 area_id="beta", title="Beta", graded=False, timeout=30.5)


@pytest.mark.slow
def test_a_dead_kernel_is_retried_once_with_a_fresh_kernel(kernel, tmp_path):
    _fault(tmp_path, "kent", "alpha", "die-once")
    starts = kernel.starts
    run = execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", tmp_path / "a.ipynb", _params(tmp_path),
                       area_id="alpha", title="Alpha", graded=True, timeout=60)
    assert run.attempts == 2
    assert kernel.starts == starts + 1 and kernel.is_alive()


@pytest.mark.slow
def test_a_kernel_that_dies_twice_fails_with_a_clear_message(kernel, tmp_path):
    _fault(tmp_path, "kent", "alpha", "die")
    with pytest.raises(KernelDiedError) as e:
        execute_area(kernel, NOTEBOOKS / "01_alpha.ipynb", tmp_path / "a.ipynb", _params(tmp_path),
                     area_id="alpha", title="Alpha", graded=True, timeout=60)
    assert "kernel died" in str(e.value) and "twice" in str(e.value) and "alpha" in str(e.value)
    assert kernel.is_alive()  # a fresh kernel is left for the next force


@pytest.mark.slow
def test_shutdown_leaves_no_kernel_process_and_no_socket_files(tmp_path):
    k = WarmKernel(cwd=NOTEBOOKS).start()
    pid = k.pid
    sockets = k._socket_dir
    assert pid and psutil.pid_exists(pid)
    k.shutdown()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "kernel still running after shutdown"
        time.sleep(0.1)
    assert sockets is not None and not sockets.exists()
    k.shutdown()  # twice is harmless


def test_fixture_notebooks_are_current(tmp_path):
    """The fixture notebooks are generated; regenerating them must give the same cells."""
    import runpy

    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("notebooks"))
    runpy.run_path(str(copy / "make_fixtures.py"), run_name="__main__")
    for nb_path in sorted(NOTEBOOKS.glob("*.ipynb")):
        fresh = nbformat.read(copy / "notebooks" / nb_path.name, as_version=4)
        kept = nbformat.read(nb_path, as_version=4)
        assert [c.source for c in fresh.cells] == [c.source for c in kept.cells], nb_path.name
    assert os.path.exists(copy / "notebooks" / "report.yaml")
    # The fixture dataset too, which must stay a whole dataset by the data contract.
    for name in ("dataset.yaml", "measures.yaml", "national.csv", "population.csv"):
        assert (copy / "data" / name).read_bytes() == (FIXTURES / "data" / name).read_bytes(), name
    assert check_dataset(FIXTURES / "data", [a.id for a in load_report(NOTEBOOKS).areas]) == []


@pytest.mark.slow
def test_a_cells_printed_text_is_one_output_however_the_kernel_sends_it(kernel, tmp_path):
    # A kernel sends a print in as many messages as it flushed; timing decides how many, so the executed
    # notebook would differ from run to run. The flush below forces two messages every time.
    nb = nbformat.read(NOTEBOOKS / "01_alpha.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('import sys\nprint("one", end="")\nsys.stdout.flush()\nprint(" two")'))
    source = tmp_path / "split.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "out.ipynb"
    execute_area(kernel, source, out, _params(tmp_path), area_id="alpha", title="alpha", graded=False)
    cell = nbformat.read(out, as_version=4).cells[-1]
    streams = [o for o in cell.outputs if o.output_type == "stream"]
    assert [(o.name, o.text) for o in streams] == [("stdout", "one two\n")]
