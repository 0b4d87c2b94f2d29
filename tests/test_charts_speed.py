"""The faster chart drawing gives matplotlib's own pixels, and the same bytes whatever came before.

``peel.analysis.chart_render`` draws bars of one look as one shape and lays the chart out without a
solver, through matplotlib's public API. These tests draw the demonstration data's charts and check
that none of it changes a pixel (against a plain Agg canvas drawing the bars one by one) or depends
on the order in which forces are drawn, or on the process that draws them.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from peel.analysis import chart_render, charts
from peel.analysis.comparison import compare
from peel.inputs.dataset import load_dataset

ROOT = Path(__file__).resolve().parents[1]
# A band measure, the group measure (each force's own group and lines) and the standard measure.
MEASURES = ("stop_search_rate", "neighbourhood_officer_share", "calls_999_answered_10s")
# Forces whose names sit at the ends, in the middle, and a long name in bold.
FORCES = ("metropolitan", "city-of-london", "kent", "devon-and-cornwall")

DRAW_IN_ORDER = r"""
import hashlib, json, sys
from pathlib import Path
from peel.analysis import charts
from peel.analysis.comparison import compare
from peel.inputs.dataset import load_dataset
dataset = load_dataset(Path(sys.argv[1]))
out = {}
for force in sys.argv[2].split(","):
    for measure in sys.argv[3].split(","):
        png = charts.figure_png(charts.all_forces_chart(compare(dataset, measure), force))
        out[force + " " + measure] = hashlib.sha256(png).hexdigest()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(ROOT / "data")


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB"
    return np.asarray(image)


def plain_pixels(fig) -> np.ndarray:
    """The figure drawn by matplotlib's own Agg canvas (no cache), each bar on its own."""
    ax = fig.axes[0]
    for shape in [p for p in ax.patches if p.get_gid() == chart_render.BARS_GID]:
        shape.remove()
    for patch in ax.patches:
        patch.set_visible(True)
    with matplotlib.rc_context(charts.CHART_RC):
        fig.set_dpi(charts.CHART_DPI)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def test_pixels_are_what_matplotlib_draws_bar_by_bar(dataset):
    for measure in MEASURES:
        comparison = compare(dataset, measure)
        for force in FORCES:
            ours = pixels(charts.figure_png(charts.all_forces_chart(comparison, force)))
            theirs = plain_pixels(charts.all_forces_chart(comparison, force))
            assert ours.shape == theirs.shape, (measure, force)
            assert (ours == theirs).all(), (measure, force, int((ours != theirs).any(axis=2).sum()))


def test_bars_of_one_look_are_drawn_as_one_shape_and_stay_as_records(dataset):
    fig = charts.all_forces_chart(compare(dataset, "stop_search_rate"), "kent")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("bar-")]
    shapes = [p for p in ax.patches if p.get_gid() == chart_render.BARS_GID]
    assert len(bars) == len(fig.peel_bars) and shapes
    looks: dict[tuple, list] = {}
    for b in bars:
        looks.setdefault((b.get_hatch(), tuple(b.get_facecolor()), tuple(b.get_edgecolor()), b.get_linewidth()),
                         []).append(b)
    # A look shared by several bars is one shape; the bars stay, undrawn, for their heights and colours.
    assert len(shapes) == sum(len(members) > 1 for members in looks.values())
    for members in looks.values():
        assert all(b.get_visible() is (len(members) == 1) for b in members)
    (marked,) = [b for b in bars if b.get_gid() == "bar-kent"]
    assert marked.get_visible()  # the report's force has a look of its own
    hatched = {s.get_hatch() for s in shapes} - {None}
    assert hatched == {charts.HATCH_ABOVE, charts.HATCH_BELOW}


