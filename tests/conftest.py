"""Shared fixtures, the hypothesis profiles (``ci`` when ``CI`` is set, else ``dev``) and the fast tier.

A test that reads ``built_reports`` is marked ``slow``; every test not marked ``slow``, ``browser`` or
``subprocess`` is given the marker ``fast``:
``pytest -m fast`` runs those alone (no kernel, no browser, no child process; see the README).

``built_reports`` builds real reports once per test session, with the same command a user types,
for the tests that read finished reports (the browser accessibility test, the PDF tag checks and
the golden snapshots). ``--update-golden`` rewrites the golden snapshots in ``tests/golden/``
instead of comparing with them (see ``test_golden.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: the same examples on every CI run (a failure can be reproduced from the printed blob),
# fresh ones on a developer's machine. `.ci/run` sets CI=true.
settings.register_profile("ci", derandomize=True, print_blob=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]

#: The forces whose reports are built once per session: the Met (the report we reproduce) and a
#: Welsh force with a measure that is not available, so both kinds of page are checked.
BUILT_FORCES = ("metropolitan", "gwent")


#: Markers that keep a test out of the fast tier.
NOT_FAST = ("slow", "browser", "subprocess")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that reads :func:`built_reports` (it builds reports), then ``fast`` every
    test without one of :data:`NOT_FAST`."""
    for item in items:
        if "built_reports" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if not any(item.get_closest_marker(name) for name in NOT_FAST):
            item.add_marker(pytest.mark.fast)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden snapshots in tests/golden/ from this build instead of comparing with them",
    )


@pytest.fixture(scope="session", autouse=True)
def seal_key_of_the_test_run(tmp_path_factory):
    """The builds of the test run seal their records (peel.pipeline.seal) with a key of their own, kept in
    a temporary state folder, not in the state folder of the user running the tests."""
    before = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    yield
    if before is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = before


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when pytest was given ``--update-golden``."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory) -> Path:
    """The output folder of ``peel build metropolitan gwent --to html,pdf`` on the project's data.

    The folder holds ``<force>/report.html``, ``<force>/report.pdf``, ``index.html``,
    ``overview.html``, ``overview.pdf`` and ``build.json``. The build runs in a child process, as a user
    would run it, so a test sees exactly what the command writes.
    """
    out = tmp_path_factory.mktemp("reports")
    command = [sys.executable, "-m", "peel.cli", "build", *BUILT_FORCES, "--to", "html,pdf", "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command[1:])} exited with {done.returncode}\n"
            f"--- stdout ---\n{done.stdout[-4000:]}\n--- stderr ---\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    for force in BUILT_FORCES:
        for name in ("report.html", "report.pdf"):
            assert (out / force / name).is_file(), f"the build wrote no {force}/{name}"
    assert (out / "index.html").is_file(), "the build wrote no index.html"
    assert (out / "overview.html").is_file(), "the build wrote no overview.html"
    return out
