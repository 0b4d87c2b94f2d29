"""The built Metropolitan Police Service report states each of the published report's checkable items.

``tests/reference/seed-items.tsv`` lists the items (area, statement, expected value as the published
report gives it): the 132 of its main body, then those of the parts around it (the PEEL 2023–2025
introduction, the terminology note, the outcome types of the victim service assessment, "About the
data" and the published terms). An item passes when its expected value appears in the report's text, with "N%"
read as "N percent" (the report's style); ``tests/reference/seed-checks.tsv`` gives, for the items
our report words differently, the words it uses instead, or says why the item is not reproduced.
The items not reproduced are named in ``tests/reference/README.md``.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"
NOT_REPRODUCED = "not reproduced:"
#: Items of the published report's main body; the items after them cover the parts around it.
MAIN_BODY = 132


def _items() -> list[tuple[int, str, str, str]]:
    with (REFERENCE / "seed-items.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return [(n, *row) for n, row in enumerate(rows, start=1)]


def _checks() -> dict[int, str]:
    with (REFERENCE / "seed-checks.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    return {int(n): how for n, how in rows}


def _text(report_html: str) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", report_html, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _states(text: str, expected: str, how: str | None) -> bool:
    if how is not None:
        return re.search(how, text) is not None
    return expected in text or re.sub(r"(\d)%", r"\1 percent", expected) in text


def test_reference_lists_hold_the_main_body_and_the_parts_around_it():
    items, checks = _items(), _checks()
    assert len(items) > MAIN_BODY
    assert [area for _, area, *_ in items[:MAIN_BODY]][-1] == "about"  # the main body's list ends with its method
    assert set(checks) <= {n for n, *_ in items}, "seed-checks.tsv names an item seed-items.tsv does not have"
    # An item not taken from the text of the published report says so, and the README says why.
    not_from_seed = [n for n, _, statement, _ in items if "not from the seed text" in statement]
    assert not_from_seed == [141]
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    assert all(f"Item {n}'s" in readme and "not from the seed text" in readme for n in not_from_seed)


def test_met_report_states_the_published_items(built_reports):
    text = _text((built_reports / "metropolitan" / "report.html").read_text(encoding="utf-8"))
    checks = _checks()
    skipped = {n for n, how in checks.items() if how.startswith(NOT_REPRODUCED)}
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    for n in skipped:
        assert f"item {n}:" in readme, f"item {n} is not reproduced but README.md does not say why"
    failed = [f"{n} {area} | {statement} | {expected}" for n, area, statement, expected in _items()
              if n not in skipped and not _states(text, expected, checks.get(n))]
    total = len(_items())
    stated = total - len(skipped) - len(failed)
    assert not failed, f"{stated}/{total} stated, {len(skipped)} not reproduced; missing:\n" + "\n".join(failed)
    assert stated + len(skipped) == total