@pytest.mark.subprocess
def test_bytes_do_not_depend_on_the_order_or_the_process(dataset):
    measures = ",".join(MEASURES)
    runs = []
    for order in (FORCES, tuple(reversed(FORCES))):
        done = subprocess.run([sys.executable, "-c", DRAW_IN_ORDER, str(ROOT / "data"), ",".join(order), measures],
                              capture_output=True, text=True, timeout=300, check=True)
        runs.append(json.loads(done.stdout))
    # And in this process, in a third order, after the other tests filled the caches.
    here = {}
    for force in (FORCES[2], FORCES[0], FORCES[3], FORCES[1]):
        for measure in MEASURES:
            png = charts.figure_png(charts.all_forces_chart(compare(dataset, measure), force))
            here[f"{force} {measure}"] = hashlib.sha256(png).hexdigest()
    assert runs[0] == runs[1] == here
    assert len(set(here.values())) == len(here)  # every force's chart differs: the test compares real charts


def test_layout_keeps_every_text_in_the_figure_and_clear_of_the_legend(dataset):
    from matplotlib.text import Text

    for measure in MEASURES:
        for force in FORCES:
            fig = charts.all_forces_chart(compare(dataset, measure), force)
            charts.figure_png(fig)
            # Measured with the chart's own settings (its texts are unhinted), as the layout measured them.
            with matplotlib.rc_context(charts.CHART_RC):
                fig.set_dpi(charts.CHART_DPI)
                renderer = fig.canvas.get_renderer()
                ax, (legend,) = fig.axes[0], fig.legends
                box, legend_box = fig.bbox, legend.get_window_extent(renderer)
                pad = chart_render.PAD_PT / 72 * fig.dpi
                for text in fig.findobj(Text):
                    if not text.get_visible() or not text.get_text().strip():
                        continue
                    extent = text.get_window_extent(renderer)
                    assert box.x0 + pad - 0.5 <= extent.x0 and extent.x1 <= box.x1 - pad + 0.5, (measure, force, text)
                    assert box.y0 + pad - 0.5 <= extent.y0 and extent.y1 <= box.y1, (measure, force, text)
                # The axes with everything drawn on or around them (the force's name above its bar included)
                # end legend.borderaxespad below the legend, as constrained layout placed them.
                tight = ax.get_tightbbox(renderer)
                gap = legend.borderaxespad * legend.prop.get_size_in_points() / 72 * fig.dpi
                assert tight.y1 == pytest.approx(legend_box.y0 - gap, abs=0.05), (measure, force)
                assert tight.x0 == pytest.approx(box.x0 + pad, abs=0.05)
                assert tight.y0 == pytest.approx(box.y0 + pad, abs=0.05)
                assert legend_box.y1 <= box.y1 - pad


def test_charts_of_one_size_are_drawn_on_one_renderer_per_thread(dataset):
    import threading

    from matplotlib.figure import Figure

    comparison = compare(dataset, "stop_search_rate")

    def renderer_of(force):
        fig = charts.all_forces_chart(comparison, force)
        charts.figure_png(fig)
        return fig.canvas.renderer

    first = renderer_of("kent")
    assert renderer_of("metropolitan") is first  # its text measurements are kept from chart to chart
    other_thread = []
    worker = threading.Thread(target=lambda: other_thread.append(renderer_of("kent")))
    worker.start()
    worker.join(timeout=120)
    assert other_thread and other_thread[0] is not first  # a thread draws on its own image
    # Measurements depend on the hinting: other settings, another renderer.
    fig = Figure(figsize=(charts.FIGSIZE_CM[0] * charts.CM, charts.FIGSIZE_CM[1] * charts.CM), dpi=charts.CHART_DPI)
    with matplotlib.rc_context({**charts.CHART_RC, "text.hinting": "auto"}):
        assert chart_render.ChartCanvas(fig).get_renderer() is not first
    with matplotlib.rc_context(charts.CHART_RC):
        assert chart_render.ChartCanvas(fig).get_renderer() is first
    # Only a few sizes are kept: after as many other sizes, the chart's renderer is a new one.
    with matplotlib.rc_context(charts.CHART_RC):
        for inches in range(1, chart_render.KEPT_RENDERERS + 1):
            chart_render.ChartCanvas(Figure(figsize=(inches, inches), dpi=50)).get_renderer()
    assert renderer_of("kent") is not first
