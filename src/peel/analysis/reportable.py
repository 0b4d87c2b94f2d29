"""The report-content contract: only what :mod:`peel.analysis.present` displays reaches the report.

A notebook may show anything while an analyst explores (a data frame, a chart, printed text); the
report stitcher keeps only outputs that carry the marker :data:`REPORT_METADATA` in their output
metadata. The functions of :mod:`peel.analysis.present` return :class:`ReportHTML` objects, whose
IPython display carries the marker; every other output stays in the executed notebook and the build
lists what it left out of the report.

To put a hand-written piece of HTML in the report on purpose, wrap it: ``ReportHTML("<p>…</p>")``.
"""

from __future__ import annotations

from typing import Any

from IPython.display import HTML

#: The key under which peel marks an output's metadata, and the marker itself.
METADATA_KEY = "peel"
REPORT_METADATA: dict[str, dict[str, bool]] = {METADATA_KEY: {"report": True}}


class ReportHTML(HTML):
    """HTML that belongs in the report: displayed like :class:`IPython.display.HTML`, plus the marker.

    The marker is output metadata (``{"peel": {"report": true}}``), which Jupyter keeps in the
    executed notebook beside the output and never shows.
    """

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        # IPython asks for the bundle first; the metadata returned here is stored on the output.
        return {"text/html": self.data or "", "text/plain": "<peel report HTML>"}, \
            {METADATA_KEY: dict(REPORT_METADATA[METADATA_KEY])}


def is_report_output(output: Any) -> bool:
    """True when a notebook output is a ``display_data`` or ``execute_result`` marked for the report."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return False
    meta = output.get("metadata") or {}
    marker = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    return isinstance(marker, dict) and marker.get("report") is True


class NotInspected:
    """What a notebook shows, as plain text, when it runs for a force not inspected on its area.

    It is an ordinary (unmarked) output, so by the contract above it never reaches a report; it only
    tells the analyst why the notebook is otherwise empty.
    """

    def __init__(self, force_text: str, area_id: str, area_title: str):
        self.force_text = force_text
        self.area_id = area_id
        self.area_title = area_title

    def __str__(self) -> str:
        force = self.force_text[:1].upper() + self.force_text[1:]
        return (f"{force} was not inspected on the area {self.area_id!r} ({self.area_title}), so this "
                f"notebook shows nothing for it and its report leaves the area out. Run it for a force "
                f"whose inspection inputs (params/<force_id>.yaml) list {self.area_id!r} under areas.")

    __repr__ = __str__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))
