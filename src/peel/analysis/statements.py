"""Every statement a report prints, as a record: the same record the HTML is made from.

A statement is one sentence of a report with the numbers behind it: a national measure's sentences
(its value, how it compares, its latest month, its trend), an area's grade, each figure the
inspectors state in a finding, and each sentence of the inspectors' own text (findings, notes, the
summary) holding a number no other record states (:func:`text_records`), so no printed number
escapes the table. The functions of :mod:`peel.analysis.present` make the records first
and write the report's text from the records' ``sentence``, so the statements table
(``statements.csv``, written by the build) and the reports cannot disagree.

The records travel out of the notebook inside the output that shows them: :class:`Part` is the
``HTML`` a notebook displays, and it adds the records under its own MIME type
(:data:`STATEMENTS_MIME`). The report stitcher keeps only ``text/html``, so the records never reach
the page; the build collects them from the executed notebooks (:func:`notebook_statements`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup

from peel.analysis.comparison import Comparison
from peel.analysis.phrases import value_text
from peel.analysis.provenance import figure_edition
from peel.analysis.reportable import ReportHTML
from peel.analysis.wording import grade_sentence, measure_sentence_parts
from peel.method import Band, Standard, is_missing

#: The MIME type of the statements in a notebook's outputs (JSON, so nbformat stores it as data).
STATEMENTS_MIME = "application/vnd.peel.statements+json"

#: A number as a report prints it ("1,234", "19.8", "2023"): what must be traceable to a statement.
NUMBER = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")
# A sentence ends at ., ! or ? followed by a space and a capital, a digit or an opening quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(£])")

#: The columns of a statement record, in the order of ``statements.csv``. The build adds
#: ``dataset_version`` and ``build_id``. ``compared_with`` is the comparison base: "all forces" (the band),
#: "most similar group: NAME" (``compare: group``; mean, sd, lower and upper are then the group's), or "standard".
#: ``coverage`` is the share of its count the force's figure covers (empty: complete, or not stated).
#: ``publication``, ``edition`` and ``edition_file`` say which edition of which published table the force's
#: figure comes from (:func:`peel.analysis.provenance.figure_edition`).
COLUMNS = (
    "force_id", "force", "area", "kind", "statement_id", "sentence_kind", "measure", "period", "value", "unit",
    "decimals", "value_text", "coverage", "england_and_wales", "mean", "sd", "lower", "upper", "comparison",
    "compared_with", "trend", "grade", "figures", "sentence", "source", "publication", "edition", "edition_file",
    "dataset",
)


def _number(x: Any) -> float | None:
    """``x`` as a float for the statements file, or ``None`` when it is missing or not a number."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if is_missing(f) else f


def _empty(**values: Any) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(COLUMNS)
    record.update(values)
    return record


def comparison_word(comparison: Comparison, force_id: str) -> str:
    """How the force compares, in the words the report uses.

    One of "higher than expected", "lower than expected", "in line", "below the standard", "meets the
    standard", "not compared" (left out of the comparison), "not available" (no value) or "" when the
    measure is not compared at all.
    """
    row = comparison.row(force_id)
    if _number(row.value) is None:
        return "not available"
    if not row.included:
        return "not compared"
    result = comparison.for_force(force_id)
    if comparison.measure.compare == "standard" and result.standard is not None:
        return "below the standard" if result.standard is Standard.BELOW else "meets the standard"
    if result.band is Band.ABOVE:
        return "higher than expected"
    if result.band is Band.BELOW:
        return "lower than expected"
    if result.band is Band.WITHIN:
        return "in line"
    return ""


def comparison_base(comparison: Comparison) -> str:
    """What the force was compared with: "all forces", "most similar group: NAME", "standard" or ""."""
    compare = comparison.measure.compare
    if compare == "group" and getattr(comparison, "group", None) is not None:
        return f"most similar group: {comparison.group_label}"
    if compare == "band":
        return "all forces"
    if compare == "standard":
        return "standard"
    return ""


def measure_records(comparison: Comparison, force_id: str, area: str, dataset_name: str) -> list[dict[str, Any]]:
    """One record per sentence the report prints about ``force_id`` on a measure, in reading order."""
    view = getattr(comparison, "seen_by", None)
    comparison = view(force_id) if view is not None else comparison  # a group measure: the force's own group
    m = comparison.measure
    row = comparison.row(force_id)
    result = comparison.for_force(force_id)
    lines = comparison.lines
    common = {
        "force_id": force_id, "force": row.force_name, "area": area, "kind": "measure",
        "statement_id": f"measure:{m.id}", "measure": m.id, "period": comparison.period.iso,
        "value": _number(row.value), "unit": m.unit, "decimals": m.decimals,
        "value_text": value_text(row.value, m),
        "coverage": _number(getattr(comparison, "coverage", {}).get(force_id)),
        "england_and_wales": _number(comparison.england_and_wales),
        "mean": _number(lines.mean) if lines else None, "sd": _number(lines.sd) if lines else None,
        "lower": _number(lines.lower) if lines else None, "upper": _number(lines.upper) if lines else None,
        "comparison": comparison_word(comparison, force_id),
        "compared_with": comparison_base(comparison),
        "trend": result.trend.value if result.trend is not None else "",
        "source": m.source, **figure_edition(comparison, force_id), "dataset": dataset_name,
    }
    return [_empty(**common, sentence_kind=kind, sentence=text)
            for kind, text in measure_sentence_parts(comparison, force_id)]


