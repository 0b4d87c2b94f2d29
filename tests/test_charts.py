"""The all-forces chart on a small made-up set of forces: colours, patterns, lines and the marked force."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re

import matplotlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

from peel.analysis import charts
from peel.analysis.comparison import Comparison, ForceValue
from peel.analysis.numbered_figure import alt_text, figure_html
from peel.inputs.catalogue import Measure
from peel.inputs.forces import get_force
from peel.inputs.periods import parse_period
from peel.method import band, band_lines
from peel.numbers import UNITS

# Six forces compared, one left out on purpose and one that supplied nothing.
VALUES = {"cumbria": 2.0, "lancashire": 9.0, "merseyside": 10.0, "cheshire": 10.5,
          "durham": 11.0, "metropolitan": 18.0}
EXCLUDED = {"city-of-london": (40.0, "Too few residents to compare.")}
MISSING = ("gwent",)
ENGLAND_AND_WALES = 8.6


def made_up_measure(**over: object) -> Measure:
    fields: dict[str, object] = dict(
        id="made_up_rate", title="Made-up events per 1,000 population", area="police_powers",
        unit="per_1000_population", decimals=1, period=parse_period("2022-04-01/2023-03-31"),
        source="A made-up source", figure_title="Made-up events per 1,000 population, forces in England and Wales",
        compare="band", england_and_wales="pooled",
        statement="In {period}, {force} recorded {value} made-up events per 1,000 population.",
        exclude={k: reason for k, (_, reason) in EXCLUDED.items()},
    )
    fields.update(over)
    return Measure(**fields)  # type: ignore[arg-type]


def made_up_comparison(measure: Measure, values: dict[str, float] = VALUES, ew: float | None = ENGLAND_AND_WALES
                       ) -> Comparison:
    lines = band_lines(values.values()) if measure.compare == "band" else None
    rows = []
    for fid, v in values.items():
        rows.append(ForceValue(fid, get_force(fid).name, v, math.nan, math.nan,
                               band(v, lines) if lines else None, True, None))
    for fid, (v, reason) in EXCLUDED.items():
        rows.append(ForceValue(fid, get_force(fid).name, v, math.nan, math.nan, None, False, reason))
    for fid in MISSING:
        rows.append(ForceValue(fid, get_force(fid).name, math.nan, math.nan, math.nan, None, False, None))
    return Comparison(measure, measure.period, tuple(rows), lines, ew, MISSING,
                      {k: r for k, (_, r) in EXCLUDED.items()})


def bars_of(fig):
    ax = fig.axes[0]
    return {p.get_gid()[len("bar-"):]: p for p in ax.patches if (p.get_gid() or "").startswith("bar-")}


def line_y(fig, gid):
    (line,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == gid]
    ys = set(line.get_ydata())
    assert len(ys) == 1, "a horizontal line"
    return ys.pop(), line


def force_names(fig):
    """The force names under the bars, in drawing order."""
    return [t for t in fig.axes[0].texts if t.get_gid() == "force-name"]


@pytest.fixture(scope="module")
def band_chart():
    c = made_up_comparison(made_up_measure())
    return c, charts.all_forces_chart(c, "metropolitan")


def test_bars_are_compared_forces_sorted_highest_first(band_chart):
    c, fig = band_chart
    bars = bars_of(fig)
    # Excluded and missing forces are not drawn.
    assert set(bars) == set(VALUES)
    by_x = sorted(bars.items(), key=lambda kv: kv[1].get_x())
    assert [fid for fid, _ in by_x] == sorted(VALUES, key=lambda f: -VALUES[f])
    for fid, patch in bars.items():
        assert patch.get_height() == pytest.approx(VALUES[fid])
    # Each bar is named under its middle, turned a quarter, in the order of the bars.
    names = force_names(fig)
    assert [t.get_text() for t in names] == [charts.short_name(get_force(f).name) for f, _ in by_x]
    for t, (_, patch) in zip(names, by_x, strict=True):
        assert t.get_position()[0] == pytest.approx(patch.get_x() + patch.get_width() / 2)
        assert t.get_rotation() == 90


def test_colours_and_patterns_follow_the_band(band_chart):
    c, fig = band_chart
    lines = band_lines(VALUES.values())
    bars = bars_of(fig)
    for fid, v in VALUES.items():
        patch = bars[fid]
        colour = to_hex(patch.get_facecolor())
        if v > lines.upper:
            assert colour == charts.DARK_BLUE.lower() and patch.get_hatch() == charts.HATCH_ABOVE, fid
        elif v < lines.lower:
            assert colour == charts.LIGHT_BLUE.lower() and patch.get_hatch() == charts.HATCH_BELOW, fid
        else:
            assert colour == charts.GREY.lower() and not patch.get_hatch(), fid
    # The made-up values put exactly one force above and one below the lines.
    assert sum(v > lines.upper for v in VALUES.values()) == 1
    assert sum(v < lines.lower for v in VALUES.values()) == 1
    # Above and below differ in pattern as well as colour.
    assert charts.HATCH_ABOVE != charts.HATCH_BELOW


def test_dotted_red_lines_one_sd_either_side_of_the_unweighted_mean(band_chart):
    _, fig = band_chart
    xs = list(VALUES.values())
    mean = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    upper, up_line = line_y(fig, "sd-line-upper")
    lower, low_line = line_y(fig, "sd-line-lower")
    assert upper == pytest.approx(mean + sd)
    assert lower == pytest.approx(mean - sd)
    for ln in (up_line, low_line):
        assert to_hex(ln.get_color()) == charts.RED.lower()
        assert ln.get_linestyle() in (":", "--", "-.") or isinstance(ln.get_dashes(), tuple)
        assert ln.get_linestyle() != "-"


def test_england_and_wales_line_is_named_with_its_value_in_the_legend_and_covers_no_bar(band_chart):
    _, fig = band_chart
    y, _ = line_y(fig, "england-and-wales-line")
    assert y == ENGLAND_AND_WALES
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "England and Wales: 8.6" in legend
    # No label on the line itself: one there sat over the tallest bars and hid their tops.
    assert not any("England and Wales" in t.get_text() for t in fig.axes[0].texts)


def test_report_force_is_outlined_and_named(band_chart):
    _, fig = band_chart
    bars = bars_of(fig)
    met = bars["metropolitan"]
    others = [p for f, p in bars.items() if f != "metropolitan"]
    assert to_hex(met.get_edgecolor()) == charts.BLACK.lower()
    assert all(met.get_linewidth() > p.get_linewidth() for p in others)
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "force-label"]
    assert len(labels) == 1 and labels[0].get_text().startswith("Metropolitan\n18.0")
    names = {t.get_text(): t.get_fontweight() for t in force_names(fig)}
    assert names["Metropolitan"] == "bold" and names["Cumbria"] != "bold"


def test_legend_explains_colour_and_pattern(band_chart):
    _, fig = band_chart
    (legend,) = fig.legends
    words = " ".join(t.get_text() for t in legend.get_texts())
    assert "dark blue, striped" in words and "light blue, dotted" in words and "dotted red lines" in words


def test_standard_is_a_line_and_forces_below_it_are_highlighted():
    m = made_up_measure(unit="percent", compare="standard", standard=90.0, exclude={},
                        statement="{force} answered {value} of calls.")
    values = {"cumbria": 95.0, "lancashire": 90.0, "merseyside": 89.9, "metropolitan": 78.9}
    c = made_up_comparison(m, values, ew=85.0)
    fig = charts.all_forces_chart(c, "metropolitan")
    y, line = line_y(fig, "standard-line")
    assert y == 90.0 and to_hex(line.get_color()) == charts.RED.lower()
    assert not [ln for ln in fig.axes[0].lines if (ln.get_gid() or "").startswith("sd-line")]
    bars = bars_of(fig)
    for fid, v in values.items():
        below = v < 90.0
        assert (to_hex(bars[fid].get_facecolor()) == charts.LIGHT_BLUE.lower()) is below, fid
        assert (bars[fid].get_hatch() == charts.HATCH_BELOW) is below, fid


def test_png_is_deterministic_print_resolution_and_has_no_timestamp():
    c = made_up_comparison(made_up_measure())
    a = charts.figure_png(charts.all_forces_chart(c, "metropolitan"))
    b = charts.figure_png(charts.all_forces_chart(c, "metropolitan"))
    assert a == b
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(a[16:20], "big")
    assert width >= 16 / 2.54 * 200 - 2  # 16 cm wide at 200 dpi or more
    assert b"tIME" not in a and b"Software" not in a
    # Opaque 8-bit RGB (colour type 2), not interlaced: no alpha channel for the PDF to split off.
    assert a[24:27] == b"\x08\x02\x00" and a[28] == 0


def test_png_has_the_pixels_matplotlib_draws_without_the_empty_alpha_channel():
    import io

    import numpy as np
    from PIL import Image

    fig = charts.all_forces_chart(made_up_comparison(made_up_measure()), "metropolitan")
    ours = np.asarray(Image.open(io.BytesIO(charts.figure_png(fig))))
    buf = io.BytesIO()
    with matplotlib.rc_context(charts.CHART_RC):  # the chart's settings (unhinted text), as figure_png draws
        fig.savefig(buf, format="png", dpi=charts.CHART_DPI)
    theirs = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert (theirs[..., 3] == 255).all()
    assert ours.shape == theirs.shape[:2] + (3,) and (ours == theirs[..., :3]).all()
    assert fig.dpi == 200  # drawing at the chart resolution leaves the figure as it was


def test_chart_pixels_are_enough_for_200_percent_zoom_and_print():
    from peel.analysis.numbered_figure import IMG_HEIGHT, IMG_WIDTH

    png = charts.figure_png(charts.all_forces_chart(made_up_comparison(made_up_measure()), "metropolitan"))
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    # On screen the <img> is IMG_WIDTH CSS pixels wide: at 200% zoom each needs two device pixels.
    assert IMG_WIDTH == charts.SCREEN_WIDTH_PX
    assert width >= 2 * IMG_WIDTH and height >= 2 * IMG_HEIGHT, (width, height)
    # In print it fills the text width: at least 200 dots an inch there.
    assert width / (charts.PRINT_WIDTH_MM / 25.4) >= 200
    # ... and not far more than needed (drawing time grows with the pixels).
    assert width <= 1.05 * max(2 * IMG_WIDTH, charts.PRINT_WIDTH_MM / 25.4 * 200)


def test_alt_text_states_the_finding():
    c = made_up_comparison(made_up_measure())
    alt = alt_text(c, "metropolitan")
    assert "Metropolitan Police Service" in alt
    assert "18.0 per 1,000 population" in alt and "higher than expected" in alt
    assert "8.6 per 1,000 population" in alt
    assert "one force is above the upper line and one force below the lower line" in alt


def test_figure_html_markup():
    c = made_up_comparison(made_up_measure())
    html = figure_html(c, "metropolitan", 3)
    assert html.startswith('<figure class="chart" id="figure-made_up_rate">')
    assert '<span class="figure-number">Figure 3</span>' in html
    assert '<span class="figure-ref">figure 3</span>' in html
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="[^"]+"', html)
    assert '<p class="source">Source: A made-up source</p>' in html
    # Notes name the excluded force with its reason and the force that supplied nothing.
    assert "City of London Police" in html and "Too few residents to compare." in html
    # Gwent has no row (a gap in the national data): the note does not say it failed to supply it.
    assert "the national data has no figure for Gwent Police" in html and "did not supply" not in html
    supplied = figure_html(dataclasses.replace(c, not_supplied={"gwent": ""}), "metropolitan", 3)
    assert "Gwent Police did not supply data" in supplied
    # The data table: caption, column headers, a row per force, the report's force marked in words.
    assert "<caption>" in html and html.count('<th scope="col">') == 3
    assert html.count('<th scope="row">') == len(VALUES) + len(EXCLUDED) + len(MISSING) + 1  # + England and Wales
    assert '<tr class="this-force"><th scope="row">Metropolitan Police Service <strong>(this report)</strong>' in html
    assert "style=" not in html and "<script" not in html
    assert not re.search(r"\b(nan|None)\b", re.sub(r"base64,[^\"]+", "", html))


def _texts(fig) -> list:
    """Every visible text drawn on a figure: tick labels, legend entries, axis labels, annotations."""
    from matplotlib.text import Text

    fig.canvas.draw()  # lays the figure out, so every tick label exists
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_chart_text_is_at_least_12_css_px_at_100_percent_zoom(band_chart):
    """Every text of the all-forces chart and the trend chart, at the width the page shows it, is >= 12 CSS px."""
    from peel.analysis.numbered_figure import IMG_WIDTH
    from peel.analysis.trend import IMG_WIDTH as TREND_WIDTH
    from peel.analysis.trend import trend_figure

    standard = made_up_comparison(made_up_measure(unit="percent", compare="standard", standard=90.0,
                                                  england_and_wales="mean"))
    trend = {"axis": "12 months ending", "force": "Metropolitan Police Service", "rows": [
        {"tick": f"Mar {y}", "force_number": 10.0 + y % 3, "ew_number": 8.0} for y in range(2019, 2025)]}
    figures = [("band chart", band_chart[1], IMG_WIDTH), ("standard chart", charts.all_forces_chart(standard, "kent"),
                                                          IMG_WIDTH),
               ("trend chart", trend_figure(trend), TREND_WIDTH)]
    for name, fig, shown in figures:
        texts = _texts(fig)
        kinds = {"legend": fig.legends or fig.axes[0].get_legend(),
                 "ticks": force_names(fig) or fig.axes[0].get_xticklabels()}
        assert all(kinds.values()), f"{name} has no legend or ticks to measure"
        sizes = {t.get_text(): charts.shown_px(t.get_fontsize(), fig.get_figwidth(), shown) for t in texts}
        small = {text: round(px, 1) for text, px in sizes.items() if px < 12 - 1e-6}
        assert not small, f"{name}: text under 12 CSS px at 100% zoom: {small}"
        assert len(sizes) > 5, f"{name}: only {len(sizes)} texts found"


# Each chart's y ticks over many scales: data from a thousandth up to millions, in every unit the project has.
@settings(max_examples=40)
@given(unit=st.sampled_from(UNITS), exponent=st.floats(min_value=-3.0, max_value=6.0),
       shape=st.lists(st.floats(min_value=0.05, max_value=1.0), min_size=6, max_size=6))
def test_every_y_tick_label_reads_back_as_its_tick_value(unit, exponent, shape):
    scale = 10.0 ** exponent
    values = {fid: scale * s for fid, s in zip(VALUES, shape, strict=True)}
    c = made_up_comparison(made_up_measure(unit=unit), values=values, ew=scale * sum(shape) / len(shape))
    fig = charts.all_forces_chart(c, "metropolitan")
    fig.draw_without_rendering()  # the ticks of the laid-out chart, as the PNG has them
    ax = fig.axes[0]
    ticks = [(t, label.get_text()) for t, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
             if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 2
    for tick, label in ticks:
        # Exactly the tick's decimal value (the float noise of 0.1 + 0.2 aside), with its unit's sign.
        assert float(label.removeprefix("£").replace(",", "")) == round(tick, charts.TICK_MAX_DECIMALS), (label, tick)


@pytest.mark.parametrize("tick, label", [(12.5, "12.5"), (15.0, "15"), (0.25, "0.25"), (0.1 + 0.2, "0.3"),
                                         (1_250_000.0, "1,250,000"), (0.0005, "0.0005")])
def test_a_tick_label_prints_its_value_at_the_precision_it_needs(tick, label):
    assert charts.tick_label(tick, "percent") == label


def _trend_of(n: int, tick=lambda y: f"Mar {y}") -> dict:
    return {"axis": "12 months ending", "force": "Metropolitan Police Service", "rows": [
        {"tick": tick(2009 + i), "force_number": 10.0 + i % 3, "ew_number": 8.0} for i in range(n)]}


@pytest.mark.parametrize("n", [4, 6, 12, 16])
def test_trend_x_labels_never_overlap(n):
    """No two visible tick labels of the trend chart overlap (measured as laid out), every period keeps its tick,
    the latest is labelled, and a short series labels every period."""
    from peel.analysis.trend import trend_figure

    fig = trend_figure(_trend_of(n))
    fig.draw_without_rendering()
    ax = fig.axes[0]
    labels = ax.get_xticklabels()
    shown = [t for t in labels if t.get_visible()]
    boxes = [t.get_window_extent() for t in shown]
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), [(b.x0, b.x1) for b in boxes]
    assert len(ax.get_xticks()) == n and shown[-1] is labels[-1]
    assert len(shown) == n if n <= 6 else len(shown) >= 4


def test_trend_axis_of_a_count_on_one_day_names_the_day():
    """Officers are counted on 31 March each year: the axis says so ("At 31 March") and each tick is a year,
    where a monthly measure's axis says "Month" and a yearly one's "12 months ending"."""
    from pathlib import Path

    from peel.analysis.comparison import compare
    from peel.analysis.trend import trend_record
    from peel.inputs.dataset import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "real")
    officers = trend_record(compare(ds, "officer_fte_per_1000"), "kent")
    assert officers is not None and officers["axis"] == "At 31 March"
    assert all(re.fullmatch(r"\d{4}", r["tick"]) for r in officers["rows"])
    assert [r["period"] for r in officers["rows"]][-1] == "31 March 2022"
    yearly = trend_record(compare(ds, "recorded_crime_per_1000"), "kent")
    assert yearly is not None and yearly["axis"] == "12 months ending"
