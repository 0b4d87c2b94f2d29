"""The run loop (peel.pipeline.run): order, progress, retries, stops and clean-up, the same for every executor.

The executor here places work in a list and ends it as the test says: the loop's own behaviour is what
is checked, with real plans of the repository's forces and real files in an output folder.
"""

from __future__ import annotations

import io
import signal
from pathlib import Path

import pytest

from peel.errors import BuildStopped, KernelStartError
from peel.inputs.areas import load_report
from peel.inputs.forces import get_force
from peel.pipeline.cache import fingerprints
from peel.pipeline.executor import FORCE_ATTEMPTS, Done, Lost
from peel.pipeline.force import failed_record
from peel.pipeline.options import BuildOptions
from peel.pipeline.plan import ForcePlan, dataset_info, plan_force
from peel.pipeline.records import BUILT, FAILED, Failure, ForceRecord
from peel.pipeline.run import ignore_stop_signals, run_forces, signals_stop_the_build

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> list[ForcePlan]:
    out = tmp_path_factory.mktemp("out")
    forces = [get_force(f) for f in ("kent", "metropolitan", "gwent")]
    opts = BuildOptions(tuple(forces), ("html",), REPO / "data", REPO / "params", out, REPO / "notebooks", 2, None,
                        validate=False)
    report = load_report(REPO / "notebooks")
    fp = fingerprints(REPO / "data", REPO / "notebooks", [a.notebook for a in report.areas])
    info = dataset_info(REPO / "data")
    return [plan_force(f, opts, report, fp, info, None) for f in forces]


class Scripted:
    """An executor whose forces end as ``script`` says: ``{force_id: ["lost", "done", ...]}`` (one a placing)."""

    stopping = "stopping the scripted work"

    def __init__(self, script: dict[str, list[str]], raise_at: BaseException | None = None):
        self.script = {k: list(v) for k, v in script.items()}
        self.raise_at = raise_at
        self.placed: list[tuple[str, bool]] = []
        self.queue: list[ForcePlan] = []
        self.calls: list[str] = []

    def open(self, work, opts, temp_dir) -> None:
        self.calls.append("open")

    def place(self, plan, first=False) -> None:
        self.placed.append((plan.force_id, first))
        self.queue.insert(0, plan) if first else self.queue.append(plan)

    def collect(self) -> list[Done | Lost]:
        if self.raise_at is not None:
            raise self.raise_at
        plan = self.queue.pop(0)
        what = self.script[plan.force_id].pop(0)
        if what == "lost":
            return [Lost(plan, Failure(error="WorkerDied", message="lost, twice"))]
        if what == "failed":
            return [Done(plan, failed_record(plan, Failure(error="NotebookError", message="a cell raised")))]
        return [Done(plan, ForceRecord(force_id=plan.force_id, status=BUILT, grades={},
                                       params_sha256=plan.params_sha256))]

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")


def _opts(plans: list[ForcePlan]) -> BuildOptions:
    return BuildOptions(tuple(get_force(p.force_id) for p in plans), ("html",), REPO / "data", REPO / "params",
                        plans[0].out.parent, REPO / "notebooks", 2, None, validate=False)


def test_every_force_gets_a_record_and_a_progress_line(plans, tmp_path) -> None:
    executor = Scripted({p.force_id: ["done"] for p in plans})
    stream = io.StringIO()
    records = run_forces(plans, _opts(plans), tmp_path, stream, executor)
    assert sorted(records) == sorted(p.force_id for p in plans)
    assert all(r.status == BUILT for r in records.values())
    lines = stream.getvalue().splitlines()
    assert [line.split("]")[0] for line in lines] == ["[1/3", "[2/3", "[3/3"]
    assert executor.calls == ["open", "close"]


def test_a_lost_force_is_placed_once_more_first_then_fails(plans, tmp_path) -> None:
    executor = Scripted({"kent": ["lost", "done"], "metropolitan": ["lost", "lost"], "gwent": ["failed"]})
    records = run_forces(plans, _opts(plans), tmp_path, io.StringIO(), executor)
    assert records["kent"].status == BUILT  # lost once, built the second time
    assert records["metropolitan"].status == FAILED and records["metropolitan"].error.error == "WorkerDied"
    assert records["gwent"].status == FAILED  # the force's own failure: never tried again
    counts = {f: sum(1 for p, _ in executor.placed if p == f) for f in ("kent", "metropolitan", "gwent")}
    assert counts == {"kent": 2, "metropolitan": FORCE_ATTEMPTS, "gwent": 1}
    assert all(first for f, first in executor.placed[3:])  # a retry goes before the forces still waiting


def test_forces_with_more_notebooks_to_run_are_placed_first(plans, tmp_path) -> None:
    executor = Scripted({p.force_id: ["done"] for p in plans})
    run_forces(plans, _opts(plans), tmp_path, io.StringIO(), executor)
    order = [f for f, _ in executor.placed]
    runs = {p.force_id: sum(a.execute for a in p.areas) for p in plans}
    assert [runs[f] for f in order] == sorted(runs.values(), reverse=True)


def test_a_stop_stops_the_executor_removes_temporaries_and_goes_on(plans, tmp_path) -> None:
    force_dir = plans[0].out
    (force_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    temporaries = [force_dir / ".report.html.4242.tmp",
                   force_dir / "notebooks" / ".01_victim_service_assessment.ipynb.1.tmp"]
    for t in temporaries:
        t.write_text("half", encoding="utf-8")
    mine = force_dir / ".my-notes.tmp"  # not a name the build writes: the user's
    mine.write_text("keep", encoding="utf-8")
    executor = Scripted({}, raise_at=BuildStopped(signal.SIGTERM))
    stream = io.StringIO()
    saved = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(BuildStopped), signals_stop_the_build():
            run_forces(plans, _opts(plans), tmp_path, stream, executor)
        assert signal.getsignal(signal.SIGINT) == saved  # the handlers are given back
    finally:
        signal.signal(signal.SIGINT, saved)
    assert executor.calls == ["open", "stop", "close"]
    assert "stopping: stopping the scripted work..." in stream.getvalue()
    assert not any(t.exists() for t in temporaries) and mine.exists()


def test_a_kernel_that_cannot_start_stops_the_run_without_a_stopping_line(plans, tmp_path) -> None:
    executor = Scripted({}, raise_at=KernelStartError("the Jupyter kernel 'python3' could not start"))
    stream = io.StringIO()
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(KernelStartError):
            run_forces(plans, _opts(plans), tmp_path, stream, executor)
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    assert executor.calls == ["open", "stop", "close"]
    assert "stopping" not in stream.getvalue()


def test_a_signal_raises_build_stopped_and_is_noted(tmp_path) -> None:
    from peel.pipeline.run import STOPS

    STOPS.clear()
    with pytest.raises(BuildStopped) as e, signals_stop_the_build():
        signal.raise_signal(signal.SIGTERM)
    assert e.value.exit_status == 143 and STOPS == [signal.SIGTERM]
    saved = signal.getsignal(signal.SIGTERM)
    try:
        ignore_stop_signals()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, saved)
