"""Executes every area notebook for some forces in one warm kernel, as a build does; run by ``test_notebooks.py``.

``python notebook_runner.py NOTEBOOKS OUT TIMEOUT FORCE...`` executes each notebook of ``NOTEBOOKS/report.yaml``
for each ``FORCE`` (``-`` for a run with no injected parameters) with :func:`peel.pipeline.execute.execute_area`
on one :class:`peel.pipeline.kernel.WarmKernel` whose working directory is ``OUT``, writes the executed
notebooks to ``OUT/<force or defaults>/<notebook>``, and prints one JSON object: for each force, the
notebooks that failed and why (an empty object when all ran).

The kernel is reset before each notebook, as in a build, so a notebook sees nothing another one defined.
It runs in a process of its own, which keeps the kernel's clean-up (event loops, sockets) out of the test
session, whose warnings are errors.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import yaml

#: The argument that stands for a run with no injected parameters (each notebook's own defaults).
DEFAULTS = "-"


def run(notebooks: Path, out: Path, timeout: float, forces: list[str]) -> dict[str, dict[str, str]]:
    """Execute every area notebook for each of ``forces``; return the failures by force and notebook."""
    # Imported here, not at the top: test_notebooks imports this module for DEFAULTS and its session
    # needs none of the kernel machinery (papermill, jupyter_client).
    from peel.pipeline.execute import execute_area
    from peel.pipeline.kernel import WarmKernel

    areas = yaml.safe_load((notebooks / "report.yaml").read_text(encoding="utf-8"))["areas"]
    failures: dict[str, dict[str, str]] = {}
    with WarmKernel(cwd=out) as kernel:
        for force in forces:
            folder = out / ("defaults" if force == DEFAULTS else force)
            folder.mkdir(parents=True, exist_ok=True)
            failures[force] = {}
            for area in areas:
                name = area["notebook"]
                try:
                    execute_area(kernel, notebooks / name, folder / name,
                                 {} if force == DEFAULTS else {"force_id": force}, area_id=area["id"],
                                 title=area["title"], graded=bool(area.get("graded")), timeout=timeout)
                except Exception as e:  # reported to the test, which names the notebook and the force
                    failures[force][name] = f"{type(e).__name__}: {e}"[-4000:]
    return failures


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    source, target, seconds, *names = sys.argv[1:]
    print(json.dumps(run(Path(source), Path(target), float(seconds), names)))
