"""What the index and the national overview read of a force's build record.

The build writes a record per force (:class:`peel.pipeline.records.ForceRecord`, kept in ``build.json``);
the pages need only the report on disk, its grades and, when the last build failed, where and why.
They take any record of this shape, so rendering does not depend on the build that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class FailurePlace(Protocol):
    """Why a force's last build failed, as the index prints it."""

    def where(self) -> list[str]:
        """Where it failed (area, notebook and cell), as far as known."""
        ...

    def what(self) -> str:
        """``"ValueError: the message"`` on one line."""
        ...


class BuiltForce(Protocol):
    """A force's build record: its report on disk, the report's grades and the last build's failure."""

    @property
    def failed(self) -> bool:
        """The last build of the force failed (an earlier report may still be on disk)."""
        ...

    @property
    def files(self) -> Mapping[str, str]:
        """``{"report.html": sha256, ...}`` of the report on disk."""
        ...

    @property
    def grades(self) -> Mapping[str, str | None]:
        """``{area_id: grade}`` of the report on disk (``None`` for an area not yet graded)."""
        ...

    @property
    def grade_basis(self) -> Mapping[str, str]:
        """``{area_id: "published" | "illustrative"}`` for demonstration grades."""
        ...

    @property
    def error(self) -> FailurePlace | None:
        """Why the last build failed, or ``None``."""
        ...
