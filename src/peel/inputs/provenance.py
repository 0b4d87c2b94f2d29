"""What a report says about where its figures come from: the notice on the cover and every page.

Two things feed a report and either may be for demonstration:

* the national dataset (``dataset.yaml``: ``demonstration``, ``notice`` and the ``sources`` that
  ``peel import`` records for every published table it read);
* the force's inspection inputs (``params/<force>.yaml``: findings, grades, samples; ``demonstration``).

:func:`report_notice` turns both into one :class:`Notice`, so that the cover, the running footer of
every PDF page, the banner at the top of each area and "About the data" say the same thing, and say
precisely which figures are published statistics (naming their sources and the Open Government
Licence attribution) and which are illustrative. Everything comes from the data: no source is
named in code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peel.inputs.dataset import DatasetInfo

#: Short form on every PDF page of a report built from demonstration data.
DEMONSTRATION_PAGE = "Demonstration data: synthetic figures, apart from the published figures they reproduce (see the cover)"

#: What the report says about inspection inputs written for demonstration, when the national data are real.
ILLUSTRATIVE_FINDINGS = (
    "The inspection findings, summary and graded judgments in this report are not part of the national "
    "dataset: they come from demonstration inspection inputs and are illustrative, not an inspection of the "
    "force, except where they repeat grades or figures that HMICFRS published for the force's inspection."
)

#: Said when the data are demonstration data and the inspection inputs are too.
DEMONSTRATION_FINDINGS = ("The inspection findings and grades in this report were written for the demonstration "
                          "and are not an inspection of the force.")


@dataclass(frozen=True)
class Notice:
    """A report's notice about its data.

    Attributes
    ----------
    label
        The heading of the notice ("Demonstration data").
    text
        The full notice, on the cover and at the top of each area.
    page
        The short form printed at the foot of every PDF page.
    """

    label: str
    text: str
    page: str


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def source_entries(info: DatasetInfo) -> list[dict[str, str]]:
    """The dataset's sources, one entry per publication and file, in ``dataset.yaml`` order.

    Each entry has ``publisher``, ``publication``, ``file``, ``via`` (where a secondary copy came from,
    or ""), ``licence`` and ``attribution``; sources that are the same publication and file (for
    example two measures from one table) appear once.
    """
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, str]] = []
    for entry in (getattr(info, "sources", None) or {}).values():
        e = {k: _clean(entry.get(k)) for k in ("publisher", "publication", "file", "via", "licence", "attribution")}
        key = (e["publisher"], e["publication"], e["file"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def publications(info: DatasetInfo) -> list[str]:
    """"Publisher, publication" once each, in the order the sources were imported."""
    out: list[str] = []
    for e in source_entries(info):
        name = ", ".join(p for p in (e["publisher"], e["publication"]) if p)
        if name and name not in out:
            out.append(name)
    return out


def attributions(info: DatasetInfo) -> list[str]:
    """The distinct attribution statements the sources' licences require."""
    out: list[str] = []
    for e in source_entries(info):
        if e["attribution"] and e["attribution"] not in out:
            out.append(e["attribution"])
    return out


def sources_sentence(info: DatasetInfo) -> str:
    """"The national figures are published statistics: A; B. Attribution." ("" without sources)."""
    pubs = publications(info)
    if not pubs:
        return ""
    return (f"The national figures are published statistics: {'; '.join(pubs)}. "
            + " ".join(attributions(info))).strip()


def report_notice(info: DatasetInfo, inputs_demonstration: bool) -> Notice | None:
    """The notice a report carries, or ``None`` when both the data and the inspection inputs are real.

    Parameters
    ----------
    info
        ``dataset.yaml`` of the national data.
    inputs_demonstration
        Whether the force's inspection inputs are marked ``demonstration: true``.
    """
    own = _clean(info.notice)
    if info.demonstration:
        text = own or ("This report is built from demonstration data. Apart from the published figures it "
                       "reproduces, the data are synthetic and do not describe any real force.")
        return Notice("Demonstration data", text, DEMONSTRATION_PAGE)
    if not inputs_demonstration:
        return None
    parts = [own, sources_sentence(info), ILLUSTRATIVE_FINDINGS]
    return Notice(
        "Published national figures, illustrative inspection findings",
        " ".join(p for p in parts if p),
        "National figures: published statistics (sources on the cover). Inspection findings and grades: "
        "illustrative, except where published",
    )
