"""What the benchmarks share: running ``peel`` as a user types it, and timing it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_peel(args: list[str], timeout: float) -> float:
    """Run ``peel <args>`` from the repository root with this interpreter; return its wall-clock seconds.

    Exits the benchmark with peel's own error output when the command fails, since every figure after
    a failed build would be meaningless.
    """
    command = [sys.executable, "-m", "peel.cli", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"peel {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return seconds
