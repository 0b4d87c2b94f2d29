"""Shared fixtures, the hypothesis profiles (``ci`` when ``CI`` is set, else ``dev``) and the fast tier.

A test that reads ``built_reports`` or ``met_with_typed_findings`` is marked ``slow``; every test not
marked ``slow``, ``browser`` or ``subprocess`` is given the marker ``fast``: ``pytest -m fast`` runs those
alone (no kernel, no browser, no child process; see the README).

``built_reports`` builds real reports once per test session, with the same command a user types,
for the tests that read finished reports (the browser accessibility test, the PDF tag checks and
the golden snapshots). ``met_with_typed_findings`` builds the Met once, from inspection inputs with
hostile and formula-like text in its findings, for the tests of what that text becomes.
``--update-golden`` rewrites the golden snapshots in ``tests/golden/`` instead of comparing with them
(see ``test_golden.py``).
"""

from __future__ import annotations

import os
import shutil
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


#: The xdist group of every test that is not fast. Under ``pytest -n 2 --dist loadgroup`` (the README's
#: command) those tests run one at a time, in file order, on one worker, while the other worker runs the
#: fast tests: a build already uses both cores, the fault tests time what a build does, and the session's
#: built reports are built once, not once per worker. Without xdist the mark does nothing.
ONE_AT_A_TIME = "one-at-a-time"


#: Session fixtures that build reports: a test that reads one is marked ``slow``.
BUILDING_FIXTURES = ("built_reports", "met_with_typed_findings")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that reads one of :data:`BUILDING_FIXTURES` (they build reports), then
    ``fast`` every test without one of :data:`NOT_FAST`; every test that is not fast goes in the
    xdist group :data:`ONE_AT_A_TIME`."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name in names for name in BUILDING_FIXTURES) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if not any(item.get_closest_marker(name) for name in NOT_FAST):
            item.add_marker(pytest.mark.fast)
        else:
            item.add_marker(pytest.mark.xdist_group(ONE_AT_A_TIME))


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


#: What an inspector might type into a finding that must reach no report as markup or network load
#: (``test_report_integrity.py``); :func:`met_with_typed_findings` puts them in the Met's inputs.
HOSTILE_PAYLOADS = (
    "<script>alert('x')</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(2)">click</a>',
    '[a link](javascript:alert(3))',
    '<iframe src="https://example.org/"></iframe>',
    '<form action="https://example.org/"><input name="q"></form>',
    '<p onclick="alert(4)" style="background:url(https://example.org/t.png)">styled</p>',
    '<svg onload="alert(5)"><circle r="4"/></svg>',
    '<object data="https://example.org/x.swf"></object>',
    '<link rel="stylesheet" href="https://example.org/s.css">',
    '![tracker](https://example.org/pixel.png)',
)
#: A hostile heading for the Met's first police powers finding (its text survives as visible text).
HOSTILE_HEADING = "Stop and search <script>alert('h')</script><b onmouseover=alert(6)>x</b>"
#: Findings a spreadsheet would read as formulas (``test_statements.py``), the Met's first two police powers texts.
FORMULA_TEXTS = ("=SUM(A1) is what an analyst typed into 2 cells.\n", "-1 officers were on duty at 3 stations.\n")


@pytest.fixture(scope="session")
def met_with_typed_findings(tmp_path_factory) -> Path:
    """The output folder of ``peel build metropolitan --to html,pdf`` from the project's inspection inputs with
    typed text the report must render harmlessly: :data:`HOSTILE_PAYLOADS` after the summary and in the third
    police powers finding, :data:`HOSTILE_HEADING` as the first finding's heading, and :data:`FORMULA_TEXTS`
    as the first two findings' texts.

    Built once, in this process, for the tests of what hostile and formula-like text becomes (one Met build
    instead of one per test).
    """
    import yaml

    from peel import cli
    from peel.inputs.yamlfile import dump_yaml

    root = tmp_path_factory.mktemp("typed")
    params = root / "params"
    shutil.copytree(REPO / "params", params)
    path = params / "metropolitan.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    hostile = "\n\n".join(HOSTILE_PAYLOADS)
    doc["summary"] = doc["summary"] + "\n\n" + hostile
    findings = doc["areas"]["police_powers"]["findings"]
    findings[0]["heading"] = HOSTILE_HEADING
    findings[0]["text"], findings[1]["text"] = FORMULA_TEXTS
    findings[2]["text"] = findings[2]["text"] + "\n\n" + hostile
    path.write_text(dump_yaml(doc), encoding="utf-8")
    out = root / "out"
    code = cli.main(["build", "metropolitan", "--to", "html,pdf", "--params", str(params), "--out", str(out)])
    assert code == 0, "peel build metropolitan (typed findings) failed"
    return out
