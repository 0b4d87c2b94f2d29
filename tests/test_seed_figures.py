"""Backtest: the Met's executed notebooks state every figure of the published report.

The published report's figures are listed, area by area, in ``seed-figures.yaml`` in the reference
folder beside the checkout. For each one this test finds a paragraph of the right area's executed
notebook that states it at its published precision, with the comparison words the report uses
(translated to the project's own wording where the two differ, see :data:`STATED_WORDS`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from test_notebooks import AREAS, executed

from peel.numbers import decimals_of, format_number

SEED = Path(__file__).resolve().parent / "reference" / "seed-figures.yaml"
SEED_DOC = yaml.safe_load(SEED.read_text(encoding="utf-8"))
FORCE = SEED_DOC["force"]
NOTEBOOK_OF = {a["id"]: a["notebook"] for a in AREAS}
TITLE_OF = {a["id"]: a["title"] for a in AREAS}

#: The published report's comparison words -> a pattern of the project's words for the same finding.
#: "Significantly" higher or lower in the published report means outside the one-standard-deviation
#: lines ("About the data"), which the project calls higher or lower than expected.
STATED_WORDS = {
    "higher than expected": r"higher than expected",
    "lower than expected": r"lower than expected",
    "lowest of all forces": r"lowest of all forces",
    "below the England and Wales average": r"below the England and Wales (figure|average)",
    "significantly higher than the England and Wales average": r"higher than expected",
    "significantly lower than the England and Wales average": r"lower than expected",
    "below the expected standard": r"below the expected standard",
    "statistically significant improvement": r"statistically significant improvement",
    "similar level": r"(similar|reduction|increase|fell|rose)",
}

def number(x: float | int | str) -> str:
    """A figure at its published precision, as the report writes it ("19.8", "237,940", "25")."""
    return format_number(float(x), decimals_of(x))


def money(text: str | float | int) -> list[str]:
    """ "4.33 billion" -> ["£4.33 billion"]; "46.6 million" -> ["£46.6m"]; "GBP 90m to GBP 135m" -> both."""
    s = str(text)
    out = [f"£{m} billion" for m in re.findall(r"(\d+(?:\.\d+)?) billion", s)]
    out += [f"£{m}m" for m in re.findall(r"(\d+(?:\.\d+)?) million", s)]
    out += [f"£{m}m" for m in re.findall(r"GBP (\d+(?:\.\d+)?)m", s)]
    return out


def period_pattern(period: str) -> str:
    """The period as the report may write it: "year ending 31 March 2023" is also the financial year 2022/23."""
    m = re.fullmatch(r"year ending 31 March (\d{4})", period)
    if m:
        end = int(m.group(1))
        return rf"(year ending 31 March {end}|{end - 1}/{end % 100:02d})"
    return re.escape(period)


def _paragraphs(fragment: str) -> list[str]:
    """The text of each paragraph and list item outside charts (chart data tables repeat the values)."""
    fragment = re.sub(r"<figure\b.*?</figure>", " ", fragment, flags=re.DOTALL)
    blocks = re.findall(r"<(p|li)\b[^>]*>(.*?)</\1>", fragment, flags=re.DOTALL)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", b))).strip() for _, b in blocks]


def _has(paragraph: str, token: str) -> bool:
    """``token`` appears as a whole figure: "25" does not match inside "257" or "25.3"."""
    return re.search(rf"(?<![\d.,]){re.escape(token)}(?![\d]|[.,]\d)", paragraph) is not None


def _is_percent(fig: dict) -> bool:
    return "percent" in str(fig.get("what", "")) or "rate (percent)" in str(fig.get("what", ""))


def expected(fig: dict) -> tuple[list[str], list[str]]:
    """(figures that must appear, patterns of words that must appear) in one paragraph."""
    kind = fig["kind"]
    tokens: list[str] = []
    words: list[str] = []
    pct = " percent" if _is_percent(fig) else ""
    if kind in ("national_comparison", "standard_comparison"):
        is_gbp = "(GBP)" in fig["what"]
        tokens.append(("£" if is_gbp else "") + number(fig["force"]) + pct)
        if "england_and_wales" in fig:
            tokens.append(number(fig["england_and_wales"]) + pct)
        if "standard" in fig:
            tokens.append(number(fig["standard"]) + " percent")
        for key in ("numerator", "denominator"):
            if key in fig:
                tokens.append(number(fig[key]))
        if "total" in fig:
            tokens += money(fig["total"])
        words.append(STATED_WORDS[fig["stated"]])
        if "trend" in fig:
            words.append(fig["trend"])
        if "period" in fig:
            words.append(period_pattern(fig["period"]))
    elif kind == "sample_estimate":
        tokens.append(number(fig["n"]))  # the sample size; the published report does not state k
        pcts = re.findall(r"(\d+(?:\.\d+)?) percent(?!age)", fig["stated"])
        points = re.findall(r"(\d+(?:\.\d+)?) percentage points", fig["stated"])
        tokens += [f"{p} percent" for p in pcts] + [f"{p} percentage points" for p in points]
        prev = fig.get("previous", {})
        tokens += [f"{p} percent" for p in re.findall(r"(\d+(?:\.\d+)?) percent(?!age)", prev.get("stated", ""))]
        tokens += [f"{p} percentage points" for p in re.findall(r"(\d+(?:\.\d+)?) percentage points",
                                                                 prev.get("stated", ""))]
        words += [re.escape(fig["period"])] + ([re.escape(prev["period"])] if "period" in prev else [])
        if "stated_change" in fig:
            words.append(STATED_WORDS[fig["stated_change"]])
    elif kind == "sample_count":
        tokens.append(number(fig["k"]))
        if "n" in fig:
            tokens.append(number(fig["n"]))
        if "stated_percent" in fig:
            tokens.append(f"{number(fig['stated_percent'])} percent")
    elif kind == "force_reported":
        values = fig.get("values") or [fig[k] for k in ("value", "low", "high") if k in fig]
        for v in values:
            if isinstance(v, str) and ("million" in v or "billion" in v):
                tokens += money(v)
            else:
                tokens.append(number(v) + pct)
    elif kind == "change":
        for end in ("from", "to"):
            tokens.append(number(fig[end]["value"]) + pct)
        stated = str(fig.get("stated", ""))
        m = re.search(r"(reduction|increase) of (\d+)", stated)
        if m:
            tokens.append(number(m.group(2)))
            words.append(m.group(1))
        elif stated in STATED_WORDS:
            words.append(STATED_WORDS[stated])
    elif kind == "derived":
        if fig.get("rule"):
            tokens += money(fig.get("budget", ""))
        for key in ("requirement", "funding"):
            if key in fig:
                tokens += money(fig[key])
        v = fig["value"]
        tokens += money(v) if isinstance(v, str) and re.search(r"million|billion|GBP", v) else [number(v)]
    else:  # pragma: no cover - a new kind in the reference file needs a rule here
        raise AssertionError(f"no rule for figure kind {kind!r}")
    return tokens, words


CASES = [(area, i, fig) for area, figs in SEED_DOC["figures"].items() for i, fig in enumerate(figs)]


def _area_paragraphs(area: str) -> list[str]:
    run = executed(FORCE)[NOTEBOOK_OF[area]]
    assert run.returncode == 0, run.stderr
    return _paragraphs(run.html())


@pytest.mark.slow
@pytest.mark.parametrize("area, i, fig", CASES, ids=[f"{a}-{i}-{f['kind']}" for a, i, f in CASES])
def test_seed_figure_is_stated(area, i, fig):
    tokens, words = expected(fig)
    paragraphs = _area_paragraphs(area)
    hits = [p for p in paragraphs if all(_has(p, t) for t in tokens)]
    assert hits, f"no paragraph in {area} states {tokens} ({fig.get('what')})"
    good = [p for p in hits if all(re.search(w, p) for w in words)]
    assert good, f"{fig.get('what')}: the paragraph stating {tokens} lacks the words {words}: {hits}"


@pytest.mark.slow
def test_published_grades_and_count_of_graded_areas():
    overview = executed(FORCE)[NOTEBOOK_OF["overview"]].html()
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", overview)))
    n = SEED_DOC["graded_areas"]
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    assert f"graded judgments in {words[n]}" in text
    rows = re.findall(r"<tr>(.*?)</tr>", overview.split('<table class="judgments">', 1)[1], flags=re.DOTALL)
    # the grade is the cell's grade panel; the demonstration's published grades say so beside it
    table = {re.sub(r"<[^>]+>", "", r.split("</th>")[0]).strip():
             re.sub(r"<[^>]+>", "", r.split("</th>")[1].split('<span class="grade-basis">')[0]).strip()
             for r in rows if "</th>" in r and 'scope="row"' in r}
    assert all('<span class="grade-basis">(published)</span>' in r for r in rows if "grade grade-" in r
               and "not-graded" not in r)
    for area, grade in SEED_DOC["grades"].items():
        assert table.get(html.escape(TITLE_OF[area], quote=True)) == grade or table.get(TITLE_OF[area]) == grade, area
        page = executed(FORCE)[NOTEBOOK_OF[area]].html()
        badge = re.search(r'<p class="grade grade-[a-z-]+">([^<]+)</p>', page)
        assert badge and badge.group(1) == grade, area
    assert len(SEED_DOC["grades"]) == n
