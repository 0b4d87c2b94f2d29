"""The project's own errors.

Every error a user can cause names the file, the row or key, and what was expected, so that
the message alone tells an analyst what to fix. The command line prints these without a
traceback (unless ``--debug``); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


class PeelError(Exception):
    """Base class for every error the project raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    Parameters
    ----------
    file
        The file the problem is in (or a command-line option, written ``--option``).
    where
        The row (``row 12``), key (``areas.police_powers.grade``) or column that is wrong.
    message
        What was found and what was expected.
    """

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        where = f", {self.where}" if self.where else ""
        return f"{self.file}{where}: {self.message}"


class InputError(PeelError):
    """One or more problems with the inputs; all of them are listed, not just the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = "1 problem found:" if n == 1 else f"{n} problems found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def problem(file: str | Path, where: str, message: str) -> Problem:
    """Shorthand for a :class:`Problem` with a path shown relative to the working directory when possible."""
    return Problem(display_path(file), where, message)


def ordinal(n: int) -> str:
    """``"1st"``, ``"2nd"``, ``"12th"``, ``"23rd"``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def cell_place(notebook: Path | str | None, cell: int | None, begins: str | None) -> str:
    """Where a cell is, for the analyst: ``notebooks/police_powers.ipynb, cell 12 (the 12th cell), which
    begins `x = 1/0```; ``cell`` counts the source notebook's cells from 1."""
    parts = [display_path(notebook)] if notebook else []
    if cell is not None:
        parts.append(f"cell {cell} (the {ordinal(cell)} cell)" + (f", which begins `{begins}`" if begins else ""))
    return ", ".join(parts) or "a cell"


def display_path(file: str | Path) -> str:
    """A path as a user would type it: relative to the current directory when inside it."""
    p = Path(file)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def one_line(text: object, limit: int = 300) -> str:
    """An error message folded onto one line and cut to ``limit`` characters, for summaries and the index."""
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


class MethodError(PeelError, ValueError):
    """A method function was given values it cannot use (for example a sample of size zero)."""


class BuildError(PeelError):
    """A report could not be built; the message names the force, the area and the cause."""


class ExecutionFailure(BuildError):
    """A notebook did not run to the end; the message names the area and the cause.

    Attributes
    ----------
    area_id, notebook
        The area and the source notebook.
    executed
        The executed notebook kept for inspection (``None`` when nothing could be kept).
    cell, ename, evalue
        The failing cell's position in the source notebook (1 for its first cell, whatever papermill
        injected into the executed copy) and the error's name and value, when known.
    cell_begins
        The first line of that cell's source, so that the analyst finds it in the notebook they edit.
    """

    kind = "failure"

    def __init__(self, message: str, *, area_id: str, notebook: Path, executed: Path | None = None,
                 cell: int | None = None, ename: str | None = None, evalue: str | None = None,
                 cell_begins: str | None = None):
        self.area_id = area_id
        self.cell_begins = cell_begins
        self.notebook = Path(notebook)
        self.executed = executed
        self.cell = cell
        self.ename = ename
        self.evalue = evalue
        super().__init__(message)


class NotebookError(ExecutionFailure):
    """A cell of the notebook raised an error (never retried: it would fail the same way)."""

    kind = "cell_error"


class NotebookTimeoutError(ExecutionFailure):
    """The notebook ran longer than the timeout and was stopped."""

    kind = "timeout"


class KernelDiedError(ExecutionFailure):
    """The kernel died while running the notebook, also on the retry with a fresh kernel."""

    kind = "kernel_died"


class KernelStartError(BuildError):
    """A Jupyter kernel could not start (twice); the message names the kernel spec and what it wrote."""


class OutputFolderError(BuildError):
    """The output folder cannot be used: it cannot be written, or another build holds it."""


class WriteFailed(OutputFolderError, OSError):
    """An output file could not be written (a full disk, a read-only folder); the previous file is as it was.

    It is an :class:`OSError` too (``errno`` is the cause's), so code that handles failed writes keeps doing so.
    """

    def __init__(self, path: str | Path, cause: OSError):
        why = cause.strerror or str(cause)
        full = cause.errno in (errno.ENOSPC, errno.EDQUOT)
        hint = ": the disk is full; free some space and build again" if full else ""
        self.message = (f"{display_path(path)}: could not be written ({why}){hint}; "
                        "the previous file, if there was one, is as it was")
        OSError.__init__(self, self.message)
        self.errno, self.strerror = cause.errno, why
        self.path = Path(path)

    def __str__(self) -> str:  # OSError's would be "[Errno 28] ..." once errno is set
        return self.message


class BuildStopped(KeyboardInterrupt):
    """The build was asked to stop by a signal (Ctrl-C, SIGTERM, SIGHUP); it stopped cleanly.

    ``exit_status`` is the shell's convention for a process ended by that signal (128 + its number).
    """

    def __init__(self, signum: int):
        self.signum = signum
        self.exit_status = 128 + signum
        super().__init__(f"stopped by signal {signum}")
