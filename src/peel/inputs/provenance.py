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

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peel.inputs.dataset import DatasetInfo

#: The heading of the notice of a report (or index) built from demonstration data.
DEMONSTRATION_LABEL = "Demonstration data"

#: Short form on every PDF page of a report built from demonstration data.
DEMONSTRATION_PAGE = (f"{DEMONSTRATION_LABEL}: synthetic figures, apart from the published figures they reproduce "
                      "(see the cover)")

#: What the report says about inspection inputs written for demonstration, when the national data are real.
ILLUSTRATIVE_FINDINGS = (
    "Inspection findings, summary and grades: illustrative, written for demonstration and not an inspection, "
    "except grades and figures that HMICFRS published for the force's inspection."
)

def demonstration_findings(published: int, illustrative: int) -> str:
    """Said when the data are demonstration data and the inspection inputs are too: the findings were written
    for the demonstration, and how many of the report's grades are published and how many illustrative."""
    if not published:
        return ("The inspection findings and grades in this report were written for the demonstration and are not "
                "an inspection of the force.")
    findings = ("The inspection findings in this report were written for the demonstration and are not an "
                "inspection of the force.")
    if not illustrative:
        return (f"{findings} {'Its grade is the one' if published == 1 else 'Its grades are those'} published for "
                f"the force, marked “published” with {'its source' if published == 1 else 'their sources'}.")
    return (f"{findings} Of its grades, {_count(published)} published for the force (marked “published”, with "
            f"{'its source' if published == 1 else 'their sources'}) and {_count(illustrative)} illustrative "
            f"(marked “illustrative”).")


def _count(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return f"{words[n] if n < len(words) else n} {'is' if n == 1 else 'are'}"


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


def describe_edition(entry: dict[str, Any]) -> str:
    """"edition of 23 January 2024", or "edition not dated", for a source entry ``peel import`` wrote."""
    when = entry.get("edition")
    if not when:
        return "edition not dated"
    day = dt.date.fromisoformat(str(when))
    return f"edition of {day.day} {day:%B %Y}"


#: The folder of a dataset holding every imported edition's figures, one file per source id.
EDITIONS_DIR = "editions"


def edition_warnings(data_dir: Path, info: DatasetInfo) -> list[str]:
    """A warning for each edition whose figures are not in ``editions/<source id>.csv`` (a folder copied
    without them): the dataset still builds, but the edition's revisions can no longer be shown."""
    out = []
    for sid, entry in (info.sources or {}).items():
        path = Path(data_dir) / EDITIONS_DIR / f"{sid}.csv"
        if is_edition(entry) and not path.is_file():
            out.append(f"{Path(data_dir) / 'dataset.yaml'}: sources.{sid}: its edition's figures are not in "
                       f"{EDITIONS_DIR}/{sid}.csv: expected the file 'peel import' wrote ('peel editions' cannot "
                       f"compare this edition; import {entry.get('file') or 'its file'} again to restore it)")
    return out


def is_edition(entry: Any) -> bool:
    """Whether a source entry is an edition kept by ``peel import`` (its figures in ``editions/``)."""
    return isinstance(entry, dict) and "edition_rows" in entry


def source_entries(info: DatasetInfo) -> list[dict[str, str]]:
    """The dataset's sources, one entry per publication and file, in ``dataset.yaml`` order.

    Each entry has ``publisher``, ``publication``, ``file``, ``via`` (where a secondary copy came from,
    or ""), ``licence``, ``attribution``, ``edition`` ("edition of 27 July 2022", "edition not dated", or
    "" for a source that is not an imported edition) and ``official`` ("no" for a source that is not
    official statistics, else ""); sources that are the same publication and file (for example two
    measures from one table) appear once. An edition whose every figure a later edition revised
    (``rows: 0``, its figures kept in ``editions/``) supplies none of the dataset's figures and is left out.
    """
    seen: set[tuple[str, str, str]] = set()
    out: list[dict[str, str]] = []
    for entry in (getattr(info, "sources", None) or {}).values():
        if is_edition(entry) and not entry.get("rows"):
            continue
        e = {k: _clean(entry.get(k)) for k in ("publisher", "publication", "file", "via", "licence", "attribution")}
        e["edition"] = describe_edition(entry) if is_edition(entry) else ""
        # An analyst's own table says whether it is official statistics ('peel import csv').
        e["official"] = "no" if entry.get("official") is False else ""
        key = (e["publisher"], e["publication"], e["file"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def publications(info: DatasetInfo) -> list[str]:
    """"Publisher (publication; publication)" once per publisher, in the order the sources were imported
    (followed by ", not official statistics" for a source that is not)."""
    by_publisher: dict[str, list[str]] = {}
    unofficial: set[str] = set()
    for e in source_entries(info):
        names = by_publisher.setdefault(e["publisher"], [])
        if e["publication"] and e["publication"] not in names:
            names.append(e["publication"])
        if e["official"] == "no":  # an analyst's own table that is not official statistics says so
            unofficial.add(e["publisher"])
    return [(f"{who} ({'; '.join(names)})" if names else who) + (", not official statistics" if who in unofficial
                                                                 else "")
            for who, names in by_publisher.items() if who]


def attributions(info: DatasetInfo) -> list[str]:
    """The attribution statements the sources' licences require, once each.

    Statements that differ only in the publisher named at their end ("... v3.0. (Home Office)") are
    merged into one naming every publisher: "... v3.0 (Office for National Statistics; Home Office)."
    """
    merged: dict[str, list[str]] = {}
    for e in source_entries(info):
        text = e["attribution"]
        if not text:
            continue
        m = re.fullmatch(r"(.*?)\.?\s*\(([^()]*)\)\.?", text)
        base, publisher = (m.group(1), m.group(2)) if m else (text.rstrip("."), "")
        names = merged.setdefault(base, [])
        if publisher and publisher not in names:
            names.append(publisher)
    return [f"{base} ({'; '.join(names)})." if names else f"{base}." for base, names in merged.items()]


def sources_sentence(info: DatasetInfo) -> str:
    """"National figures: A; B. Attribution." ("" for a dataset with no recorded sources)."""
    pubs = publications(info)
    if not pubs:
        return ""
    return f"National figures: {'; '.join(pubs)}. " + " ".join(attributions(info))


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
        return Notice(DEMONSTRATION_LABEL, text, DEMONSTRATION_PAGE)
    if not inputs_demonstration:
        return None
    parts = [own, sources_sentence(info), ILLUSTRATIVE_FINDINGS]
    # An analyst's own table that is not official statistics is marked where its figures are shown; the
    # page's short notice must not call every national figure official.
    unofficial = any(e["official"] == "no" for e in source_entries(info))
    figures = ("published statistics, except those marked not official statistics" if unofficial
               else "published statistics")
    return Notice(
        "Published national figures, illustrative inspection findings",
        " ".join(p for p in parts if p),
        f"National figures: {figures} (sources on the cover). Inspection findings and grades: "
        "illustrative, except where published",
    )