def grade_record(force_id: str, force_name: str, area: str, grade: str, judgment: str,
                 dataset_name: str, source: str = "inspection") -> dict[str, Any]:
    """The record of an area's grade and its judgment sentence; ``source`` is ``"inspection"`` (the inspection's
    own grade), ``"published: URL"`` (a demonstration grade reproducing a published one) or ``"illustrative"``."""
    return _empty(force_id=force_id, force=force_name, area=area, kind="grade", statement_id=f"grade:{area}",
                  sentence_kind="grade", grade=grade, sentence=grade_sentence(force_name, grade, judgment),
                  source=source, dataset=dataset_name)


def figure_records(force_id: str, force_name: str, area: str, finding: int, figures: Iterable[Any],
                   dataset_name: str) -> list[dict[str, Any]]:
    """One record per figure the inspectors state in a finding (a sample, a count, a reported figure)."""
    out = []
    for n, figure in enumerate(figures, start=1):
        try:
            values = {k: _number(v) for k, v in figure.values().items()}
        except NotImplementedError:
            values = {}
        single = next(iter(values.values())) if len(values) == 1 else None
        out.append(_empty(
            force_id=force_id, force=force_name, area=area, kind="inspection_figure",
            statement_id=f"figure:{area}:{finding}:{n}", sentence_kind=figure.kind,
            measure=figure.what, period=figure.period, value=single,
            figures="; ".join(f"{k}={_text(v)}" for k, v in sorted(values.items())),
            sentence=figure.sentence(), source="inspection", dataset=dataset_name,
        ))
    return out


def text_records(force_id: str, force_name: str, area: str, statement_id: str, kind: str, html: str,
                 traced: Iterable[str], dataset_name: str, heading: str | None = None) -> list[dict[str, Any]]:
    """Records of the numbers in inspectors' Markdown text (a finding, a note, the summary) that no other record
    states, so that every number a report prints is in the statements table.

    Parameters
    ----------
    statement_id
        The block's id (``text:<area>:finding-<n>``); each recorded sentence adds ``:<k>``, its place in the block.
    kind
        What the block is (``finding``, ``cause_of_concern``, ``area_for_improvement``, ``summary``).
    html
        The block as the report prints it (sanitised HTML rendered from the Markdown).
    traced
        Sentences of other records of the same block (the finding's figures): a number they state is traced.
    heading
        The block's heading as typed (plain text), read before the block.

    Returns
    -------
    list of dict
        One record (kind ``inspection_text``, source ``inspection``) per sentence holding a number that is
        not traced, with the sentence as printed and the untraced numbers in ``value_text``.
    """
    known = {n for sentence in traced for n in NUMBER.findall(sentence)}
    soup = BeautifulSoup(html, "html.parser")
    out: list[dict[str, Any]] = []
    # Text per block element, as a reader (and a test parsing the report) sees it; a list item's own
    # paragraphs are read once, as the item.
    blocks = [b for b in soup.find_all(["p", "li", "h4", "h5", "h6"]) if not b.find_parent("li")]
    texts = ([heading] if heading else []) + [b.get_text() for b in blocks]
    k = 0
    for block in texts:
        text = " ".join(block.split())
        for sentence in _SENTENCE_END.split(text):
            new = [n for n in dict.fromkeys(NUMBER.findall(sentence)) if n not in known]
            if not new:
                continue
            k += 1
            out.append(_empty(
                force_id=force_id, force=force_name, area=area, kind="inspection_text",
                statement_id=f"{statement_id}:{k}", sentence_kind=kind, value_text="; ".join(new),
                sentence=sentence, source="inspection", dataset=dataset_name,
            ))
    return out


def _text(x: float | None) -> str:
    return "" if x is None else repr(x)


class Part(ReportHTML):
    """HTML for the report (see :mod:`peel.analysis.reportable`), carrying the statement records and
    figure data it was written from under a MIME type of their own, which the stitcher never renders."""

    def __init__(self, data: str, records: list[dict[str, Any]] | None = None,
                 figures: list[dict[str, Any]] | None = None) -> None:
        super().__init__(data)
        self.records = list(records or [])
        self.figures = list(figures or [])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any]
        data, metadata = super()._repr_mimebundle_(include, exclude)
        if self.records or self.figures:
            data = {**data, STATEMENTS_MIME: {"statements": self.records, "figures": self.figures}}
        return data, metadata


def notebook_statements(nb: Any, key: str = "statements") -> list[dict[str, Any]]:
    """The statement records (or, with ``key="figures"``, the figures' data) of an executed notebook, in order."""
    out: list[dict[str, Any]] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            doc = output.get("data", {}).get(STATEMENTS_MIME)
            if isinstance(doc, dict):
                out.extend(dict(r) for r in doc.get(key, []) if isinstance(r, dict))
    return out
