"""The all-forces chart's narrow picture for phones: the same bars, numbers, lines and legend as the wide chart.

Browser tests (``tests/test_accessibility.py``) check that a phone's window shows it; these check what it
holds, read back from the SVG as XML.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest
from test_charts import ENGLAND_AND_WALES, made_up_comparison, made_up_measure

from peel.analysis import charts
from peel.analysis.narrow_chart import WIDTH, narrow_chart
from peel.analysis.numbered_figure import NARROW_MEDIA, figure_html
from peel.numbers import format_value
from peel.render.policies import sanitize_output

SVG = "{http://www.w3.org/2000/svg}"


def parsed(chart) -> ET.Element:
    return ET.fromstring(chart.svg)


def rows_of(root: ET.Element) -> list[tuple[str, str, bool]]:
    """Each force's row: its name, its value, and whether it is in bold (the report's force)."""
    out = []
    for text in root.iter(f"{SVG}text"):
        span = text.find(f"{SVG}tspan")
        if span is not None and text.text != "Force":
            out.append((text.text or "", span.text or "", text.get("font-weight") == "bold"))
    return out


def bar_widths(root: ET.Element) -> list[float]:
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "10" and r.get("x") == "1"]
    return [float(r.get("width", "nan")) for r in rects]


def path_xs(root: ET.Element, dasharray: str | None, stroke: str) -> set[float]:
    """The x of each vertical line drawn with this dash pattern and colour."""
    xs: set[float] = set()
    for p in root.iter(f"{SVG}path"):
        if p.get("stroke") == stroke and p.get("stroke-dasharray") == dasharray and p.get("d", "").count("M") > 1:
            xs |= {float(x) for x in re.findall(r"M([\d.]+) ", p.get("d", ""))}
    return xs


@pytest.fixture(scope="module")
def band():
    comparison = made_up_comparison(made_up_measure())
    bars = charts.chart_bars(comparison, "metropolitan")
    return comparison, bars, narrow_chart(comparison, bars, "Per 1,000 population")


def test_every_bar_in_the_wide_charts_order_with_the_full_name_and_the_printed_value(band):
    comparison, bars, chart = band
    names = {r.force_id: r.force_name for r in comparison.rows}
    rows = rows_of(parsed(chart))
    assert rows == [(names[b.force_id], format_value(b.value, "per_1000_population", 1), b.is_force) for b in bars]
    assert rows[0] == ("Metropolitan Police Service", "18.0", True)
    # Forces left out of the comparison or without data are not drawn, as on the wide chart.
    assert not {"City of London Police", "Gwent Police"} & {name for name, _, _ in rows}


def test_bars_are_in_proportion_to_the_values(band):
    _, bars, chart = band
    widths = bar_widths(parsed(chart))
    assert len(widths) == len(bars)
    ratios = [w / b.value for w, b in zip(widths, bars, strict=True)]
    assert max(ratios) - min(ratios) < 0.1 / min(b.value for b in bars)  # to the tenth of a px written
    assert max(widths) <= WIDTH


def test_lines_and_legend_are_the_wide_charts(band):
    comparison, bars, chart = band
    root = parsed(chart)
    scale = max(widths := bar_widths(root)) / max(b.value for b in bars)
    assert widths
    lines = comparison.lines
    assert sorted(path_xs(root, "1.5 2", charts.RED)) == pytest.approx(
        [1 + lines.lower * scale, 1 + lines.upper * scale], abs=0.15)
    assert sorted(path_xs(root, None, charts.BLACK)) == pytest.approx([1 + ENGLAND_AND_WALES * scale], abs=0.15)
    legend = " ".join(t.text or "" for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}text"))
    wide = charts.all_forces_chart(comparison, "metropolitan")
    for text in wide.legends[0].get_texts():
        words = text.get_text().replace("Metropolitan (", "Metropolitan Police Service (")
        assert words in legend, words


def test_a_standard_is_dashed_and_there_are_no_dotted_lines():
    measure = made_up_measure(compare="standard", standard=10.0, unit="percent")
    comparison = made_up_comparison(measure)
    bars = charts.chart_bars(comparison, "metropolitan")
    root = parsed(narrow_chart(comparison, bars, "Percent"))
    assert path_xs(root, "1.5 2", charts.RED) == set()
    assert len(path_xs(root, "5 2", charts.RED)) == 1
    assert "Expected standard: 10 percent" in chart_text(root)
    # Values are numbers under the column's head "Percent", as the data table prints them less the word.
    assert [value for _, value, _ in rows_of(root)] == [format_value(b.value, "per_1000_population", 1) for b in bars]
    below = [b for b in bars if b.kind == "below_standard"]
    assert below and all(r.get("fill") == "url(#below)" for r in bar_rects(root)[len(bars) - len(below):])


def chart_text(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def bar_rects(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("height") == "10" and r.get("x") == "1"]


def test_same_bars_same_bytes_and_text_is_escaped(band):
    comparison, bars, chart = band
    again = narrow_chart(comparison, bars, "Per 1,000 population")
    assert again.svg == chart.svg and again.data_uri() == chart.data_uri()
    hostile = narrow_chart(comparison, bars, 'Rate <b> & "more"')
    assert 'Rate <b> & "more"' in chart_text(parsed(hostile))  # parsed as XML: escaped, not markup
    assert base64.b64decode(chart.data_uri().split(",", 1)[1]).decode("utf-8") == chart.svg


def test_figure_offers_the_narrow_picture_to_narrow_screens_and_the_sanitiser_keeps_it():
    comparison = made_up_comparison(made_up_measure())
    html = figure_html(comparison, "metropolitan", 1)
    source = re.search(r'<picture><source media="([^"]+)" type="image/svg\+xml" srcset="([^"]+)" '
                       r'width="(\d+)" height="(\d+)"><img src="data:image/png;base64,', html)
    assert source, html[:600]
    assert source.group(1) == NARROW_MEDIA.replace("&", "&amp;")
    assert source.group(2).startswith("data:image/svg+xml;base64,") and int(source.group(3)) == WIDTH
    assert sanitize_output(html) == html
    # An address in a srcset, alone or after a data image, is dropped.
    for srcset in ("https://evil.example/x.png", "data:image/png;base64,AAAA 1x, https://evil.example/y.png 2x"):
        cleaned = sanitize_output(html.replace(source.group(2), srcset))
        assert "evil.example" not in cleaned and "<source media=" in cleaned


def test_forces_outside_the_group_are_outlined_and_named_in_the_legend():
    comparison = made_up_comparison(made_up_measure())
    bars = [dataclasses.replace(b, kind="other") if b.force_id == "cumbria" else b
            for b in charts.chart_bars(comparison, "metropolitan")]
    root = parsed(narrow_chart(comparison, bars, "Per 1,000 population"))
    text = chart_text(root)
    assert charts.LEGEND_OTHER in text and charts.LEGEND_GROUP_LINES in text
    (cumbria,) = [r for r, b in zip(bar_rects(root), bars, strict=True) if b.force_id == "cumbria"]
    assert (cumbria.get("fill"), cumbria.get("stroke")) == ("#FFFFFF", "#6F777B")
