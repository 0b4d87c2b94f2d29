"""What the build tells its user on stderr: the plan, progress per force, and the summary.

On a terminal the progress is one bar (tqdm) that failures are printed above; otherwise (a log, a
pipe) it is one line per force, so that the log reads in order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from peel.errors import display_path
from peel.pipeline.plan import ForcePlan
from peel.pipeline.records import EXECUTED, ForceRecord, describe_left_out


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Forces done and failed, time elapsed and left; a bar on a terminal, one line per force otherwise."""

    def __init__(self, total: int, stream: TextIO):
        self.total = total
        self.stream = stream
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._bar = tqdm(total=total, file=stream, unit="force", dynamic_ncols=True, leave=False,
                         disable=not self.tty, bar_format="{n_fmt}/{total_fmt} forces |{bar}| {elapsed} elapsed, "
                         "about {remaining} left{postfix}")

    def status(self) -> str:
        """``[3/10] 2 built, 1 failed, 0:42 elapsed, about 1:38 left``."""
        elapsed = time.monotonic() - self.started
        left = ""
        if 0 < self.done < self.total:
            left = f", about {_clock(elapsed / self.done * (self.total - self.done))} left"
        return (f"[{self.done}/{self.total}] {self.done - self.failed} built, {self.failed} failed, "
                f"{_clock(elapsed)} elapsed{left}")

    def force_done(self, record: ForceRecord) -> None:
        """Count one finished force and show it."""
        self.done += 1
        self.failed += record.failed
        if self.tty:
            if record.failed:
                self._bar.write(record.describe(), file=self.stream)
            self._bar.set_postfix_str(f"{self.done - self.failed} built, {self.failed} failed", refresh=False)
            self._bar.update(1)
        else:
            print(f"{self.status()}  {record.describe()}", file=self.stream, flush=True)

    def close(self) -> None:
        self._bar.close()


def print_plan(plans: Sequence[ForcePlan], stream: TextIO) -> None:
    """Say what will be executed or re-rendered and why, and how much is reused."""
    reused_areas = sum(1 for p in plans for a in p.areas if not a.execute)
    total_areas = sum(len(p.areas) for p in plans)
    untouched = [p.force_id for p in plans if not p.has_work]
    for p in plans:
        runs = [a for a in p.areas if a.execute]
        if not runs:
            if p.render:
                print(f"{p.force_id}: re-rendering the report ({p.render_reason}); notebooks reused", file=stream)
            continue
        reasons = {a.reason for a in runs}
        if len(runs) == len(p.areas) and len(reasons) == 1:
            print(f"{p.force_id}: executing all {len(runs)} notebooks ({reasons.pop()})", file=stream)
        else:
            for a in runs:
                print(f"{p.force_id}/{a.area_id}: {a.reason}", file=stream)
    print(f"reusing {reused_areas} of {total_areas} executed notebooks"
          + (f"; {len(untouched)} of {len(plans)} reports unchanged" if untouched else ""), file=stream)


def print_summary(records: Sequence[ForceRecord], out_dir: Path, index: Path, manifest: Path,
                  stream: TextIO, counts: bool = True) -> None:
    """Counts, where the index and manifest are (unless ``counts`` is false), and every failure with
    where to read about it."""
    if counts:
        n = {"built": 0, "reused": 0, "failed": 0}
        for r in records:
            n[r.status] = n.get(r.status, 0) + 1
        print(f"{len(records)} forces: {n['built']} built, {n['reused']} unchanged, "
              f"{n['failed']} failed; index: {display_path(index)}; manifest: "
              f"{display_path(manifest)}", file=stream)
    print_left_out(records, out_dir, stream)
    failed = [r for r in records if r.failed]
    if not failed:
        return
    print(f"{len(failed)} force(s) failed; their previous reports, if any, were kept:", file=stream)
    for r in failed:
        if r.error is not None:
            print(f"  - {r.force_id}, {r.error.describe(out_dir)}"
                  if r.error.where() else f"  - {r.force_id}: {r.error.describe(out_dir)}", file=stream)


def print_left_out(records: Sequence[ForceRecord], out_dir: Path, stream: TextIO) -> None:
    """Per force and area executed in this build: the outputs its report leaves out, and where they are.

    Only outputs displayed by ``peel.analysis.present`` reach a report; an analyst's own displays,
    charts and printed text stay in the executed notebook, and the build says so once, when it runs it.
    """
    lines = []
    for r in records:
        for area_id, a in r.areas.items():
            if a.status == EXECUTED and a.left_out:
                where = display_path(Path(out_dir) / a.executed_notebook) if a.executed_notebook else "?"
                lines.append(f"  - {r.force_id}, {describe_left_out(area_id, a.left_out, where)}")
    if lines:
        print("Not in the reports (only what peel.analysis.present displays goes into a report):", file=stream)
        for line in lines:
            print(line, file=stream)
