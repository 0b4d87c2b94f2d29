"""The Metropolitan Police Service report's figures, numbers and captions in order, against the list in
``tests/reference/met-figures.tsv``.

The list also gives, for each figure the published report has, its number and caption there (from the
published report's text, which has the captions of figures 1, 2, 3, 6 and 7; ``seed-figures.yaml`` names
them too). The report has more figures than the published one (a trend chart for each measure with a
trend, and the two stop and search charts), so its numbers are not the published ones: the test holds
both, keeps the published figures in the published order and keeps out any figure the published report
does not have beyond those kinds, such as the demonstration's most similar group comparison.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import yaml

from peel.demo.groups import GROUP_DEMO_FORCE, GROUP_MEASURE

REFERENCE = Path(__file__).resolve().parent / "reference"
_CAPTION = re.compile(r'<figcaption><span class="figure-number">Figure (\d+)</span>: (.*?)</figcaption>', re.S)


def _reference() -> list[dict[str, str]]:
    with (REFERENCE / "met-figures.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _figures(report_html: str) -> list[tuple[int, str]]:
    """(number, caption text) of each figure in the report body, in order (annex copies have another class)."""
    return [(int(n), " ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()))
            for n, c in _CAPTION.findall(report_html)]


def test_reference_list_has_every_figure_the_published_text_captions_in_order():
    rows = _reference()
    assert [int(r["number"]) for r in rows] == list(range(1, len(rows) + 1))
    published = [int(r["published number"]) for r in rows if r["published number"]]
    assert published == sorted(published), "the published figures must come in the published order"
    seed = yaml.safe_load((REFERENCE / "seed-figures.yaml").read_text(encoding="utf-8"))
    captioned = sorted(int(re.match(r"Figure (\d+):", item["figure"]).group(1))
                       for items in seed["figures"].values() for item in items
                       if isinstance(item, dict) and "figure" in item)
    assert captioned == [1, 2, 3, 6, 7]
    assert set(captioned) <= set(published), "a figure the published text captions is missing from the list"
    for r in rows:
        assert bool(r["published number"]) == bool(r["published caption"]), r


def test_met_report_numbers_and_captions_its_figures_as_the_reference_list(built_reports):
    report = (built_reports / "metropolitan" / "report.html").read_text(encoding="utf-8")
    expected = [(int(r["number"]), r["caption"]) for r in _reference()]
    got = _figures(report)
    assert got == expected, "\n".join(f"{n}: {c}" for n, c in got)


def test_group_comparison_is_not_in_the_met_report_but_in_the_demonstration_force(built_reports):
    report = (built_reports / "metropolitan" / "report.html").read_text(encoding="utf-8")
    assert GROUP_MEASURE not in report and "most similar group" not in report
    inputs = yaml.safe_load((REFERENCE.parents[1] / "params" / f"{GROUP_DEMO_FORCE}.yaml").read_text("utf-8"))
    placed = [m for area in inputs["areas"].values() for f in (area or {}).get("findings", [])
              for m in f.get("measures", [])]
    assert placed == [GROUP_MEASURE]
